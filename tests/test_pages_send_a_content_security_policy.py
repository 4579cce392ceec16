"""Every page is sent with a Content-Security-Policy that allows only our own scripts and
styles, and every page we render — ours, the admin's, the API docs', the error pages — keeps
within it: no inline script, no inline event handler or style attribute, and an inline
``<style>`` only where the policy names its hash. (tests/browser/ checks the same pages in a
real browser.)"""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.template import loader
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db


class InlineCode(HTMLParser):
    """Collects what a policy without 'unsafe-inline' would block."""

    def __init__(self) -> None:
        super().__init__()
        self.styles: list[str] = []
        self.inline_scripts = 0
        self.attributes: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        names = dict(attrs)
        self.attributes += [name for name in names if name.startswith("on") or name == "style"]
        if tag == "script" and not names.get("src"):
            self.inline_scripts += 1
        self._in = tag if tag in ("style", "script") else None

    def handle_data(self, data) -> None:
        if self._in == "style":
            self.styles.append(data)

    def handle_endtag(self, tag) -> None:
        self._in = None


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def sha256(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def assert_within_policy(html: str, header: str, where: str) -> None:
    policy = directives(header)
    found = InlineCode()
    found.feed(html)
    assert found.inline_scripts == 0, f"{where}: inline <script>"
    assert not found.attributes, f"{where}: inline {found.attributes}"
    for style in found.styles:
        assert sha256(style) in policy["style-src"], f"{where}: <style> without its hash"


@pytest.fixture
def pages(make_loan, collection_a, researcher) -> list[tuple[str, object]]:
    loan = make_loan()
    pages = [
        ("/", None),
        (f"/institutions/{collection_a.institution_id}/", None),
        (f"/collections/{collection_a.pk}/", None),
        ("/accounts/login/", None),
        ("/accounts/signup/", None),
        ("/no-such-page/", None),
        ("/loans/", researcher),
        ("/loans/new/", researcher),
        (f"/loans/{loan.pk}/", researcher),
        (f"/loans/{loan.pk}/edit/", researcher),
        ("/notifications/", researcher),
        ("/accounts/profile/", researcher),
        (reverse("api-docs"), None),
        (reverse("admin:login"), None),
    ]
    return pages


def test_the_policy_allows_only_the_sites_own_scripts(client):
    header = client.get("/")["Content-Security-Policy"]
    policy = directives(header)

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for sources in policy.values() for source in sources)


def test_the_sites_pages_keep_within_the_policy(client, pages):
    for path, user in pages:
        if user:
            client.force_login(user)
        response = client.get(path)

        assert response.status_code in (200, 404), path
        assert_within_policy(response.content.decode(), response["Content-Security-Policy"], path)


def test_every_admin_page_keeps_within_the_policy(client, superuser, make_loan, collection_a):
    make_loan()
    client.force_login(superuser)
    request = RequestFactory().get("/")
    request.user = superuser
    paths = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        paths.append(reverse(f"{name}_changelist"))
        if model_admin.has_add_permission(request):
            paths.append(reverse(f"{name}_add"))
        first = model_admin.get_queryset(request).first()
        if first is not None:
            paths.append(reverse(f"{name}_change", args=[first.pk]))
    for path in paths:
        response = client.get(path)

        assert response.status_code == 200, path
        assert_within_policy(response.content.decode(), response["Content-Security-Policy"], path)


def test_an_admin_list_without_action_bars_has_its_inline_style_allowed(
    client, superuser, monkeypatch
):
    """Django's change list adds a <style> when a list shows no action bar."""
    from axes.models import AccessLog

    model_admin = admin.site._registry[AccessLog]
    monkeypatch.setattr(model_admin, "actions_on_top", False)
    monkeypatch.setattr(model_admin, "actions_on_bottom", False)
    client.force_login(superuser)
    response = client.get(reverse("admin:axes_accesslog_changelist"))

    found = InlineCode()
    found.feed(response.content.decode())
    assert found.styles, "the page no longer has the inline style this test is about"
    assert_within_policy(response.content.decode(), response["Content-Security-Policy"], "log")


def test_the_api_docs_load_swagger_ui_setup_from_a_script_file(client):
    page = client.get(reverse("api-docs"))
    script = client.get(reverse("api-docs"), {"script": ""})

    assert b"?script" in page.content
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content


def test_the_stand_alone_error_pages_keep_within_the_policy(client, settings):
    header = client.get("/")["Content-Security-Policy"]
    request = RequestFactory().get("/")
    for name in ("500.html", "400.html", "413.html"):
        html = loader.get_template(name).render({}, request if name != "500.html" else None)

        assert_within_policy(html, header, name)


def test_json_answers_carry_the_policy_too(api):
    response = api.get("/api/v1/institutions/")

    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_downloads_keep_their_own_stricter_policy(downloaded_attachment):
    assert downloaded_attachment["Content-Security-Policy"] == "default-src 'none'; sandbox"
