"""A loan's admin page: overdue is said only of a loan out past its due date (never a red
"no" on one not dispatched), a lot reads with its count once, and the dispatch in the history
names its carrier and dates under their labels."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override

from elvis.workflow.service import perform
from loans.models import LoanItem

pytestmark = pytest.mark.django_db


def _days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def page_of(client, user, loan) -> str:
    client.force_login(user)
    response = client.get(reverse("admin:loans_loanrequest_change", args=[loan.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_loan_never_dispatched_is_not_flagged_overdue(client, make_loan, curator_a):
    loan = make_loan("approved", due_date=_days(-10))
    page = page_of(client, curator_a, loan)
    assert "overdue since" not in page
    assert "icon-no" not in page and "icon-yes" not in page
    listing = client.get(reverse("admin:loans_loanrequest_changelist")).content.decode()
    assert "icon-no" not in listing and "overdue since" not in listing


def test_a_loan_out_past_its_due_date_says_since_when(client, make_loan, curator_a):
    loan = make_loan("on_loan", due_date=_days(-3))
    summary = page_of(client, curator_a, loan).split('id="request-summary"', 1)[1]
    assert f"overdue since {_days(-3).isoformat()}" in summary.split("</dl>", 1)[0]


def test_a_lot_reads_with_its_count_once(client, make_loan, curator_a):
    assert str(LoanItem(description="20 unsorted Carabidae, drawer 14", quantity=20)) == (
        "Lot of 20: unsorted Carabidae, drawer 14"
    )
    assert str(LoanItem(description="unsorted beetles", quantity=20)) == (
        "Lot of 20: unsorted beetles"
    )
    assert str(LoanItem(description="one skull", quantity=1)) == "one skull"
    loan = make_loan("submitted")
    loan.items.filter(specimen__isnull=True).update(quantity=20)
    page = page_of(client, curator_a, loan)
    assert "20 unsorted Carabidae, drawer 14" in page
    assert "× 20" not in page and "20 × " not in page


def test_the_dispatch_reads_with_its_labels(client, make_loan, curator_a):
    loan = make_loan("approved")
    perform(
        loan, "dispatch", actor=curator_a, comment="Two boxes.",
        carrier="DHL", tracking_number="JD01460", due_date=_days(90),
    )  # fmt: skip
    happened = page_of(client, curator_a, loan).split('id="what-happened"', 1)[1]
    assert "Carl Curator: Dispatch (Approved → Dispatched)" in happened
    assert "<dt>Carrier</dt><dd>DHL</dd>" in happened
    assert "<dt>Tracking number</dt><dd>JD01460</dd>" in happened
    assert f"<dt>Due date</dt><dd>{_days(90).isoformat()}</dd>" in happened
    assert "“Two boxes.”" in happened


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_dates_read_iso_8601_in_every_language(language):
    when = datetime.datetime(2027, 1, 15, 9, 30, tzinfo=datetime.UTC)
    with override(language):
        assert date_format(when.date()) == "2027-01-15"
        assert date_format(when, "DATETIME_FORMAT") == "2027-01-15 09:30"
        assert date_format(when.date(), "SHORT_DATE_FORMAT") == "2027-01-15"
