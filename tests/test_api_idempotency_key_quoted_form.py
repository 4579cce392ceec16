"""``Idempotency-Key: "abc"`` — the IETF draft's form, a Structured Field string — is the same
key as the bare ``abc`` most clients send; quoting that is not one such string is a 400 saying
why, and nothing runs."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from accounts.models import IdempotencyRecord
from loans.models import LoanRequest

pytestmark = pytest.mark.django_db

URL = "/api/v1/loan-requests/"


def keyed(header: str) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": header}


@pytest.fixture
def payload(institution_a, collection_a) -> dict:
    today = timezone.localdate()
    days = datetime.timedelta
    return {
        "institution": institution_a.pk,
        "collections": [collection_a.pk],
        "title": "Revision of Carabus",
        "purpose": "Morphological revision of the genus.",
        "requested_start": (today + days(10)).isoformat(),
        "requested_end": (today + days(100)).isoformat(),
        "borrower_institution": "University of Oslo",
        "shipping_address": "Sars gate 1, Oslo",
        "items": [{"description": "20 unsorted Carabidae, drawer 14", "quantity": 20}],
    }


@pytest.mark.parametrize(
    ("first", "retry", "key"),
    [
        ('"7f6c2d1e-retry-me"', "7f6c2d1e-retry-me", "7f6c2d1e-retry-me"),
        ("7f6c2d1e-retry-me", '"7f6c2d1e-retry-me"', "7f6c2d1e-retry-me"),
        ('"7f6c2d1e-retry-me"', '"7f6c2d1e-retry-me"', "7f6c2d1e-retry-me"),
        ('"a\\"quote\\\\back"', 'a"quote\\back', 'a"quote\\back'),
    ],
    ids=["quoted-then-bare", "bare-then-quoted", "quoted-twice", "escapes"],
)
def test_the_quoted_and_the_bare_form_are_one_key(api_as, researcher, payload, first, retry, key):
    client = api_as(researcher)

    original = client.post(URL, payload, **keyed(first))
    replay = client.post(URL, payload, **keyed(retry))

    assert original.status_code == replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == original.json()
    assert LoanRequest.objects.count() == 1
    assert IdempotencyRecord.objects.get().key == key  # stored without its quotes


def test_a_quoted_key_may_hold_spaces(api_as, researcher, payload):
    client = api_as(researcher)

    original = client.post(URL, payload, **keyed('"order 42 of today"'))
    replay = client.post(URL, payload, **keyed('"order 42 of today"'))

    assert original.status_code == replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert LoanRequest.objects.count() == 1


def test_a_quoted_key_of_255_characters_is_accepted(api_as, researcher, payload):
    response = api_as(researcher).post(URL, payload, **keyed('"' + "~" * 255 + '"'))

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ('"unclosed', "closing DQUOTE"),
        ('"abc"def', "Structured Field string"),
        ('"a"b"', "Structured Field string"),
        ('"bad\\escape"', "Structured Field string"),
        ('"tab\tinside"', "Structured Field string"),
        ('"abc";scope=orders', "without ;parameters"),
        ('""', "1 to 255 characters"),
        ('"' + "k" * 256 + '"', "1 to 255 characters"),
    ],
    ids=[
        "unclosed",
        "text-after-the-quote",
        "unescaped-quote",
        "bad-escape",
        "control-character",
        "parameters",
        "empty",
        "too-long",
    ],
)
def test_malformed_quoting_is_a_400_that_says_why_and_nothing_runs(
    api_as, researcher, payload, header, says
):
    response = api_as(researcher).post(URL, payload, **keyed(header))

    assert response.status_code == 400
    [message] = response.json()["Idempotency-Key"]
    assert says in message
    assert not LoanRequest.objects.exists()
    assert not IdempotencyRecord.objects.exists()


def test_the_schema_accepts_both_forms_and_says_they_are_one_key(api):
    document = api.get("/api/v1/schema/", {"format": "json"}).json()
    [parameter] = [
        p for p in document["paths"][URL]["post"]["parameters"] if p["name"] == "Idempotency-Key"
    ]
    pattern = re.compile(parameter["schema"]["pattern"])

    assert "both are the same key" in parameter["description"]
    for valid in ("abc", '"abc"', '"a b"', '"a\\"b"', "~" * 255, '"' + "~" * 255 + '"'):
        assert pattern.fullmatch(valid), valid
    for invalid in ('"abc', '"a"b"', "a b", '""', "k" * 256, '"' + "k" * 256 + '"'):
        assert not pattern.fullmatch(invalid), invalid
