"""An action that cannot be undone (withdraw, reject, cancel) is set apart from the others and
done only after a confirmation page that works without JavaScript, on every face of every kind:
the first request shows what will happen, only a POST with ``confirm=1`` does it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from elvis.workflow.admin import AccessRequestAdmin
from elvis.workflow.kinds import RequestKind, all_kinds
from tests.kinds_support import make_request

pytestmark = pytest.mark.django_db
KINDS = all_kinds()


@pytest.fixture(params=KINDS, ids=[kind.name for kind in KINDS])
def kind(request) -> RequestKind:
    return request.param


@pytest.fixture
def submitted(kind, researcher, institution_a, collection_a):
    setattr(collection_a, kind.accepts_flag, True)
    collection_a.save()
    return make_request(
        kind,
        requester=researcher,
        institution=institution_a,
        collection=collection_a,
        status="submitted",
    )


def page_url(kind: RequestKind, action: str, pk: int) -> str:
    return reverse(f"{kind.url_namespace}:action", args=[pk, action])


def admin_url(kind: RequestKind, action: str, pk: int) -> str:
    opts = kind.model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_action", args=[pk, action])


def test_withdraw_reject_and_cancel_are_declared_irreversible_in_every_table(kind):
    irreversible = {name for name, row in kind.workflow.transitions.items() if row.irreversible}
    assert {"withdraw", "reject", "cancel"} <= irreversible
    assert "submit" not in irreversible and "approve" not in irreversible


def test_no_irreversible_action_is_offered_in_bulk(kind):
    model_admin = AccessRequestAdmin(kind.model, admin_site=None)  # type: ignore[arg-type]
    assert not [row.action for row in model_admin.bulk_transitions() if row.irreversible]


def test_the_timeline_sets_withdraw_apart_as_a_link_to_its_confirmation(
    client, researcher, kind, submitted
):
    client.force_login(researcher)
    html = client.get(submitted.get_absolute_url()).content.decode()

    target = page_url(kind, "withdraw", submitted.pk)
    assert f'action="{target}"' not in html  # no one-click form
    assert f'class="button danger secondary" href="{target}"' in html


@pytest.mark.parametrize("first", ["get", "post"])
def test_the_requester_confirms_a_withdrawal_before_it_happens(
    client, researcher, kind, submitted, first
):
    client.force_login(researcher)
    target = page_url(kind, "withdraw", submitted.pk)

    shown = getattr(client, first)(target, {"comment": "Found them elsewhere."})

    assert shown.status_code == 200
    html = shown.content.decode()
    assert "This cannot be undone." in html and "will be withdrawn" in html
    assert 'name="confirm" value="1"' in html and 'name="comment"' in html
    submitted.refresh_from_db()
    assert submitted.status == "submitted" and not submitted.history.exists()

    done = client.post(target, {"comment": "Found them elsewhere.", "confirm": "1"})

    assert done.status_code == 302 and done["Location"] == submitted.get_absolute_url()
    submitted.refresh_from_db()
    assert submitted.status == "withdrawn"
    assert submitted.history.get().comment == "Found them elsewhere."


def test_a_curator_may_not_reach_the_requesters_confirmation(client, curator_a, kind, submitted):
    client.force_login(curator_a)
    assert client.get(page_url(kind, "withdraw", submitted.pk)).status_code == 403
    assert client.post(page_url(kind, "withdraw", submitted.pk)).status_code == 403


def test_the_admin_sets_reject_apart_and_does_it_only_once_confirmed(
    client, curator_a, kind, submitted
):
    client.force_login(curator_a)
    opts = kind.model._meta
    change = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[submitted.pk])
    )
    target = admin_url(kind, "reject", submitted.pk)
    assert f'class="deletelink" href="{target}"' in change.content.decode()

    page = client.get(target)
    html = page.content.decode()
    assert "This cannot be undone." in html and "will be rejected" in html
    assert 'name="confirm" value="1"' in html

    unconfirmed = client.post(target, {"comment": "Types are not lent."})
    assert unconfirmed.status_code == 200
    submitted.refresh_from_db()
    assert submitted.status == "submitted"

    done = client.post(target, {"comment": "Types are not lent.", "confirm": "1"})
    assert done.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "rejected"
