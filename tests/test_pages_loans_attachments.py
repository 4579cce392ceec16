"""Files on a loan's timeline: real PDFs or images, size-limited, served to those who see it."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from loans.models import LoanAttachment, LoanRequest

from .test_pages_loans_researcher import create_url, request_data

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, loan: LoanRequest, name: str, content: bytes, **extra):
    return client.post(
        reverse("loans:attachments", args=[loan.pk]),
        {"file": SimpleUploadedFile(name, content, "application/pdf"), **extra},
    )


def download_url(attachment: LoanAttachment) -> str:
    return reverse("loans:attachment", args=[attachment.request_id, attachment.pk])


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("permit.pdf", PDF, "application/pdf"), ("label.png", png_bytes(), "image/png")],
)
def test_the_requester_attaches_a_real_document_and_downloads_it(
    client, make_loan, researcher, name, content, content_type
):
    loan = make_loan(status="submitted")
    client.force_login(researcher)

    response = upload(client, loan, name, content, description="CITES permit")

    assert response.status_code == 302
    attachment = loan.attachments.get()
    assert (attachment.original_name, attachment.content_type, attachment.uploaded_by) == (
        name,
        content_type,
        researcher,
    )
    page = client.get(loan.get_absolute_url()).content.decode()
    assert download_url(attachment) in page and "CITES permit" in page

    download = client.get(download_url(attachment))

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == content_type
    assert download["Content-Disposition"] == f'attachment; filename="{name}"'
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fake.pdf", b"MZ\x90\x00 an executable in disguise"),
        ("page.html", b"<script>alert(1)</script>"),
        ("empty.pdf", b""),
    ],
)
def test_a_fake_or_empty_file_is_refused_with_a_message_beside_the_field(
    client, make_loan, researcher, name, content
):
    loan = make_loan()
    client.force_login(researcher)

    response = upload(client, loan, name, content, description="Permit")

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_file_error"' in html
    assert ("Only PDF documents and images" in html) or ("empty" in html)
    assert 'value="Permit"' in html  # the description typed is kept
    assert not LoanAttachment.objects.exists()


def test_an_oversized_file_is_refused_as_too_large(client, make_loan, researcher, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    loan = make_loan()
    client.force_login(researcher)

    response = upload(client, loan, "big.pdf", PDF + b"0" * 2000)

    assert response.status_code == 413
    assert "the limit is 1000" in response.content.decode()
    assert not LoanAttachment.objects.exists()


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("researcher", 200),
        ("curator_a", 200),
        ("superuser", 200),
        ("coordinator_b", 404),
        ("outsider", 404),
    ],
)
def test_only_those_who_see_the_loan_download_its_files(
    client, make_loan, researcher, request, user, expected
):
    loan = make_loan(status="submitted")  # the institution sees it from its submission on
    client.force_login(researcher)
    upload(client, loan, "permit.pdf", PDF)
    attachment = loan.attachments.get()

    client.force_login(request.getfixturevalue(user))

    assert client.get(download_url(attachment)).status_code == expected


def test_a_file_is_not_reachable_through_another_loan_or_when_logged_out(
    client, make_loan, researcher
):
    loan, other = make_loan(), make_loan(title="Another")
    client.force_login(researcher)
    upload(client, loan, "permit.pdf", PDF)
    attachment = loan.attachments.get()

    wrong = reverse("loans:attachment", args=[other.pk, attachment.pk])
    assert client.get(wrong).status_code == 404
    client.logout()
    assert client.get(download_url(attachment)).status_code == 302


def test_the_files_of_a_draft_never_submitted_are_the_requesters_own(
    client, make_loan, researcher, curator_a
):
    loan = make_loan()
    client.force_login(researcher)
    upload(client, loan, "permit.pdf", PDF)
    client.force_login(curator_a)

    assert client.get(download_url(loan.attachments.get())).status_code == 404


def test_a_file_missing_from_storage_is_a_404_not_a_crash(client, make_loan, researcher):
    loan = make_loan()
    client.force_login(researcher)
    upload(client, loan, "permit.pdf", PDF)
    attachment = loan.attachments.get()
    attachment.file.delete(save=False)

    assert client.get(download_url(attachment)).status_code == 404


@pytest.mark.parametrize(("user", "expected"), [("outsider", 404), ("site_staff", 403)])
def test_only_participants_attach_files(client, make_loan, request, user, expected):
    loan = make_loan(status="submitted")  # site staff see submitted requests only
    client.force_login(request.getfixturevalue(user))
    assert upload(client, loan, "permit.pdf", PDF).status_code == expected
    assert not LoanAttachment.objects.exists()


def permit_row(document: SimpleUploadedFile) -> dict:
    return {
        "permits-0-type": "cites",
        "permits-0-number": "GB-2026-0042",
        "permits-0-issuing_authority": "APHA",
        "permits-0-document_file": document,
    }


def test_a_permit_document_sent_with_the_request_form_is_attached_to_the_loan(
    client, researcher, collection_a, specimen_a
):
    client.force_login(researcher)
    document = SimpleUploadedFile("cites.pdf", PDF, "application/pdf")
    data = request_data(collection_a, specimens=[specimen_a.pk], **permit_row(document), _save="1")

    response = client.post(create_url(collection_a.institution), data)

    assert response.status_code == 302
    permit = LoanRequest.objects.get().permits.get()
    assert (permit.number, permit.document.original_name) == ("GB-2026-0042", "cites.pdf")
    assert permit.document.request == permit.loan


def test_a_fake_permit_document_is_refused_in_its_row_and_nothing_is_saved(
    client, researcher, collection_a
):
    client.force_login(researcher)
    document = SimpleUploadedFile("cites.pdf", b"not a pdf at all", "application/pdf")
    data = request_data(collection_a, **permit_row(document), _save="1")

    response = client.post(create_url(collection_a.institution), data)

    assert response.status_code == 400
    errors = response.context["editor"].permits.forms[0].errors["document_file"]
    assert errors == ["Only PDF documents and images (PNG, JPEG, TIFF, WebP) can be attached."]
    assert 'value="GB-2026-0042"' in response.content.decode()
    assert not LoanRequest.objects.exists() and not LoanAttachment.objects.exists()
