"""axe-core in the browser tests: ``serious_violations(page)`` runs the vendored axe on the
page as it stands and returns what a person using assistive technology would be stopped or
seriously hindered by (impact "critical" or "serious"), each as one readable line.

axe comes from ``tests/vendor/axe-core/`` (a test asset, never served to users), injected into
the page by Playwright, so no test reaches the internet. A finding of lesser impact ("moderate",
"minor") is advice, not a failure: the tests assert the two levels the project promises.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")

# WCAG 2.x A and AA and the best practices, as the walk-through ran them.
_RUN = """async () => await axe.run(document, {
    resultTypes: ["violations"],
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                    "best-practice"]},
})"""


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def serious_violations(page: Any, label: str = "") -> list[str]:
    """``"<label> [impact] rule: help — selector, selector"`` per critical or serious rule
    broken on ``page`` (a Playwright page); ``label`` (default: the page's path) names it."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the site's Content-Security-Policy, which
        # refuses inline scripts, does not apply to it.
        page.evaluate(_axe_source())
    results = page.evaluate(_RUN)
    where = label or page.url.removeprefix(page.evaluate("() => location.origin"))
    found = []
    for violation in results["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = ", ".join(
            " ".join(str(part) for part in node["target"]) for node in violation["nodes"][:8]
        )
        more = len(violation["nodes"]) - 8
        found.append(
            f"{where} [{violation['impact']}] {violation['id']}: {violation['help']} — "
            f"{targets}{f' (and {more} more)' if more > 0 else ''}"
        )
    return found
