"""The curators' admin is built from the registry: every kind gets the queue, the read-only
change page and one action page per curator transition, from its ``RequestKind`` alone.

Each test runs for every registered kind, with the admin the kind names (the site's) and with
the shared ``AccessRequestAdmin`` alone, as a kind that names no admin of its own would get it
(on a second admin site, served by this module's URLs).
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib import admin
from django.db import models
from django.urls import path, reverse
from django.utils import timezone

from elvis.admin import ElvisAdminSite
from elvis.urls import urlpatterns as site_urlpatterns
from elvis.workflow.admin import REASON_REQUIRED, AccessRequestAdmin, ReadOnlyInline
from elvis.workflow.fields import ItemEntriesField, ItemIdsField
from elvis.workflow.kinds import RequestKind, all_kinds
from elvis.workflow.table import CURATOR, DRAFT, Transition
from tests.kinds_support import support_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
TODAY = timezone.localdate()

#: The shared admin alone, for every kind: what a kind that names no admin gets.
plain_site = ElvisAdminSite(name="plain")
for _kind in all_kinds():
    plain_site.register(_kind.model, AccessRequestAdmin)
urlpatterns = [path("plain-admin/", plain_site.urls), *site_urlpatterns]

KINDS = {kind.name: kind for kind in all_kinds()}
SITES = {"own": admin.site.name, "plain": plain_site.name}
CURATOR_TRANSITIONS = [
    (kind.name, row.action)
    for kind in all_kinds()
    for row in kind.workflow.transitions.values()
    if CURATOR in row.roles
]


def url(kind: RequestKind, view: str, *args, site: str = "admin") -> str:
    opts = kind.model._meta
    return reverse(f"{site}:{opts.app_label}_{opts.model_name}_{view}", args=args)


def example(field: models.Field):
    """A value for a required field the test does not name (by its type)."""
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return TODAY + datetime.timedelta(days=30)
    if isinstance(field, models.EmailField):
        return "someone@example.org"
    if isinstance(field, models.URLField):
        return "https://example.org/"
    if isinstance(field, models.CharField | models.TextField):
        return "Example"
    if isinstance(field, models.IntegerField | models.DecimalField | models.FloatField):
        return 1
    raise NotImplementedError(f"No example value for {field!r}: give it to make_request.")


def required(field: models.Field) -> bool:
    return not (
        field.primary_key
        or not field.editable
        or field.has_default()
        or field.null
        or (field.blank and field.empty_strings_allowed)
        or getattr(field, "auto_now_add", False)
        or getattr(field, "auto_now", False)
    )


@pytest.fixture
def make_request(researcher, institution_a, collection_a, specimen_a):
    """``make_request(kind, status)``: a request of ``kind`` to institution A, sent (submitted
    at least once), with a catalogued specimen and a described lot when the kind has items."""

    def _make(kind: RequestKind, status: str = "submitted"):
        values = {
            "requester": researcher,
            "institution": institution_a,
            "title": f"A {kind.label} for the admin",
            "purpose": "To see the admin of every kind.",
        }
        for field in kind.model._meta.concrete_fields:
            if field.name not in values and required(field):
                values[field.name] = example(field)
        obj = kind.model.objects.create(**values)
        obj.collections.add(collection_a)
        if kind.items:
            obj.items.create(specimen=specimen_a)
            obj.items.create(description="20 unsorted Carabidae, drawer 14")
        kind.model.objects.filter(pk=obj.pk).update(status=status, submitted_at=timezone.now())
        return kind.queryset().get(pk=obj.pk)

    return _make


def a_source(row: Transition) -> str:
    """A status the transition starts from that the institution sees (not a draft)."""
    return sorted(row.sources - {DRAFT})[0]


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_every_kind_has_its_admin_registered_from_the_registry(kind):
    model_admin = admin.site.get_model_admin(kind.model)

    assert type(model_admin) is (kind.admin or AccessRequestAdmin)
    assert model_admin.kind is kind
    assert model_admin.check() == []


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_the_shared_admin_alone_passes_the_admins_checks(kind):
    model_admin = plain_site.get_model_admin(kind.model)

    assert model_admin.check() == []
    inlined = {inline.model for inline in model_admin.inlines}
    # The history is read as sentences ("What happened"), not as an inline table.
    assert kind.model._meta.get_field("comments").related_model in inlined
    assert (kind.items in inlined) == bool(kind.items)
    assert all(issubclass(inline, ReadOnlyInline) for inline in model_admin.inlines)


@pytest.mark.parametrize("site", SITES.values(), ids=SITES)
@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_the_queue_lists_the_kinds_sent_requests_for_a_curator(
    client, curator_a, make_request, kind, site
):
    sent = make_request(kind)
    client.force_login(curator_a)

    response = client.get(url(kind, "changelist", site=site))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [sent]
    offered = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert offered == [
        "",
        *(
            row.action
            for row in kind.workflow.transitions.values()
            if CURATOR in row.roles and row.form is None and row.action not in REASON_REQUIRED
        ),
    ]


@pytest.mark.parametrize("site", SITES.values(), ids=SITES)
@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_the_change_page_is_read_only_with_actions_messages_and_contact(
    client, curator_a, researcher, make_request, kind, site
):
    obj = make_request(kind)
    obj.comments.create(author=researcher, body="Is drawer 14 available too?")
    client.force_login(curator_a)

    response = client.get(url(kind, "change", obj.pk, site=site))

    assert response.status_code == 200
    assert response.context["adminform"].form.fields == {}
    assert not response.context["has_change_permission"]
    assert f'href="mailto:{researcher.email}"' in response.text
    assert "Is drawer 14 available too?" in response.text
    assert f'action="{url(kind, "comment", obj.pk, site=site)}"' in response.text
    for action in obj.allowed_actions(curator_a):
        assert f'href="{url(kind, "action", obj.pk, action, site=site)}"' in response.text
    if kind.items:
        assert "20 unsorted Carabidae, drawer 14" in response.text


@pytest.mark.parametrize("site", SITES.values(), ids=SITES)
@pytest.mark.parametrize(("kind_name", "action"), CURATOR_TRANSITIONS)
def test_every_curator_transition_has_its_action_page(
    client, curator_a, make_request, kind_name, action, site
):
    kind = KINDS[kind_name]
    row = kind.workflow.transitions[action]
    obj = make_request(kind, status=a_source(row))
    support_for(kind).data_for(obj, action)  # what the action needs first (an ask to decline)
    client.force_login(curator_a)

    response = client.get(url(kind, "action", obj.pk, action, site=site))

    assert response.status_code == 200
    assert str(row.label) in response.text
    form = response.context["form"]
    own = row.form.base_fields if row.form else {}
    per_item = {  # an ItemEntriesField's own inputs, item by item
        f"{name}-{item.pk}-{part}"
        for name, field in own.items()
        if isinstance(field, ItemEntriesField)
        for item in obj.items.all().outstanding()
        for part in (("count", "note") if item.outstanding_count > 1 else ("note",))
    }
    assert set(form.fields) == {*own, *per_item, "comment"}
    assert form.fields["comment"].required == (action in REASON_REQUIRED)
    for name, field in own.items():
        if isinstance(field, ItemIdsField):
            outstanding = obj.items.all().outstanding()
            assert dict(form.fields[name].choices) == {item.pk: str(item) for item in outstanding}
            assert 'type="checkbox"' in response.text


@pytest.mark.parametrize("site", SITES.values(), ids=SITES)
@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_a_draft_and_another_institutions_request_answer_404(
    client, curator_a, coordinator_b, make_request, kind, site
):
    draft = make_request(kind)
    kind.model.objects.filter(pk=draft.pk).update(status=DRAFT, submitted_at=None)
    sent = make_request(kind)

    client.force_login(curator_a)
    assert client.get(url(kind, "change", draft.pk, site=site)).status_code == 404
    client.force_login(coordinator_b)
    assert client.get(url(kind, "change", sent.pk, site=site)).status_code == 404
    assert client.get(url(kind, "action", sent.pk, "start_review", site=site)).status_code == 404
