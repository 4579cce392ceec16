"""Public pages of the registry: institutions, their collections and facilities, specimens.

Every page runs a fixed number of queries whatever the number of rows (counts are annotated,
children prefetched), so the pages stay fast on the full registry; the query-count tests pin it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, ListView
from django_countries.fields import Country

from elvis.workflow.kinds import all_kinds

from .models import Collection, Facility, Institution, Specimen

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.views.generic.list import MultipleObjectMixin

    # The mixin is only ever put before a ListView: type it as one.
    _ListBase = MultipleObjectMixin
else:
    _ListBase = object

PAGE_SIZE = 25
SPECIMEN_PAGE_SIZE = 20


def web_link(value: str) -> str:
    """``value`` if it is an http(s) URL, else "": only web addresses may become hrefs."""
    return value if value.startswith(("https://", "http://")) else ""


def request_entries(
    institution: Institution, collections: Iterable[Collection], *, preselect: bool = False
) -> list[dict[str, str]]:
    """The public pages' ways in: for each registered kind that one of ``collections`` takes
    now (``RequestKind.offers``), its "Request a loan" link to the new-request form with the
    institution chosen (and, with ``preselect``, the one collection ticked)."""
    collections = list(collections)
    entries = []
    for kind in all_kinds():
        offering = [collection for collection in collections if kind.offers(collection)]
        if not offering:
            continue
        params = {"institution": institution.pk}
        if preselect:
            params["collection"] = offering[0].pk
        url = f"{reverse(f'{kind.url_namespace}:create')}?{urlencode(params)}"
        entries.append({"label": kind.ask_label, "url": url})
    return entries


class ForgivingPaginationMixin(_ListBase):
    """Lists without 404s: a mistyped or too large ``?page=`` shows the nearest page."""

    request: HttpRequest  # the view's

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()


class InstitutionListView(ForgivingPaginationMixin, ListView):
    """The home page: browse and search the participating institutions."""

    template_name = "collections_app/institution_list.html"
    context_object_name = "institutions"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet[Institution]:
        institutions = Institution.objects.annotate(
            collection_count=Count("collections", distinct=True),
            facility_count=Count("facilities", filter=Q(facilities__is_active=True), distinct=True),
        ).order_by("name", "pk")
        q = self.request.GET.get("q", "").strip()
        if q:
            institutions = institutions.filter(
                Q(name__icontains=q) | Q(code__icontains=q) | Q(city__icontains=q)
            )
        country = self.request.GET.get("country", "").strip().upper()
        if country:
            institutions = institutions.filter(country=country)
        return institutions

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["q"] = self.request.GET.get("q", "").strip()
        context["country"] = self.request.GET.get("country", "").strip().upper()
        # The institutions' countries by their names in the page's language.
        codes = Institution.objects.exclude(country="").values_list("country", flat=True)
        context["countries"] = sorted(
            (Country(code) for code in codes.order_by().distinct()),
            key=lambda country: country.name.casefold(),
        )
        return context


class InstitutionDetailView(DetailView):
    """One institution with its collections and its facilities' instruments and capacity."""

    template_name = "collections_app/institution_detail.html"
    context_object_name = "institution"
    queryset = Institution.objects.prefetch_related(
        Prefetch("collections", queryset=Collection.objects.order_by("name", "pk")),
        Prefetch(
            "facilities",
            queryset=Facility.objects.filter(is_active=True)
            .order_by("name", "pk")
            .prefetch_related("instruments"),
        ),
    )

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        institution: Institution = self.object
        context["website_url"] = web_link(institution.website)
        context["identifiers"] = [
            {"label": label, "value": value, "url": web_link(value)}
            for label, value in (
                (_("ROR"), institution.ror_id),
                (_("GRID"), institution.grid_id),
                (_("CETAF"), institution.cetaf_id),
            )
            if value
        ]
        context["request_entries"] = request_entries(institution, institution.collections.all())
        return context


class CollectionDetailView(DetailView):
    """One collection and a searchable page of its specimens."""

    template_name = "collections_app/collection_detail.html"
    context_object_name = "collection"
    queryset = Collection.objects.select_related("institution")

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        collection: Collection = self.object
        q = self.request.GET.get("q", "").strip()
        catalogue = Specimen.objects.filter(collection=collection).order_by("catalog_number")
        specimens = catalogue
        if q:
            # The exact catalogue number hits the (collection, catalog_number) unique index.
            specimens = specimens.filter(Q(catalog_number=q) | Q(scientific_name__istartswith=q))
        page = Paginator(specimens, SPECIMEN_PAGE_SIZE).get_page(self.request.GET.get("page"))
        # ``specimen_count`` is the whole collection (from GRSciColl or the institution); the
        # catalogue holds the specimens imported into ELViS, usually far fewer.
        catalogued = catalogue.count() if q else page.paginator.count
        context.update(
            q=q,
            page_obj=page,
            specimens=page.object_list,
            catalogued=catalogued,
            uncatalogued=max((collection.specimen_count or 0) - catalogued, 0),
            institution_website=web_link(collection.institution.website),
            request_entries=request_entries(collection.institution, [collection], preselect=True),
            specimens_api=reverse("api-specimen-list") + f"?collection={collection.pk}",
        )
        return context
