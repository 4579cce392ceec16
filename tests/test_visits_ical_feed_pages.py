"""The calendar-feed pages: a signed-in user makes a feed of what they may follow, sees its
address once, and revokes it from a confirmation page that works without JavaScript; another
user's feed is a 404 there."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from collections_app.models import Facility
from visits import feeds
from visits.models import CalendarFeed

from .visits_ical_support import feed_for, fetch

pytestmark = pytest.mark.django_db

Scope = CalendarFeed.Scope
FEEDS = "/visits/feeds/"


def test_the_page_needs_a_login(client):
    response = client.get(FEEDS)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_new_feeds_address_is_absolute_and_shown_once(client, curator_a, institution_a, settings):
    settings.SITE_URL = "https://elvis.example.org"
    client.force_login(curator_a)

    response = client.post(FEEDS, {"scope": "institution", "institution": institution_a.pk})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [url] = re.findall(r'value="(https://elvis\.example\.org/visits/feeds/[^"]+\.ics)"',
                       response.content.decode())  # fmt: skip
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = CalendarFeed.objects.get()
    assert (feed.owner, feed.scope, feed.institution) == (curator_a, "institution", institution_a)
    assert feed.token == feeds.hash_token(token)
    assert fetch(token).status_code == 200
    assert token not in client.get(FEEDS).content.decode()


def test_a_researcher_is_offered_only_their_own_visits(client, researcher, institution_a):
    client.force_login(researcher)

    page = client.get(FEEDS).content.decode()
    forged = client.post(FEEDS, {"scope": "institution", "institution": institution_a.pk})

    assert 'value="researcher"' in page and 'value="institution"' not in page
    assert forged.status_code == 400
    assert not CalendarFeed.objects.exists()


def test_a_curator_is_offered_only_their_institutions_and_facilities(
    client, curator_a, institution_a, institution_b, facility_a
):
    facility_b = Facility.objects.create(institution=institution_b, name="Lab B")
    client.force_login(curator_a)

    form = client.get(FEEDS).context["form"]

    assert list(form.fields["institution"].queryset) == [institution_a]
    assert list(form.fields["facility"].queryset) == [facility_a]
    for forged in ({"scope": "institution", "institution": institution_b.pk},
                   {"scope": "facility", "facility": facility_b.pk}):  # fmt: skip
        assert client.post(FEEDS, forged).status_code == 400
    assert not CalendarFeed.objects.exists()


def test_an_institution_feed_needs_its_institution(client, curator_a):
    client.force_login(curator_a)

    response = client.post(FEEDS, {"scope": "institution"})

    assert response.status_code == 400
    assert response.context["form"].errors["institution"]


def test_the_list_shows_the_users_feeds_and_not_others(
    client, curator_a, researcher, institution_a
):
    feed_for(curator_a, Scope.INSTITUTION, institution=institution_a)
    feed_for(researcher, Scope.RESEARCHER)
    client.force_login(researcher)

    shown = client.get(FEEDS).context["feeds"]

    assert [feed.owner for feed in shown] == [researcher]


def test_revoking_asks_first_then_revokes_on_post(client, researcher):
    token = feed_for(researcher, Scope.RESEARCHER)
    feed = CalendarFeed.objects.get()
    url = reverse("visits:feed-revoke", args=[feed.pk])
    client.force_login(researcher)

    confirmation = client.get(url)

    assert confirmation.status_code == 200
    assert f'<form method="post" action="{url}">' in confirmation.content.decode()
    assert fetch(token).status_code == 200

    response = client.post(url)

    assert response.status_code == 302 and response["Location"] == FEEDS
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert fetch(token).status_code == 404


def test_another_users_feed_cannot_be_revoked_or_seen(client, researcher, outsider):
    token = feed_for(researcher, Scope.RESEARCHER)
    url = reverse("visits:feed-revoke", args=[CalendarFeed.objects.get().pk])
    client.force_login(outsider)

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert CalendarFeed.objects.get().revoked_at is None
    assert fetch(token).status_code == 200


def test_the_visits_list_links_to_the_feeds(client, researcher):
    client.force_login(researcher)

    assert f'href="{FEEDS}"' in client.get("/visits/").content.decode()
