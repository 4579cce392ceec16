"""``related_count``: a correlated COUNT of a request's rows, correct wherever the query sits."""

from __future__ import annotations

import pytest

from elvis.workflow.counts import related_count
from elvis.workflow.kinds import get_kind
from tests.kinds_support import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def loans(researcher, institution_a, collection_a):
    """Three loans with 0, 1 and 2 comments."""
    kind = get_kind("loan")
    made = []
    for comments in range(3):
        loan = make_request(
            kind, requester=researcher, institution=institution_a, collection=collection_a
        )
        for _ in range(comments):
            loan.comments.create(author=researcher, body="?")
        made.append(loan)
    return kind.model, made


def test_each_row_counts_its_own_rows(loans):
    model, made = loans
    counted = model.objects.annotate(n=related_count(model, "comments")).order_by("pk")
    assert [(row.pk, row.n) for row in counted] == [(loan.pk, n) for n, loan in enumerate(made)]


def test_the_count_follows_its_row_inside_a_subquery_and_a_join(loans):
    """Relabelled as a subquery's table (``U0``…), the count still reads its own row's."""
    model, made = loans
    with_two = model.objects.annotate(n=related_count(model, "comments")).filter(n=2)
    assert list(model.objects.filter(pk__in=with_two.values("pk"))) == [made[2]]
    assert list(model.objects.exclude(pk__in=with_two.values("pk")).order_by("pk")) == made[:2]


def test_a_condition_counts_the_matching_rows_only(loans, researcher):
    model, made = loans
    made[2].comments.filter(pk=made[2].comments.first().pk).update(body="!")
    counted = model.objects.annotate(n=related_count(model, "comments", body="!")).order_by("pk")
    assert [row.n for row in counted] == [0, 0, 1]
