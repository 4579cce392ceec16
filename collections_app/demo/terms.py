"""The demo's loan terms at NHM, and one NHM collection closed to requests for a while, so
that the public pages, the loan form and the submission rules show them (``seed_demo``)."""

from __future__ import annotations

from dataclasses import dataclass

from collections_app.models import Institution


@dataclass(frozen=True)
class LoanTerms:
    max_days: int
    conditions: str
    permits_required: bool = False


#: Per NHM collection (plan code): what a borrower agrees to.
NHM_LOAN_TERMS = {
    "ENT": LoanTerms(
        180,
        "Pinned specimens travel in their unit trays, packed in a double box. Do not remove "
        "labels. Return by tracked courier; acknowledge NHMUK in publications.",
    ),
    "ORN": LoanTerms(
        90,
        "Skins are lent for morphology only: no destructive sampling without written consent.",
        permits_required=True,
    ),
    "MAM": LoanTerms(
        90,
        "CITES-listed material needs the borrower's import permit before dispatch.",
        permits_required=True,
    ),
    "MOLL": LoanTerms(365, "Dry shells are lent in their original boxes with their labels."),
    "HERB": LoanTerms(
        180,
        "Sheets are lent to herbaria only; annotate with determinavit slips, never on the sheet.",
    ),
}
#: Closed to new requests while the herbarium moves to the new science centre (none of the
#: demo's visits or digitisation requests name it, so a second run submits them all again).
NHM_CLOSED = "HERB"


def apply_nhm_terms(nhm: Institution) -> None:
    """Idempotent: each run sets the same terms again."""
    for code, terms in NHM_LOAN_TERMS.items():
        nhm.collections.filter(code=code).update(
            loan_max_days=terms.max_days,
            loan_conditions=terms.conditions,
            loan_permits_required=terms.permits_required,
        )
    nhm.collections.filter(code=NHM_CLOSED).update(accepting_requests=False)
