"""The researcher pages are generic: every registered kind gets them from its ``RequestKind``.

Each test runs once per kind (``all_kinds()``), and the form is filled from the kind's own form
fields, so that a new kind is covered without a line here. The ``bare`` variants take away the
kind's templates and editor: the core's templates and default editor still serve the pages.
"""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collections_app.models import Collection
from elvis.workflow.kinds import RequestKind, all_kinds
from elvis.workflow.pages.base import KindPageMixin
from elvis.workflow.pages.editor import RequestEditor

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KINDS = all_kinds()


@pytest.fixture(params=KINDS, ids=[kind.name for kind in KINDS])
def kind(request) -> RequestKind:
    return request.param


@pytest.fixture(params=["own", "bare"])
def variant(request, kind, monkeypatch) -> str:
    """``own``: the kind as registered; ``bare``: without its templates and its editor."""
    if request.param == "bare":
        monkeypatch.setattr(
            KindPageMixin, "templates", lambda self, name, generic: [f"workflow/{generic}.html"]
        )
        monkeypatch.setitem(kind.__dict__, "editor", None)  # a frozen descriptor
    return request.param


@pytest.fixture
def offered(kind, collection_a) -> Collection:
    """Institution A's collection, open to the kind."""
    setattr(collection_a, kind.accepts_flag, True)
    collection_a.save()
    return collection_a


def sample(field: forms.Field, collection: Collection):
    """A valid value for one field of a request form, whatever the kind."""
    if isinstance(field, forms.ModelMultipleChoiceField):
        return [collection.pk] if field.required else []
    if isinstance(field, forms.DateField):  # a Monday, open wherever weekends are closed
        day = datetime.date.today() + datetime.timedelta(days=10)
        return (day + datetime.timedelta(days=(7 - day.weekday()) % 7)).isoformat()
    if isinstance(field, forms.BooleanField):
        return ""
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return "1" if field.required else ""  # an optional number may have its own range
    if isinstance(field, forms.ChoiceField):
        return next(str(value) for value, _label in field.choices if value not in ("", None))
    return "A sample value"


def form_data(kind: RequestKind, researcher, collection: Collection, **extra) -> dict:
    """The kind's request form filled in, with its rows' management forms and no row."""
    editor = (kind.editor or RequestEditor)(
        kind, requester=researcher, institution=collection.institution
    )
    data = {name: sample(field, collection) for name, field in editor.form.fields.items()}
    for prefix in editor.formsets:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return {**data, **extra}


@pytest.fixture
def draft(kind, variant, researcher, offered):
    """A draft of the kind, saved through its editor as the form would."""
    editor = (kind.editor or RequestEditor)(
        kind,
        requester=researcher,
        institution=offered.institution,
        data=form_data(kind, researcher, offered),
    )
    assert editor.is_valid(), editor.form.errors
    return editor.save()


def url(kind: RequestKind, name: str, *args) -> str:
    return reverse(f"{kind.url_namespace}:{name}", args=args)


def test_my_requests_list_the_requesters_own_and_every_kind_is_in_the_nav(
    client, researcher, kind, draft
):
    client.force_login(researcher)

    response = client.get(url(kind, "list"), {"status": "draft"})

    assert response.status_code == 200
    html = response.content.decode()
    assert draft.reference in html and url(kind, "create") in html
    for each in KINDS:
        assert f'href="{url(each, "list")}"' in html and f"My {each.label_plural}" in html


def test_a_new_request_chooses_an_institution_then_saves_a_draft(
    client, researcher, kind, variant, offered
):
    client.force_login(researcher)
    chooser = client.get(url(kind, "create"))
    assert chooser.status_code == 200
    assert list(chooser.context["form"].fields["institution"].queryset) == [offered.institution]

    create = url(kind, "create") + f"?institution={offered.institution.pk}"
    assert client.get(create).status_code == 200
    response = client.post(create, form_data(kind, researcher, offered, _save="1"))

    saved = kind.model.objects.get()
    assert response.status_code == 302 and response["Location"] == saved.get_absolute_url()
    assert (saved.status, saved.requester, saved.reference[: len(kind.prefix)]) == (
        "draft",
        researcher,
        kind.prefix,
    )
    assert list(saved.collections.all()) == [offered]


def test_the_requester_edits_the_draft(client, researcher, kind, offered, draft):
    client.force_login(researcher)
    assert client.get(url(kind, "edit", draft.pk)).status_code == 200

    data = form_data(kind, researcher, offered, title="Renamed", _save="1")
    response = client.post(url(kind, "edit", draft.pk), data)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Renamed" and kind.model.objects.count() == 1


def test_the_timeline_renders_with_the_requesters_actions(client, researcher, kind, variant, draft):
    client.force_login(researcher)

    response = client.get(draft.get_absolute_url())

    assert response.status_code == 200
    if variant == "bare":
        assert response.templates[0].name == "workflow/request_detail.html"
    html = response.content.decode()
    assert draft.reference in html and kind.next_step("draft") in html
    # Withdrawing cannot be undone: a link to its confirmation page, not a form.
    assert f'href="{url(kind, "action", draft.pk, "withdraw")}"' in html
    assert f'action="{url(kind, "comment", draft.pk)}"' in html
    assert f'action="{url(kind, "attachments", draft.pk)}"' in html


def test_the_requester_acts_writes_and_attaches_from_the_timeline(
    client, researcher, kind, draft, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(researcher)

    posted = client.post(url(kind, "comment", draft.pk), {"body": "A question"})
    assert posted.status_code == 302 and draft.comments.get().body == "A question"

    upload = SimpleUploadedFile("permit.pdf", PDF, "application/pdf")
    posted = client.post(url(kind, "attachments", draft.pk), {"file": upload})
    assert posted.status_code == 302
    attachment = draft.attachments.get()
    download = client.get(url(kind, "attachment", draft.pk, attachment.pk))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF

    posted = client.post(
        url(kind, "action", draft.pk, "withdraw"), {"comment": "No longer", "confirm": "1"}
    )
    assert posted.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "withdrawn"


def test_the_confirmation_says_whether_anyone_else_reads_the_comment(
    client, researcher, kind, draft
):
    client.force_login(researcher)
    confirm = url(kind, "action", draft.pk, "withdraw")

    never_submitted = client.get(confirm).content.decode()
    assert "no one else is told: the request was never submitted" in never_submitted
    assert "the other side reads it" not in never_submitted

    kind.model.objects.filter(pk=draft.pk).update(
        status="submitted", submitted_at=datetime.datetime.now(datetime.UTC)
    )
    submitted = client.get(confirm).content.decode()
    assert "the other side reads it in the e-mail" in submitted
    assert "no one else is told" not in submitted


def test_the_catalogue_search_serves_kinds_with_items(
    client, researcher, kind, offered, specimen_a
):
    client.force_login(researcher)
    if kind.items is None:
        pytest.skip(f"{kind.name} requests have no items")

    response = client.get(url(kind, "specimen-search"), {"collection": offered.pk, "q": "A-0001"})

    assert response.status_code == 200
    assert f'name="specimens" value="{specimen_a.pk}"' in response.content.decode()


def test_an_outsider_gets_404_on_every_page_of_a_request(
    client, outsider, kind, draft, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    attachment = draft.attachments.create(
        file=SimpleUploadedFile("a.pdf", PDF),
        original_name="a.pdf",
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=draft.requester,
    )
    client.force_login(outsider)

    for page in (
        url(kind, "detail", draft.pk),
        url(kind, "edit", draft.pk),
        url(kind, "attachment", draft.pk, attachment.pk),
    ):
        assert client.get(page).status_code == 404, page
    for page, data in (
        (url(kind, "edit", draft.pk), {"_save": "1"}),
        (url(kind, "action", draft.pk, "withdraw"), {}),
        (url(kind, "comment", draft.pk), {"body": "hello"}),
        (url(kind, "attachments", draft.pk), {"file": SimpleUploadedFile("b.pdf", PDF)}),
    ):
        assert client.post(page, data).status_code == 404, page
    draft.refresh_from_db()
    assert draft.status == "draft" and not draft.comments.exists()
    assert draft.attachments.count() == 1
