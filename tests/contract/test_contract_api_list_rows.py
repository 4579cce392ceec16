"""A list page written by the row writer (``elvis.api.rows``) is byte for byte the JSON the
kind's summary serializer gives: for every status, with no, one and two collections, empty and
filled dates, datetimes, decimals and counts, for the requester and for the curator, in another
language and another time zone, and through the API itself."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.test import APIRequestFactory, force_authenticate

from collections_app.models import Collection
from elvis.api.renderers import OrjsonRenderer
from elvis.api.requests.serializers import summary_serializer_for
from elvis.api.requests.viewsets import viewset_for_kind
from elvis.api.rows import row_writer_for
from tests.contract.conftest import api_url

pytestmark = pytest.mark.django_db

WHEN = datetime.datetime(2027, 3, 30, 23, 45, 6, 789012, tzinfo=datetime.UTC)


def _fill(request: Any, n: int) -> None:
    """Every empty date, datetime, number and text of the kind's own model filled in (the
    workflow's fields too): the list shows them all."""
    values: dict[str, Any] = {}
    for field in request._meta.concrete_fields:
        if field.primary_key or field.is_relation or field.choices:
            continue
        if isinstance(field, models.DateTimeField):
            values[field.name] = WHEN + datetime.timedelta(days=n, microseconds=n)
        elif isinstance(field, models.DateField):
            values[field.name] = WHEN.date() + datetime.timedelta(days=n)
        elif isinstance(field, models.DecimalField):
            values[field.name] = decimal.Decimal("12.5")
        elif isinstance(field, models.BooleanField):
            values[field.name] = not field.default
        elif isinstance(field, models.IntegerField):
            values[field.name] = 7 + n
        elif isinstance(field, models.CharField | models.TextField) and not field.unique:
            values[field.name] = f"« {field.name} » {n}"[: field.max_length]
    type(request).objects.filter(pk=request.pk).update(**values)


@pytest.fixture
def varied(kind, make, researcher, curator_a, institution_a, collection_a):
    """A request of the kind in every status, by two requesters, with zero to two
    collections and half of them with every field filled."""
    second = Collection.objects.create(
        institution=institution_a, code="HERB", name="Herbarium", accepts_loans=True
    )
    made = []
    for n, (status, _label) in enumerate(kind.statuses):
        request = make(status=status, requester=researcher if n % 3 else curator_a)
        if n % 4 == 1:
            request.collections.clear()
        elif n % 4 == 2:
            request.collections.add(second)
        if n % 2:
            _fill(request, n)
        made.append(request)
    assert collection_a.pk != second.pk
    return made


def _list_request(kind, user, **query: str) -> Any:
    """The kind's viewset set up as for ``GET …?query`` by ``user``."""
    view = viewset_for_kind(kind)(action_map={"get": "list"})
    http = APIRequestFactory().get(api_url(kind), query)
    force_authenticate(http, user)
    view.setup(http)
    view.request = view.initialize_request(http)
    view.format_kwarg = None
    view.request.user  # noqa: B018  (authenticates)
    return view


def _rendered(data: Any) -> bytes:
    return OrjsonRenderer().render(data)


@pytest.mark.parametrize("who", ["researcher", "curator_a"])
@pytest.mark.parametrize(("language", "zone"), [("en", "UTC"), ("fr", "Europe/Oslo")])
def test_rows_are_the_summary_serializers_json(kind, varied, who, language, zone, request):
    user = request.getfixturevalue(who)
    with translation.override(language), timezone.override(zone):
        view = _list_request(kind, user)
        page = list(view.get_queryset())
        context = view.get_serializer_context()
        expected = summary_serializer_for(kind)(page, many=True, context=context).data
        rows = row_writer_for(summary_serializer_for(kind)).rows(page, context)
    assert len(rows) == len(varied) if who == "curator_a" else len(rows) > 1
    assert rows == expected
    assert _rendered(rows) == _rendered(expected)
    assert {len(row["collections"]) for row in rows} == {0, 1, 2}
    assert any(row["allowed_actions"] for row in rows)


def test_the_api_list_answers_the_summary_serializers_json(kind, varied, curator_a, api_as):
    view = _list_request(kind, curator_a)
    page = list(view.get_queryset())
    expected = summary_serializer_for(kind)(
        page, many=True, context=view.get_serializer_context()
    ).data
    response = api_as(curator_a).get(api_url(kind), {"page_size": 200})
    assert response.status_code == 200
    body = _rendered({"next": None, "previous": None, "results": expected})
    assert response.content == body


def test_a_field_the_writer_does_not_know_is_written_by_drf(kind, varied, curator_a):
    """A kind's field of a type the writer has no writer for (here a method field) is
    written by DRF's own field, with the request's context, not dropped or guessed."""
    from rest_framework import serializers

    summary = summary_serializer_for(kind)

    class Odd(summary):  # type: ignore[valid-type,misc]
        odd = serializers.SerializerMethodField()

        class Meta(summary.Meta):  # type: ignore[name-defined]
            fields = (*summary.Meta.fields, "odd")

        def get_odd(self, obj: Any) -> str:
            return f"{obj.reference}:{self.context['viewer'].pk}"

    view = _list_request(kind, curator_a)
    page = list(view.get_queryset())
    context = view.get_serializer_context()
    writer = row_writer_for(Odd)
    assert not writer.fast
    rows = writer.rows(page, context)
    assert rows == Odd(page, many=True, context=context).data
    assert rows[0]["odd"] == f"{page[0].reference}:{curator_a.pk}"


def test_a_pages_collections_are_read_once_and_only_the_columns_their_summary_shows(
    kind, varied, curator_a, api_as, monkeypatch
):
    table = Collection._meta.db_table
    # Plain rows of the three columns, not model instances (``RowWriter.values``).
    built: list[Any] = []
    from_db = Collection.from_db
    monkeypatch.setattr(
        Collection, "from_db", classmethod(lambda cls, *a: built.append(a) or from_db(*a))
    )
    with CaptureQueriesContext(connection) as captured:
        response = api_as(curator_a).get(api_url(kind), {"page_size": 200})
    assert response.status_code == 200
    assert built == []
    reads = [
        query["sql"]
        for query in captured.captured_queries
        if f'FROM "{table}"' in query["sql"] and "_prefetch_related_val" in query["sql"]
    ]
    assert len(reads) == 1
    shown = {f'"{table}"."{column}"' for column in ("id", "code", "name")}
    selected = reads[0].split(" FROM ")[0]
    assert all(column in selected for column in shown)
    assert f'"{table}"."description"' not in selected
    assert {len(row["collections"]) for row in response.json()["results"]} == {0, 1, 2}


def test_a_summary_that_reads_more_than_columns_gets_whole_objects():
    """A method of the model in a summary may read any column: its objects are not cut down
    (a deferred column read later would cost a query per object)."""
    from rest_framework import serializers

    from collections_app.api.serializers import CollectionSummarySerializer

    class WithMethod(CollectionSummarySerializer):
        label = serializers.SerializerMethodField()

        class Meta(CollectionSummarySerializer.Meta):
            fields = (*CollectionSummarySerializer.Meta.fields, "label")

        def get_label(self, obj: Collection) -> str:
            return str(obj)

    assert row_writer_for(CollectionSummarySerializer).columns == ("id", "code", "name")
    assert row_writer_for(CollectionSummarySerializer).values
    assert row_writer_for(WithMethod).columns is None
    assert not row_writer_for(WithMethod).values


def test_a_summary_calling_a_method_gets_model_instances_of_the_columns_it_declares():
    """``CalledField(reads=...)`` names the columns a method reads, but the method is the
    model's: such a summary's objects are instances (of those columns), not plain rows."""
    from django.contrib.auth import get_user_model

    from elvis.api.fields import PersonSerializer

    writer = row_writer_for(PersonSerializer, get_user_model())
    assert writer.columns is not None
    assert not writer.values
