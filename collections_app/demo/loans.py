"""Demo loans from NHM in the stages a curator works on: one submitted, one approved to send,
one dispatched and due back this week, one overdue, one with an extension asked for, one
with a lot partly back, and one closed after coming back late (the requester panel says so).

Every step goes through ``perform``, as a researcher and a curator would. The workflow
accepts only dates around today (a due date in the future, a return not in the future), so a
loan that happened in the past is run today and then has its dates moved back to what
happened (``backdate``), as the visits' past stages are written as what happened. A loan is
known by its requester, institution and title, so re-running adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from collections_app.models import Institution
from elvis.workflow.service import perform

RESEARCHER = "researcher@demo.example.org"
CURATOR = "curator.nhm@demo.example.org"
INSTITUTION = "NHM"
COLLECTION = "ENT"  # lends, and the digitisation demo uses only its first specimens
#: Specimens of the collection the loans take, one slice each, clear of the digitisation demo.
FIRST_SPECIMEN = 10


@dataclass(frozen=True)
class DemoLoan:
    title: str
    purpose: str
    status: str  # the last step: submitted, approved, dispatched, extension_asked …
    specimens: int
    lot: str = ""  # a described lot of ``lot_count`` specimens
    lot_count: int = 0
    due_in: int = 60  # days from today, once dispatched
    days_ago: int = 0  # how long ago it was dispatched (moved back after the run)


LOANS: tuple[DemoLoan, ...] = (
    DemoLoan(
        "Genitalia of Carabus in the Iberian Peninsula",
        "Dissection of male genitalia to delimit the Iberian Carabus species.",
        "submitted", specimens=3,
    ),
    DemoLoan(
        "Elytral microsculpture of Pterostichus",
        "SEM imaging of the elytral microsculpture for a key to the Pterostichus subgenera.",
        "approved", specimens=2,
    ),
    DemoLoan(
        "Wing polymorphism in island ground beetles",
        "Measurements of hind wings to compare island and mainland populations.",
        "dispatched", specimens=2, due_in=4, days_ago=40,
    ),
    DemoLoan(
        "Larval morphology of Dytiscidae",
        "Description of the third-instar larvae of three diving-beetle genera.",
        "overdue", specimens=2, due_in=-9, days_ago=120,
    ),
    DemoLoan(
        "Type series of Nebria for a revision",
        "Comparison of the type series before designating lectotypes.",
        "extension_asked", specimens=2, due_in=6, days_ago=85,
    ),
    DemoLoan(
        "Unsorted Staphylinidae from the Lisbon survey",
        "Sorting and identification of the rove beetles of the 1960s Lisbon survey.",
        "partly_back", specimens=1, lot="unsorted Staphylinidae, drawer 22", lot_count=10,
        due_in=30, days_ago=60,
    ),
    DemoLoan(
        "Bembidion of the Tagus estuary",
        "Identification of the Bembidion collected in the estuary's salt marshes.",
        "returned_late", specimens=2, due_in=-30, days_ago=150,
    ),
)  # fmt: skip


def seed_loans(institutions: dict[str, Institution]) -> int:
    """Create the demo loans that do not exist yet; returns how many."""
    users = get_user_model().objects.in_bulk([RESEARCHER, CURATOR], field_name="email")
    researcher, curator = users[RESEARCHER], users[CURATOR]
    institution = institutions[INSTITUTION]
    collection = institution.collections.get(code=COLLECTION)
    if not collection.accepts_loans:
        return 0
    specimens = list(collection.specimens.order_by("catalog_number")[FIRST_SPECIMEN:])
    created = 0
    for plan in LOANS:
        taken, specimens = specimens[: plan.specimens], specimens[plan.specimens :]
        if institution.loanrequests.filter(requester=researcher, title=plan.title).exists():
            continue
        if len(taken) < plan.specimens:  # a small --specimens: the loan lends a lot instead
            taken = []
        run_loan(plan, researcher, curator, collection, taken)
        created += 1
    return created


def run_loan(plan: DemoLoan, researcher: Any, curator: Any, collection: Any, specimens: list):
    """One demo loan taken through the workflow to its stage."""
    from loans.models import LoanItem, LoanRequest

    today = timezone.localdate()
    loan = LoanRequest.objects.create(
        requester=researcher,
        institution=collection.institution,
        title=plan.title,
        purpose=plan.purpose,
        requested_start=today + timedelta(days=14),
        requested_end=today + timedelta(days=120),
        borrower_institution="Universidade de Lisboa, Museu Nacional de História Natural",
        shipping_address="Rua da Escola Politécnica 56, 1250-102 Lisboa, Portugal",
    )
    loan.collections.add(collection)
    for specimen in specimens:
        LoanItem.objects.create(loan=loan, specimen=specimen)
    if plan.lot:
        LoanItem.objects.create(loan=loan, description=plan.lot, quantity=plan.lot_count)
    if not specimens:
        LoanItem.objects.create(
            loan=loan, description="unsorted Carabidae, drawer 9", quantity=plan.specimens
        )
    perform(loan, "submit", actor=researcher)
    if plan.status == "submitted":
        return
    perform(loan, "approve", actor=curator, comment="Fine by us: we send them next week.")
    if plan.status == "approved":
        return
    # Dispatched today, due back tomorrow at the earliest: ``backdate`` moves it to its dates.
    perform(loan, "dispatch", actor=curator, carrier="DHL Express",
            tracking_number=f"JD0146{loan.pk:08d}", due_date=today + timedelta(days=1))  # fmt: skip
    if plan.status != "dispatched":
        perform(loan, "confirm_receipt", actor=researcher)
    if plan.status == "extension_asked":
        perform(loan, "request_extension", actor=researcher, due_date=today + timedelta(days=60),
                reason="Two of the specimens need a second round of photographs.")  # fmt: skip
    elif plan.status == "partly_back":
        lot = loan.items.get(description=plan.lot)
        perform(loan, "record_return", actor=researcher, carrier="CTT Expresso",
                tracking_number="EA123456789PT")  # fmt: skip
        perform(loan, "return_items", actor=curator, items=[
            {"item": lot.pk, "count": 6, "note": "One pronotum detached, in a capsule."}
        ])  # fmt: skip
    elif plan.status == "returned_late":
        perform(loan, "record_return", actor=researcher, carrier="CTT Expresso",
                tracking_number="EA987654321PT")  # fmt: skip
        perform(loan, "return_items", actor=curator,
                items=[item.pk for item in loan.items.all()])  # fmt: skip
        perform(loan, "close", actor=curator, comment="All back, in good order.")
    backdate(loan, plan, today)


def backdate(loan: Any, plan: DemoLoan, today: date) -> None:
    """Move a demo loan's dates to what happened: dispatched ``days_ago``, due ``due_in``
    days from today, received five days after dispatch, back (if it is) 25 days late."""
    from loans.models import LoanItem, LoanRequest

    shipped = today - timedelta(days=plan.days_ago)
    due = today + timedelta(days=plan.due_in)
    dates: dict[str, Any] = {"shipped_on": shipped, "due_date": due, "original_due_date": due}
    if loan.received_on:
        dates["received_on"] = shipped + timedelta(days=5)
    if plan.status == "returned_late":
        back = due + timedelta(days=25)
        dates.update(returned_on=back, return_shipped_on=back - timedelta(days=6))
        LoanItem.objects.filter(loan=loan).update(returned_on=back)
    elif plan.status == "partly_back":
        dates["return_shipped_on"] = today - timedelta(days=8)
    LoanRequest.objects.filter(pk=loan.pk).update(**dates)
