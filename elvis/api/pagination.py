"""Pagination that rejects garbage instead of guessing.

DRF's default silently falls back to page size 50 on ``?page_size=abc`` and answers 404 for
``?page=abc``; partners debugging a sync deserve a 400 naming the parameter.

Small lists page by number (``StrictPageNumberPagination``, with a ``count``). Lists of millions
of rows page by position (``KeysetPagination``): no count, and page 10,000 costs what page 1
does.

Both also send the body's ``next``/``previous`` as an RFC 8288 ``Link`` header (``rel="next"``,
``rel="prev"``), which generic HTTP clients and crawlers follow without knowing our body.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime
from typing import Any, Protocol, cast

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import DateField, DateTimeField, Field, Func, Model, QuerySet, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan, LessThan
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from collections_app.api.filtersets import StableOrderingFilter


def _positive_int(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [_("A positive whole number is required.")]}) from None
    if value < 1:
        raise ValidationError({name: [_("A positive whole number is required.")]})
    return value


class StrictPageSizeMixin:
    """``page_size`` from 1 to ``max_page_size``; anything else is a 400, not the default."""

    page_size_query_param = "page_size"
    max_page_size = 200
    page_size: int  # the pagination class's

    def get_page_size(self, request) -> int:
        size = _positive_int(request, self.page_size_query_param)
        if size is None:
            return self.page_size
        if size > self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [_("At most %(max)d.") % {"max": self.max_page_size}]}
            )
        return size


def with_link_header(response: Response, *, next_url: str | None, prev_url: str | None) -> Response:
    """The page's ``next``/``previous`` URLs also as an RFC 8288 ``Link`` header,
    ``<url>; rel="next", <url>; rel="prev"``: the same URLs as the body's, and no header when
    the list fits one page.

    The URLs come from ``replace_query_param``/``remove_query_param``, which percent-encode the
    query, on the request's already escaped path: no ``<``, ``>`` or space inside them.
    """
    links = [(next_url, "next"), (prev_url, "prev")]
    value = ", ".join(f'<{url}>; rel="{relation}"' for url, relation in links if url)
    if value:
        response["Link"] = value
    return response


# The mixin narrows DRF's optional page_size_query_param and max_page_size to set values.
class StrictPageNumberPagination(StrictPageSizeMixin, PageNumberPagination):  # type: ignore[misc]
    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.page_query_param) != "last":
            _positive_int(request, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        return with_link_header(
            super().get_paginated_response(data),
            next_url=self.get_next_link(),
            prev_url=self.get_previous_link(),
        )


class _Row(Func):
    """A row value ``(a, b, id)``: compared as a whole, it is one range of an index on
    ``(a, b, id)``, where the equivalent OR of column comparisons is not."""

    template = "(%(expressions)s)"
    output_field = Field()


class PlannedPage(Protocol):
    """A list request planned to a shape and values (e.g. ``collections_app.api.pages``)."""

    def read(self, order: list[str], position: list[Any] | None, limit: int) -> list: ...


class KeysetPagination(StrictPageSizeMixin, BasePagination):
    """Pages by position: ``?cursor=`` holds the ordering values of the row a page starts after.

    The queryset's ``order_by`` must be names of fields or annotations, all ascending or all
    descending, ending in the primary key (so the order is total). The next page is then
    ``WHERE (a, b, id) > (last row's values) ORDER BY a, b, id LIMIT n``: one index range read
    at any depth, with no COUNT. The answer is ``{"next", "previous", "results"}``; rows added
    or removed while a client pages never make it skip or repeat another row.
    """

    #: The request as a plan of fixed shape, whose page is read by SQL compiled once per shape
    #: (``PlannedPage``); the list sets it, and passes the ordering's queryset alone.
    planned: PlannedPage | None = None
    page_size = cast(int, api_settings.PAGE_SIZE)  # set in settings.REST_FRAMEWORK
    cursor_query_param = "cursor"
    cursor_query_description = _("Position from the next or previous link; omit for the start.")
    page_size_query_description = _("Number of results per page (1 to 200).")
    #: Refused with a 400: a client looping over page numbers would otherwise get page 1 forever.
    page_query_param = "page"
    invalid_cursor_message = _("This cursor is not valid here: follow the links as given.")

    # A keyset needs a queryset's ordering (DRF passes the view's queryset): narrower than
    # the base's "queryset or sequence".
    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list[Model]:  # type: ignore[override]
        if self.page_query_param in request.query_params:
            raise ValidationError(
                {
                    self.page_query_param: [
                        _("This list is paged by cursor: follow the next link instead.")
                    ]
                }
            )
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = _ordering_of(queryset)
        position, self.backwards = self._decode(request, queryset)
        order = [_flip(name) for name in self.ordering] if self.backwards else self.ordering
        rows = self.read_page(queryset, order, position)
        more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        if self.backwards:
            self.page.reverse()
            self.has_previous, self.has_next = more, True
        else:
            self.has_previous, self.has_next = position is not None, more
        return self.page

    def read_page(self, queryset: QuerySet, order: list[str], position: list[Any] | None) -> list:
        """The page's rows and the one after it (``page_size + 1``), ``order``ed (this
        direction's), after ``position``: by the planned request's compiled SQL when the list
        planned it (``planned``), else from ``queryset``."""
        if self.planned is not None:
            return self.planned.read(order, position, self.page_size + 1)
        limit = self.page_size + 1
        return list(self.rows_of(page_query(queryset, order, position, limit, self.keys_first())))

    def keys_first(self) -> QuerySet | None:
        """None: a page is read in one step. A list joined to other tables and filtered by
        ranges answers the queryset of its rows unfiltered, and a page is read in two steps of
        one query: its primary keys from the filtered list's own table (``SELECT pk … ORDER BY
        … LIMIT n``), then the rows of those keys alone, joined (``WHERE pk IN (…)``).

        An ordered read of one table with a limit is planned the same whatever the statistics
        say; a join, and a filter repeated beside the keys, are not. PostgreSQL estimates a row
        comparison by its first column only: at a cursor inside a run of equal values — every
        specimen of one import shares its ``updated_at`` — it expects one row, and hash-joined
        and sorted every row after the cursor (85 ms at 25,000 specimens, growing with the
        table) instead of reading 51 from the index (0.4 ms). A first page is misjudged too: a
        name prefix between two bounds of the name's histogram is estimated at a row, and
        every specimen of the name was hash-joined and sorted (38 ms for 15,760 at 5M)."""
        return None

    def rows_of(self, page: QuerySet) -> QuerySet:
        """What a page's rows are read as: model instances here; a list may read named rows
        (``values_list``), which the cursor reads by attribute all the same."""
        return page

    def get_paginated_response(self, data: Any) -> Response:
        next_url, prev_url = self.get_next_link(), self.get_previous_link()
        return with_link_header(
            Response({"next": next_url, "previous": prev_url, "results": data}),
            next_url=next_url,
            prev_url=prev_url,
        )

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if not self.page:
            # Paging back found nothing (rows were deleted): start again from the beginning.
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self._link(self.page[-1], backwards=False)

    def get_previous_link(self) -> str | None:
        if not (self.has_previous and self.page):
            return None
        return self._link(self.page[0], backwards=True)

    def _link(self, row: Model, *, backwards: bool) -> str:
        cursor = encode_cursor(self.ordering, row, backwards=backwards)
        return replace_query_param(self.base_url, self.cursor_query_param, cursor)

    def _decode(self, request, queryset: QuerySet) -> tuple[list[Any] | None, bool]:
        """The position and direction a cursor names; a 400 for anything we did not make."""
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None, False
        try:
            payload = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            if payload["o"] != list(self.ordering) or len(payload["v"]) != len(self.ordering):
                raise ValueError("cursor of another ordering")
            fields = [_field_of(queryset, name.lstrip("-")) for name in self.ordering]
            values = [_python_value(f, v) for f, v in zip(fields, payload["v"], strict=True)]
            backwards = payload["b"]
            if not isinstance(backwards, bool):
                raise ValueError("direction is not a boolean")
        except (
            binascii.Error,
            UnicodeDecodeError,
            ValueError,
            TypeError,
            KeyError,
            OverflowError,
            RecursionError,
            DjangoValidationError,
        ):
            raise ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}
            ) from None
        return values, backwards

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": name,
                "required": False,
                "in": "query",
                "description": force_str(description),
                "schema": schema,
            }
            for name, description, schema in (
                (self.cursor_query_param, self.cursor_query_description, {"type": "string"}),
                (
                    self.page_size_query_param,
                    self.page_size_query_description,
                    {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
                ),
            )
        ]


LINK_HEADER = {
    "description": (
        'RFC 8288 links to the pages next to this one: `<url>; rel="next"` and '
        '`<url>; rel="prev"`, the same URLs as the body\'s `next` and `previous`; '
        "absent on a list that fits one page."
    ),
    "schema": {"type": "string"},
    "example": '<https://elvis.example.org/api/v1/institutions/?page=3>; rel="next", '
    '<https://elvis.example.org/api/v1/institutions/>; rel="prev"',
}


def document_link_header(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the ``Link`` header on every paginated answer.

    A paginated answer is recognised by its shape (both paginators answer ``next``,
    ``previous`` and ``results``), so a list added later, or an ``@action`` that paginates,
    is documented without naming it here.
    """
    schemas = result.get("components", {}).get("schemas", {})
    for operations in result.get("paths", {}).values():
        answer = operations.get("get", {}).get("responses", {}).get("200", {})
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" in schema:
            schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
        if {"next", "previous", "results"} <= set(schema.get("properties", {})):
            answer.setdefault("headers", {})["Link"] = LINK_HEADER
    return result


#: Where a row without a date sorts in a cursor's order: as the earliest possible date (first
#: in ascending order, last in descending), on every database alike. A row comparison with a
#: NULL is never true, so a NULL in the keyset would stop a cursor at the first such row.
EARLIEST: dict[type[Field], Any] = {
    DateTimeField: datetime(1, 1, 1, tzinfo=UTC),
    DateField: date(1, 1, 1),
}


class KeysetOrderingFilter(StableOrderingFilter):
    """``?ordering=`` for a list paged by cursor (``KeysetPagination``).

    A cursor follows one row comparison, so every field sorts the same way (``a,b`` or
    ``-a,-b``; mixing them is a 400 naming ``ordering``), the ``id`` breaks ties in the same
    direction, and a field that may be empty sorts by its value or, when empty, the earliest
    date (``EARLIEST``).
    """

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        names = [self.get_ordering_value(param) for param in value or () if param]
        if not names:
            return qs
        if len({name.startswith("-") for name in names}) > 1:
            assert self.field_name is not None  # declared on a FilterSet: named after it
            raise ValidationError(
                {
                    self.field_name: [
                        _(
                            "Sort every field the same way: all ascending or all descending "
                            "(-field)."
                        )
                    ]
                }
            )
        sign = "-" if names[0].startswith("-") else ""
        keys, annotations = [], {}
        for name in (name.lstrip("-") for name in names):
            field = qs.model._meta.get_field(name)
            if field.null:
                earliest = next(v for kind, v in EARLIEST.items() if isinstance(field, kind))
                key = f"{name}_or_earliest"
                annotations[key] = Coalesce(name, Value(earliest), output_field=field)
                name = key
            keys.append(sign + name)
        return qs.annotate(**annotations).order_by(*keys, f"{sign}pk")


def after_position(ordering: list[str], position: list[Any]) -> GreaterThan | LessThan:
    """The rows after ``position`` in ``ordering`` (one direction), as one row comparison."""
    columns = _Row(*(name.lstrip("-") for name in ordering))
    values = _Row(*(Value(value) for value in position))
    comparison = LessThan if ordering[0].startswith("-") else GreaterThan
    return comparison(columns, values)


def page_query(
    queryset: QuerySet,
    order: list[str],
    position: list[Any] | None,
    limit: int,
    keys_first: QuerySet | None,
) -> QuerySet:
    """The ``limit`` rows of ``queryset`` after ``position`` in ``order``; with
    ``keys_first``, its keys from ``queryset`` and their rows from ``keys_first`` (see
    ``KeysetPagination.keys_first``)."""
    page = queryset if position is None else queryset.filter(after_position(order, position))
    page = page.order_by(*order)
    if keys_first is not None:
        # The page's keys from the table alone, then its rows joined: one query still.
        page = keys_first.filter(pk__in=page.values("pk")[:limit]).order_by(*order)
    return page[:limit]


def encode_cursor(ordering: list[str], row: Model, *, backwards: bool = False) -> str:
    """The cursor for the rows after ``row`` (before it, ``backwards``) in ``ordering``.

    ``ordering`` is the queryset's ``order_by``, as the paginator reads it; the benchmarks use
    this to start at a deep page directly.
    """
    values = [_jsonable(getattr(row, name.lstrip("-"))) for name in ordering]
    payload = {"o": list(ordering), "v": values, "b": backwards}
    encoded = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(encoded).decode().rstrip("=")


def _flip(name: str) -> str:
    return name[1:] if name.startswith("-") else f"-{name}"


def _ordering_of(queryset: QuerySet) -> list[str]:
    """The queryset's ordering, checked to be one a keyset can follow."""
    ordering: list[Any] = list(queryset.query.order_by)  # names, checked next
    if not (ordering and all(isinstance(name, str) for name in ordering)):
        raise ImproperlyConfigured("Keyset pagination needs an order_by() of plain names.")
    pk_names = {"pk", queryset.model._meta.pk.name}
    descending = {name.startswith("-") for name in ordering}
    if ordering[-1].lstrip("-") not in pk_names or len(descending) != 1:
        raise ImproperlyConfigured("Keyset ordering must end in the pk, in one direction.")
    return ordering


def _field_of(queryset: QuerySet, name: str) -> Field:
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        return annotation.output_field
    if name == "pk":
        return queryset.model._meta.pk
    return queryset.model._meta.get_field(name)


def _jsonable(value: Any) -> Any:
    # Full precision: DjangoJSONEncoder would cut microseconds, and rows would be skipped.
    return value.isoformat() if isinstance(value, date) else value  # a datetime is a date


def _python_value(field: Field, raw: Any) -> Any:
    """A cursor value as the database will compare it, or an error for one it cannot take."""
    if raw is None or (isinstance(raw, str) and "\x00" in raw):
        raise ValueError("no value, or a NUL character")
    value = field.to_python(raw)
    field.run_validators(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value.astimezone(UTC)
    return value
