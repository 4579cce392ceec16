"""The custom user: its manager, e-mail as a case-insensitive login, and ORCID iD validation."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.orcid import normalize_orcid, orcid_check_digit, validate_orcid
from tests.conftest import PASSWORD

User = get_user_model()

VALID_ORCIDS = ["0000-0002-1825-0097", "0000-0001-5109-3700", "0000-0002-1694-233X"]


# -- manager -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_user_stores_a_lower_cased_email_and_a_hashed_password():
    user = User.objects.create_user(email="Ana.Lopez@MUSEUM.Example", password=PASSWORD)

    assert user.email == "ana.lopez@museum.example"
    assert user.password != PASSWORD
    assert user.check_password(PASSWORD)
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, False, False)


@pytest.mark.django_db
def test_create_user_without_a_password_makes_an_account_that_cannot_log_in():
    user = User.objects.create_user(email="partner-system@example.org")

    assert not user.has_usable_password()


@pytest.mark.django_db
def test_create_user_requires_an_email():
    with pytest.raises(ValueError, match="e-mail"):
        User.objects.create_user(email="", password=PASSWORD)


@pytest.mark.django_db
def test_create_superuser_is_staff_and_superuser():
    root = User.objects.create_superuser(email="Root@Example.org", password=PASSWORD)

    assert (root.email, root.is_staff, root.is_superuser) == ("root@example.org", True, True)


@pytest.mark.django_db
@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_create_superuser_refuses_to_drop_its_flags(flag):
    with pytest.raises(ValueError, match="superuser"):
        User.objects.create_superuser(email="root@example.org", password=PASSWORD, **{flag: False})


@pytest.mark.django_db
def test_email_is_unique(researcher):
    with pytest.raises(IntegrityError):
        User.objects.create_user(email=researcher.email, password=PASSWORD)


def test_user_is_shown_by_name_and_email():
    assert str(User(email="rita@example.org", full_name="Rita Researcher")) == (
        "Rita Researcher <rita@example.org>"
    )
    assert str(User(email="rita@example.org")) == "rita@example.org"
    assert User(email="rita@example.org", full_name="Rita Researcher").get_short_name() == "Rita"


# -- e-mail login --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed", ["researcher@example.org", "Researcher@Example.org", "RESEARCHER@EXAMPLE.ORG"]
)
def test_login_email_is_case_insensitive(rf, researcher, typed):
    user = authenticate(rf.post("/accounts/login/"), email=typed, password=PASSWORD)

    assert user == researcher


@pytest.mark.django_db
def test_natural_key_lookup_ignores_case(researcher):
    assert User.objects.get_by_natural_key("Researcher@EXAMPLE.org") == researcher


@pytest.mark.django_db
def test_full_clean_lower_cases_the_email():
    user = User(email="Mixed.Case@Example.ORG", full_name="Mixed Case")
    user.set_password(PASSWORD)

    user.full_clean()

    assert user.email == "mixed.case@example.org"


# -- ORCID iD ------------------------------------------------------------------------------------


@pytest.mark.parametrize("orcid", VALID_ORCIDS)
def test_valid_orcid_ids_pass_validation(orcid):
    validate_orcid(orcid)


@pytest.mark.parametrize("orcid", VALID_ORCIDS)
def test_the_check_digit_is_computed_from_the_first_fifteen_digits(orcid):
    digits = orcid.replace("-", "")

    assert orcid_check_digit(digits[:15]) == digits[15]


def test_a_wrong_check_digit_is_rejected_as_a_typing_error():
    with pytest.raises(ValidationError) as error:
        validate_orcid("0000-0002-1825-0098")

    assert error.value.code == "orcid_checksum"


@pytest.mark.parametrize(
    "orcid",
    [
        "0000-0002-1825-009",
        "0000-0002-1825-00977",
        "0000000218250097",
        "0000-0002-1825-009Y",
        "X000-0002-1825-0097",
        "https://example.org/0000-0002-1825-0097",
        "not an orcid",
    ],
)
def test_badly_formatted_orcid_ids_are_rejected(orcid):
    with pytest.raises(ValidationError) as error:
        validate_orcid(orcid)

    assert error.value.code == "orcid_format"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://orcid.org/0000-0002-1825-0097", "0000-0002-1825-0097"),
        ("http://orcid.org/0000-0001-5109-3700", "0000-0001-5109-3700"),
        ("HTTPS://ORCID.ORG/0000-0002-1694-233x", "0000-0002-1694-233X"),
        ("orcid.org/0000-0002-1694-233X", "0000-0002-1694-233X"),
        ("  0000-0002-1694-233x ", "0000-0002-1694-233X"),
    ],
)
def test_orcid_urls_and_lower_case_check_characters_are_normalised(typed, stored):
    validate_orcid(typed)

    assert normalize_orcid(typed) == stored


@pytest.mark.django_db
def test_full_clean_normalises_a_lower_case_check_character():
    user = User(email="x@example.org", full_name="X", orcid="0000-0002-1694-233x")
    user.set_password(PASSWORD)

    user.full_clean()

    assert user.orcid == "0000-0002-1694-233X"


@pytest.mark.django_db
def test_full_clean_rejects_a_bad_orcid_on_the_orcid_field():
    user = User(email="x@example.org", full_name="X", orcid="0000-0002-1825-0098")
    user.set_password(PASSWORD)

    with pytest.raises(ValidationError) as error:
        user.full_clean()

    assert list(error.value.message_dict) == ["orcid"]


@pytest.mark.django_db
def test_two_accounts_cannot_share_an_orcid_but_many_may_have_none(researcher, outsider):
    User.objects.filter(pk=researcher.pk).update(orcid=VALID_ORCIDS[0])

    with pytest.raises(IntegrityError):
        User.objects.filter(pk=outsider.pk).update(orcid=VALID_ORCIDS[0])
