"""Every kind's admin list is a queue: it shows the requests still open by default, the
finished ones (withdrawn, rejected, cancelled, closed) under "All", one status on its own, and
old ``?status__exact=`` links keep working."""

from __future__ import annotations

import pytest
from django.urls import reverse

from elvis.workflow.table import CANCELLED, REJECTED, SUBMITTED

pytestmark = pytest.mark.django_db


def listed(client, kind, query: str = "") -> set:
    model = kind.model._meta
    response = client.get(reverse(f"admin:{model.app_label}_{model.model_name}_changelist") + query)
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


def test_the_admin_list_shows_open_requests_unless_asked_for_all(client, kind, make, curator_a):
    submitted, rejected, cancelled = make(SUBMITTED), make(REJECTED), make(CANCELLED)
    client.force_login(curator_a)

    assert listed(client, kind) == {submitted}
    assert listed(client, kind, "?status__exact=open") == {submitted}
    assert listed(client, kind, "?status__exact=all") == {submitted, rejected, cancelled}
    assert listed(client, kind, f"?status__exact={REJECTED}") == {rejected}
    assert listed(client, kind, "?status__exact=no-such-status") == set()


def test_the_sidebar_says_open_is_the_default(client, kind, make, curator_a):
    make(SUBMITTED)
    client.force_login(curator_a)
    model = kind.model._meta
    page = client.get(
        reverse(f"admin:{model.app_label}_{model.model_name}_changelist")
    ).content.decode()
    assert 'class="selected"' in page and "Open (not finished)" in page
