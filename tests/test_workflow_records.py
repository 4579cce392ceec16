"""References and history: unique human references, immutable audit rows."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError

from elvis.workflow.models import ReferenceCounter
from elvis.workflow.service import perform

pytestmark = pytest.mark.django_db


def test_loans_get_sequential_references_of_the_year(make_loan):
    first, second = make_loan(), make_loan()
    year = datetime.date.today().year
    assert re.fullmatch(rf"LOAN-{year}-\d{{6}}", first.reference)
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1


def test_reference_numbers_restart_each_year():
    assert ReferenceCounter.allocate("LOAN", 2031) == "LOAN-2031-000001"
    assert ReferenceCounter.allocate("LOAN", 2031) == "LOAN-2031-000002"
    assert ReferenceCounter.allocate("LOAN", 2032) == "LOAN-2032-000001"
    assert ReferenceCounter.allocate("VISIT", 2031) == "VISIT-2031-000001"


def test_history_rows_cannot_be_edited_or_deleted(make_loan, researcher):
    loan = perform(make_loan(), "submit", actor=researcher)
    entry = loan.history.get()
    entry.comment = "rewritten"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    entry.refresh_from_db()
    assert entry.comment == ""
