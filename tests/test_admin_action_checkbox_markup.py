"""Every admin writes its rows' action checkboxes as Django's widget renders them, without the
widget's templates (``PlainActionCheckbox``): the markup must not change by a character."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.urls import reverse
from django.utils import translation

from elvis.admin import PlainActionCheckbox
from loans.models import LoanRequest

pytestmark = pytest.mark.django_db


class _Row:
    """An object whose text needs escaping, as a title or a name may."""

    def __init__(self, pk: object, text: str) -> None:
        self.pk = pk
        self._text = text

    def __str__(self) -> str:
        return self._text


ROWS = [_Row(7, "LOAN-NHM-0000007"), _Row("a&b", 'Tom\'s <b>"Carabus"</b> & co')]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_admin_writes_django_s_checkbox(language):
    with translation.override(language):
        for model_admin in admin.site._registry.values():
            assert isinstance(model_admin, PlainActionCheckbox), type(model_admin)
            for row in ROWS:
                ours = model_admin.action_checkbox(row)
                assert ours == ModelAdmin.action_checkbox(model_admin, row)
            escaped = model_admin.action_checkbox(ROWS[1])
            assert "&lt;b&gt;&quot;Carabus&quot;" in escaped and "&amp;amp;" not in escaped


def test_the_queue_page_carries_each_row_s_checkbox_and_the_select_all_box(
    client, make_loan, curator_a
):
    loans = [make_loan(status="submitted") for _ in range(3)]
    client.force_login(curator_a)
    response = client.get(reverse("admin:loans_loanrequest_changelist"))
    assert response.status_code == 200
    queue = admin.site._registry[LoanRequest]
    for loan in loans:
        assert ModelAdmin.action_checkbox(queue, loan) in response.text
    assert 'id="action-toggle"' in response.text
