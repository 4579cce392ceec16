"""A webhook's payload is in the default language, whatever language the person who caused the
event was using: partners parse labels such as ``status_display``."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from elvis.workflow.service import perform
from tests.webhooks_support import partner_of, subscription_for
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


def test_a_transition_made_in_french_is_delivered_in_english(make_loan, curator_a, institution_a):
    subscription_for(partner_of(institution_a), institution_a, "https://partner.example.org/hook")
    loan = make_loan(status="submitted")

    with translation.override("fr"):
        perform(loan, "approve", actor=curator_a)

    data = json.loads(Delivery.objects.get(event="loan.approved").body)["data"]
    assert (data["status"], data["status_display"]) == ("approved", "Approved")
