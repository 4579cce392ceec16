"""Registry endpoints: thin viewsets over base querysets that carry every join a page needs.

Each base queryset is what keeps a list at a constant number of queries whatever the page size
(pinned by ``tests/test_api_query_counts.py``), and ends its ordering in ``pk`` so that pages
never overlap or skip rows. Specimens page by cursor (``KeysetPagination``), the rest by number.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, ClassVar, cast

from django.db.models import Count, Model, ProtectedError, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from collections_app.models import Collection, Facility, Institution
from collections_app.scoping import can_edit_institution_id
from collections_app.search import with_order_columns
from elvis.api.pagination import KeysetPagination
from elvis.api.requests.errors import ErrorDetailSerializer
from visits.capacity import Availability

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from .filtersets import (
    CollectionFilterSet,
    FacilityFilterSet,
    InstitutionFilterSet,
    SpecimenFilterSet,
)
from .pages import SPECIMENS, ordered, search_of
from .permissions import RegistryWritePermission
from .rows import specimen_rows
from .serializers import (
    AvailabilityQuerySerializer,
    CollectionSerializer,
    FacilityAvailabilitySerializer,
    FacilitySerializer,
    InstitutionSerializer,
    RegistrySerializer,
    SpecimenSerializer,
)


class StillReferenced(APIException):
    """409: requests (or other records) refer to the object, so it is kept."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "referenced"


def referenced_by(error: ProtectedError) -> str:
    """What refers to the object a deletion was refused for: "loan requests: 2, …"."""
    counts = Counter(str(type(row)._meta.verbose_name_plural) for row in error.protected_objects)
    return ", ".join(f"{name}: {count}" for name, count in sorted(counts.items()))


class RegistryViewSet(viewsets.ModelViewSet):
    """Public reads; writes by site staff and the owning institution's coordinators."""

    permission_classes = [RegistryWritePermission]
    # Ordering is a validated filter of each FilterSet: DRF's OrderingFilter ignores unknown fields.
    filter_backends = [DjangoFilterBackend]
    staff_only_actions: ClassVar[frozenset[str]] = frozenset()
    #: What to do instead of deleting a record that requests refer to.
    instead_of_deleting: ClassVar[StrOrPromise] = ""

    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(
                ErrorDetailSerializer,
                description=_(
                    "Requests or other records refer to it: it is kept, and `detail` says what "
                    "refers to it and what to do instead."
                ),
            ),
        }
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance: Model) -> None:
        """Nothing that requests refer to is deleted: Django's collector refuses it (PROTECT)
        before deleting anything, and the caller learns why (409)."""
        try:
            instance.delete()
        except ProtectedError as error:
            detail = _("It cannot be deleted: %(references)s refer to it.") % {
                "references": referenced_by(error)
            }
            raise StillReferenced(f"{detail} {self.instead_of_deleting}".strip()) from error

    # The serializers of this viewset are RegistrySerializers.
    def perform_create(self, serializer: BaseSerializer) -> None:
        self._save(cast("RegistrySerializer", serializer))

    def perform_update(self, serializer: BaseSerializer) -> None:
        self._save(cast("RegistrySerializer", serializer))

    def _save(self, serializer: RegistrySerializer) -> None:
        """Check the institution the body targets (a create, or a move), then save and reload."""
        if not can_edit_institution_id(self.request.user, serializer.target_institution_id()):
            raise PermissionDenied(
                _("You may only add or move records to institutions you coordinate.")
            )
        instance = serializer.save()
        # Reload through the base queryset, so the answer has the same annotations as a read.
        serializer.instance = self.get_queryset().get(pk=instance.pk)


class InstitutionViewSet(RegistryViewSet):
    """Museums, herbaria and universities. Only site staff add or remove institutions."""

    queryset = Institution.objects.annotate(
        collection_count=Count("collections", distinct=True),
        facility_count=Count("facilities", distinct=True),
    ).order_by("code", "pk")
    serializer_class = InstitutionSerializer
    filterset_class = InstitutionFilterSet
    staff_only_actions = frozenset({"create", "destroy"})


class CollectionViewSet(RegistryViewSet):
    """Collections and the kinds of access (loans, visits, digitisation) each offers."""

    queryset = Collection.objects.select_related("institution").order_by(
        "institution__code", "code", "pk"
    )
    serializer_class = CollectionSerializer
    filterset_class = CollectionFilterSet
    instead_of_deleting = _("Set accepting_requests to false to stop accepting requests.")


class FacilityViewSet(RegistryViewSet):
    """Labs, imaging suites and workspaces, with their instruments and daily visitor places."""

    queryset = (
        Facility.objects.select_related("institution")
        .prefetch_related("instruments")
        .order_by("institution__code", "name", "pk")
    )
    serializer_class = FacilitySerializer
    filterset_class = FacilityFilterSet
    instead_of_deleting = _("Set is_active to false to stop accepting visits.")

    @extend_schema(
        summary=_("A facility's free visitor places per day"),
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, required=True, description=_("The first day.")
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.DATE,
                required=True,
                description=_("The last day, included: at most 366 days in all."),
            ),
        ],
        responses={200: FacilityAvailabilitySerializer},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def availability(self, request: Request, pk: str | None = None) -> Response:
        """Per day from ``from`` to ``to``: whether the facility receives visitors, its places,
        those approved visits hold and those still free — what a partner system or a
        researcher checks before proposing dates. Public, like the registry; only active
        facilities have a calendar (others answer 404)."""
        facility = get_object_or_404(
            Facility.objects.select_related("institution").filter(is_active=True), pk=pk
        )
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["from"], query.validated_data["to"]
        availability = Availability.of(facility.institution, [facility], start, end)
        days = [
            {
                "facility": facility.pk,
                "date": day,
                "open": availability.places(facility.pk, day) > 0,
                "capacity": availability.places(facility.pk, day),
                "booked": availability.taken(facility.pk, day),
                "free": availability.free(facility.pk, day),
            }
            for day in availability.calendar_days()
        ]
        return Response(
            FacilityAvailabilitySerializer({"facility": facility.pk, "days": days}).data
        )


class CataloguePagination(KeysetPagination):
    """Specimen pages read their keys before joining collection and institution (a name
    prefix, or the ``updated_at`` an import gives all its specimens, misjudged by the
    planner's statistics: ``keys_first``),
    and their rows as named values, not model instances (``rows``); a planned search's page
    is read by its compiled SQL (``pages``)."""

    def keys_first(self) -> QuerySet:
        return with_order_columns(SPECIMENS, self.ordering)

    def rows_of(self, page: QuerySet) -> QuerySet:
        return specimen_rows(page)


class SpecimenViewSet(RegistryViewSet):
    """Catalogued specimens (millions of rows): searched and ordered by ``search_specimens``
    (through the filterset), paged by cursor so that no page counts or skips rows."""

    queryset = SPECIMENS
    serializer_class = SpecimenSerializer
    filterset_class = SpecimenFilterSet
    pagination_class = CataloguePagination

    # No docstring: the class's describes the list operation (OpenAPI).
    def list(self, request: Request, *args, **kwargs) -> Response:
        # A page of the search the filters describe, read by the SQL compiled once for its
        # shape (``pages``); a search of no fixed shape is built and paged as any list.
        filterset = SpecimenFilterSet(request.query_params, self.get_queryset(), request=request)
        if not filterset.is_valid():  # the 400 the filter backend answers
            raise cast(APIException, translate_validation(filterset.errors))
        search = search_of(filterset)
        if search is None:
            queryset = filterset.qs
        else:
            cast(CataloguePagination, self.paginator).planned = search
            queryset = ordered(search.ordering)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
