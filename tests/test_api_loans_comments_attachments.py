"""The thread and the files of a loan request through the API.

Messages go between the requester and the institution's staff. Files are PDFs or images as their
bytes say (not their names), size-limited (413), and downloaded only by those who may see the
loan — as attachments that browsers must not sniff into something else.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from loans.models import LoanAttachment, LoanComment

pytestmark = pytest.mark.django_db

URL = "/api/v1/loan-requests/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client, loan, name: str, content: bytes, **extra):
    file = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(f"{URL}{loan.pk}/attachments/", {"file": file, **extra}, format="multipart")


# Comments


@pytest.mark.parametrize("author", ["researcher", "curator_a", "coordinator_a", "superuser"])
def test_the_requester_and_the_institutions_staff_write_on_the_thread(
    request, api_as, make_loan, author
):
    loan = make_loan(status="submitted")
    user = request.getfixturevalue(author)

    response = api_as(user).post(f"{URL}{loan.pk}/comments/", {"body": "  Drawer 14 too?  "})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["body"] == "Drawer 14 too?"
    assert body["author"]["id"] == user.pk and body["created_at"]
    assert LoanComment.objects.get().author == user


def test_the_thread_lists_messages_oldest_first_and_the_loan_counts_them(
    api_as, make_loan, researcher, curator_a
):
    loan = make_loan(status="submitted")
    api_as(researcher).post(f"{URL}{loan.pk}/comments/", {"body": "First"})
    api_as(curator_a).post(f"{URL}{loan.pk}/comments/", {"body": "Second"})

    thread = api_as(researcher).get(f"{URL}{loan.pk}/comments/")

    assert thread.status_code == 200
    assert [(c["body"], c["author"]["full_name"]) for c in thread.json()] == [
        ("First", "Rita Researcher"),
        ("Second", "Carl Curator"),
    ]
    assert api_as(curator_a).get(f"{URL}{loan.pk}/").json()["comment_count"] == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "   "}, "body"),
        ({}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"body": {"text": "hi"}}, "body"),
        ({"body": ["hi"]}, "body"),
    ],
)
def test_empty_or_malformed_messages_are_a_400(api_as, make_loan, researcher, payload, field):
    loan = make_loan()

    response = api_as(researcher).post(f"{URL}{loan.pk}/comments/", payload)

    assert response.status_code == 400
    assert field in response.json()
    assert not LoanComment.objects.exists()


def test_site_staff_read_but_do_not_write_on_the_thread(api_as, make_loan, site_staff):
    loan = make_loan(status="submitted")

    assert api_as(site_staff).get(f"{URL}{loan.pk}/comments/").status_code == 200
    assert api_as(site_staff).post(f"{URL}{loan.pk}/comments/", {"body": "Hi"}).status_code == 403


@pytest.mark.parametrize("role", ["outsider", "coordinator_b"])
def test_the_thread_of_an_invisible_loan_is_not_found(request, api_as, make_loan, role):
    loan = make_loan()
    LoanComment.objects.create(request=loan, author=loan.requester, body="Private")
    client = api_as(request.getfixturevalue(role))

    assert client.get(f"{URL}{loan.pk}/comments/").status_code == 404
    assert client.post(f"{URL}{loan.pk}/comments/", {"body": "Hi"}).status_code == 404
    assert LoanComment.objects.count() == 1


# Attachments


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("permit.pdf", PDF, "application/pdf"), ("specimen photo.PNG", png_bytes(), "image/png")],
)
def test_pdfs_and_images_are_accepted_and_typed_by_their_bytes(
    api_as, make_loan, researcher, name, content, content_type
):
    loan = make_loan()

    response = upload(api_as(researcher), loan, name, content, description="CITES permit")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["original_name"], body["content_type"], body["size"]) == (
        name,
        content_type,
        len(content),
    )
    assert body["description"] == "CITES permit"
    assert body["uploaded_by"]["id"] == researcher.pk
    assert body["download_url"].endswith(
        f"/loan-requests/{loan.pk}/attachments/{body['id']}/download/"
    )
    assert "file" not in body
    listed = api_as(researcher).get(f"{URL}{loan.pk}/attachments/").json()
    assert [a["id"] for a in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00 This program cannot be run in DOS mode."),
        ("fake.png", b"\x89PNG\r\n\x1a\n but not really an image"),
        ("notes.html", b"<script>alert(1)</script>"),
    ],
)
def test_other_files_are_refused_whatever_their_name(api_as, make_loan, researcher, name, content):
    loan = make_loan()

    response = upload(api_as(researcher), loan, name, content)

    assert response.status_code == 400
    assert "file" in response.json()
    assert not LoanAttachment.objects.exists()


@pytest.mark.parametrize(
    "data",
    [{}, {"file": "not a file"}, {"file": SimpleUploadedFile("empty.pdf", b"")}],
)
def test_a_missing_or_empty_file_is_a_400(api_as, make_loan, researcher, data):
    loan = make_loan()

    response = api_as(researcher).post(f"{URL}{loan.pk}/attachments/", data, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()


def test_a_json_upload_is_refused(api_as, make_loan, researcher):
    loan = make_loan()

    response = api_as(researcher).post(f"{URL}{loan.pk}/attachments/", {"file": "JVBERi0="})

    assert response.status_code == 415


def test_a_file_over_the_limit_is_a_413(api_as, make_loan, researcher, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    loan = make_loan()

    response = upload(api_as(researcher), loan, "big.pdf", PDF + b"0" * 2000)

    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert not LoanAttachment.objects.exists()


def test_site_staff_may_not_add_files(api_as, make_loan, site_staff):
    loan = make_loan(status="submitted")

    assert upload(api_as(site_staff), loan, "permit.pdf", PDF).status_code == 403


def test_the_file_is_downloaded_as_an_attachment_under_its_name(
    api_as, make_loan, researcher, curator_a
):
    loan = make_loan(status="submitted")
    attachment = upload(api_as(researcher), loan, "permit 2026.pdf", PDF).json()

    response = api_as(curator_a).get(attachment["download_url"])

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="permit 2026.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("role", ["outsider", "coordinator_b"])
def test_those_who_cannot_see_the_loan_cannot_download_its_files(
    request, api_as, make_loan, researcher, role
):
    loan = make_loan()
    attachment = upload(api_as(researcher), loan, "permit.pdf", PDF).json()
    client = api_as(request.getfixturevalue(role))

    assert client.get(attachment["download_url"]).status_code == 404
    assert client.get(f"{URL}{loan.pk}/attachments/").status_code == 404
    assert upload(client, loan, "more.pdf", PDF).status_code == 404


def test_a_file_is_only_found_through_its_own_loan(api_as, make_loan, researcher, coordinator_a):
    mine = make_loan()
    other = make_loan(requester=coordinator_a, specimens=[])
    attachment = upload(api_as(coordinator_a), other, "theirs.pdf", PDF).json()

    response = api_as(researcher).get(f"{URL}{mine.pk}/attachments/{attachment['id']}/download/")

    assert response.status_code == 404


def test_a_file_missing_from_storage_is_a_404_not_a_500(api_as, make_loan, researcher, media_root):
    loan = make_loan()
    attachment = upload(api_as(researcher), loan, "permit.pdf", PDF).json()
    stored = LoanAttachment.objects.get()
    (media_root / stored.file.name).unlink()

    assert api_as(researcher).get(attachment["download_url"]).status_code == 404


def test_deleting_a_draft_removes_its_files(api_as, make_loan, researcher, media_root):
    loan = make_loan()
    upload(api_as(researcher), loan, "permit.pdf", PDF)
    path = media_root / LoanAttachment.objects.get().file.name

    assert api_as(researcher).delete(f"{URL}{loan.pk}/").status_code == 204
    assert not path.exists()
