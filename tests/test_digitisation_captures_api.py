"""A partner's imaging system uploads captures through the API: multipart POST to
``/api/v1/digitisation-requests/<id>/items/<item>/captures/``; they are processed after commit."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from collections_app.models import Membership
from tests.digitisation_support import (
    jpeg,
    noisy_jpeg,
    text_as_jpg,
)
from virtual_access.models import Capture

pytestmark = pytest.mark.django_db


def url(request, item_id: int) -> str:
    return f"/api/v1/digitisation-requests/{request.pk}/items/{item_id}/captures/"


def upload(data: bytes, name: str = "NHMUK010101234.jpg") -> dict:
    return {"file": SimpleUploadedFile(name, data, content_type="image/jpeg")}


@pytest.fixture
def api_client_a(make_user, institution_a):
    """A partner system's account: acts for institution A with curator rights."""
    user = make_user("cms@insta.example.org", full_name="INSTA collections system")
    Membership.objects.create(user=user, institution=institution_a, role=Membership.Role.API_CLIENT)
    return user


def test_an_uploaded_capture_is_processed_and_its_item_with_it(
    dig_request,
    api_as,
    api_client_a,
    django_capture_on_commit_callbacks,
):
    request = dig_request()
    item = request.items.first()

    with django_capture_on_commit_callbacks(execute=True):
        answer = api_as(api_client_a).post(
            url(request, item.pk), upload(jpeg(dpi=400)), format="multipart"
        )

    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "pending"
    capture = Capture.objects.get(pk=answer.json()["id"])
    assert (capture.status, capture.dpi, capture.original_name) == (
        "processed",
        400,
        "NHMUK010101234.jpg",
    )
    item.refresh_from_db()
    assert item.status == "processed"


def test_the_requester_lists_an_item_s_captures_with_what_processing_found(
    dig_request,
    api_as,
    curator_a,
    researcher,
    django_capture_on_commit_callbacks,
):
    request = dig_request()
    item = request.items.first()
    with django_capture_on_commit_callbacks(execute=True):
        api_as(curator_a).post(url(request, item.pk), upload(jpeg()), format="multipart")
        api_as(curator_a).post(
            url(request, item.pk), upload(text_as_jpg(), "list.jpg"), format="multipart"
        )

    answer = api_as(researcher).get(url(request, item.pk))

    assert answer.status_code == 200
    listed = answer.json()
    assert [(c["original_name"], c["status"]) for c in listed] == [
        ("NHMUK010101234.jpg", "processed"),
        ("list.jpg", "failed"),
    ]
    assert listed[0]["width"] == 640 and listed[0]["hue"] == pytest.approx(0, abs=3)
    assert listed[1]["error"].startswith("not an image")
    assert "file" not in listed[0]


def test_the_requester_may_not_upload(dig_request, api_as, researcher):
    request = dig_request()

    answer = api_as(researcher).post(
        url(request, request.items.first().pk), upload(jpeg()), format="multipart"
    )

    assert answer.status_code == 403
    assert not Capture.objects.exists()


def test_another_institution_s_request_is_not_found(dig_request, api_as, curator_b):
    request = dig_request()
    item_url = url(request, request.items.first().pk)

    assert api_as(curator_b).post(item_url, upload(jpeg()), format="multipart").status_code == 404
    assert api_as(curator_b).get(item_url).status_code == 404
    assert not Capture.objects.exists()


def test_an_item_of_another_request_is_not_found(dig_request, api_as, curator_a):
    request, other = dig_request(), dig_request()

    answer = api_as(curator_a).post(
        url(request, other.items.first().pk), upload(jpeg()), format="multipart"
    )

    assert answer.status_code == 404
    assert not Capture.objects.exists()


@pytest.mark.parametrize("status", ["delivered", "approved", "cancelled"])
def test_an_upload_outside_the_imaging_stage_is_a_conflict(
    dig_request,
    api_as,
    curator_a,
    status,
):
    request = dig_request(status=status)

    answer = api_as(curator_a).post(
        url(request, request.items.first().pk), upload(jpeg()), format="multipart"
    )

    assert answer.status_code == 409
    body = answer.json()
    assert body["status"] == status
    assert "in progress" in body["detail"]
    assert isinstance(body["allowed_actions"], list)
    assert not Capture.objects.exists()


def test_a_file_over_the_limit_is_a_413(dig_request, api_as, curator_a, settings):
    settings.DIGITISATION_MAX_UPLOAD_BYTES = 1000
    request = dig_request()

    answer = api_as(curator_a).post(
        url(request, request.items.first().pk), upload(jpeg()), format="multipart"
    )

    assert answer.status_code == 413
    assert "limit" in answer.json()["detail"]
    assert not Capture.objects.exists()


def test_a_master_larger_than_an_attachment_passes_the_body_limit_of_this_path_only(
    dig_request,
    api_as,
    curator_a,
    settings,
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    settings.ATTACHMENT_MAX_BYTES = 1000
    settings.DIGITISATION_MAX_UPLOAD_BYTES = 10_000_000
    request = dig_request()
    data = noisy_jpeg((400, 300))
    assert len(data) > 20_000
    client = api_as(curator_a)

    answer = client.post(url(request, request.items.first().pk), upload(data), format="multipart")
    attached = client.post(
        f"/api/v1/digitisation-requests/{request.pk}/attachments/",
        upload(data),
        format="multipart",
    )

    assert answer.status_code == 201
    assert attached.status_code == 413


def test_an_empty_file_is_a_400(dig_request, api_as, curator_a):
    request = dig_request()

    answer = api_as(curator_a).post(
        url(request, request.items.first().pk), upload(b""), format="multipart"
    )

    assert answer.status_code == 400
    assert "file" in answer.json()


def test_the_same_capture_sent_twice_with_one_idempotency_key_is_stored_once(
    dig_request,
    api_as,
    curator_a,
    django_capture_on_commit_callbacks,
):
    request = dig_request()
    item_url = url(request, request.items.first().pk)
    client = api_as(curator_a)
    data = jpeg()

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(
            item_url, upload(data), HTTP_IDEMPOTENCY_KEY="cap-0001", format="multipart"
        )
        again = client.post(
            item_url, upload(data), HTTP_IDEMPOTENCY_KEY="cap-0001", format="multipart"
        )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Capture.objects.count() == 1
