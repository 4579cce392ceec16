"""The actions every request kind shares (DESIGN.md §2, contract names)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .table import (
    APPROVED,
    CANCELLED,
    CHANGES_REQUESTED,
    CURATOR,
    DRAFT,
    REJECTED,
    REQUESTER,
    SUBMITTED,
    UNDER_REVIEW,
    WITHDRAWN,
    Workflow,
    transition,
)

COMMON = Workflow(
    kind="",
    transitions={
        row.action: row
        for row in (
            transition(
                "submit", {DRAFT, CHANGES_REQUESTED}, SUBMITTED, {REQUESTER},
                event="submitted", label=_("Submit"), requires_complete=True,
            ),
            transition(
                "start_review", {SUBMITTED}, UNDER_REVIEW, {CURATOR},
                event="review_started", label=_("Start review"),
            ),
            transition(
                "request_changes", {SUBMITTED, UNDER_REVIEW}, CHANGES_REQUESTED, {CURATOR},
                event="changes_requested", label=_("Request changes"),
            ),
            transition(
                "approve", {SUBMITTED, UNDER_REVIEW}, APPROVED, {CURATOR},
                event="approved", label=_("Approve"),
            ),
            transition(
                "reject", {SUBMITTED, UNDER_REVIEW}, REJECTED, {CURATOR},
                event="rejected", label=_("Reject"), irreversible=True,
            ),
            transition(
                "withdraw", {DRAFT, SUBMITTED, UNDER_REVIEW, CHANGES_REQUESTED, APPROVED},
                WITHDRAWN, {REQUESTER}, event="withdrawn", label=_("Withdraw"), irreversible=True,
            ),
            transition(
                "cancel", {APPROVED}, CANCELLED, {CURATOR},
                event="cancelled", label=_("Cancel"), irreversible=True,
            ),
        )
    },
)  # fmt: skip
