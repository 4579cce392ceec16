"""Every page a researcher, a curator or a coordinator uses passes axe-core with no critical or
serious violation, on a desktop screen and (the researcher's pages) on a phone.

The pages are discovered, not listed: the researcher's from the kind registry (each kind's
list, forms, timelines at every status, confirmation pages and its own extra pages), the
admin's from the admin site's registry (every URL of every ModelAdmin the user may use, filled
in with the seeded objects it may see). A new kind or a newly registered model is covered
without touching this file. One browser page per test walks them all, and the failure lists
every violation of every page at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, reverse
from playwright.sync_api import expect

from collections_app.models import Collection, Instrument
from elvis.workflow.kinds import RequestKind, all_kinds
from elvis.workflow.service import perform
from tests.browser.axe import serious_violations
from tests.conftest import PASSWORD
from tests.kinds_support import make_request

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def seeded(researcher, curator_a, coordinator_a, institution_a, collection_a, specimen_a):
    """A request of every kind at every status (its admin and timeline differ per status),
    notifications for the researcher, and the registry rows the admin's inlines show."""
    Collection.objects.filter(pk=collection_a.pk).update(
        **{kind.accepts_flag: True for kind in all_kinds()}
    )
    collection_a.refresh_from_db()
    facility = collection_a.institution.facilities.create(name="Imaging suite", daily_capacity=2)
    Instrument.objects.create(facility=facility, name="Stereo microscope")
    requests: dict[str, list[Any]] = {}
    for kind in all_kinds():
        requests[kind.name] = [
            make_request(
                kind,
                requester=researcher,
                institution=institution_a,
                collection=collection_a,
                specimens=[specimen_a],
                status=status,
                title=f"{kind.label} {status}",
            )
            for status, _label in kind.statuses
        ]
        # A real transition: it writes the history and notifies the researcher.
        submitted = next(r for r in requests[kind.name] if r.status == "submitted")
        perform(submitted, "start_review", actor=curator_a, comment="Looking at it.")
    return requests


def log_in(page, user, login_url: str | None = None) -> None:
    page.goto(login_url or reverse("login"))
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


class Walk:
    """Visits pages in one browser tab and gathers the violations of each."""

    def __init__(self, page) -> None:
        self.page = page
        self.found: list[str] = []
        self.checked: list[str] = []

    def check(self, label: str = "") -> None:
        self.found += serious_violations(self.page, label)
        self.checked.append(label or self.page.url)

    def visit(self, url: str, *, required: bool = True) -> bool:
        """Open ``url`` and check it; a page that is not an HTML 200 fails when ``required``,
        else is passed over (an extra page that needs what the seed lacks, a POST-only view, a
        download). It is asked first outside the tab (with the tab's cookies), as an empty
        error answer would leave the tab on chromium's error page."""
        answer = self.page.request.get(url, max_redirects=0)
        html = "text/html" in answer.headers.get("content-type", "")
        if answer.status != 200 or not html:
            if required:
                self.found.append(f"{url}: answered {answer.status}, not an HTML page")
            return False
        self.page.goto(url)
        self.check(url)
        return True

    def assert_clean(self) -> None:
        assert self.checked, "no page was checked"
        assert not self.found, f"{len(self.found)} violation(s):\n" + "\n".join(self.found)


def param_names(pattern: URLPattern) -> set[str]:
    return set(pattern.pattern.regex.groupindex)


def kind_pages(
    kind: RequestKind, requests: list[Any], researcher, *, every_status: bool
) -> Iterator[tuple[str, bool]]:
    """``(url, required)`` of every page of ``kind`` the researcher sees: its timeline and
    own pages at every status, or (not ``every_status``) at the first two only."""
    ns = kind.url_namespace
    requests = requests if every_status else requests[:2]
    institution = requests[0].institution
    yield reverse(f"{ns}:list"), True
    yield reverse(f"{ns}:create"), True
    yield f"{reverse(f'{ns}:create')}?institution={institution.pk}", True
    for request in requests:
        yield reverse(f"{ns}:detail", args=[request.pk]), True
        if request.is_editable_draft:
            yield reverse(f"{ns}:edit", args=[request.pk]), True
    confirmations = {}
    for request in requests:
        for action in request.allowed_actions(researcher):
            if kind.workflow.transitions[action].irreversible:
                confirmations.setdefault(action, request)
    for action, request in confirmations.items():
        yield reverse(f"{ns}:action", args=[request.pk, action]), True
    if kind.extra_urls:
        for pattern in import_module(kind.extra_urls).urlpatterns:
            names = param_names(pattern)
            if not names:
                yield reverse(f"{ns}:{pattern.name}"), False
            elif names == {"pk"}:
                for request in requests:
                    yield reverse(f"{ns}:{pattern.name}", args=[request.pk]), False


def walk_researcher_pages(walk: Walk, seeded, researcher, collection_a, *, every_status) -> None:
    page = walk.page
    walk.visit(reverse("login"))
    walk.visit(reverse("signup"))
    page.locator("main form").get_by_role("button").last.click()  # an empty sign-up: errors
    expect(page.locator("main .errorlist").first).to_be_visible()
    walk.check("sign-up with errors")
    log_in(page, researcher)
    walk.visit(reverse("home"))
    walk.visit(f"{reverse('home')}?q=Institution")
    walk.visit(reverse("institution-detail", args=[collection_a.institution_id]))
    walk.visit(reverse("collection-detail", args=[collection_a.pk]))
    walk.visit(f"{reverse('collection-detail', args=[collection_a.pk])}?q=Carabus")
    walk.visit(reverse("notifications:inbox"))
    walk.visit(reverse("profile"))
    page.locator("main form").get_by_role("button").last.click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    walk.check("profile saved")
    for kind in all_kinds():
        seen: set[str] = set()
        pages = kind_pages(kind, seeded[kind.name], researcher, every_status=every_status)
        for url, required in pages:
            if url not in seen:
                seen.add(url)
                walk.visit(url, required=required)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_researcher_pages_have_no_serious_accessibility_violations(
    open_page, seeded, researcher, collection_a, viewport
):
    walk = Walk(open_page(viewport=viewport))
    # On a phone, the timeline at two statuses: the others differ in content, not in layout.
    every_status = viewport is DESKTOP
    walk_researcher_pages(walk, seeded, researcher, collection_a, every_status=every_status)
    walk.assert_clean()


# -- the admin ------------------------------------------------------------------------------


def flat(patterns) -> Iterator[URLPattern]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from flat(entry.url_patterns)
        else:
            yield entry


def admin_pages(user) -> Iterator[tuple[str, bool]]:
    """``(url, required)`` of every page of every registered ModelAdmin that ``user`` may
    open, filled in with the objects it may see: changelists and change pages (required), add
    pages, and each object page of the admin's own (history, deletion, a request's action
    pages, one per action the user may do), which may refuse the user."""
    request = RequestFactory().get("/admin/")
    request.user = user
    request_models = {kind.model for kind in all_kinds()}
    for model, model_admin in admin.site._registry.items():
        if not (
            model_admin.has_module_permission(request)
            and model_admin.has_view_or_change_permission(request)
        ):
            continue
        objects = [
            obj
            for obj in model_admin.get_queryset(request).order_by("pk")[:50]
            if model_admin.has_view_or_change_permission(request, obj)
        ]
        actions: set[str] = set()
        for pattern in flat(model_admin.get_urls()):
            names, name = param_names(pattern), f"admin:{pattern.name}"
            if not pattern.name or "autocomplete" in pattern.name:
                continue
            main = pattern.name.endswith(("_changelist", "_change"))
            if not names:
                if pattern.name.endswith("_add") and not model_admin.has_add_permission(request):
                    continue
                yield reverse(name), main
            elif names == {"object_id"}:
                # A request's change page differs per status (its actions): one per status.
                per_status = main and model in request_models
                for obj in objects if per_status else objects[:1]:
                    yield reverse(name, args=[obj.pk]), main
            elif names == {"object_id", "action"}:
                for obj in objects:
                    for action in obj.allowed_actions(user):
                        if action not in actions:
                            actions.add(action)
                            yield reverse(name, args=[obj.pk, action]), False


def test_admin_pages_have_no_serious_accessibility_violations(
    open_page, seeded, curator_a, coordinator_a, institution_a
):
    """The curator's pages, then those only the coordinator has (the registry's forms)."""
    walk = Walk(open_page(viewport=DESKTOP))
    for user in (curator_a, coordinator_a):
        walk.page.context.clear_cookies()
        log_in(walk.page, user, reverse("admin:login"))
        walk.visit(reverse("admin:index"))
        for url, required in dict.fromkeys(admin_pages(user)):
            if url not in walk.checked:
                walk.visit(url, required=required)
    # A saved form comes back with its message, and an institution's page with its inlines.
    walk.page.goto(reverse("admin:collections_app_institution_change", args=[institution_a.pk]))
    walk.page.locator('input[name="_continue"]').click()
    expect(walk.page.locator(".messagelist .success")).to_be_visible()
    walk.check("institution saved")
    walk.assert_clean()
