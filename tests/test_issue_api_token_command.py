"""``manage.py issue_api_token``: a partner system's token from the command line, under the
admin's rules — the client is a password-less ``api_client`` account of the institution, created
when the institution has none of that name — printed once, alone on stdout, stored as a hash."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.management.commands.issue_api_token import Command
from accounts.models import ApiClient, ApiToken
from accounts.tokens import find_token, hash_key
from collections_app.models import Membership

pytestmark = pytest.mark.django_db

KEY = re.compile(r"elv_[A-Za-z0-9_-]{43}")


def issue_token(**options) -> tuple[str, str]:
    """Run the command; its stdout (the key) and stderr."""
    out, err = StringIO(), StringIO()
    call_command("issue_api_token", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def for_a(**options) -> tuple[str, str]:
    return issue_token(
        **{"institution": "INSTA", "client": "A system", "name": "CMS sync"} | options
    )


def client_of(institution, email: str, name: str = "A system", **extra) -> ApiClient:
    """An API client as the admin makes it (``create_user`` without password: unusable)."""
    account = ApiClient.objects.create_user(email=email, full_name=name, **extra)
    Membership.objects.create(
        user=account, institution=institution, role=Membership.Role.API_CLIENT
    )
    return account


def test_a_new_client_gets_a_password_less_api_client_account_of_the_institution(institution_a):
    _key, err = for_a()

    account = ApiClient.objects.get(full_name="A system")
    assert account.email == "a-system.insta@api-clients.invalid"
    assert not account.has_usable_password()
    assert not (account.is_staff or account.is_superuser)
    assert account.home_institution == institution_a
    assert list(account.memberships.values_list("institution", "role")) == [
        (institution_a.pk, Membership.Role.API_CLIENT)
    ]
    assert "Created the API client A system" in err


def test_the_key_is_printed_alone_once_and_stored_only_as_its_hash(institution_a):
    out, err = for_a()

    key = out.strip()
    assert KEY.fullmatch(key)
    assert out == f"{key}\n"
    assert key not in err
    assert "Store the key now" in err
    token = ApiToken.objects.get()
    assert (token.name, token.key_hash, token.expires_at) == ("CMS sync", hash_key(key), None)
    assert key not in str(ApiToken.objects.values().get())


def test_the_token_authenticates_the_client_acting_for_its_institution(api, make_loan):
    loan = make_loan(status="submitted")
    key = for_a()[0].strip()

    response = api.get("/api/v1/loan-requests/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [loan.reference]


def test_running_it_again_adds_a_token_to_the_same_client(institution_a):
    first = for_a()[0].strip()
    second = for_a(client="a SYSTEM", name="Nightly export")[0].strip()

    account = ApiClient.objects.get()
    assert first != second
    assert find_token(first).user == find_token(second).user == account
    assert sorted(account.api_tokens.values_list("name", flat=True)) == [
        "CMS sync",
        "Nightly export",
    ]


def test_a_client_made_in_the_admin_is_found_by_its_email(institution_a):
    made_in_admin = client_of(institution_a, "cms@inst-a.example.org", name="Collections")

    key = for_a(email="CMS@Inst-A.example.org")[0].strip()

    assert find_token(key).user == made_in_admin
    assert ApiClient.objects.count() == 1


def test_a_client_of_another_institution_with_that_name_is_not_used(institution_a, institution_b):
    client_b = client_of(institution_b, "system@inst-b.example.org")

    key = for_a()[0].strip()

    account = find_token(key).user
    assert account != client_b
    assert account.memberships.get().institution == institution_a
    assert not client_b.api_tokens.exists()


def test_an_account_that_signs_in_with_a_password_is_never_used_by_name(institution_a, make_user):
    person = make_user("person@inst-a.example.org", full_name="A system")
    Membership.objects.create(user=person, institution=institution_a, role="api_client")

    key = for_a()[0].strip()

    assert find_token(key).user != person
    assert not person.api_tokens.exists()


@pytest.mark.parametrize("who", ["person_with_client_role", "curator_a", "superuser"])
def test_no_token_is_issued_for_an_account_that_is_not_a_password_less_client(
    request, institution_a, make_user, who
):
    if who == "person_with_client_role":
        account = make_user("person@inst-a.example.org", full_name="A system")
        Membership.objects.create(user=account, institution=institution_a, role="api_client")
    else:
        account = request.getfixturevalue(who)

    with pytest.raises(CommandError, match="not a password-less API client of INSTA"):
        for_a(email=account.email)

    assert not ApiToken.objects.exists()


def test_a_deactivated_client_gets_no_token(institution_a):
    client_of(institution_a, "cms@inst-a.example.org", is_active=False)

    with pytest.raises(CommandError, match="deactivated"):
        for_a()

    assert not ApiToken.objects.exists()


def test_two_clients_of_one_name_must_be_told_apart_by_email(institution_a):
    client_of(institution_a, "one@inst-a.example.org")
    client_of(institution_a, "two@inst-a.example.org")

    with pytest.raises(
        CommandError, match=re.escape("one@inst-a.example.org, two@inst-a.example.org")
    ):
        for_a()


def test_expires_in_days_ends_the_token_that_many_days_from_now(institution_a):
    before = timezone.now()

    _key, err = for_a(expires_in_days=90)

    expires_at = ApiToken.objects.get().expires_at
    assert before + timedelta(days=90) <= expires_at <= timezone.now() + timedelta(days=90)
    assert "expires" in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"institution": "NOPE"}, "No institution has the code NOPE"),
        ({"institution": "insta"}, "No institution has the code insta"),
        ({"expires_in_days": 0}, "--expires-in-days must be from 1 to 3650"),
        ({"expires_in_days": 10**9}, "--expires-in-days must be from 1 to 3650"),
        ({"name": "   "}, "--name must not be blank"),
        ({"name": "n" * 101}, "--name is at most 100 characters"),
        ({"client": ""}, "--client must not be blank"),
        ({"client": "c" * 201}, "--client is at most 200 characters"),
        ({"email": "not an address"}, "--email is not a valid e-mail address"),
        ({"email": f"{'x' * 250}@example.org"}, "--email is too long"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message_and_change_nothing(
    institution_a, options, message
):
    with pytest.raises(CommandError, match=re.escape(message)):
        for_a(**options)

    assert not ApiClient.objects.exists()
    assert not ApiToken.objects.exists()


def test_help_lists_every_option():
    command: BaseCommand = Command()

    text = command.create_parser("manage.py", "issue_api_token").format_help()

    for option in ("--institution", "--client", "--name", "--email", "--expires-in-days"):
        assert option in text
