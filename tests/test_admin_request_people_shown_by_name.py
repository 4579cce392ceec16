"""On a request's admin page, people (who acted, wrote, uploaded) are shown by name, never as
links to the user admin, which the institution's curators may not open."""

from __future__ import annotations

import pytest
from django.urls import reverse

from elvis.workflow.comments import post_comment
from elvis.workflow.kinds import all_kinds
from elvis.workflow.service import perform
from tests.kinds_support import make_request

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", all_kinds(), ids=lambda kind: kind.name)
def test_the_change_page_names_people_without_linking_to_their_accounts(
    client, kind, researcher, curator_a, institution_a, collection_a
):
    obj = make_request(
        kind, requester=researcher, institution=institution_a, collection=collection_a
    )
    obj = perform(obj, "submit", actor=researcher)
    post_comment(obj, author=curator_a, body="Which drawer?")
    client.force_login(curator_a)
    opts = kind.model._meta

    page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert researcher.get_full_name() in html and curator_a.get_full_name() in html
    assert "/admin/accounts/user/" not in html
