"""The curators' month view: only the institution's handlers (and site staff) see it, it shows
who visits when and the free places per facility per day, it moves by month across the year's
end, bad input is a 400 page, and it costs the same queries for 1 visit as for 20."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app.models import Facility, Membership
from visits.models import CapacityChange, ClosedDay

from .visits_support import approved_visit, monday_after, table_rows

pytestmark = pytest.mark.django_db
URL = "/visits/calendar/"
DAY = datetime.timedelta(days=1)


def _monday_early_in_a_month() -> datetime.date:
    """A Monday five weeks or more ahead whose week lies within its month."""
    day = monday_after(35)
    while day.day > 20:
        day += 7 * DAY
    return day


MONDAY = _monday_early_in_a_month()
MONTH = MONDAY.strftime("%Y-%m")


@pytest.fixture
def visited(collection_a):
    collection_a.accepts_visits = True
    collection_a.save()
    return collection_a


@pytest.fixture
def visit(curator_a, researcher, visited, facility_a):
    """Two visitors in facility A (2 places) from Monday to Wednesday."""
    return approved_visit(
        curator=curator_a,
        requester=researcher,
        collection=visited,
        facility=facility_a,
        start=MONDAY,
        end=MONDAY + 2 * DAY,
        co_visitors=1,
    )


def get(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


def text(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.mark.parametrize("who", ["curator_a", "coordinator_a", "site_staff"])
def test_the_institutions_handlers_and_site_staff_see_its_month(
    client, request, who, institution_a, visit
):
    response = get(client, request.getfixturevalue(who), institution=institution_a.pk, month=MONTH)
    assert response.status_code == 200
    assert visit.reference in text(response)


@pytest.mark.parametrize("who", ["curator_b", "researcher", "outsider"])
def test_anyone_else_gets_a_404(client, request, who, institution_a, visit):
    user = request.getfixturevalue(who)
    assert get(client, user, institution=institution_a.pk, month=MONTH).status_code == 404


def test_people_who_handle_no_institution_get_a_404_even_without_parameters(client, outsider):
    assert get(client, outsider).status_code == 404


def test_an_unknown_institution_is_a_404(client, curator_a):
    assert get(client, curator_a, institution=999999).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_without_parameters_the_first_handled_institution_and_this_month_are_shown(
    client, curator_a, institution_a, institution_b
):
    Membership.objects.create(user=curator_a, institution=institution_b, role="curator")
    response = get(client, curator_a)
    assert response.status_code == 200
    assert response.context["institution"] == institution_a  # INSTA before INSTB
    assert response.context["month"] == datetime.date.today().replace(day=1)


@pytest.mark.parametrize(
    "params",
    [
        {"month": "2027-13"},
        {"month": "2027-1"},
        {"month": "last month"},
        {"month": "0000-01"},
        {"institution": "NHM"},
        {"institution": "-1"},
        {"institution": "99999999999999999999999"},
    ],
)
def test_bad_input_is_a_400_page_not_a_500(client, curator_a, institution_a, params):
    response = get(client, curator_a, **params)
    assert response.status_code == 400
    assert 'class="errorlist' in text(response)


def test_the_month_shows_who_visits_when_and_in_which_facility(
    client, curator_a, institution_a, visit, researcher
):
    response = get(client, curator_a, institution=institution_a.pk, month=MONTH)
    page = text(response)
    admin_link = f'href="/admin/visits/visitrequest/{visit.pk}/change/"'
    assert admin_link in page
    present = table_rows(response.content, "month-table")[visit.reference]
    here = [n + 1 for n, cell in enumerate(present) if cell == "●here"]
    assert here == [MONDAY.day, (MONDAY + DAY).day, (MONDAY + 2 * DAY).day]
    listed = table_rows(response.content, "visit-list")[visit.reference]
    assert listed == [
        researcher.get_full_name(),
        "2",
        f"{MONDAY.isoformat()} – {(MONDAY + 2 * DAY).isoformat()}",
        "Imaging suite",
        "Approved",
    ]


def test_free_places_closed_and_reduced_days_per_facility(
    client, curator_a, institution_a, facility_a, visit
):
    ClosedDay.objects.create(institution=institution_a, date=MONDAY + 3 * DAY, reason="Holiday")
    CapacityChange.objects.create(facility=facility_a, date=MONDAY + 4 * DAY, capacity=1)
    retired = Facility.objects.create(institution=institution_a, name="Old lab", is_active=False)
    response = get(client, curator_a, institution=institution_a.pk, month=MONTH)
    rows = table_rows(response.content, "month-table")
    assert f"facility-{retired.pk}" not in rows  # inactive facilities take no visitors
    cells = rows[f"facility-{facility_a.pk}"]

    def on(day: datetime.date) -> str:
        return cells[day.day - 1]

    assert on(MONDAY) == on(MONDAY + 2 * DAY) == "0/2"  # the visit's two visitors
    assert on(MONDAY + 3 * DAY) == "–closed"  # the closed day
    assert on(MONDAY + 4 * DAY) == "1/1 reduced*"
    assert on(MONDAY + 5 * DAY) == on(MONDAY + 6 * DAY) == "–closed"  # the weekend
    assert on(MONDAY + 7 * DAY) == "2/2"


def test_other_institutions_visits_are_not_shown(
    client, curator_a, curator_b, institution_a, institution_b, visit, researcher, collection_b
):
    facility_b = Facility.objects.create(institution=institution_b, name="Lab B", daily_capacity=3)
    collection_b.accepts_visits = True
    collection_b.save()
    other = approved_visit(
        curator=curator_b, requester=researcher, collection=collection_b, facility=facility_b,
        start=MONDAY, end=MONDAY,
    )  # fmt: skip
    page = text(get(client, curator_a, institution=institution_a.pk, month=MONTH))
    assert visit.reference in page
    assert other.reference not in page
    assert "Lab B" not in page


def test_visits_outside_the_month_and_unapproved_ones_are_not_shown(
    client, curator_a, institution_a, visit
):
    later = (MONDAY.replace(day=1) + datetime.timedelta(days=62)).strftime("%Y-%m")
    assert visit.reference not in text(get(client, curator_a, institution=institution_a.pk,
                                           month=later))  # fmt: skip
    visit.__class__.objects.filter(pk=visit.pk).update(status="submitted")
    assert visit.reference not in text(
        get(client, curator_a, institution=institution_a.pk, month=MONTH)
    )


@pytest.mark.parametrize(
    ("month", "previous", "following"),
    [("2026-12", "2026-11", "2027-01"), ("2027-01", "2026-12", "2027-02")],
)
def test_previous_and_next_month_links_cross_the_years_end(
    client, curator_a, institution_a, month, previous, following
):
    response = get(client, curator_a, institution=institution_a.pk, month=month)
    page = text(response)
    assert f'href="/visits/calendar/?institution={institution_a.pk}&amp;month={previous}"' in page
    assert f'href="/visits/calendar/?institution={institution_a.pk}&amp;month={following}"' in page
    assert len(response.context["days"]) == 31


def test_the_table_is_accessible_and_scrolls_on_a_phone(client, curator_a, institution_a):
    page = text(get(client, curator_a, institution=institution_a.pk, month="2027-02"))
    assert '<div class="table-scroll" role="region" aria-labelledby="month-caption"' in page
    assert '<caption id="month-caption">' in page
    assert page.count('<th scope="col"') == 28
    assert "Scroll sideways to see the whole month." in page


def test_the_page_costs_the_same_queries_for_1_visit_as_for_20(
    client, curator_a, institution_a, visited, make_user
):
    workspace = Facility.objects.create(institution=institution_a, name="Hall", daily_capacity=99)

    def queries() -> int:
        client.force_login(curator_a)
        with CaptureQueriesContext(connection) as captured:
            assert (
                client.get(URL, {"institution": institution_a.pk, "month": MONTH}).status_code
                == 200
            )
        return len(captured)

    def add(n: int) -> None:
        approved_visit(
            curator=curator_a, requester=make_user(f"r{n}@example.org"), collection=visited,
            facility=workspace, start=MONDAY + (n % 3) * DAY, end=MONDAY + (n % 3 + 1) * DAY,
            co_visitors=n % 2,
        )  # fmt: skip

    add(0)
    one = queries()
    for n in range(1, 20):
        add(n)
    assert queries() == one


def test_the_visits_admin_list_links_to_the_calendar(client, curator_a):
    client.force_login(curator_a)
    response = client.get("/admin/visits/visitrequest/")
    assert response.status_code == 200
    assert 'href="/visits/calendar/"' in text(response)


def test_the_visits_list_page_links_to_the_calendar_for_staff_only(client, curator_a, researcher):
    client.force_login(curator_a)
    assert 'href="/visits/calendar/"' in text(client.get("/visits/"))
    client.force_login(researcher)
    assert 'href="/visits/calendar/"' not in text(client.get("/visits/"))
