"""Registry admin for site staff and institution staff.

Curators and coordinators reach the admin through their memberships and hold no Django model
permissions, so every registry admin here asks ``collections_app.scoping`` instead: members see
their institutions' rows, coordinators edit them, site staff see and edit everything.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, TypedDict, cast

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count, Model, QuerySet, URLField
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from elvis.admin import NotFoundOutsideScope, is_autocomplete, may_use_admin

from .models import Collection, Facility, Institution, Instrument, Membership, Specimen
from .roles import coordinated_institution_ids, institution_ids, is_site_staff
from .scoping import can_edit, owner_institution_id
from .search import search_specimens

if TYPE_CHECKING:
    from django.contrib.admin.options import BaseModelAdmin
    from django_stubs_ext import StrOrPromise, WithAnnotations

    from accounts.models import User

    # The mixin is only ever put before a ModelAdmin or an inline: type it as one.
    _AdminBase = BaseModelAdmin

    class InstitutionCounts(TypedDict):
        """The annotations of the institutions' changelist."""

        collection_count: int
        facility_count: int

    class InstrumentCount(TypedDict):
        instrument_count: int
else:
    _AdminBase = object


@cache
def institution_path(model: type[Model]) -> str | None:
    """The lookup from ``model`` to its owning institution, following the same links as
    ``scoping.institution_of`` (``None`` for models no institution owns, such as users)."""
    if model is Institution:
        return "pk"
    for name in ("institution", "collection", "facility"):
        try:
            related = model._meta.get_field(name).related_model
        except FieldDoesNotExist:
            continue
        rest = institution_path(related)
        return name if rest == "pk" else f"{name}__{rest}"
    return None


def within(queryset: QuerySet, ids: set[int]) -> QuerySet:
    """Rows of ``queryset`` owned by the institutions ``ids``."""
    # mypy does not count a class as Hashable here (it is: lru_cache keys on it at run time).
    path = institution_path(queryset.model)  # type: ignore[arg-type]
    return queryset.filter(**{f"{path}__in": ids})


class InstitutionScoped(_AdminBase):
    """Scopes a ModelAdmin or an inline to the user's institutions.

    Used for inlines too, where Django passes the *parent* object to the permission methods:
    its institution is the rows' institution, so the same rules hold.
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        user = request.user
        if is_site_staff(user):
            return queryset
        # Autocomplete feeds edit forms, so it offers only what the user may pick there.
        ids = (
            coordinated_institution_ids(user) if is_autocomplete(request) else institution_ids(user)
        )
        return within(queryset, ids)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        user = request.user
        if is_site_staff(user):
            return True
        ids = institution_ids(user)
        return bool(ids) if obj is None else owner_institution_id(obj) in ids

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.may_edit(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.may_edit(request, obj)

    def may_edit(self, request: HttpRequest, obj: Model | None) -> bool:
        """Without an object: may the user edit any rows at all? With one: rows of this one."""
        user = request.user
        if obj is None:
            return is_site_staff(user) or bool(coordinated_institution_ids(user))
        return can_edit(user, obj)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        related = db_field.related_model
        if institution_path(related) and not is_site_staff(request.user):
            kwargs["queryset"] = within(
                related._default_manager.all(), coordinated_institution_ids(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class InstitutionScopedAdmin(NotFoundOutsideScope, InstitutionScoped, admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        # The form already limits the choices; this stops a forged POST that moves the object
        # to (or creates it under) an institution the user does not coordinate.
        if not can_edit(request.user, obj):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


class InstitutionFilter(admin.SimpleListFilter):
    """Filter by the institutions the user can see (a related-field filter would list all)."""

    title = _("institution")
    parameter_name = "institution"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        institutions = Institution.objects.only("pk", "code")
        if not is_site_staff(request.user):
            institutions = within(institutions, institution_ids(request.user))
        return [(str(institution.pk), institution.code) for institution in institutions]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() is None:
            return queryset
        try:
            path = cast(str, institution_path(queryset.model))  # type: ignore[arg-type]  # as above
            return queryset.filter(**{path: self.value()})
        except (ValueError, ValidationError) as error:
            raise IncorrectLookupParameters(error) from error


class TypeStatusFilter(admin.SimpleListFilter):
    """Type kinds as prefixes, since Darwin Core values read like "Holotype of Carabus x"."""

    title = _("type status")
    parameter_name = "type_status"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, StrOrPromise]]:
        return [
            ("any", _("Any type")),
            ("none", _("Not a type")),
            ("holotype", _("Holotype")),
            ("paratype", _("Paratype")),
            ("syntype", _("Syntype")),
            ("lectotype", _("Lectotype")),
            ("paralectotype", _("Paralectotype")),
            ("neotype", _("Neotype")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if value == "any":
            return queryset.exclude(type_status="")
        if value == "none":
            return queryset.filter(type_status="")
        return queryset.filter(type_status__istartswith=value)


@admin.display(description=_("institution"), ordering="institution__code")
def institution_code(obj: Collection | Facility) -> str:
    return obj.institution.code


class CollectionInline(InstitutionScoped, admin.TabularInline):
    model = Collection
    fields = (
        "code",
        "name",
        "discipline",
        "accepts_loans",
        "accepts_visits",
        "accepts_digitisation",
        "accepting_requests",
    )
    extra = 0
    show_change_link = True


class FacilityInline(InstitutionScoped, admin.TabularInline):
    model = Facility
    fields = ("name", "type", "daily_capacity", "is_active")
    extra = 0
    show_change_link = True


class InstrumentInline(InstitutionScoped, admin.TabularInline):
    model = Instrument
    fields = ("name", "description")
    extra = 0


@admin.register(Institution)
class InstitutionAdmin(InstitutionScopedAdmin):
    list_display = (
        "code",
        "name",
        "country",
        "total_specimens",
        "collection_count",
        "facility_count",
    )
    search_fields = ("code", "name", "city", "grid_id")
    list_filter = ("country", "has_dna_bank", "has_seed_bank")
    inlines = (CollectionInline, FacilityInline)
    formfield_overrides = {URLField: {"assume_scheme": "https"}}
    # Importers and the API match institutions on these; only site staff change them.
    identifier_fields = ("code", "ror_id", "grid_id", "cetaf_id", "grscicoll_key")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                collection_count=Count("collections", distinct=True),
                facility_count=Count("facilities", distinct=True),
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Institution | None = None):
        if is_site_staff(request.user):
            return super().get_readonly_fields(request, obj)
        return self.identifier_fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_site_staff(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_site_staff(request.user)

    @admin.display(description=_("collections"), ordering="collection_count")
    def collection_count(self, institution: WithAnnotations[Institution, InstitutionCounts]) -> int:
        return institution.collection_count

    @admin.display(description=_("facilities"), ordering="facility_count")
    def facility_count(self, institution: WithAnnotations[Institution, InstitutionCounts]) -> int:
        return institution.facility_count


@admin.register(Collection)
class CollectionAdmin(InstitutionScopedAdmin):
    list_display = (
        "code",
        "name",
        institution_code,
        "discipline",
        "specimen_count",
        "digitised_count",
        "accepts_loans",
        "accepts_visits",
        "accepts_digitisation",
        "accepting_requests",
    )
    list_select_related = ("institution",)
    search_fields = ("code", "name", "discipline", "taxonomic_scope", "institution__code")
    list_filter = (
        InstitutionFilter,
        "discipline",
        "accepts_loans",
        "accepts_visits",
        "accepts_digitisation",
        "accepting_requests",
    )
    autocomplete_fields = ("curators",)
    actions = ("stop_accepting_requests", "accept_requests_again")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "institution",
                    "code",
                    "name",
                    "discipline",
                    "taxonomic_scope",
                    "preservation_types",
                    "specimen_count",
                    "digitised_count",
                    "description",
                    "contact_email",
                    "curators",
                    "grscicoll_key",
                )
            },
        ),
        (
            _("Access"),
            {
                "fields": (
                    "accepting_requests",
                    "accepts_loans",
                    "accepts_visits",
                    "accepts_digitisation",
                )
            },
        ),
        (
            _("Loan terms"),
            {"fields": ("loan_max_days", "loan_conditions", "loan_permits_required")},
        ),
    )

    @admin.action(
        description=_("Stop accepting requests (instead of deleting)"),
        permissions=("change",),
    )
    def stop_accepting_requests(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_accepting(request, queryset, accepting=False)

    @admin.action(description=_("Accept requests again"), permissions=("change",))
    def accept_requests_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_accepting(request, queryset, accepting=True)

    def _set_accepting(self, request: HttpRequest, queryset: QuerySet, *, accepting: bool) -> None:
        """Only the collections the user may edit (curators see, coordinators edit)."""
        editable = [
            c.pk for c in queryset.select_related("institution") if can_edit(request.user, c)
        ]
        changed = Collection.objects.filter(pk__in=editable).update(
            accepting_requests=accepting, updated_at=timezone.now()
        )
        self.message_user(
            request,
            ngettext("%(count)d collection changed.", "%(count)d collections changed.", changed)
            % {"count": changed},
        )

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "curators" and not is_site_staff(request.user):
            # Contact curators are staff of the institutions the coordinator runs.
            members = Membership.objects.current().filter(
                institution__in=coordinated_institution_ids(request.user)
            )
            kwargs["queryset"] = db_field.related_model.objects.filter(
                memberships__in=members
            ).distinct()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Facility)
class FacilityAdmin(InstitutionScopedAdmin):
    list_display = ("name", institution_code, "type", "daily_capacity", "is_active", "instruments")
    list_select_related = ("institution",)
    search_fields = ("name", "description", "institution__code")
    list_filter = (InstitutionFilter, "type", "is_active")
    inlines = (InstrumentInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(instrument_count=Count("instruments"))

    @admin.display(description=_("instruments and services"), ordering="instrument_count")
    def instruments(self, facility: WithAnnotations[Facility, InstrumentCount]) -> int:
        return facility.instrument_count


@admin.register(Specimen)
class SpecimenAdmin(InstitutionScopedAdmin):
    list_display = (
        "catalog_number",
        "scientific_name",
        "family",
        "collection",
        "type_status",
        "country",
        "is_available",
    )
    list_select_related = ("collection__institution",)
    list_filter = (TypeStatusFilter, "is_available", InstitutionFilter)
    search_fields = ("=catalog_number", "^scientific_name")
    search_help_text = _("An exact catalogue number, or the beginning of a scientific name.")
    autocomplete_fields = ("collection",)
    # Millions of rows: never count the unfiltered table on each page, and list in the order
    # the search indexes keep (name key, then id) so no page sorts the table.
    show_full_result_count = False
    ordering = ("scientific_name_key", "id")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """The whole term is one phrase ("Carabus auratus" must not match word by word), through
        the catalogue's one search, which the indexes serve at millions of rows."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return search_specimens(queryset, q=term), False


class MembershipStateFilter(admin.SimpleListFilter):
    """Current members, or those who left (``ends_on`` past): both stay listed."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, StrOrPromise]]:
        return [("current", _("Current")), ("ended", _("Left"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        current = Membership.objects.current()
        if self.value() == "current":
            return queryset.filter(pk__in=current.values("pk"))
        if self.value() == "ended":
            return queryset.exclude(pk__in=current.values("pk"))
        return queryset


@admin.register(Membership)
class MembershipAdmin(InstitutionScopedAdmin):
    """Who works where. A member who leaves is given an end date (their last day), not
    deleted: the row then reads "left on …", and who recorded the end is kept."""

    list_display = ("user", "institution", "role", "created_at", "state")
    list_select_related = ("user", "institution")
    list_filter = (MembershipStateFilter, "role", InstitutionFilter)
    search_fields = ("user__email", "user__full_name", "institution__code")
    autocomplete_fields = ("user",)
    readonly_fields = ("ended_by",)

    @admin.display(description=_("state"), ordering="ends_on")
    def state(self, membership: Membership) -> StrOrPromise:
        return membership.state_display

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        membership = cast(Membership, obj)
        if form is not None and "ends_on" in form.changed_data:
            # The admin is behind a login: the user is a signed-in account.
            membership.ended_by = cast("User", request.user) if membership.ends_on else None
        super().save_model(request, obj, form, change)
