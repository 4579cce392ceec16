"""Shared fixtures: role-named users at two institutions (A and B), as every test speaks of them."""

from __future__ import annotations

import datetime
import os

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from collections_app.models import Collection, Facility, Institution, Membership, Specimen
from elvis.db_timeouts import limit_statements

PASSWORD = "correct-horse-battery-9"
# The day the test session started. Test modules compute their dates at import; the code asks
# timezone.localdate() later. A run that crosses midnight must not see two different todays.
SESSION_TODAY = datetime.date.today()


@pytest.fixture(autouse=True)
def _one_today_per_session(monkeypatch) -> None:
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: SESSION_TODAY)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Importing ``elvis.wsgi`` (a test module does, as it is collected) gives this whole process
    the web's statement timeout, which every connection opened after it (the test database's
    own) would keep: a demo seeding on a busy machine was cancelled at 10 s so. Tests run as a
    management command does, with no limit, unless one sets its own (``test_statement_timeout``)."""
    limit_statements(0)


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request in another language leaves it active in the thread (Django activates one per
    request and never resets it): every test starts in the default language, English."""
    yield
    translation.deactivate()


#: Broker integration tests: marker → the variable that names the broker, and an example URL.
BROKER_MARKERS = {
    "redis": ("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    "rabbitmq": ("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}


def pytest_report_header(config) -> list[str]:
    lines = []
    for marker, (variable, example) in BROKER_MARKERS.items():
        name = "Redis" if marker == "redis" else "RabbitMQ"
        if os.environ.get(variable):
            lines.append(f"{name} broker tests: on ({os.environ[variable]})")
        else:
            hint = f"set {variable}={example}; CI's PostgreSQL pass does"
            lines.append(f"{name} broker tests: NOT RUN ({hint})")
    return lines


def pytest_collection_modifyitems(config, items) -> None:
    """A broker's tests are deselected when its variable is unset, and the header says so."""
    off = {m for m, (variable, _) in BROKER_MARKERS.items() if not os.environ.get(variable)}
    deselected = [item for item in items if any(item.get_closest_marker(m) for m in off)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


@pytest.fixture
def institution_a(db) -> Institution:
    return Institution.objects.create(code="INSTA", name="Institution A", country="GB")


@pytest.fixture
def institution_b(db) -> Institution:
    return Institution.objects.create(code="INSTB", name="Institution B", country="DE")


@pytest.fixture
def collection_a(institution_a) -> Collection:
    return Collection.objects.create(
        institution=institution_a, code="ENT", name="Entomology", discipline="Entomology"
    )


@pytest.fixture
def collection_b(institution_b) -> Collection:
    return Collection.objects.create(
        institution=institution_b, code="BOT", name="Herbarium", discipline="Botany"
    )


@pytest.fixture
def facility_a(institution_a) -> Facility:
    return Facility.objects.create(
        institution=institution_a, name="Imaging suite", daily_capacity=2
    )


@pytest.fixture
def specimen_a(collection_a) -> Specimen:
    return Specimen.objects.create(
        collection=collection_a,
        catalog_number="A-0001",
        scientific_name="Carabus auratus",
        family="Carabidae",
        country="FR",
    )


def _user(email: str, **extra):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(email=email, password=PASSWORD, **extra)


@pytest.fixture
def make_user(db):
    return _user


@pytest.fixture
def researcher(db):
    return _user("researcher@example.org", full_name="Rita Researcher")


@pytest.fixture
def outsider(db):
    return _user("outsider@example.org", full_name="Otto Outsider")


@pytest.fixture
def coordinator_a(institution_a):
    user = _user("coordinator-a@example.org", full_name="Cora Coordinator")
    Membership.objects.create(
        user=user, institution=institution_a, role=Membership.Role.COORDINATOR
    )
    return user


@pytest.fixture
def curator_a(institution_a):
    user = _user("curator-a@example.org", full_name="Carl Curator")
    Membership.objects.create(user=user, institution=institution_a, role=Membership.Role.CURATOR)
    return user


@pytest.fixture
def curator_b(institution_b):
    user = _user("curator-b@example.org", full_name="Berta Curator")
    Membership.objects.create(user=user, institution=institution_b, role=Membership.Role.CURATOR)
    return user


@pytest.fixture
def coordinator_b(institution_b):
    user = _user("coordinator-b@example.org", full_name="Bea Coordinator")
    Membership.objects.create(
        user=user, institution=institution_b, role=Membership.Role.COORDINATOR
    )
    return user


@pytest.fixture
def site_staff(db):
    return _user("staff@example.org", full_name="Sam Staff", is_staff=True)


@pytest.fixture
def superuser(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser(email="root@example.org", password=PASSWORD)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as(api):
    """``api_as(user)``: an API client authenticated as ``user`` (forced, no token round trip)."""

    def _as(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _as


@pytest.fixture
def make_loan(researcher, institution_a, collection_a, specimen_a):
    """``make_loan(status=..., **fields)``: a loan from the researcher to institution A with one
    catalogued specimen and one described lot. The status is set directly: test set-up only.
    Past the draft stage it counts as submitted once (the institution sees it)."""
    import datetime

    from loans.models import LoanItem, LoanRequest

    def _make(status: str = "draft", requester=None, specimens=None, **fields):
        today = datetime.date.today()
        loan = LoanRequest.objects.create(
            requester=requester or researcher,
            institution=institution_a,
            title=fields.pop("title", "Revision of Carabus"),
            purpose="Morphological revision of the genus.",
            requested_start=today + datetime.timedelta(days=10),
            requested_end=today + datetime.timedelta(days=100),
            borrower_institution="University of Oslo, Natural History Museum",
            shipping_address="Sars gate 1, 0562 Oslo, Norway",
            **fields,
        )
        loan.collections.add(collection_a)
        for specimen in specimens if specimens is not None else [specimen_a]:
            LoanItem.objects.create(loan=loan, specimen=specimen)
        LoanItem.objects.create(loan=loan, description="20 unsorted Carabidae, drawer 14")
        if status != "draft":
            LoanRequest.objects.filter(pk=loan.pk).update(
                status=status, submitted_at=loan.submitted_at or loan.created_at
            )
            loan.refresh_from_db()
        return loan

    return _make


@pytest.fixture
def downloaded_attachment(api_as, make_loan, researcher, settings, tmp_path):
    """The answer to downloading a PDF the researcher attached to a submitted loan (API)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    loan = make_loan(status="submitted")
    pdf = SimpleUploadedFile("p.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    client = api_as(researcher)
    created = client.post(
        f"/api/v1/loan-requests/{loan.pk}/attachments/", {"file": pdf}, format="multipart"
    )
    return client.get(created.json()["download_url"])


# The digitisation tests' fixtures: a request in progress, specimens, items, test images and
# hand-made processed captures (``tests/digitisation_support.py``).
from tests.digitisation_support import (  # noqa: E402, F401
    delivered_set,
    dig_request,
    make_capture,
    make_digitisation,
    make_item,
    make_specimen,
    media,
)
