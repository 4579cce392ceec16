"""Curators upload an item's captures on the request's admin page, several files at once, and
follow each capture's processing and the request's progress there."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.digitisation_support import jpeg, text_as_jpg
from virtual_access.models import Capture

pytestmark = pytest.mark.django_db


def change_url(request) -> str:
    return f"/admin/virtual_access/digitisationrequest/{request.pk}/change/"


def upload_url(request) -> str:
    return f"/admin/virtual_access/digitisationrequest/{request.pk}/captures/"


def files(*named: tuple[str, bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, data, content_type="image/jpeg") for name, data in named]


def test_several_files_for_one_item_are_stored_and_processed_and_shown(
    client, dig_request, curator_a, django_capture_on_commit_callbacks
):
    request = dig_request()
    item = request.items.first()
    client.force_login(curator_a)

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            upload_url(request),
            {
                "item": item.pk,
                "files": files(("dorsal.jpg", jpeg()), ("notes.jpg", text_as_jpg())),
            },
        )

    assert answer.status_code == 302
    assert answer.url.endswith("/change/#captures")
    assert sorted(item.captures.values_list("original_name", "status")) == [
        ("dorsal.jpg", "processed"),
        ("notes.jpg", "failed"),
    ]
    page = client.get(change_url(request)).content.decode()
    assert 'type="file" name="files" id="id_capture_files" multiple' in page
    assert "Imaging: 0 of 2 items processed" in page
    assert "dorsal.jpg" in page and "640 × 480" in page
    assert "notes.jpg: not an image" in page


def test_the_progress_counts_processed_items(client, dig_request, curator_a):
    request = dig_request()
    request.items.filter(pk=request.items.first().pk).update(status="processed")
    client.force_login(curator_a)

    page = client.get(change_url(request)).content.decode()

    assert "Imaging: 1 of 2 items processed" in page


def test_no_upload_form_once_delivered(client, dig_request, curator_a):
    request = dig_request(status="delivered")
    client.force_login(curator_a)

    page = client.get(change_url(request)).content.decode()

    assert 'id="capture-table"' in page
    assert 'id="capture-upload"' not in page


def test_an_upload_after_delivery_is_refused_with_a_message(client, dig_request, curator_a):
    request = dig_request(status="delivered")
    client.force_login(curator_a)

    answer = client.post(
        upload_url(request),
        {"item": request.items.first().pk, "files": files(("a.jpg", jpeg()))},
        follow=True,
    )

    assert "Captures are added while the request is in progress" in answer.content.decode()
    assert not Capture.objects.exists()


def test_another_institution_s_curator_gets_a_404(client, dig_request, curator_b):
    request = dig_request()
    client.force_login(curator_b)

    answer = client.post(
        upload_url(request), {"item": request.items.first().pk, "files": files(("a.jpg", jpeg()))}
    )

    assert answer.status_code == 404
    assert not Capture.objects.exists()


def test_an_item_of_another_request_is_a_404(client, dig_request, curator_a):
    request, other = dig_request(), dig_request()
    client.force_login(curator_a)

    answer = client.post(
        upload_url(request), {"item": other.items.first().pk, "files": files(("a.jpg", jpeg()))}
    )

    assert answer.status_code == 404
    assert not Capture.objects.exists()
