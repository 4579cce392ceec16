"""The package is built once the captures have been quiet for a while after the last item was
processed, so that a station's second file of an item never finds the request delivered; a
new capture meanwhile makes it wait again, and a curator's "Build the package" does not wait."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from elvis.workflow.service import perform
from virtual_access.models import DigitisationRequest
from virtual_access.pipeline import capture_stored, settle_item
from virtual_access.tasks import sweep_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet(settings):
    settings.DIGITISATION_PACKAGE_QUIET_SECONDS = 300


@pytest.fixture
def imaged(make_digitisation, make_specimen, make_item, make_capture):
    """A request whose two items each have a processed capture, not yet settled."""
    request = make_digitisation()
    items = [
        make_item(request, make_specimen(number), status="captured")
        for number in ("A-0001", "A-0002")
    ]
    for item in items:
        make_capture(item)
    return request, items


def settle(items, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for item in items:
            settle_item(item.pk)


def test_the_last_processed_item_makes_the_package_due_after_the_quiet_period(
    quiet, imaged, django_capture_on_commit_callbacks
):
    request, items = imaged

    settle(items, django_capture_on_commit_callbacks)

    request.refresh_from_db()
    assert (request.status, request.package_status) == ("in_progress", "none")
    wait = request.package_due_at - timezone.now()
    assert datetime.timedelta(seconds=290) < wait <= datetime.timedelta(seconds=300)


def test_a_capture_in_the_quiet_period_makes_it_wait_again(
    quiet, imaged, make_capture, django_capture_on_commit_callbacks
):
    request, items = imaged
    settle(items, django_capture_on_commit_callbacks)
    DigitisationRequest.objects.filter(pk=request.pk).update(
        package_due_at=timezone.now() + datetime.timedelta(seconds=10)
    )

    capture_stored(make_capture(items[1], status="pending"))

    request.refresh_from_db()
    assert request.package_due_at - timezone.now() > datetime.timedelta(seconds=290)
    assert request.items.get(pk=items[1].pk).status == "captured"


def test_once_due_the_sweeper_builds_and_delivers_it(
    quiet, imaged, django_capture_on_commit_callbacks
):
    request, items = imaged
    settle(items, django_capture_on_commit_callbacks)
    DigitisationRequest.objects.filter(pk=request.pk).update(
        package_due_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        sweep_pipeline()

    request.refresh_from_db()
    assert (request.status, request.package_status) == ("delivered", "built")


def test_the_curators_build_does_not_wait(
    quiet, imaged, curator_a, django_capture_on_commit_callbacks
):
    request, items = imaged
    settle(items, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        perform(request, "build_package", actor=curator_a)

    request.refresh_from_db()
    assert request.status == "delivered"
