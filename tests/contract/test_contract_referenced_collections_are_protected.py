"""A collection that requests ask for is never deleted: not by the admin (its "protected" page
says why), not by an inline, not through the API (409); no request loses a collection. A
collection nothing refers to is deleted as before. Runs once per registered kind."""

from __future__ import annotations

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from collections_app.models import Collection, Facility

pytestmark = pytest.mark.django_db


def test_deleting_a_collection_a_request_asks_for_is_refused_and_loses_no_row(kind, make):
    request = make()
    collection = request.collections.get()

    with pytest.raises(ProtectedError):
        collection.delete()

    assert Collection.objects.filter(pk=collection.pk).exists()
    assert list(kind.model.objects.get(pk=request.pk).collections.all()) == [collection]


def test_the_admin_delete_page_shows_the_collection_is_protected(client, superuser, kind, make):
    request = make()
    collection = request.collections.get()
    client.force_login(superuser)
    url = reverse("admin:collections_app_collection_delete", args=[collection.pk])

    page = client.get(url)
    posted = client.post(url, {"post": "yes"})

    assert page.status_code == 200 and posted.status_code == 200
    html = page.content.decode()
    assert "would require deleting the following protected related objects" in html
    assert request.reference in html
    assert Collection.objects.filter(pk=collection.pk).exists()
    assert request.collections.count() == 1


def test_an_inline_delete_of_the_collection_is_a_form_error(
    client, superuser, kind, make, institution_a
):
    request = make()
    collection = request.collections.get()
    client.force_login(superuser)
    url = reverse("admin:collections_app_institution_change", args=[institution_a.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "country": "GB",
            "open_weekdays": "12345",
            "visit_max_working_days": "60",
            "collections-TOTAL_FORMS": "1",
            "collections-INITIAL_FORMS": "1",
            "collections-0-id": str(collection.pk),
            "collections-0-institution": str(institution_a.pk),
            "collections-0-code": collection.code,
            "collections-0-name": collection.name,
            "collections-0-DELETE": "on",
            "facilities-TOTAL_FORMS": str(Facility.objects.count()),
            "facilities-INITIAL_FORMS": str(Facility.objects.count()),
        }
    )
    for i, facility in enumerate(Facility.objects.order_by("name", "pk")):
        data.update(
            {
                f"facilities-{i}-id": str(facility.pk),
                f"facilities-{i}-institution": str(institution_a.pk),
                f"facilities-{i}-name": facility.name,
                f"facilities-{i}-type": facility.type,
                f"facilities-{i}-daily_capacity": str(facility.daily_capacity),
                f"facilities-{i}-is_active": "on",
            }
        )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "protected related objects" in response.content.decode()
    assert Collection.objects.filter(pk=collection.pk).exists()


def test_the_api_answers_409_and_keeps_the_collection(api_as, coordinator_a, kind, make):
    request = make()
    collection = request.collections.get()

    response = api_as(coordinator_a).delete(f"/api/v1/collections/{collection.pk}/")

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert f"{kind.label_plural}: 1" in detail and "accepting_requests" in detail
    assert request.collections.count() == 1


def test_a_collection_no_request_asks_for_is_still_deleted(api_as, coordinator_a, kind, make):
    make()
    spare = Collection.objects.create(
        institution=Collection.objects.get().institution, code="SPARE", name="Spare"
    )

    response = api_as(coordinator_a).delete(f"/api/v1/collections/{spare.pk}/")

    assert response.status_code == 204
    assert not Collection.objects.filter(pk=spare.pk).exists()


def test_deleting_a_request_deletes_its_collection_rows_not_the_collection(kind, make):
    request = make()
    collection = request.collections.get()
    through = kind.model._meta.get_field("collections").remote_field.through

    request.delete()

    assert not through.objects.exists()
    assert Collection.objects.filter(pk=collection.pk).exists()
