"""The digitisation request's own pages, beside the shared timeline: the package download and
its private links, the delivered set of images (grid and colour mosaic), the images themselves
and the set's IIIF manifest.

Every page finds the request through ``visible_to`` (404 otherwise), as the timeline does; the
images are served by these views, never from ``MEDIA_URL``. Making or revoking a link is a POST
(revoking from a confirmation page), so it works without JavaScript and no prefetch or crawler
changes anything.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache

from elvis.workflow.pages.base import KindPageMixin

from . import colour, downloads, iiif
from .kind import DIGITISATION
from .models import Capture, CaptureStatus, DigitisationRequest, DownloadLink

#: The orders of the delivered set: (slug, label).
SORTS = (
    ("catalogue", _("Catalogue number")),
    ("taxon", _("Taxon")),
    ("colour", _("Colour")),
)
VARIANTS = ("web", "thumbnail")


class DigitisationPage(KindPageMixin, View):
    kind = DIGITISATION

    def get_request(self, pk: int) -> DigitisationRequest:
        return get_object_or_404(self.visible_requests(), pk=pk)

    def managed_request(self, pk: int) -> DigitisationRequest:
        """A request whose links the user manages: 404 if invisible or without a package,
        403 if visible but not theirs to hand out."""
        access_request = self.get_request(pk)
        if not downloads.has_package(access_request):
            raise Http404(_("This request has no package to download."))
        if not downloads.may_manage(access_request, self.request.user):
            raise PermissionDenied(_("Only the requester and the institution's staff can do this."))
        return access_request


class PackageDownloadView(DigitisationPage):
    """``/virtual_access/<pk>/package/``: the package, for whoever may see the request."""

    def get(self, http_request: HttpRequest, pk: int) -> HttpResponseBase:
        access_request = self.get_request(pk)
        if not downloads.has_package(access_request):
            raise Http404(_("This request has no package to download."))
        return downloads.package_response(access_request)


@method_decorator(never_cache, name="dispatch")
class LinkCreateView(DigitisationPage):
    """``/virtual_access/<pk>/links/`` (POST): a private link, whose URL is shown once, on the
    answer to this POST (never stored, never in a redirect or a message cookie)."""

    def post(self, http_request: HttpRequest, pk: int) -> HttpResponse:
        access_request = self.managed_request(pk)
        link, token = downloads.create_link(access_request, http_request.user)
        return render(
            http_request,
            "virtual_access/link_created.html",
            self.page_context(
                access_request=access_request, link=link, url=downloads.link_url(token)
            ),
        )


class LinkRevokeView(DigitisationPage):
    """``/virtual_access/<pk>/links/<link_pk>/revoke/``: a confirmation (GET), then the
    revocation (POST)."""

    def link(self, pk: int, link_pk: int) -> tuple[DigitisationRequest, DownloadLink]:
        access_request = self.get_request(pk)
        if not downloads.may_manage(access_request, self.request.user):
            raise PermissionDenied(_("Only the requester and the institution's staff can do this."))
        link = get_object_or_404(
            DownloadLink.objects.select_related("created_by"), pk=link_pk, request=access_request
        )
        return access_request, link

    def get(self, http_request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
        access_request, link = self.link(pk, link_pk)
        if link.revoked_at is not None:
            return redirect(access_request.get_absolute_url() + "#downloads")
        return render(
            http_request,
            "virtual_access/link_revoke.html",
            self.page_context(access_request=access_request, link=link),
        )

    def post(self, http_request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
        access_request, link = self.link(pk, link_pk)
        if downloads.revoke(link):
            messages.success(http_request, _("The link is revoked: it downloads nothing more."))
        return redirect(access_request.get_absolute_url() + "#downloads")


@method_decorator(never_cache, name="dispatch")
class LinkDownloadView(View):
    """``/virtual_access/download/<token>/``: the package through a private link, no login;
    each use logged. Unknown, expired and revoked links get the same 404 page."""

    def get(self, http_request: HttpRequest, token: str) -> HttpResponseBase:
        link = downloads.usable_link(token)
        if link is None:
            return render(http_request, "virtual_access/link_gone.html", status=404)
        downloads.log_download(link, http_request)
        return downloads.package_response(link.request)


def _alt(capture: Capture) -> str:
    item = capture.item
    if item.specimen:
        return f"{item.specimen.catalog_number} {item.specimen.scientific_name}".strip()
    return item.description


def _sort(captures: list[Capture], order: str) -> list[Capture]:
    def catalogue(capture: Capture) -> tuple:
        specimen = capture.item.specimen
        number = specimen.catalog_number.casefold() if specimen else ""
        return (specimen is None, number, capture.item_id, capture.pk)

    def taxon(capture: Capture) -> tuple:
        specimen = capture.item.specimen
        name = specimen.scientific_name.casefold() if specimen else ""
        return (not name, name, *catalogue(capture))

    key = {"catalogue": catalogue, "taxon": taxon, "colour": colour.sort_key}[order]
    return sorted(captures, key=key)


class ImageSetView(DigitisationPage):
    """``/virtual_access/<pk>/images/``: the processed images as a grid of thumbnails, sorted
    by catalogue number, taxon or colour and filtered by colour band; ``?view=mosaic`` lays
    them out by hue, tightly. Two queries whatever the number of images (the request, then
    the captures with their items and specimens); sorting and filtering are done on that list,
    which a request keeps small enough."""

    def get(self, http_request: HttpRequest, pk: int) -> HttpResponse:
        access_request = self.get_request(pk)
        mosaic = http_request.GET.get("view") == "mosaic"
        order = "colour" if mosaic else http_request.GET.get("sort", "catalogue")
        if order not in dict(SORTS):
            order = "catalogue"
        band = http_request.GET.get("colour", "")
        if band not in dict(colour.BAND_CHOICES):
            band = ""
        captures = list(
            Capture.objects.filter(item__request=access_request, status=CaptureStatus.PROCESSED)
            .select_related("item__specimen")
            .order_by()
        )
        total = len(captures)
        for capture in captures:
            capture.band = colour.band(capture)
            capture.alt = _alt(capture)
        if band:
            captures = [capture for capture in captures if capture.band == band]
        context: dict[str, Any] = self.page_context(
            access_request=access_request,
            captures=_sort(captures, order),
            total=total,
            sorts=SORTS,
            order=order,
            bands=colour.BAND_CHOICES,
            band=band,
            mosaic=mosaic,
        )
        return render(http_request, "virtual_access/images.html", context)


class ImageFileView(DigitisationPage):
    """``/virtual_access/<pk>/images/<capture_pk>/<web|thumbnail>/``: one derivative, for
    whoever may see the request."""

    def get(self, http_request: HttpRequest, pk: int, capture_pk: int, variant: str):
        if variant not in VARIANTS:
            raise Http404(_("No such image."))
        access_request = self.get_request(pk)
        capture = get_object_or_404(
            Capture,
            pk=capture_pk,
            item__request=access_request,
            status=CaptureStatus.PROCESSED,
        )
        file = getattr(capture, variant)
        if not file:
            raise Http404(_("No such image."))
        try:
            handle = file.open("rb")
        except FileNotFoundError as missing:
            raise Http404(_("No such image.")) from missing
        response = FileResponse(handle, content_type=None)
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ManifestView(DigitisationPage):
    """``/virtual_access/<pk>/iiif/``: the set's IIIF Presentation 3 manifest (as in the
    package), so the ids in it resolve."""

    def get(self, http_request: HttpRequest, pk: int) -> HttpResponse:
        access_request = self.get_request(pk)
        from .packaging import occurrence_rows

        captures = list(
            Capture.objects.filter(item__request=access_request, status=CaptureStatus.PROCESSED)
            .select_related("item")
            .order_by("item_id", "pk")
        )
        manifest = iiif.build_manifest(access_request, captures, occurrence_rows(access_request))
        response = JsonResponse(manifest, json_dumps_params={"ensure_ascii": False})
        response["Content-Type"] = (
            'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
        )
        return response
