"""The admin home's work queue, with requests overdue and due back soon listed, passes axe-core
with no critical or serious violation: each line of those lists is a link within text
(reference — title · requester · date), and it must be told from that text by more than its
colour (axe's ``link-in-text-block``, found by the curator's journey of issue #10).

The accessibility walk seeds no request past its deadline, so the lists showed "None." there.
Every kind that declares a deadline is covered.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from elvis.workflow.kinds import RequestKind, all_kinds
from tests.browser.axe import serious_violations
from tests.browser.test_pages_have_no_serious_accessibility_violations import log_in
from tests.kinds_support import make_request

pytestmark = pytest.mark.browser

KINDS_WITH_DEADLINES = [kind for kind in all_kinds() if kind.deadline is not None]


@pytest.mark.parametrize("kind", KINDS_WITH_DEADLINES, ids=lambda kind: kind.name)
def test_the_work_queue_lists_of_requests_by_deadline_pass_axe(
    open_page, kind: RequestKind, researcher, curator_a, institution_a, collection_a
):
    assert kind.deadline is not None
    status = sorted(kind.deadline.statuses)[0]
    today = timezone.localdate()
    for title, days in (("Past its date", -3), ("Due in two days", 2)):
        request = make_request(
            kind,
            requester=researcher,
            institution=institution_a,
            collection=collection_a,
            status=status,
            title=title,
        )
        kind.model.objects.filter(pk=request.pk).update(
            **{kind.deadline.field: today + datetime.timedelta(days=days)}
        )
    page = open_page()
    log_in(page, curator_a, reverse("admin:login"))
    page.goto(reverse("admin:index"))
    expect(page.locator(f"#overdue-{kind.name} a")).to_have_count(1)
    expect(page.locator(f"#due-soon-{kind.name} a")).to_have_count(1)

    assert serious_violations(page) == []
