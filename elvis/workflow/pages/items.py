"""A request's items on its form, for every kind that has them (``RequestKind.items``):
catalogued specimens picked from the catalogue by id, and described lots typed in rows.

The item model is a ``RequestItem`` whose foreign key to the request has
``related_name="items"``; the core finds that key through the request model's ``items``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from collections_app.models import Collection, Specimen
from collections_app.search import search_specimens
from elvis.workflow.fields import ItemIdsField

from .forms import OptionalValidationMixin

if TYPE_CHECKING:
    from elvis.workflow.kinds import RequestKind
    from elvis.workflow.models import AccessRequest

SEARCH_LIMIT = 20


def item_request_field(kind: RequestKind) -> str:
    """The name of the item model's foreign key to its request (``loan`` for loans)."""
    # Every kind with items has the relation; the abstract base the checker sees has not.
    return kind.model._meta.get_field("items").field.name  # type: ignore[misc]


def specimens_field() -> forms.ModelMultipleChoiceField:
    """The request form's catalogued specimens: chosen by id, never listed whole."""
    return forms.ModelMultipleChoiceField(
        label=_("Specimens"),
        queryset=Specimen.objects.none(),
        required=False,
        widget=forms.MultipleHiddenInput,
        error_messages={
            "invalid_choice": _(
                "Specimen %(value)s is not in the catalogue of the collections offered here."
            ),
            "invalid_pk_value": _("“%(pk)s” is not a specimen."),
        },
    )


def saved_specimen_ids(access_request: AccessRequest) -> list[int]:
    return list(
        access_request.items.filter(specimen__isnull=False).values_list("specimen_id", flat=True)
    )


def foreign_specimens(specimens: list[Specimen], collections: list[Collection]) -> list[str]:
    """Catalogue numbers of the specimens outside the chosen collections."""
    chosen = {collection.pk for collection in collections}
    return sorted(s.catalog_number for s in specimens if s.collection_id not in chosen)


def save_specimens(kind: RequestKind, access_request: AccessRequest, specimens) -> None:
    """Make the request's catalogued items exactly ``specimens`` (described lots untouched)."""
    wanted = {specimen.pk for specimen in specimens}
    items = access_request.items.filter(specimen__isnull=False)
    items.exclude(specimen_id__in=wanted).delete()
    present = set(items.values_list("specimen_id", flat=True))
    fk = item_request_field(kind)
    assert kind.items is not None  # only a kind with items has specimens
    kind.items.objects.bulk_create(
        kind.items(**{fk: access_request, "specimen_id": pk}) for pk in sorted(wanted - present)
    )


class DescribedLotForm(OptionalValidationMixin, forms.ModelForm):
    """A lot not catalogued individually, e.g. "20 unsorted Carabidae, drawer 14"."""

    description = forms.CharField(label=_("Description"), max_length=255)
    quantity = forms.IntegerField(label=_("Count"), min_value=1, initial=1)


_lot_formsets: dict[str, type[forms.BaseInlineFormSet]] = {}


def lot_formset(kind: RequestKind) -> type[forms.BaseInlineFormSet]:
    """The described lots' rows of ``kind``'s request form (built once per kind)."""
    assert kind.items is not None  # only a kind with items has lots
    if kind.name not in _lot_formsets:
        _lot_formsets[kind.name] = forms.inlineformset_factory(
            kind.model,
            kind.items,
            form=DescribedLotForm,
            fk_name=item_request_field(kind),
            fields=["description", "quantity"],
            extra=1,
            can_delete=True,
            can_delete_extra=False,
        )
    return _lot_formsets[kind.name]


def described_lots(kind: RequestKind) -> QuerySet:
    assert kind.items is not None  # only a kind with items has lots
    return kind.items.objects.filter(specimen__isnull=True)


class SpecimenSearchForm(forms.Form):
    """Find specimens in the chosen collections by catalogue number (exact) or name prefix."""

    collection = forms.ModelMultipleChoiceField(
        queryset=Collection.objects.none(),
        error_messages={"required": _("Tick the collection(s) to search in first.")},
    )
    q = forms.CharField(
        label=_("Catalogue number or scientific name"),
        min_length=2,
        max_length=100,
        error_messages={"required": _("Type a catalogue number or the start of a name.")},
    )
    chosen = ItemIdsField(required=False, widget=forms.MultipleHiddenInput)

    def __init__(self, kind: RequestKind, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            "forms.ModelChoiceField", self.fields["collection"]
        ).queryset = Collection.objects.filter(kind.offered())

    def results(self) -> tuple[list[Specimen], bool]:
        """Up to ``SEARCH_LIMIT`` matches, and whether there were more."""
        q = self.cleaned_data["q"].strip()
        # The catalogue's one search (as the API's): index-served at millions of specimens.
        found = list(
            search_specimens(
                Specimen.objects.filter(
                    collection__in=self.cleaned_data["collection"]
                ).select_related("collection"),
                q=q,
            )[: SEARCH_LIMIT + 1]
        )
        return found[:SEARCH_LIMIT], len(found) > SEARCH_LIMIT


def specimen_search(kind: RequestKind, collections: list[str], q: str, chosen: list[str]) -> dict:
    """Context of the search results fragment (for the search URL and the no-script form)."""
    form = SpecimenSearchForm(kind, {"collection": collections, "q": q, "chosen": chosen})
    context: dict = {"search_form": form, "results": [], "more": False, "chosen_ids": set()}
    if form.is_valid():
        context["results"], context["more"] = form.results()
        context["chosen_ids"] = set(form.cleaned_data["chosen"])
    return context
