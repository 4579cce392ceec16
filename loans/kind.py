"""Loans, declared once: everything the shared core needs to know about them.

The core builds the API resource, the admin, the researcher pages, the reminders, the webhook
events and the notifications of loans from this descriptor (``elvis.workflow.kinds``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from elvis.workflow.kinds import Reminder, RequestKind, register

from .admin import LoanRequestAdmin
from .api.filtersets import LoanFilters
from .api.serializers import LoanRequestSerializer
from .forms import LoanRequestEditor
from .models import DUE_BACK, OUT_STATUSES, LoanItem, LoanRequest, LoanStatus
from .outcome import outcome_warning
from .workflow import LOAN_WORKFLOW

S = LoanStatus


LOAN = register(
    RequestKind(
        name="loan",
        model=LoanRequest,
        workflow=LOAN_WORKFLOW,
        prefix="LOAN",
        accepts_flag="accepts_loans",
        description=_(
            "Specimen loans: the researcher's request, its review, shipment, receipt and return."
        ),
        ask=_("Request a loan"),
        serializer=LoanRequestSerializer,
        editor=LoanRequestEditor,
        items=LoanItem,
        prefill={"borrower_institution": "institution", "shipping_address": "address"},
        filters=LoanFilters,
        admin=LoanRequestAdmin,
        annotate=lambda loans: loans.with_overdue().prefetch_related("permits"),
        deadline=DUE_BACK,
        outcome_warning=outcome_warning,
        reminders=(
            Reminder(
                "due_soon",
                field="due_date",
                statuses=frozenset(OUT_STATUSES),
                days_before=14,
                message=_("%(reference)s is due back on %(date)s."),
            ),
            Reminder(
                "overdue",
                field="due_date",
                statuses=frozenset(OUT_STATUSES),
                days_after=1,
                repeat_every=7,
                message=_("%(reference)s was due back on %(date)s and is %(days)d day(s) overdue."),
            ),
        ),
        event_phrases={
            "dispatched": _("dispatched"),
            "received": _("received"),
            "extended": _("extended"),
            "extension_requested": _("extension asked for"),
            "extension_declined": _("extension declined"),
            "return_sent": _("sent back"),
            "items_returned": _("items returned"),
            "closed": _("closed"),
            "due_soon": _("due back soon"),
            "overdue": _("overdue"),
        },
        next_steps={
            S.APPROVED: _(
                "Approved: the institution will send the specimens and the tracking number."
            ),
            S.DISPATCHED: _(
                "The specimens are on their way: confirm their receipt when they arrive."
            ),
            S.ON_LOAN: _(
                "Return the specimens by the due date, and record the return shipment when you "
                "send them; ask for an extension if you need them longer."
            ),
            S.PARTIALLY_RETURNED: _(
                "Some items are back: return the others by the due date, or ask for an extension."
            ),
            S.RETURNED: _("Everything is back: the institution will close the loan."),
        },
    )
)
