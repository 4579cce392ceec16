"""The delivered set as a IIIF Presentation 3 manifest (built with ``iiif-prezi3``): one canvas
per processed image, painted with its web derivative, with the specimen's Darwin Core fields as
metadata and ``seeAlso`` its stable identifier where it has one.

The same manifest goes into the package and is served at ``/virtual_access/<pk>/iiif/``, so
the ids in it (the site's URLs, from ``SITE_URL``) resolve for anyone who may see the request.
"""

from __future__ import annotations

import json
import mimetypes
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse

from .mids import is_stable_uri

if TYPE_CHECKING:
    from iiif_prezi3 import KeyValueString

    from .models import Capture, DigitisationRequest

CONTEXT = "http://iiif.io/api/presentation/3/context.json"


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def rights_uri(licence_url: str) -> str:
    """IIIF wants the Creative Commons URI as CC defines it (``http://``)."""
    return licence_url.replace("https://creativecommons.org/", "http://creativecommons.org/")


def _pairs(fields: list[tuple[str, str]]) -> list[KeyValueString]:
    from iiif_prezi3 import KeyValueString

    return [
        KeyValueString(label={"en": [label]}, value={"none": [value]})
        for label, value in fields
        if value
    ]


def build_manifest(
    request: DigitisationRequest,
    captures: list[Capture],
    occurrence: dict[int, dict[str, str]],
    *,
    web_sizes: dict[int, tuple[int | None, int | None] | None] | None = None,
) -> dict[str, Any]:
    """The manifest as JSON-LD (a dict). ``occurrence`` maps an item's id to its Darwin Core
    row (``occurrence.csv``'s), which gives the canvases' metadata; ``web_sizes`` the web
    derivatives' pixel sizes where known (the canvas is the master's size, the derivative is
    painted over all of it)."""
    # Imported here, not with the module: iiif-prezi3 builds its pydantic models on import,
    # about 0.5 s that every process of the app (each command, each worker) paid at start-up
    # through ``virtual_access.tasks`` for the few that build a manifest.
    from iiif_prezi3 import KeyValueString, LinkedResource, Manifest

    from .models import Licence

    base = reverse("virtual_access:iiif", args=[request.pk])
    manifest = Manifest(
        id=site_url(base),
        label={"en": [f"{request.reference}: {request.title}"]},
        summary={"en": [f"Images by {request.institution.name} for {request.reference}."]},
        rights=rights_uri(Licence(request.licence).url),
        requiredStatement=KeyValueString(
            label={"en": ["Attribution"]}, value={"en": [request.institution.name]}
        ),
        items=[],
    )
    for capture in captures:
        row = occurrence.get(capture.item_id, {})
        name = " ".join(filter(None, [row.get("catalogNumber"), row.get("scientificName")]))
        canvas_id = site_url(f"{base}canvas/{capture.pk}")
        web_width, web_height = (web_sizes or {}).get(capture.pk) or (None, None)
        canvas = manifest.make_canvas(
            id=canvas_id,
            label={"none": [name or capture.original_name]},
            width=capture.width or web_width or 1,
            height=capture.height or web_height or 1,
        )
        web_url = site_url(reverse("virtual_access:image", args=[request.pk, capture.pk, "web"]))
        body: dict[str, Any] = {
            "format": mimetypes.guess_type(capture.web.name or "")[0] or "image/jpeg"
        }
        if web_width and web_height:
            body.update(width=web_width, height=web_height)
        canvas.add_image(
            image_url=web_url,
            anno_page_id=f"{canvas_id}/page",
            anno_id=f"{canvas_id}/image",
            **body,
        )
        metadata = _pairs(
            [
                ("catalogNumber", row.get("catalogNumber", "")),
                ("scientificName", row.get("scientificName", "")),
                ("family", row.get("family", "")),
                ("typeStatus", row.get("typeStatus", "")),
                ("country", row.get("country", "")),
                ("countryCode", row.get("countryCode", "")),
                ("locality", row.get("locality", "")),
                ("eventDate", row.get("eventDate", "")),
                ("preparations", row.get("preparations", "")),
                ("institutionCode", row.get("institutionCode", "")),
                ("collectionCode", row.get("collectionCode", "")),
                ("basisOfRecord", row.get("basisOfRecord", "")),
                ("occurrenceID", row.get("occurrenceID", "")),
                ("occurrenceRemarks", row.get("occurrenceRemarks", "")),
            ]
        )
        if metadata:
            canvas.metadata = metadata
        occurrence_id = row.get("occurrenceID", "")
        if is_stable_uri(occurrence_id):
            canvas.seeAlso = [
                LinkedResource(
                    id=occurrence_id,
                    type="Dataset",
                    label={"en": ["The specimen's stable identifier"]},
                )
            ]
    # ``jsonld()`` serialises in JSON mode (URLs as strings) and adds the ``@context``.
    return json.loads(manifest.jsonld())
