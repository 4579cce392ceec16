"""The orjson renderer answers the same JSON as DRF's own, for every kind of value an answer
holds: lazy translations, decimals, dates and times, UUIDs, nested errors keyed by position,
non-ASCII text, and values orjson cannot write (left to DRF's renderer)."""

from __future__ import annotations

import datetime
import json
import uuid
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework.renderers import JSONRenderer

from elvis.api.renderers import OrjsonRenderer

VALUES = {
    "lazy": _("Draft"),
    "decimal": Decimal("120.50"),
    "when": datetime.datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=datetime.UTC),
    "day": datetime.date(2026, 2, 1),
    "time": datetime.time(9, 30),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "errors": {0: {"specimen": ["Listed twice."]}},
    "text": "Muséum national d'Histoire naturelle — 北京",
    "nested": [{"a": 1, "b": None, "c": True, "d": 1.5}],
}


def test_every_kind_of_value_is_written_as_drf_writes_it():
    fast = OrjsonRenderer().render(VALUES)
    stock = JSONRenderer().render(VALUES)

    assert json.loads(fast) == json.loads(stock)
    assert fast == stock  # byte for byte: compact, UTF-8, the same spellings
    assert json.loads(fast)["when"] == "2026-01-31T12:00:00.123456Z"


def test_an_integer_beyond_64_bits_is_left_to_drf():
    data = {"big": 2**70}

    assert json.loads(OrjsonRenderer().render(data)) == {"big": 2**70}


def test_an_indented_answer_is_drfs():
    context = {"indent": 2}

    assert OrjsonRenderer().render(VALUES, renderer_context=context) == JSONRenderer().render(
        VALUES, renderer_context=context
    )


def test_no_content_is_an_empty_body():
    assert OrjsonRenderer().render(None) == b""
