"""The delivered package: downloaded by whoever may see the request, and through private links
that expire, can be revoked and log each use; other people's requests are a 404."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from virtual_access import tasks
from virtual_access.models import DigitisationRequest, Download, DownloadLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(delivered_set):
    assert tasks.build_package(delivered_set.pk) == "delivered"
    return DigitisationRequest.objects.get(pk=delivered_set.pk)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _body(answer) -> bytes:
    return b"".join(answer.streaming_content)


def _make_link(client, request) -> str:
    answer = client.post(f"/virtual_access/{request.pk}/links/")
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"] or "no-cache" in answer["Cache-Control"]
    match = re.search(r'value="(http[^"]+/virtual_access/download/[A-Za-z0-9_-]+/)"', answer.text)
    assert match, answer.text
    return match.group(1).split("testserver", 1)[-1].replace("http://127.0.0.1:8000", "")


def test_the_requester_downloads_the_package_from_the_timeline(delivered, researcher, media):
    client = _client(researcher)
    page = client.get(f"/virtual_access/{delivered.pk}/")
    assert f"/virtual_access/{delivered.pk}/package/" in page.text
    assert f"/virtual_access/{delivered.pk}/images/" in page.text
    answer = client.get(f"/virtual_access/{delivered.pk}/package/")
    assert answer.status_code == 200
    assert answer["Content-Disposition"] == f'attachment; filename="{delivered.reference}.zip"'
    assert answer["Cache-Control"] == "private, no-store"
    body = _body(answer)
    assert hashlib.sha256(body).hexdigest() == delivered.package_sha256


def test_the_institutions_curator_downloads_it_too(delivered, curator_a):
    assert _client(curator_a).get(f"/virtual_access/{delivered.pk}/package/").status_code == 200


@pytest.mark.parametrize("who", ["outsider", "curator_b"])
def test_another_users_request_is_a_404(delivered, who, request):
    client = _client(request.getfixturevalue(who))
    assert client.get(f"/virtual_access/{delivered.pk}/package/").status_code == 404
    assert client.post(f"/virtual_access/{delivered.pk}/links/").status_code == 404
    assert client.get(f"/virtual_access/{delivered.pk}/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(delivered):
    answer = Client().get(f"/virtual_access/{delivered.pk}/package/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_no_package_before_delivery(make_digitisation, researcher):
    request = make_digitisation()
    client = _client(researcher)
    assert client.get(f"/virtual_access/{request.pk}/package/").status_code == 404
    assert client.post(f"/virtual_access/{request.pk}/links/").status_code == 404


def test_a_private_link_downloads_without_login_and_each_use_is_logged(delivered, researcher):
    url = _make_link(_client(researcher), delivered)
    link = DownloadLink.objects.get()
    assert len(link.token_hash) == 64 and link.token_hash not in url
    assert link.expires_at - timezone.now() > timedelta(days=29)
    anonymous = Client(HTTP_USER_AGENT="curl/8.5", REMOTE_ADDR="192.0.2.7")
    for _ in range(2):
        answer = anonymous.get(url)
        assert answer.status_code == 200
        assert answer["Content-Disposition"] == f'attachment; filename="{delivered.reference}.zip"'
        assert hashlib.sha256(_body(answer)).hexdigest() == delivered.package_sha256
    uses = list(Download.objects.filter(link=link))
    assert len(uses) == 2
    assert {(u.address, u.user_agent) for u in uses} == {("192.0.2.7", "curl/8.5")}
    timeline = _client(researcher).get(f"/virtual_access/{delivered.pk}/")
    assert f"/virtual_access/{delivered.pk}/links/{link.pk}/revoke/" in timeline.text


def test_an_expired_link_is_refused(delivered, researcher):
    url = _make_link(_client(researcher), delivered)
    DownloadLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = Client().get(url)
    assert answer.status_code == 404
    assert "expired" in answer.text
    assert not Download.objects.exists()


def test_a_revoked_link_is_refused_after_a_confirmation_that_works_without_javascript(
    delivered, researcher
):
    client = _client(researcher)
    url = _make_link(client, delivered)
    link = DownloadLink.objects.get()
    revoke = f"/virtual_access/{delivered.pk}/links/{link.pk}/revoke/"
    confirm = client.get(revoke)
    assert confirm.status_code == 200
    assert f'<form method="post" action="{revoke}">' in confirm.text
    assert DownloadLink.objects.get().revoked_at is None  # a GET changes nothing
    assert client.post(revoke).status_code == 302
    assert DownloadLink.objects.get().revoked_at is not None
    assert Client().get(url).status_code == 404
    assert not Download.objects.exists()


def test_an_unknown_token_is_the_same_404(delivered):
    assert Client().get("/virtual_access/download/" + "x" * 43 + "/").status_code == 404
    assert Client().get("/virtual_access/download/short/").status_code == 404


def test_someone_elses_link_cannot_be_revoked(delivered, researcher, outsider):
    _make_link(_client(researcher), delivered)
    link = DownloadLink.objects.get()
    answer = _client(outsider).post(f"/virtual_access/{delivered.pk}/links/{link.pk}/revoke/")
    assert answer.status_code == 404
    assert DownloadLink.objects.get().revoked_at is None
