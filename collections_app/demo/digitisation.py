"""Demo digitisation requests at NHM and MfN: one submitted, one being imaged (some captures
processed) and one delivered with its package, so that the queues, the captures table, the
delivered set's colour page and the package download show something on the first run.

Everything goes through the product's own paths: ``perform`` for the transitions, ``store_capture``
for the masters (small real images made here with Pillow, solid or gradient in varied colours),
and the pipeline's tasks called in this process (``process_capture``, ``build_package``), so
the derivatives, measurements and the package exist when ``seed_demo`` ends. (The tasks
``store_capture`` also queues after commit find the work done and change nothing.) A request is
known by its requester, institution and title, so re-running adds nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from collections_app.models import Institution
from elvis.workflow.service import perform

RESEARCHER = "researcher@demo.example.org"
CURATORS = {"NHM": "curator.nhm@demo.example.org", "MfN": "curator.mfn@demo.example.org"}

#: Colours of the demo images (one per capture, in turn): solid or top-to-bottom gradients.
PALETTE: tuple[tuple[tuple[int, int, int], tuple[int, int, int] | None], ...] = (
    ((196, 38, 46), None),  # carmine
    ((34, 139, 74), (170, 214, 96)),  # leaf green to lime
    ((38, 82, 178), None),  # ultramarine
    ((236, 176, 36), (196, 98, 22)),  # ochre to rust
    ((126, 58, 150), None),  # violet
    ((24, 150, 160), (180, 226, 220)),  # teal to pale aqua
    ((92, 62, 40), None),  # umber
    ((232, 110, 140), (250, 210, 160)),  # pink to peach
)


@dataclass(frozen=True)
class DemoDigitisation:
    institution: str
    collection: str  # a plan code (demo.plans.PLANS) the institution holds
    title: str
    purpose: str
    status: str  # submitted, in_progress or delivered
    items: int  # the collection's first specimens by catalogue number, from ``offset``
    offset: int = 0
    processed: int = 0  # in progress: how many items have their capture processed


REQUESTS: tuple[DemoDigitisation, ...] = (
    DemoDigitisation(
        "NHM", "ENT", "Habitus images of Bates's Carabus types",
        "Dorsal and lateral habitus images of the Carabus types for an online revision.",
        "submitted", items=3,
    ),
    DemoDigitisation(
        "NHM", "ORN", "Plumage colour of tanager skins",
        "Calibrated images of study skins to measure plumage colour across Thraupidae.",
        "in_progress", items=4, processed=2,
    ),
    DemoDigitisation(
        "NHM", "MOLL", "Shell banding in land snails",
        "Images of shells to score banding polymorphism for a citizen-science comparison.",
        "delivered", items=3,
    ),
    DemoDigitisation(
        "MfN", "PAL", "Solnhofen insect slabs under low-angle light",
        "Images of the slabs for a catalogue of the Jurassic insects of Solnhofen.",
        "submitted", items=2,
    ),
    DemoDigitisation(
        "MfN", "ENT", "Wing venation of Berlin dragonfly types",
        "Images of the wings for a phylogeny built on venation characters.",
        "delivered", items=3, offset=3,
    ),
)  # fmt: skip


def demo_image(index: int, size: tuple[int, int] = (480, 360)) -> bytes:
    """A JPEG in the ``index``-th palette colour: solid, or a gradient between two colours."""
    top, bottom = PALETTE[index % len(PALETTE)]
    image = Image.new("RGB", size, top)
    if bottom is not None:
        mask = Image.linear_gradient("L").resize(size)
        image = Image.composite(Image.new("RGB", size, bottom), image, mask)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, dpi=(600, 600))
    return out.getvalue()


def seed_digitisation(institutions: dict[str, Institution]) -> int:
    """Create the demo digitisation requests that do not exist yet; returns how many."""
    users = get_user_model().objects.in_bulk([RESEARCHER, *CURATORS.values()], field_name="email")
    researcher = users[RESEARCHER]
    created = 0
    images = 0
    for plan in REQUESTS:
        institution = institutions[plan.institution]
        if institution.digitisationrequests.filter(requester=researcher, title=plan.title).exists():
            continue
        collection = institution.collections.get(code=plan.collection)
        if not collection.accepts_digitisation:
            continue
        specimens = list(
            collection.specimens.order_by("catalog_number")[plan.offset : plan.offset + plan.items]
        )
        if not specimens:  # seed_demo --specimens 0
            continue
        images = make_request(plan, researcher, users[CURATORS[plan.institution]], collection,
                              specimens, images)  # fmt: skip
        created += 1
    return created


def make_request(
    plan: DemoDigitisation,
    researcher: Any,
    curator: Any,
    collection: Any,
    specimens: list[Any],
    images: int,
) -> int:
    """One demo request taken to its stage; returns the running count of images made."""
    from virtual_access import tasks
    from virtual_access.captures import store_capture
    from virtual_access.models import DigitisationItem, DigitisationRequest

    request = DigitisationRequest.objects.create(
        requester=researcher,
        institution=collection.institution,
        title=plan.title,
        purpose=plan.purpose,
        licence="CC-BY-4.0",
        min_resolution_ppi=600,
    )
    request.collections.add(collection)
    items = [DigitisationItem.objects.create(request=request, specimen=s) for s in specimens]
    perform(request, "submit", actor=researcher)
    if plan.status == "submitted":
        return images
    request = perform(
        request,
        "approve",
        actor=curator,
        comment="Scheduled on the imaging station.",
        cost_currency="EUR" if collection.institution.code == "MfN" else "GBP",
        cost_amount=Decimal(35 * len(items)),
        staff_hours=Decimal(len(items)) / 2,
        planned_delivery=timezone.localdate() + timedelta(days=21),
    )
    imaged = items if plan.status == "delivered" else items[: plan.processed]
    for item in imaged:
        item.request = request  # as approved: in progress
        assert item.specimen is not None  # the demo asks for catalogued specimens only
        name = f"{item.specimen.catalog_number}.jpg"
        capture = store_capture(
            item, ContentFile(demo_image(images), name=name), uploaded_by=curator, name=name
        )
        images += 1
        tasks.process_capture(capture.pk)  # here and now, so the derivatives exist
    if plan.status == "delivered":
        # As a curator would, without waiting for the pipeline's quiet period.
        perform(request, "build_package", actor=curator, comment="Imaging finished.")
        tasks.build_package(request.pk)  # here and now: builds the package and delivers
    return images
