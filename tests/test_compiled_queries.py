"""``CompiledQuery``: a lookup compiled once answers every later call as the ORM would.

Held on both databases: instances with their ``select_related`` objects, flat values, a date
(text among SQLite's parameters), a value that cannot be placed (it falls back to the ORM),
``None`` (``IS NULL``, never bound into ``=``), and shapes compiled apart. The two lookups
made on every API request use it: the token with its user, the caller's institutions.
``exist_each`` asks several such queries (compiled, left to the ORM, or finding nothing)
whether they find a row, in one statement.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken
from accounts.tokens import find_token, issue
from collections_app.models import Collection, Institution, Membership
from collections_app.roles import CURRENT_INSTITUTIONS, HANDLES_REQUESTS, institution_ids
from elvis.statements import CompiledQuery, exist_each, sql_of

pytestmark = pytest.mark.django_db

Role = Membership.Role


class Counted:
    """``build`` that counts how often the queryset was built (compiled or evaluated)."""

    def __init__(self, build) -> None:
        self.build, self.calls = build, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.build(*args, **kwargs)


@pytest.fixture
def people():
    users = get_user_model().objects
    return [users.create_user(email=f"p{n}@example.org", password="x") for n in range(3)]


@pytest.fixture
def museums():
    return [
        Institution.objects.create(code=f"M{n}", name=f"Museum {n}", country="GB") for n in range(3)
    ]


def test_instances_with_their_related_objects_for_each_call_from_one_compilation(people):
    build = Counted(lambda prefix: ApiToken.objects.select_related("user").filter(prefix=prefix))
    lookup = CompiledQuery(build)
    tokens = [issue(person, "t")[0] for person in people]
    for token, person in [*zip(tokens, people, strict=True), (tokens[0], people[0])]:
        with CaptureQueriesContext(connection) as captured:
            found = lookup.rows(token.prefix)
        assert [(t.pk, t.key_hash, t.created_at) for t in found] == [
            (token.pk, token.key_hash, token.created_at)
        ]
        # The user came in the same statement, as select_related does.
        assert found[0].user.email == person.email
        assert len(captured) == 1
    assert build.calls == 2  # compiled, and compiled again with the value moved to place it
    assert lookup.rows("elv_nothing") == []


def test_flat_values_and_a_date_parameter_on_each_call(people, museums):
    build = Counted(CURRENT_INSTITUTIONS.build)  # the lookup of every request
    lookup = CompiledQuery(build)
    today = datetime.date(2026, 11, 27)
    Membership.objects.create(user=people[0], institution=museums[0], role=Role.CURATOR)
    Membership.objects.create(
        user=people[0], institution=museums[1], role=Role.CURATOR, ends_on=today
    )
    Membership.objects.create(user=people[1], institution=museums[2], role=Role.COORDINATOR)
    roles = (Role.CURATOR, Role.COORDINATOR)
    assert set(lookup.rows(people[0].pk, today, roles=roles)) == {museums[0].pk, museums[1].pk}
    # The day after the last day: that membership no longer counts.
    tomorrow = today + datetime.timedelta(days=1)
    assert set(lookup.rows(people[0].pk, tomorrow, roles=roles)) == {museums[0].pk}
    assert set(lookup.rows(people[1].pk, today, roles=roles)) == {museums[2].pk}
    assert lookup.rows(people[2].pk, today, roles=roles) == []
    assert build.calls == 2  # compiled, and compiled again with the values moved
    # Another set of roles is another statement (the IN list's length is in the SQL).
    assert lookup.rows(people[1].pk, today, roles=(Role.CURATOR,)) == []
    assert build.calls == 4


def test_a_value_used_twice_is_bound_in_both_places(museums):
    build = Counted(
        lambda text: Institution.objects.filter(code=text) | Institution.objects.filter(name=text)
    )
    lookup = CompiledQuery(build)
    assert [i.code for i in lookup.rows("M1")] == ["M1"]
    assert [i.code for i in lookup.rows("Museum 2")] == ["M2"]
    assert build.calls == 2  # compiled once (and once more, its value moved)


def test_two_equal_values_and_a_constant_equal_to_one_keep_their_own_places(museums):
    """A constant of the SQL equal to a value by chance, and two values equal to each other,
    are told apart: only the values' places take the next call's values."""
    build = Counted(
        lambda code, name: Institution.objects.filter(code=code, name=name).exclude(code="M0")
    )
    lookup = CompiledQuery(build)
    assert lookup.rows("M0", "M0") == []
    assert [i.code for i in lookup.rows("M1", "Museum 1")] == ["M1"]
    assert lookup.rows("M2", "Museum 1") == []
    assert build.calls == 2


def test_an_in_list_of_consecutive_ids_in_any_order_is_compiled_once(museums):
    """A page's ids, newest first: moving each id by a little would make two of them equal,
    and an ``IN`` list drops repeats; the moved ids stay apart."""
    build = Counted(lambda *ids, count: Institution.objects.filter(pk__in=ids).order_by("pk"))
    lookup = CompiledQuery(build)
    ids = sorted((museum.pk for museum in museums), reverse=True)
    assert [i.pk for i in lookup.rows(*ids, count=3)] == ids[::-1]
    assert [i.pk for i in lookup.rows(ids[2], ids[0], ids[1], count=3)] == ids[::-1]
    assert build.calls == 2


def test_the_last_moment_a_date_can_hold_is_answered_by_the_orm(museums):
    """A value that cannot be moved (nothing comes after it) is answered as Django would."""
    lookup = CompiledQuery(lambda moment: Institution.objects.filter(updated_at__lte=moment))
    latest = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    assert len(lookup.rows(latest)) == len(lookup.rows(latest)) == 3


def test_a_value_whose_moved_value_its_field_refuses_is_answered_by_the_orm():
    """A text compared with a UUID column: the moved text is no UUID, which Django refuses;
    the call is answered as the ORM answers it, and so is the next."""
    from visits.models import CoVisitor

    lookup = CompiledQuery(lambda token: CoVisitor.objects.filter(token=token))
    for token in ("0b9f1c1e-2a57-4c0e-9f3e-2b1d1f4f5a6b", "a" * 32):
        assert lookup.rows(token) == []


def test_a_value_that_cannot_be_placed_is_answered_by_the_orm_each_time(museums):
    build = Counted(lambda text: Institution.objects.filter(name__contains=text))  # %text%
    lookup = CompiledQuery(build)
    assert [i.code for i in lookup.rows("seum 1")] == ["M1"]
    assert [i.code for i in lookup.rows("seum 2")] == ["M2"]
    assert build.calls == 6  # each call built it to try (twice), then to answer


def test_none_is_never_bound_into_an_equality(people, museums):
    """``ends_on = NULL`` matches nothing; ``None`` asks ``IS NULL``, as the ORM does."""
    last_day = datetime.date(2026, 12, 31)
    Membership.objects.create(user=people[0], institution=museums[0], role=Role.CURATOR)
    Membership.objects.create(
        user=people[1], institution=museums[0], role=Role.CURATOR, ends_on=last_day
    )
    lookup = CompiledQuery(
        lambda day: Membership.objects.filter(ends_on=day).values_list("user_id", flat=True)
    )
    assert lookup.rows(last_day) == [people[1].pk]  # compiled with a date
    assert lookup.rows(None) == [people[0].pk]


def test_annotated_instances_carry_their_annotations(museums):
    from django.db.models import Count

    Collection.objects.create(institution=museums[1], code="C1", name="One")
    Collection.objects.create(institution=museums[1], code="C2", name="Two")
    lookup = CompiledQuery(
        lambda code: Institution.objects.annotate(n=Count("collections")).filter(code=code)
    )
    for _ in range(2):  # compiled, then run compiled
        assert [(i.code, i.n) for i in lookup.rows("M1")] == [("M1", 2)]
        assert [(i.code, i.n) for i in lookup.rows("M0")] == [("M0", 0)]


def test_the_token_and_the_roles_of_every_request_are_found_as_before(people, museums):
    token, key = issue(people[0], "partner")
    assert find_token(key) == token and find_token(key).user == people[0]
    assert find_token(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    Membership.objects.create(user=people[0], institution=museums[0], role=Role.API_CLIENT)
    Membership.objects.create(
        user=people[0],
        institution=museums[1],
        role=Role.CURATOR,
        ends_on=datetime.date(2000, 1, 1),
    )
    assert institution_ids(people[0], HANDLES_REQUESTS) == {museums[0].pk}
    assert institution_ids(people[1], HANDLES_REQUESTS) == set()


def _exists(build):
    """``build``'s queryset as the ``exists()`` query it would ask."""

    def probe(*values, **shape):
        queryset = build(*values, **shape)
        asked = queryset.values_list()
        asked.query = queryset.query.exists()
        return asked

    return probe


def test_several_queries_are_asked_whether_they_find_a_row_in_one_statement(museums):
    by_code = CompiledQuery(_exists(lambda code: Institution.objects.filter(code=code)))
    by_text = CompiledQuery(_exists(lambda text: Institution.objects.filter(name__contains=text)))
    by_code.statement("M0")  # compiled from here on; ``name__contains`` is always the ORM's
    asked = [
        by_code.statement("M1"),
        by_code.statement("M9"),
        None,  # a query that finds nothing (``EmptyResultSet``)
        by_text.statement("seum 2"),
        by_text.statement("100% museum"),
        sql_of(Institution.objects.filter(pk__in=[]).query, "default"),
    ]

    with CaptureQueriesContext(connection) as captured:
        found = exist_each(asked, using="default")

    assert found == [True, False, False, True, False, False]
    assert len(captured) == 1
    assert captured[0]["sql"].count("EXISTS") == 4
    sql, params = by_code.statement("M7")  # the compiled SQL, with this call's value
    assert sql == asked[1][0] and "M7" in params and "M9" not in params


def test_nothing_to_ask_runs_no_statement():
    with CaptureQueriesContext(connection) as captured:
        assert exist_each([None, None], using="default") == [False, False]
    assert len(captured) == 0
