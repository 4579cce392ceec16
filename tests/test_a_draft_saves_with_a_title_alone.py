"""A researcher starts early: a draft of any kind saves with a title alone, the fields a
submission needs are marked on the form before they try, and submitting (on the page or through
the API) names every field still missing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from elvis.workflow.completeness import required_to_submit
from elvis.workflow.kinds import RequestKind, all_kinds
from elvis.workflow.pages.editor import RequestEditor

pytestmark = pytest.mark.django_db
KINDS = all_kinds()


@pytest.fixture(params=KINDS, ids=[kind.name for kind in KINDS])
def kind(request) -> RequestKind:
    return request.param


@pytest.fixture
def offered(kind, collection_a):
    setattr(collection_a, kind.accepts_flag, True)
    collection_a.save()
    return collection_a


def title_only(kind: RequestKind, researcher, institution, **extra) -> dict:
    """The form with a title and nothing else (its rows' management forms, no row)."""
    editor = (kind.editor or RequestEditor)(kind, requester=researcher, institution=institution)
    data = {"title": "Carabus, first thoughts"}
    for prefix in editor.formsets:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return {**data, **extra}


def create_url(kind: RequestKind, institution) -> str:
    return reverse(f"{kind.url_namespace}:create") + f"?institution={institution.pk}"


def test_the_shared_fields_and_the_kinds_own_dates_are_required_to_submit(kind):
    needed = set(required_to_submit(kind.model))
    assert {"title", "collections", "purpose"} <= needed
    assert not needed & {"requester", "institution", "status", "reference"}
    own = {"loan": {"requested_start", "requested_end"}, "visit": {"proposed_start"}}
    assert own.get(kind.name, set()) <= needed


def test_the_form_marks_the_fields_a_submission_needs(client, researcher, kind, offered):
    client.force_login(researcher)

    html = client.get(create_url(kind, offered.institution)).content.decode()

    assert 'id="required-to-submit-legend"' in html
    for name in ("title", "purpose"):
        assert f'class="required-to-submit" for="id_{name}"' in html, name
    assert 'class="required-to-submit">Collections' in html  # a group's legend


def test_a_draft_saves_with_a_title_alone(client, researcher, kind, offered):
    client.force_login(researcher)

    response = client.post(
        create_url(kind, offered.institution),
        title_only(kind, researcher, offered.institution, _save="1"),
    )

    assert response.status_code == 302, response.context["form"].errors
    draft = kind.model.objects.get()
    assert (draft.title, draft.status, draft.purpose) == ("Carabus, first thoughts", "draft", "")
    assert not draft.collections.exists()
    for page in ("list", "detail", "edit"):
        args = [] if page == "list" else [draft.pk]
        shown = client.get(reverse(f"{kind.url_namespace}:{page}", args=args))
        assert shown.status_code == 200, page


def test_a_draft_still_needs_its_title(client, researcher, kind, offered):
    client.force_login(researcher)
    data = title_only(kind, researcher, offered.institution, _save="1", title="")

    response = client.post(create_url(kind, offered.institution), data)

    assert response.status_code == 400
    assert "title" in response.context["form"].errors
    assert not kind.model.objects.exists()


def test_submitting_an_incomplete_draft_names_the_missing_fields(client, researcher, kind, offered):
    client.force_login(researcher)
    data = title_only(kind, researcher, offered.institution, _submit="1")

    response = client.post(create_url(kind, offered.institution), data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    for name in required_to_submit(kind.model):
        if name != "title":
            assert "This field is required." in errors.get(name, []), name
    assert not kind.model.objects.exists()


def test_the_api_refuses_to_submit_an_incomplete_draft_with_field_errors(
    client, api_as, researcher, kind, offered
):
    client.force_login(researcher)
    client.post(
        create_url(kind, offered.institution),
        title_only(kind, researcher, offered.institution, _save="1"),
    )
    draft = kind.model.objects.get()

    response = api_as(researcher).post(f"/api/v1/{kind.api_path}/{draft.pk}/submit/", {})

    assert response.status_code == 400
    body = response.json()
    for name in required_to_submit(kind.model):
        if name != "title":
            assert body[name] == ["This field is required."], name
    draft.refresh_from_db()
    assert draft.status == "draft" and not draft.history.exists()
