"""The visit form's "Check availability" button shows the free places of the facilities chosen
over the proposed days, flags days too full for the team, marks closed and reduced days, and
saves nothing — without JavaScript (a plain submit button the core re-displays)."""

from __future__ import annotations

import datetime

import pytest

from visits.models import CapacityChange, ClosedDay, VisitRequest

from .visits_support import approved_visit, monday_after, submitted_visit, table_rows

pytestmark = pytest.mark.django_db
MONDAY = monday_after(21)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def visited(collection_a):
    collection_a.accepts_visits = True
    collection_a.save()
    return collection_a


@pytest.fixture
def calendar(institution_a, facility_a, visited, curator_a, make_user):
    """Facility A (2 places): one place booked on Tuesday, 1 place on Wednesday, closed on
    Thursday; the weekend is closed too."""
    approved_visit(
        curator=curator_a,
        requester=make_user("other@example.org"),
        collection=visited,
        facility=facility_a,
        start=MONDAY + DAY,
        end=MONDAY + DAY,
    )
    CapacityChange.objects.create(facility=facility_a, date=MONDAY + 2 * DAY, capacity=1)
    ClosedDay.objects.create(institution=institution_a, date=MONDAY + 3 * DAY, reason="Inventory")
    return facility_a


def form_data(collection, facility, *, start, end, co_visitors=1, **extra) -> dict:
    data = {
        "title": "Carabus types",
        "collections": [collection.pk],
        "purpose": "Study the types.",
        "proposed_start": start.isoformat(),
        "proposed_end": end.isoformat(),
        "facilities-TOTAL_FORMS": "1",
        "facilities-INITIAL_FORMS": "0",
        "facilities-0-facility": str(facility.pk) if facility else "",
        "visitors-TOTAL_FORMS": str(max(co_visitors, 1)),
        "visitors-INITIAL_FORMS": "0",
        "_check_availability": "1",
    }
    for n in range(co_visitors):
        data[f"visitors-{n}-name"] = f"Vera {n}"
        data[f"visitors-{n}-email"] = f"vera{n}@example.org"
    return {**data, **extra}


@pytest.fixture
def page(client, researcher, institution_a):
    client.force_login(researcher)

    def post(data: dict):
        return client.post(f"/visits/new/?institution={institution_a.pk}", data)

    return post


def rows(response) -> dict[str, list[str]]:
    return table_rows(response.content, "availability-table")


def text(response) -> str:
    return " ".join(response.content.decode().split())


def test_the_form_offers_a_check_availability_button(client, researcher, institution_a, visited):
    client.force_login(researcher)
    response = client.get(f"/visits/new/?institution={institution_a.pk}")
    assert b'<button type="submit" name="_check_availability"' in response.content
    assert b"availability-table" not in response.content  # only once asked


def test_checking_shows_free_places_per_day_and_saves_nothing(page, visited, calendar):
    response = page(form_data(visited, calendar, start=MONDAY, end=MONDAY + 6 * DAY))
    assert response.status_code == 200
    assert not VisitRequest.objects.filter(title="Carabus types").exists()
    days = rows(response)
    day = lambda n: (MONDAY + n * DAY).isoformat()  # noqa: E731
    assert days[day(0)] == ["2 of 2"]
    assert days[day(1)] == ["1 of 2 too few"]  # one place booked, a team of two
    assert days[day(2)] == ["1 of 1 reduced too few"]
    assert days[day(3)] == ["Closed: not counted"]
    assert days[day(4)] == ["2 of 2"]
    assert days[day(5)] == days[day(6)] == ["Closed: not counted"]


def test_days_with_fewer_free_places_than_the_team_are_flagged(page, visited, calendar):
    response = page(form_data(visited, calendar, start=MONDAY, end=MONDAY + 4 * DAY))
    assert response.content.count(b"data-short>") == 2
    assert "On 2 working days there are fewer free places than your team of 2" in text(response)


def test_a_team_of_one_fits_where_two_do_not(page, visited, calendar):
    data = form_data(visited, calendar, start=MONDAY, end=MONDAY + 4 * DAY, co_visitors=0)
    response = page(data)
    assert b"data-short>" not in response.content
    assert "room for your team of 1 on every working day" in text(response)


def test_co_visitors_ticked_for_deletion_do_not_count(client, researcher, visited, calendar):
    draft = submitted_visit(
        requester=researcher,
        collection=visited,
        facility=calendar,
        start=MONDAY,
        end=MONDAY,
        co_visitors=1,
    )
    VisitRequest.objects.filter(pk=draft.pk).update(status="draft")
    member = draft.co_visitors.get()
    data = form_data(visited, calendar, start=MONDAY, end=MONDAY + 4 * DAY, co_visitors=0)
    data.update({
        "visitors-TOTAL_FORMS": "1", "visitors-INITIAL_FORMS": "1",
        "visitors-0-id": str(member.pk), "visitors-0-visit": str(draft.pk),
        "visitors-0-name": member.name, "visitors-0-email": member.email,
    })  # fmt: skip
    client.force_login(researcher)
    assert client.post(f"/visits/{draft.pk}/edit/", data).content.count(b"data-short>") == 2
    data["visitors-0-DELETE"] = "on"
    assert b"data-short>" not in client.post(f"/visits/{draft.pk}/edit/", data).content
    assert draft.co_visitors.count() == 1  # nothing saved


def test_what_was_typed_is_shown_again(page, visited, calendar):
    response = page(form_data(visited, calendar, start=MONDAY, end=MONDAY + 4 * DAY))
    assert 'name="title" value="Carabus types"' in text(response)
    assert 'name="visitors-0-email" value="vera0@example.org"' in text(response)


@pytest.mark.parametrize(
    ("start", "end", "facility", "message"),
    [
        ("", "", True, "Give the first and the last day proposed."),
        ("not-a-date", "2030-01-01", True, "Give the first and the last day proposed."),
        (MONDAY + DAY, MONDAY, True, "The last day is before the first."),
        (MONDAY, MONDAY + 400 * DAY, True, "Check at most 366 days at a time."),
        (MONDAY, MONDAY + DAY, False, "Choose at least one facility."),
    ],
)
def test_what_cannot_be_checked_is_said_not_a_500(
    page, visited, calendar, start, end, facility, message
):
    data = form_data(visited, calendar if facility else None, start=MONDAY, end=MONDAY + DAY)
    data["proposed_start"] = start.isoformat() if isinstance(start, datetime.date) else start
    data["proposed_end"] = end.isoformat() if isinstance(end, datetime.date) else end
    response = page(data)
    assert response.status_code == 200
    assert message in text(response)
    assert b"availability-table" not in response.content


def test_a_facility_of_another_institution_is_not_checked(page, visited, institution_b):
    from collections_app.models import Facility

    foreign = Facility.objects.create(institution=institution_b, name="Lab B", daily_capacity=3)
    response = page(form_data(visited, foreign, start=MONDAY, end=MONDAY + DAY))
    assert "Choose at least one facility." in response.content.decode()


def test_editing_a_draft_checks_availability_too(client, researcher, visited, calendar):
    draft = submitted_visit(
        requester=researcher, collection=visited, facility=calendar, start=MONDAY, end=MONDAY
    )
    VisitRequest.objects.filter(pk=draft.pk).update(status="draft")
    client.force_login(researcher)
    data = form_data(visited, calendar, start=MONDAY, end=MONDAY + DAY, co_visitors=0)
    response = client.post(f"/visits/{draft.pk}/edit/", data)
    assert response.status_code == 200
    assert rows(response)[MONDAY.isoformat()] == ["2 of 2"]
    draft.refresh_from_db()
    assert draft.title == "Revision of Carabus"  # nothing saved
