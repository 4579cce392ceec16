"""The API's JSON parser: whatever the body, a 400 with a readable error, never a 500.

DRF's parser turns a syntax error into a 400 but lets other failures through as 500s:

- nesting deeper than Python's recursion limit raises ``RecursionError`` inside ``json``;
  and a body nested a little less deep parses, then exhausts the stack further on (in a
  serializer, in the error renderer). No request of the API nests more than a few levels, so
  anything deeper than ``MAX_DEPTH`` is refused before it reaches a view;
- ``\\u0000`` is valid JSON but PostgreSQL text and jsonb cannot store it, and a lone
  surrogate (``\\ud800``) cannot even be encoded to UTF-8: either one ends in a database or
  encoding error wherever the string goes. Refused here, once, with a 400 naming the field;
- numbers out of the float range (``1e999``) become ``inf``, which no field can store;
- the declared ``charset``: JSON is UTF-8 (RFC 8259), and decoding with whatever codec a client
  names (``charset=rot13``, ``charset=base64``) fails in unforeseen ways. Bodies are decoded as
  UTF-8, always.

Errors come back as DRF's ``ParseError`` (400). A NUL character or lone surrogate inside a
top-level field is reported on that field, ``{field: [message]}``, like any other invalid value
(DESIGN.md §3); everything else as ``{"detail": message}``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

#: Deepest nesting of arrays and objects accepted; far more than any request needs.
MAX_DEPTH = 32

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _strict_constant(value: str) -> Any:
    raise ValueError(_("%(value)s is not a valid JSON number.") % {"value": value})


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(_("The number %(number)s is too large.") % {"number": text[:40]})
    return value


def _unstorable_message() -> str:
    return _("Text may not contain NUL characters (\\u0000) or unpaired surrogates.")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the limits above; set as the API's default parser."""

    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        raw = stream.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ParseError(_("JSON parse error - the body is not valid UTF-8.")) from None
        try:
            data = json.loads(text, parse_constant=_strict_constant, parse_float=_finite_float)
        except RecursionError:
            raise ParseError(self._too_deep()) from None
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
        self.check(data)
        return data

    def _too_deep(self) -> str:
        return _("JSON parse error - arrays and objects are nested more than %(depth)d deep.") % {
            "depth": self.max_depth
        }

    def check(self, data: Any) -> None:
        """Refuse nesting beyond ``max_depth`` and text a database cannot store (iteratively:
        this must not recurse on the very input it guards against)."""
        field_errors: dict[str, list[str]] = {}
        top_level = data if isinstance(data, dict) else {}
        stack: list[tuple[Any, int, str | None]] = [(data, 0, None)]
        while stack:
            value, depth, field = stack.pop()
            if isinstance(value, str):
                if UNSTORABLE.search(value):
                    if field is None:
                        raise ParseError(_unstorable_message())
                    field_errors[field] = [_unstorable_message()]
                continue
            if not isinstance(value, dict | list):
                continue
            if depth >= self.max_depth:
                raise ParseError(self._too_deep())
            if isinstance(value, dict):
                for key, item in value.items():
                    if UNSTORABLE.search(key):
                        raise ParseError(_unstorable_message())
                    stack.append((item, depth + 1, key if value is top_level else field))
            else:
                stack.extend((item, depth + 1, field) for item in value)
        if field_errors:
            raise ParseError(field_errors)
