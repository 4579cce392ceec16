"""A collection that stops accepting requests leaves the request forms and the API's choices; a
draft saved before still names it, and its submission is refused with a field error, whatever
the kind and the face. Runs once per registered kind."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.test_pages_generic_kind import form_data

from .conftest import api_url

pytestmark = pytest.mark.django_db
CLOSED = "Not accepting"


@pytest.fixture
def closed(collection_a):
    """Institution A's collection, offering every kind but not accepting requests now."""
    collection_a.accepting_requests = False
    collection_a.save()
    return collection_a


def test_the_new_request_form_no_longer_lists_it(client, researcher, kind, closed, collection_a):
    open_one = type(collection_a).objects.create(
        institution=collection_a.institution, code="OPEN", name="Open"
    )
    client.force_login(researcher)

    response = client.get(
        reverse(f"{kind.url_namespace}:create"), {"institution": collection_a.institution.pk}
    )

    assert response.status_code == 200
    choices = response.context["form"].fields["collections"].queryset
    assert list(choices) == [open_one]


def test_an_institution_with_no_open_collection_cannot_be_chosen(client, researcher, kind, closed):
    client.force_login(researcher)

    response = client.get(reverse(f"{kind.url_namespace}:create"))

    assert list(response.context["form"].fields["institution"].queryset) == []


def test_the_api_refuses_it_for_a_new_request_with_a_field_error(
    api_as, researcher, kind, support, closed
):
    body = {
        "institution": closed.institution.pk,
        "collections": [closed.pk],
        "title": "Carabus revision",
        "purpose": "Morphology.",
        **support.fields(),
    }

    response = api_as(researcher).post(api_url(kind), body, format="json")

    assert response.status_code == 400
    assert CLOSED in response.json()["collections"][0]
    assert not kind.model.objects.exists()


def test_the_api_submission_of_a_draft_naming_it_is_a_400(api_as, researcher, kind, make):
    draft = make()
    type(draft.collections.get()).objects.update(accepting_requests=False)

    response = api_as(researcher).post(api_url(kind, draft, "submit"), {}, format="json")

    assert response.status_code == 400
    assert CLOSED in response.json()["collections"][0]
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.collections.count() == 1


def test_the_form_keeps_it_on_a_draft_and_refuses_the_submission(
    client, researcher, kind, make, collection_a
):
    draft = make()
    client.force_login(researcher)
    collection_a.accepting_requests = False
    collection_a.save()
    edit = reverse(f"{kind.url_namespace}:edit", args=[draft.pk])

    page = client.get(edit)
    submitted = client.post(edit, form_data(kind, researcher, collection_a, _submit="1"))
    saved = client.post(edit, form_data(kind, researcher, collection_a, _save="1"))

    assert "not accepting requests at the moment" in page.content.decode()
    assert submitted.status_code == 400
    assert CLOSED in str(submitted.context["form"].errors["collections"])
    assert saved.status_code == 302  # a draft may still be saved as it is
    draft.refresh_from_db()
    assert draft.status == "draft" and list(draft.collections.all()) == [collection_a]


def test_a_link_from_the_collection_page_starts_the_form_with_it_ticked(
    client, researcher, kind, collection_a
):
    client.force_login(researcher)
    params = {"institution": collection_a.institution.pk, "collection": collection_a.pk}

    response = client.get(reverse(f"{kind.url_namespace}:create"), params)

    assert response.status_code == 200
    assert response.context["form"]["collections"].value() == [collection_a.pk]


@pytest.mark.parametrize("which", ["closed", "elsewhere", "junk"])
def test_a_collection_that_cannot_be_asked_for_is_refused_on_the_chooser_page(
    client, researcher, kind, collection_a, collection_b, which
):
    target = {"closed": collection_a.pk, "elsewhere": collection_b.pk, "junk": "x1"}[which]
    if which == "closed":
        collection_a.accepting_requests = False
        collection_a.save()
        type(collection_a).objects.create(
            institution=collection_a.institution, code="OPEN", name="Open"
        )
    client.force_login(researcher)
    params = {"institution": collection_a.institution.pk, "collection": target}

    response = client.get(reverse(f"{kind.url_namespace}:create"), params)

    assert response.status_code == 400
    assert response.context["form"].errors["collection"]
    assert "errorlist" in response.content.decode()
