"""Who sees and changes what in the admin: institution staff only their own, site staff all."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from collections_app.models import Collection, Facility, Membership, Specimen

# model name -> (fixture of institution A's row, fixture of institution B's row)
SCOPED = {
    "institution": ("institution_a", "institution_b"),
    "collection": ("collection_a", "collection_b"),
    "facility": ("facility_a", "facility_b"),
    "specimen": ("specimen_a", "specimen_b"),
    "membership": ("membership_a", "membership_b"),
}


@pytest.fixture
def facility_b(institution_b) -> Facility:
    return Facility.objects.create(institution=institution_b, name="SEM lab")


@pytest.fixture
def specimen_b(collection_b) -> Specimen:
    return Specimen.objects.create(
        collection=collection_b, catalog_number="B-0001", scientific_name="Quercus robur"
    )


@pytest.fixture
def membership_a(coordinator_a) -> Membership:
    return coordinator_a.memberships.get()


@pytest.fixture
def membership_b(coordinator_b) -> Membership:
    return coordinator_b.memberships.get()


def url(model: str, view: str, *args) -> str:
    app = "accounts" if model == "user" else "collections_app"
    return reverse(f"admin:{app}_{model}_{view}", args=args)


def rows_pair(request, model: str):
    return tuple(request.getfixturevalue(name) for name in SCOPED[model])


def form_data(response) -> dict:
    """The POST body that the rendered change form would send back unchanged."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False and value != "":
                data[form.add_prefix(name)] = value
    return data


@pytest.mark.parametrize("model", SCOPED)
@pytest.mark.parametrize("role", ["coordinator_a", "curator_a"])
def test_institution_staff_see_only_their_institutions_rows(client, request, model, role):
    own, other = rows_pair(request, model)
    client.force_login(request.getfixturevalue(role))

    response = client.get(url(model, "changelist"))

    assert response.status_code == 200
    rows = set(response.context["cl"].result_list)
    assert own in rows
    assert other not in rows


@pytest.mark.parametrize("model", SCOPED)
@pytest.mark.parametrize("role", ["site_staff", "superuser"])
def test_site_staff_see_every_institutions_rows(client, request, model, role):
    own, other = rows_pair(request, model)
    client.force_login(request.getfixturevalue(role))

    response = client.get(url(model, "changelist"))

    assert {own, other} <= set(response.context["cl"].result_list)


@pytest.mark.parametrize("model", SCOPED)
@pytest.mark.parametrize("role", ["coordinator_a", "curator_a"])
def test_another_institutions_change_page_is_not_found(client, request, model, role):
    _own, other = rows_pair(request, model)
    client.force_login(request.getfixturevalue(role))

    assert client.get(url(model, "change", other.pk)).status_code == 404
    assert client.get(url(model, "history", other.pk)).status_code == 404
    assert client.get(url(model, "delete", other.pk)).status_code == 404


@pytest.mark.parametrize("role", ["researcher", "outsider"])
@pytest.mark.parametrize("model", [*SCOPED, "user"])
def test_users_without_a_staff_membership_are_sent_to_the_admin_login(client, request, role, model):
    client.force_login(request.getfixturevalue(role))

    for target in (reverse("admin:index"), url(model, "changelist")):
        response = client.get(target)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_an_api_client_account_is_sent_to_the_admin_login(client, make_user, institution_a):
    partner = make_user("partner@example.org")
    Membership.objects.create(
        user=partner, institution=institution_a, role=Membership.Role.API_CLIENT
    )
    client.force_login(partner)

    assert client.get(reverse("admin:index")).url.startswith(reverse("admin:login"))


def test_coordinator_changes_a_collection_of_their_institution(client, coordinator_a, collection_a):
    client.force_login(coordinator_a)
    change_url = url("collection", "change", collection_a.pk)
    data = form_data(client.get(change_url)) | {"name": "Insects"}

    response = client.post(change_url, data)

    assert response.status_code == 302
    collection_a.refresh_from_db()
    assert collection_a.name == "Insects"


def test_coordinator_cannot_post_a_change_to_another_institutions_collection(
    client, coordinator_a, collection_b
):
    client.force_login(coordinator_a)
    data = {"institution": collection_b.institution_id, "code": "BOT", "name": "Stolen"}

    response = client.post(url("collection", "change", collection_b.pk), data)

    assert response.status_code == 404
    collection_b.refresh_from_db()
    assert collection_b.name == "Herbarium"


def test_coordinator_cannot_create_a_collection_under_another_institution(
    client, coordinator_a, institution_b
):
    client.force_login(coordinator_a)
    data = {"institution": institution_b.pk, "code": "NEW", "name": "Forged"}

    response = client.post(url("collection", "add"), data)

    assert response.status_code == 200
    assert "institution" in response.context["adminform"].form.errors
    assert not Collection.objects.filter(code="NEW").exists()


def test_coordinator_cannot_move_a_collection_to_another_institution(
    client, coordinator_a, collection_a, institution_b
):
    client.force_login(coordinator_a)
    change_url = url("collection", "change", collection_a.pk)
    data = form_data(client.get(change_url)) | {"institution": institution_b.pk}

    response = client.post(change_url, data)

    assert "institution" in response.context["adminform"].form.errors
    collection_a.refresh_from_db()
    assert collection_a.institution_id != institution_b.pk


@pytest.mark.parametrize(
    ("model", "forge"),
    [
        (Collection, lambda f: Collection(institution=f("institution_b"), code="X", name="X")),
        (Facility, lambda f: Facility(institution=f("institution_b"), name="X")),
        (Specimen, lambda f: Specimen(collection=f("collection_b"), catalog_number="X")),
        (
            Membership,
            lambda f: Membership(
                user=f("researcher"), institution=f("institution_b"), role="curator"
            ),
        ),
    ],
)
def test_saving_refuses_a_target_institution_the_user_does_not_coordinate(
    rf, request, coordinator_a, model, forge
):
    """The last guard, behind the limited form choices, against any forged submission."""
    http_request = rf.post("/")
    http_request.user = coordinator_a
    obj = forge(request.getfixturevalue)

    with pytest.raises(PermissionDenied):
        admin.site.get_model_admin(model).save_model(http_request, obj, form=None, change=False)
    assert obj.pk is None


def test_curator_views_their_collection_but_cannot_change_it(client, curator_a, collection_a):
    client.force_login(curator_a)
    change_url = url("collection", "change", collection_a.pk)

    page = client.get(change_url)
    post = client.post(change_url, {"institution": collection_a.institution_id, "name": "X"})

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert post.status_code == 403
    collection_a.refresh_from_db()
    assert collection_a.name == "Entomology"


@pytest.mark.parametrize("model", ["collection", "facility", "specimen", "membership"])
def test_curator_cannot_add_or_delete(client, curator_a, request, model):
    own, _other = rows_pair(request, model)
    client.force_login(curator_a)

    assert client.get(url(model, "add")).status_code == 403
    assert client.post(url(model, "delete", own.pk), {"post": "yes"}).status_code == 403
    assert type(own).objects.filter(pk=own.pk).exists()


def test_bulk_delete_refuses_rows_of_an_institution_the_coordinator_only_curates(
    client, coordinator_a, collection_a, collection_b
):
    Membership.objects.create(
        user=coordinator_a, institution=collection_b.institution, role=Membership.Role.CURATOR
    )
    client.force_login(coordinator_a)

    def delete(*collections: Collection):
        body = {"action": "delete_selected", "post": "yes"}
        selected = {"_selected_action": [collection.pk for collection in collections]}
        return client.post(url("collection", "changelist"), body | selected)

    assert delete(collection_a, collection_b).status_code == 403
    assert Collection.objects.filter(pk=collection_b.pk).exists()
    assert delete(collection_a).status_code == 302
    assert not Collection.objects.filter(pk=collection_a.pk).exists()


def test_coordinator_changes_their_institution_but_not_its_identifiers(
    client, coordinator_a, institution_a, collection_a
):
    client.force_login(coordinator_a)
    change_url = url("institution", "change", institution_a.pk)
    data = form_data(client.get(change_url)) | {"name": "Museum A", "code": "HIJACK"}

    response = client.post(change_url, data)

    assert response.status_code == 302
    institution_a.refresh_from_db()
    assert (institution_a.code, institution_a.name) == ("INSTA", "Museum A")


def test_coordinator_cannot_add_or_delete_institutions(client, coordinator_a, institution_a):
    client.force_login(coordinator_a)

    assert client.get(url("institution", "add")).status_code == 403
    assert (
        client.post(url("institution", "delete", institution_a.pk), {"post": "yes"}).status_code
        == 403
    )


def test_coordinator_adds_a_member_to_their_institution_only(
    client, coordinator_a, researcher, institution_a, institution_b
):
    client.force_login(coordinator_a)
    body = {"user": researcher.pk, "role": Membership.Role.CURATOR}

    own = client.post(url("membership", "add"), body | {"institution": institution_a.pk})
    other = client.post(url("membership", "add"), body | {"institution": institution_b.pk})

    assert own.status_code == 302
    assert "institution" in other.context["adminform"].form.errors
    assert list(researcher.memberships.values_list("institution", flat=True)) == [institution_a.pk]


def autocomplete(client, model: str, field: str, term: str):
    params = {"app_label": "collections_app", "model_name": model, "field_name": field}
    return client.get(reverse("admin:autocomplete"), params | {"term": term})


def found(response) -> set[str]:
    return {result["text"] for result in response.json()["results"]}


def test_coordinator_finds_colleagues_by_name_and_others_only_by_exact_email(
    client, coordinator_a, curator_a, researcher
):
    client.force_login(coordinator_a)

    assert str(curator_a) in found(autocomplete(client, "membership", "user", "Carl"))
    assert found(autocomplete(client, "membership", "user", "researcher")) == set()
    assert found(autocomplete(client, "membership", "user", "")) == {
        str(coordinator_a),
        str(curator_a),
    }
    exact = autocomplete(client, "membership", "user", "Researcher@Example.org ")
    assert found(exact) == {str(researcher)}


def test_users_are_not_listed_to_coordinators_outside_autocomplete(
    client, coordinator_a, researcher
):
    client.force_login(coordinator_a)

    assert client.get(url("user", "changelist")).status_code == 403
    # One user's page: 404, as for any object the coordinator may not see (never confirm it).
    assert client.get(url("user", "change", researcher.pk)).status_code == 404


def test_curator_cannot_search_users(client, curator_a):
    client.force_login(curator_a)

    assert autocomplete(client, "membership", "user", "curator").status_code == 403


def test_collection_autocomplete_offers_only_collections_the_coordinator_may_pick(
    client, coordinator_a, collection_a, collection_b, institution_b
):
    Membership.objects.create(
        user=coordinator_a, institution=institution_b, role=Membership.Role.CURATOR
    )
    client.force_login(coordinator_a)

    assert found(autocomplete(client, "specimen", "collection", "")) == {str(collection_a)}


def test_site_staff_cannot_change_a_superuser(client, site_staff, superuser):
    client.force_login(site_staff)

    assert client.get(url("user", "change", superuser.pk)).context["has_change_permission"] is False
    password_url = reverse("admin:auth_user_password_change", args=[superuser.pk])
    assert client.get(password_url).status_code == 403


def test_only_superusers_grant_privileges(client, site_staff, researcher):
    client.force_login(site_staff)
    change_url = url("user", "change", researcher.pk)
    data = form_data(client.get(change_url)) | {"is_staff": "on", "is_superuser": "on"}

    response = client.post(change_url, data)

    assert response.status_code == 302
    researcher.refresh_from_db()
    assert not (researcher.is_staff or researcher.is_superuser)
