"""What a curator should notice about how a loan went: read by the requester panel (through the
kind's ``outcome_warning``) and by the loan list's overdue column, so both say it alike."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import LoanRequest


def outcome_warning(loan: LoanRequest) -> str | Promise:
    """A loan still out past its due date, or one that came back after it. (A loan cannot
    end with items never returned: it closes only once everything is back.)"""
    if loan.is_overdue:
        return _("overdue since %(date)s") % {"date": loan.due_date}
    if loan.returned_late:
        assert loan.returned_on and loan.due_date  # returned_late says both are set
        days = (loan.returned_on - loan.due_date).days
        return ngettext(
            "returned late: %(days)d day after its due date %(date)s",
            "returned late: %(days)d days after its due date %(date)s",
            days,
        ) % {"days": days, "date": loan.due_date}
    return ""
