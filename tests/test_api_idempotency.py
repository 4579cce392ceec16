"""``Idempotency-Key`` on creates, transitions, comments and attachments: a retry with the same
key returns the first answer and changes nothing again; a different request under the key is a
422, a duplicate of a request still running a 409, and a bad key a 400."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import IdempotencyRecord
from accounts.tasks import purge_idempotency_keys
from loans.models import LoanComment, LoanHistory, LoanRequest, LoanStatus

pytestmark = pytest.mark.django_db

URL = "/api/v1/loan-requests/"
KEY = "7f6c2d1e-retry-me"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def keyed(key: str = KEY) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": key}


@pytest.fixture
def payload(institution_a, collection_a) -> dict:
    return {
        "institution": institution_a.pk,
        "collections": [collection_a.pk],
        "title": "Revision of Carabus",
        "purpose": "Morphological revision of the genus.",
        "requested_start": (timezone.now() + timedelta(days=10)).date().isoformat(),
        "requested_end": (timezone.now() + timedelta(days=100)).date().isoformat(),
        "borrower_institution": "University of Oslo",
        "shipping_address": "Sars gate 1, Oslo",
        "items": [{"description": "20 unsorted Carabidae, drawer 14", "quantity": 20}],
    }


@pytest.fixture
def submitted(make_loan) -> LoanRequest:
    return make_loan(status=LoanStatus.SUBMITTED)


def test_a_retried_create_makes_one_request_and_answers_the_first_result_again(
    api_as, researcher, payload
):
    client = api_as(researcher)

    first = client.post(URL, payload, **keyed())
    retry = client.post(URL, payload, **keyed())

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert LoanRequest.objects.count() == 1
    assert "Idempotent-Replayed" not in first
    assert retry["Idempotent-Replayed"] == "true"


def test_the_body_matches_whatever_the_order_of_its_keys(api_as, researcher, payload):
    client = api_as(researcher)

    client.post(URL, payload, **keyed())
    retry = client.post(URL, dict(reversed(list(payload.items()))), **keyed())

    assert retry.status_code == 201
    assert LoanRequest.objects.count() == 1


def test_a_retried_transition_runs_once(api_as, curator_a, submitted):
    client = api_as(curator_a)

    first = client.post(f"{URL}{submitted.pk}/approve/", {"comment": "Fine."}, **keyed())
    retry = client.post(f"{URL}{submitted.pk}/approve/", {"comment": "Fine."}, **keyed())

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert LoanHistory.objects.filter(request=submitted, action="approve").count() == 1


def test_without_a_key_a_repeated_transition_is_refused_by_the_workflow(
    api_as, curator_a, submitted
):
    client = api_as(curator_a)

    client.post(f"{URL}{submitted.pk}/approve/", {})
    again = client.post(f"{URL}{submitted.pk}/approve/", {})

    assert again.status_code == 409


def test_a_stored_refusal_is_replayed_even_after_the_status_changed(api_as, curator_a, submitted):
    client = api_as(curator_a)
    body = {"carrier": "DHL", "tracking_number": "JD01", "due_date": "2099-01-01"}

    refused = client.post(f"{URL}{submitted.pk}/dispatch/", body, **keyed())
    client.post(f"{URL}{submitted.pk}/approve/", {})
    retry = client.post(f"{URL}{submitted.pk}/dispatch/", body, **keyed())

    assert refused.status_code == retry.status_code == 409
    assert retry.json() == refused.json()
    submitted.refresh_from_db()
    assert submitted.status == LoanStatus.APPROVED


def test_a_retried_comment_is_posted_once(api_as, researcher, submitted):
    client = api_as(researcher)

    for _attempt in range(2):
        response = client.post(f"{URL}{submitted.pk}/comments/", {"body": "Any news?"}, **keyed())

    assert response.status_code == 201
    assert LoanComment.objects.filter(request=submitted).count() == 1


def test_a_retried_upload_is_stored_once(settings, tmp_path, api_as, researcher, submitted):
    settings.MEDIA_ROOT = tmp_path
    client = api_as(researcher)

    responses = [
        client.post(
            f"{URL}{submitted.pk}/attachments/",
            {"file": SimpleUploadedFile("permit.pdf", PDF, content_type="application/pdf")},
            format="multipart",
            **keyed(),
        )
        for _attempt in range(2)
    ]

    assert [response.status_code for response in responses] == [201, 201]
    assert responses[1]["Idempotent-Replayed"] == "true"
    assert submitted.attachments.count() == 1


@pytest.mark.parametrize("change", ["body", "path"])
def test_the_same_key_for_a_different_request_is_a_422(
    api_as, curator_a, make_loan, submitted, change
):
    client = api_as(curator_a)
    other = make_loan(status=LoanStatus.SUBMITTED, title="Another loan")
    client.post(f"{URL}{submitted.pk}/approve/", {"comment": "Fine."}, **keyed())

    target, comment = (submitted, "Changed.") if change == "body" else (other, "Fine.")
    response = client.post(f"{URL}{target.pk}/approve/", {"comment": comment}, **keyed())

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]
    other.refresh_from_db()
    assert other.status == LoanStatus.SUBMITTED


def test_keys_are_per_user(api_as, researcher, outsider, payload):
    for user in (researcher, outsider):
        assert api_as(user).post(URL, payload, **keyed()).status_code == 201

    assert LoanRequest.objects.count() == 2


@pytest.mark.parametrize(
    "key", ["", "k" * 256, "two words", "clé"], ids=["empty", "too-long", "space", "non-ascii"]
)
def test_an_invalid_key_is_a_400_and_nothing_is_created(api_as, researcher, payload, key):
    response = api_as(researcher).post(URL, payload, **keyed(key))

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not LoanRequest.objects.exists()


def test_a_key_of_255_printable_characters_is_accepted(api_as, researcher, payload):
    response = api_as(researcher).post(URL, payload, **keyed("~" * 255))

    assert response.status_code == 201


def die_mid_request(monkeypatch) -> None:
    """The process stops inside the action (as a killed worker would): nothing commits."""

    def stop(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr("elvis.api.requests.transitions.perform_and_answer", stop)


def test_a_duplicate_of_a_request_still_running_is_a_409(monkeypatch, api_as, curator_a, submitted):
    client = api_as(curator_a)
    die_mid_request(monkeypatch)
    with pytest.raises(SystemExit):
        client.post(f"{URL}{submitted.pk}/approve/", {}, **keyed())
    monkeypatch.undo()

    response = client.post(f"{URL}{submitted.pk}/approve/", {}, **keyed())

    assert response.status_code == 409
    assert response.json() == {
        "detail": "A request with this Idempotency-Key is in progress; retry later."
    }
    submitted.refresh_from_db()
    assert submitted.status == LoanStatus.SUBMITTED


def test_a_reservation_abandoned_for_five_minutes_is_taken_over(
    monkeypatch, api_as, curator_a, submitted
):
    client = api_as(curator_a)
    die_mid_request(monkeypatch)
    with pytest.raises(SystemExit):
        client.post(f"{URL}{submitted.pk}/approve/", {}, **keyed())
    monkeypatch.undo()
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(minutes=6))

    response = client.post(f"{URL}{submitted.pk}/approve/", {}, **keyed())

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert response.json()["status"] == LoanStatus.APPROVED


def test_a_server_error_frees_the_key_so_the_retry_really_runs(
    monkeypatch, api_as, curator_a, submitted
):
    client = api_as(curator_a)
    monkeypatch.setattr("elvis.api.requests.transitions.perform_and_answer", lambda *a, **kw: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        client.post(f"{URL}{submitted.pk}/approve/", {}, **keyed())
    monkeypatch.undo()

    retry = client.post(f"{URL}{submitted.pk}/approve/", {}, **keyed())

    assert retry.status_code == 200
    assert "Idempotent-Replayed" not in retry


def test_a_key_older_than_a_day_is_forgotten_and_purged(api_as, researcher, payload):
    client = api_as(researcher)
    client.post(URL, payload, **keyed("old"))
    client.post(URL, payload, **keyed("recent"))
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=24, seconds=1)
    )

    assert client.post(URL, payload, **keyed("old")).status_code == 201
    assert LoanRequest.objects.count() == 3
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_never_runs_the_action_twice(monkeypatch, curator_a, submitted):
    """PostgreSQL answers the duplicate 409 at once; SQLite lets one writer in at a time, so
    there the duplicate waits for the first to finish and gets its stored answer."""
    from elvis.api.requests import transitions as workflow

    inside, release = threading.Event(), threading.Event()
    original = workflow.perform_and_answer

    def slow_perform(*args, **kwargs):
        inside.set()
        release.wait(timeout=20)
        return original(*args, **kwargs)

    monkeypatch.setattr(workflow, "perform_and_answer", slow_perform)
    answers: dict[str, object] = {}

    def approve(name: str) -> None:
        client = APIClient()
        client.force_authenticate(curator_a)
        try:
            answers[name] = client.post(f"{URL}{submitted.pk}/approve/", {}, **keyed())
        finally:
            connections.close_all()

    first = threading.Thread(target=approve, args=("first",))
    first.start()
    assert inside.wait(timeout=20)
    inside.clear()
    duplicate = threading.Thread(target=approve, args=("duplicate",))
    duplicate.start()
    duplicate.join(timeout=3)
    release.set()
    first.join(timeout=30)
    duplicate.join(timeout=30)

    assert answers["first"].status_code == 200
    expected = 409 if connection.vendor == "postgresql" else 200
    assert answers["duplicate"].status_code == expected
    assert not inside.is_set()  # the duplicate never reached the action
    assert LoanHistory.objects.filter(request=submitted, action="approve").count() == 1


def test_the_schema_documents_the_key_and_its_answers(api):
    document = api.get("/api/v1/schema/", {"format": "json"}).json()
    paths = document["paths"]

    for path in (f"{URL}", f"{URL}{{id}}/approve/", f"{URL}{{id}}/comments/"):
        operation = paths[path]["post"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert "Idempotency-Key" in names, path
        assert {"409", "422"} <= set(operation["responses"]), path
    approve = paths[f"{URL}{{id}}/approve/"]["post"]
    assert "Idempotent-Replayed" in approve["responses"]["200"]["headers"]
