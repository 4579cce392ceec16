"""The account pages: sign-up, e-mail login, logout, profile, password reset and lockout."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "lichen-on-granite-42"


def field_errors(html: str, field: str) -> str:
    """The error list rendered next to ``field`` (Django ties it to the input by its id)."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


def logged_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


# -- sign-up -------------------------------------------------------------------------------------


@pytest.fixture
def signup_data(institution_a) -> dict[str, str]:
    return {
        "email": "Nina.Newcomer@Example.org",
        "full_name": "Nina Newcomer",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "orcid": "https://orcid.org/0000-0002-1694-233x",
        "home_institution_name": "University of Somewhere",
        "home_institution": str(institution_a.pk),
    }


def test_signup_creates_the_account_logs_in_and_opens_the_profile(
    client, signup_data, institution_a
):
    response = client.post(reverse("signup"), signup_data)

    assert response.status_code == 302
    assert response["Location"] == reverse("profile")
    user = User.objects.get()
    assert user.email == "nina.newcomer@example.org"
    assert user.full_name == "Nina Newcomer"
    assert user.orcid == "0000-0002-1694-233X"
    assert user.home_institution == institution_a
    assert user.check_password(NEW_PASSWORD)
    assert logged_in_user_id(client) == str(user.pk)
    assert "Your account is ready" in client.get(reverse("profile")).content.decode()


def test_signup_rejects_an_email_already_used_in_another_case(client, signup_data, researcher):
    signup_data["email"] = "Researcher@EXAMPLE.org"

    response = client.post(reverse("signup"), signup_data)

    assert response.status_code == 200
    assert "An account with this e-mail already exists" in field_errors(
        response.content.decode(), "email"
    )
    assert User.objects.count() == 1


def test_signup_shows_a_bad_orcid_checksum_next_to_the_field(client, signup_data):
    signup_data["orcid"] = "0000-0002-1825-0098"

    response = client.post(reverse("signup"), signup_data)

    html = response.content.decode()
    assert "check digit is wrong" in field_errors(html, "orcid")
    assert re.search(r'<input[^>]*name="orcid"[^>]*aria-invalid="true"', html)
    assert not User.objects.exists()


def test_signup_rejects_mismatched_passwords(client, signup_data):
    signup_data["password2"] = NEW_PASSWORD + "-typo"

    response = client.post(reverse("signup"), signup_data)

    assert "password fields didn" in field_errors(response.content.decode(), "password2")
    assert not User.objects.exists()


def test_signup_applies_django_password_validators(client, signup_data):
    signup_data["password1"] = signup_data["password2"] = "12345678"

    response = client.post(reverse("signup"), signup_data)

    assert "too common" in field_errors(response.content.decode(), "password2")


def test_signup_keeps_what_the_user_typed_after_an_error(client, signup_data, institution_a):
    signup_data["password2"] = "something else entirely"

    html = client.post(reverse("signup"), signup_data).content.decode()

    assert 'value="Nina.Newcomer@Example.org"' in html
    assert 'value="Nina Newcomer"' in html
    assert 'value="https://orcid.org/0000-0002-1694-233x"' in html
    assert 'value="University of Somewhere"' in html
    assert f'<option value="{institution_a.pk}" selected>' in html


def test_signup_sends_a_logged_in_user_to_the_profile(client, researcher):
    client.force_login(researcher)

    response = client.get(reverse("signup"))

    assert response.status_code == 302
    assert response["Location"] == reverse("profile")


# -- login and logout ----------------------------------------------------------------------------


def test_login_form_labels_the_login_field_e_mail(client):
    html = client.get(reverse("login")).content.decode()

    assert re.search(r'<label for="id_username">E-mail:?</label>', html)
    assert 'type="email" name="username"' in html


def test_login_accepts_the_email_in_another_case(client, researcher):
    response = client.post(
        reverse("login"), {"username": "RESEARCHER@Example.ORG", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert logged_in_user_id(client) == str(researcher.pk)


def test_login_with_a_wrong_password_shows_an_error_and_keeps_the_email(client, researcher):
    response = client.post(
        reverse("login"), {"username": "researcher@example.org", "password": "wrong"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Please enter a correct e-mail and password" in html
    assert 'value="researcher@example.org"' in html
    assert logged_in_user_id(client) is None


def test_logout_is_a_post_that_ends_the_session(client, researcher):
    client.force_login(researcher)

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert logged_in_user_id(client) is None


def test_every_page_offers_logout_as_a_csrf_protected_post_form(client, researcher):
    client.force_login(researcher)

    html = client.get(reverse("home")).content.decode()

    form = re.search(
        rf'<form[^>]*method="post" action="{reverse("logout")}">(.*?)</form>', html, re.S
    )
    assert form
    assert 'name="csrfmiddlewaretoken"' in form.group(1)


def test_too_many_failed_logins_in_any_case_show_the_lockout_page(client, researcher):
    spellings = ["researcher@example.org", "Researcher@Example.org", "RESEARCHER@EXAMPLE.ORG"]
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = {"username": spellings[attempt % len(spellings)], "password": "wrong"}
        assert client.post(reverse("login"), wrong).status_code == 200

    response = client.post(reverse("login"), wrong)
    retry = client.post(reverse("login"), {**wrong, "password": PASSWORD})

    for locked in (response, retry):
        assert locked.status_code == 429
        assert "registration/locked_out.html" in [t.name for t in locked.templates]
        assert "Too many failed log-ins" in locked.content.decode()
    assert logged_in_user_id(client) is None


def test_a_lockout_does_not_block_other_accounts_from_the_same_address(
    client, researcher, outsider
):
    wrong = {"username": researcher.email, "password": "wrong"}
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), wrong)

    response = client.post(reverse("login"), {"username": outsider.email, "password": PASSWORD})

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(outsider.pk)


def test_a_successful_login_clears_the_failure_count(client, researcher):
    wrong = {"username": "Researcher@Example.org", "password": "wrong"}
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), wrong)
    client.post(reverse("login"), {"username": researcher.email, "password": PASSWORD})
    client.post(reverse("logout"))

    response = client.post(reverse("login"), wrong)

    assert response.status_code == 200


# -- profile -------------------------------------------------------------------------------------


def test_profile_requires_login(client):
    response = client.get(reverse("profile"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('profile')}"


def test_profile_updates_name_orcid_and_home_institution(client, researcher, institution_b):
    client.force_login(researcher)

    response = client.post(
        reverse("profile"),
        {
            "full_name": "Rita R. Researcher",
            "orcid": " http://orcid.org/0000-0001-5109-3700 ",
            "home_institution_name": "Museum für Naturkunde",
            "home_institution": str(institution_b.pk),
        },
    )

    assert response.status_code == 302
    researcher.refresh_from_db()
    assert researcher.full_name == "Rita R. Researcher"
    assert researcher.orcid == "0000-0001-5109-3700"
    assert researcher.home_institution == institution_b
    assert "Your profile has been saved" in client.get(reverse("profile")).content.decode()


def test_profile_keeps_the_users_own_orcid_and_rejects_one_taken_by_another(
    client, researcher, outsider
):
    User.objects.filter(pk=outsider.pk).update(orcid="0000-0002-1825-0097")
    User.objects.filter(pk=researcher.pk).update(orcid="0000-0001-5109-3700")
    client.force_login(researcher)
    data = {"full_name": "Rita Researcher", "home_institution_name": "", "home_institution": ""}

    kept = client.post(reverse("profile"), {**data, "orcid": "0000-0001-5109-3700"})
    taken = client.post(reverse("profile"), {**data, "orcid": "0000-0002-1825-0097"})

    assert kept.status_code == 302
    assert "already belongs to another account" in field_errors(taken.content.decode(), "orcid")


def test_profile_shows_a_bad_orcid_next_to_the_field_and_saves_nothing(client, researcher):
    client.force_login(researcher)

    response = client.post(
        reverse("profile"),
        {"full_name": "Changed Name", "orcid": "0000-0002-1825", "home_institution_name": ""},
    )

    html = response.content.decode()
    assert "Enter an ORCID iD as 0000-0000-0000-0000" in field_errors(html, "orcid")
    assert 'value="Changed Name"' in html
    researcher.refresh_from_db()
    assert researcher.full_name == "Rita Researcher"


def test_profile_lists_the_users_roles(client, curator_a, institution_a):
    client.force_login(curator_a)

    html = client.get(reverse("profile")).content.decode()

    assert "Curator / collection manager" in html
    assert institution_a.name in html


# -- password reset ------------------------------------------------------------------------------


def test_password_reset_mails_a_link_that_sets_a_working_new_password(client, researcher):
    response = client.post(reverse("password_reset"), {"email": "Researcher@Example.org"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["researcher@example.org"]
    assert message.subject == "Choose a new ELViS password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)

    set_password_url = client.get(link)["Location"]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done["Location"] == reverse("password_reset_complete")
    assert client.post(
        reverse("login"), {"username": "researcher@example.org", "password": NEW_PASSWORD}
    )["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert logged_in_user_id(client) == str(researcher.pk)


def test_password_reset_for_an_unknown_email_sends_nothing_but_says_the_same(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})

    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_used_password_reset_link_says_it_has_expired(client, researcher):
    client.post(reverse("password_reset"), {"email": researcher.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    set_password_url = client.get(link)["Location"]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = client.get(link)

    assert "This link has expired" in response.content.decode()


def test_password_change_needs_the_old_password_and_sets_the_new_one(client, researcher):
    client.force_login(researcher)
    url = reverse("password_change")

    wrong_old = client.post(
        url,
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    changed = client.post(
        url,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert "old password was entered incorrectly" in field_errors(
        wrong_old.content.decode(), "old_password"
    )
    assert changed["Location"] == reverse("password_change_done")
    researcher.refresh_from_db()
    assert researcher.check_password(NEW_PASSWORD)
