"""The Content-Security-Policy of every page (django-csp), and the hashes of the few inline
``<style>`` elements it allows.

Our templates load scripts and styles from our own static files only. Three templates we serve
carry an inline ``<style>``: our stand-alone 500 page (it must render when static files do not),
Django admin's change list (without actions) and drf-spectacular's Swagger UI page. Rather than
``'unsafe-inline'``, the policy allows exactly those elements by their SHA-256, computed here
from the template sources at start-up, so an upgrade of Django or drf-spectacular that changes
them keeps working. Swagger UI's own script is served as a file (``SpectacularSwaggerSplitView``).

Imported by the settings, so it may not import anything that needs them.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

from csp.constants import NONE, SELF

STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def package_template(package: str, name: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"{package} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "templates" / name


def style_hash(content: str) -> str:
    digest = hashlib.sha256(content.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def inline_style_hashes(*templates: Path) -> list[str]:
    """CSP sources for the inline ``<style>`` elements of ``templates`` (their content must be
    literal text: a template tag inside would render differently from its source)."""
    hashes = []
    for template in templates:
        for content in STYLE.findall(template.read_text(encoding="utf-8")):
            if "{%" in content or "{{" in content:
                raise ValueError(f"{template}: an inline style with template tags has no hash")
            hashes.append(style_hash(content))
    return list(dict.fromkeys(hashes))


def policy(base_dir: Path) -> dict:
    """django-csp's ``CONTENT_SECURITY_POLICY``."""
    styles = inline_style_hashes(
        base_dir / "templates" / "500.html",
        package_template("django.contrib.admin", "admin/change_list.html"),
        package_template("drf_spectacular", "drf_spectacular/swagger_ui.html"),
    )
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF],
            "style-src": [SELF, *styles],
            # Swagger UI draws its icons as data: URIs.
            "img-src": [SELF, "data:"],
            "font-src": [SELF],
            "connect-src": [SELF],
            "object-src": [NONE],
            "base-uri": [NONE],
            "form-action": [SELF],
            "frame-ancestors": [NONE],
        }
    }
