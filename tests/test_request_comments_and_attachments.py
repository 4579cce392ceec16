"""Comments notify the other side; attachments are sniffed, size-limited PDFs or images."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from elvis.workflow.attachments import AttachmentTooLarge, save_attachment
from elvis.workflow.comments import post_comment
from elvis.workflow.errors import ActionForbidden
from loans.models import LoanAttachment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_requesters_message_reaches_the_curators(make_loan, researcher, curator_a):
    loan = make_loan(status="submitted")
    post_comment(loan, author=researcher, body="  Could drawer 14 come too?  ")
    assert loan.comments.get().body == "Could drawer 14 come too?"
    [message] = mail.outbox
    assert message.to == [curator_a.email]
    assert "has a new message" in message.subject and "drawer 14" in message.body


@pytest.mark.django_db
def test_outsiders_and_empty_messages_are_refused(make_loan, outsider, researcher):
    loan = make_loan()
    with pytest.raises(ActionForbidden):
        post_comment(loan, author=outsider, body="hello")
    with pytest.raises(ValidationError):
        post_comment(loan, author=researcher, body="   ")
    assert not loan.comments.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("permit.pdf", PDF, "application/pdf"), ("photo.PNG", png_bytes(), "image/png")],
)
def test_pdfs_and_images_are_stored_under_a_random_name(
    make_loan, researcher, settings, tmp_path, name, content, content_type
):
    settings.MEDIA_ROOT = tmp_path
    loan = make_loan()
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    attachment = save_attachment(loan, upload=upload, uploaded_by=researcher)
    assert attachment.content_type == content_type
    assert attachment.original_name == name and attachment.size == len(content)
    assert name not in attachment.file.name
    assert attachment.file.name.startswith(f"attachments/loans/{loan.pk}/")
    assert (tmp_path / attachment.file.name).read_bytes() == content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fake.pdf", b"MZ\x90\x00 this is an executable"),
        ("fake.png", b"\x89PNG\r\n\x1a\n but not really an image"),
        ("notes.html", b"<script>alert(1)</script>"),
        ("empty.pdf", b""),
    ],
)
def test_fake_or_empty_files_are_refused(make_loan, researcher, settings, tmp_path, name, content):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    with pytest.raises(ValidationError):
        save_attachment(make_loan(), upload=upload, uploaded_by=researcher)
    assert not LoanAttachment.objects.exists()


@pytest.mark.django_db
def test_oversized_files_are_refused_as_too_large(make_loan, researcher, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_BYTES = 1000
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * 2000, content_type="application/pdf")
    with pytest.raises(AttachmentTooLarge):
        save_attachment(make_loan(), upload=upload, uploaded_by=researcher)


@pytest.mark.django_db
def test_only_the_requester_and_institution_staff_may_attach(
    make_loan, outsider, coordinator_b, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    loan = make_loan()
    for person in (outsider, coordinator_b):
        upload = SimpleUploadedFile("permit.pdf", PDF, content_type="application/pdf")
        with pytest.raises(ActionForbidden):
            save_attachment(loan, upload=upload, uploaded_by=person)
    assert not LoanAttachment.objects.exists()
