"""The API speaks JSON only: a logged-in browser (``Accept: text/html``) or ``?format=api`` gets
JSON — the resource, a 404 for the unknown format or a 406 — never a 500 from rendering the
browsable API. People read the interactive docs at /api/v1/docs/ instead."""

from __future__ import annotations

import pytest

from elvis.workflow.service import perform
from loans.models import LoanComment
from webhooks.models import Delivery

from . import webhooks_support as support

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def pages(make_loan, researcher, curator_a, coordinator_a, institution_a) -> dict[str, tuple]:
    """Each API page a browser might open, with a user who may see it."""
    subscription = support.subscription_for(
        coordinator_a, institution_a, "https://partner.example/hooks"
    )
    loan = make_loan(status="submitted")
    perform(loan, "start_review", actor=curator_a)
    LoanComment.objects.create(request=loan, author=researcher, body="Any news?")
    delivery = Delivery.objects.get()
    hook = f"/api/v1/webhooks/{subscription.pk}/"
    return {
        "loan list": ("/api/v1/loan-requests/", researcher),
        "loan": (f"/api/v1/loan-requests/{loan.pk}/", researcher),
        "comments": (f"/api/v1/loan-requests/{loan.pk}/comments/", researcher),
        "attachments": (f"/api/v1/loan-requests/{loan.pk}/attachments/", researcher),
        "webhooks": ("/api/v1/webhooks/", coordinator_a),
        "webhook": (hook, coordinator_a),
        "deliveries": (f"{hook}deliveries/", coordinator_a),
        "delivery": (f"{hook}deliveries/{delivery.pk}/", coordinator_a),
        "institutions": ("/api/v1/institutions/", researcher),
        "api root": ("/api/v1/", researcher),
    }


PAGES = [
    "loan list",
    "loan",
    "comments",
    "attachments",
    "webhooks",
    "webhook",
    "deliveries",
    "delivery",
    "institutions",
    "api root",
]


@pytest.mark.parametrize("page", PAGES)
def test_a_logged_in_browser_gets_the_resource_as_json(client, pages, page):
    path, user = pages[page]
    client.force_login(user)

    response = client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert isinstance(response.json(), dict | list)


@pytest.mark.parametrize("page", PAGES)
def test_asking_for_html_only_is_a_406_in_json(client, pages, page):
    path, user = pages[page]
    client.force_login(user)

    response = client.get(path, HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.parametrize("page", PAGES)
def test_the_browsable_format_is_a_404_in_json(client, pages, page):
    path, user = pages[page]
    client.force_login(user)

    response = client.get(path, {"format": "api"}, HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_the_interactive_docs_are_still_an_html_page(client):
    response = client.get("/api/v1/docs/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_nothing_in_the_api_offers_the_browsable_renderer():
    from rest_framework.settings import api_settings

    assert [r.format for r in api_settings.DEFAULT_RENDERER_CLASSES] == ["json"]
