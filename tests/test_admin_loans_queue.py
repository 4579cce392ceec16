"""The curators' loan queue in the admin: their institution's requests only, filtered, read-only."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from collections_app.models import Collection
from elvis.workflow.attachments import save_attachment
from elvis.workflow.service import perform
from loans.models import LoanItem, LoanRequest

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def url(view: str, *args) -> str:
    return reverse(f"admin:loans_loanrequest_{view}", args=args)


def listed(client, query: str = "") -> set[LoanRequest]:
    response = client.get(url("changelist") + query)
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def loan_b(researcher, institution_b, collection_b) -> LoanRequest:
    """A submitted loan from the same researcher to institution B."""
    loan = LoanRequest.objects.create(
        requester=researcher,
        institution=institution_b,
        title="Oaks of Central Europe",
        purpose="Leaf morphology.",
        requested_start=days(10),
        requested_end=days(100),
        borrower_institution="University of Oslo",
        shipping_address="Sars gate 1, 0562 Oslo, Norway",
    )
    loan.collections.add(collection_b)
    LoanItem.objects.create(loan=loan, description="10 sheets of Quercus robur")
    LoanRequest.objects.filter(pk=loan.pk).update(status="submitted", submitted_at=timezone.now())
    return loan


@pytest.mark.parametrize("role", ["curator_a", "coordinator_a"])
def test_institution_staff_see_only_their_institutions_loans(
    client, request, make_loan, loan_b, role
):
    loan_a = make_loan(status="submitted")
    client.force_login(request.getfixturevalue(role))

    response = client.get(url("changelist"))

    assert set(response.context["cl"].result_list) == {loan_a}
    assert loan_a.reference in response.text
    assert loan_b.reference not in response.text


@pytest.mark.parametrize("role", ["curator_a", "coordinator_a"])
def test_another_institutions_loan_cannot_be_reached_on_any_admin_page(
    client, request, loan_b, role
):
    client.force_login(request.getfixturevalue(role))

    for view, args in [
        ("change", ()),
        ("history", ()),
        ("delete", ()),
        ("action", ("start_review",)),
        ("attachment", (1,)),
    ]:
        assert client.get(url(view, loan_b.pk, *args)).status_code == 404
    assert client.post(url("comment", loan_b.pk), {"body": "Hello"}).status_code == 404
    assert not loan_b.comments.exists()


@pytest.mark.parametrize("role", ["site_staff", "superuser"])
def test_site_staff_see_every_institutions_loans(client, request, make_loan, loan_b, role):
    loan_a = make_loan(status="submitted")
    client.force_login(request.getfixturevalue(role))

    assert listed(client) == {loan_a, loan_b}


@pytest.mark.parametrize("role", ["curator_a", "site_staff", "superuser"])
def test_a_draft_never_submitted_is_not_in_anyones_queue(client, request, make_loan, role):
    draft = make_loan(status="draft")
    client.force_login(request.getfixturevalue(role))

    assert draft not in listed(client)
    assert client.get(url("change", draft.pk)).status_code == 404
    assert client.get(url("action", draft.pk, "start_review")).status_code == 404


@pytest.mark.parametrize("role", ["researcher", "outsider"])
def test_users_without_a_staff_membership_are_sent_to_the_admin_login(
    client, request, make_loan, role
):
    loan = make_loan(status="submitted")  # the researcher's own request
    client.force_login(request.getfixturevalue(role))

    for target in (url("changelist"), url("change", loan.pk), url("action", loan.pk, "approve")):
        response = client.get(target)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


@pytest.fixture
def queue(make_loan, collection_a, institution_a) -> dict[str, LoanRequest]:
    """Loans to institution A in several situations, keyed by what makes them stand out."""
    minerals = Collection.objects.create(institution=institution_a, code="MIN", name="Minerals")
    other_collection = make_loan(status="approved", specimens=[], title="Quartz varieties")
    other_collection.collections.set([minerals])
    return {
        "submitted": make_loan(status="submitted", specimens=[]),
        "late": make_loan(status="on_loan", specimens=[], due_date=days(-3)),
        "on_time": make_loan(status="on_loan", specimens=[], due_date=days(30)),
        "returned_late": make_loan(status="returned", specimens=[], due_date=days(-30)),
        "minerals": other_collection,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status__exact=submitted", {"submitted"}),
        ("?status__exact=on_loan", {"late", "on_time"}),
        ("?overdue=yes", {"late"}),
        ("?overdue=no", {"submitted", "on_time", "returned_late", "minerals"}),
        ("?status__exact=on_loan&overdue=no", {"on_time"}),
        ("?q=quartz", {"minerals"}),
        (
            "?q=researcher@example.org",
            {"submitted", "late", "on_time", "returned_late", "minerals"},
        ),
    ],
)
def test_the_queue_filters_by_status_overdue_and_search(client, curator_a, queue, query, expected):
    client.force_login(curator_a)

    assert listed(client, query) == {queue[name] for name in expected}


def test_the_collection_filter_offers_only_the_users_institutions_collections(
    client, curator_a, queue, collection_a, collection_b
):
    client.force_login(curator_a)
    minerals = queue["minerals"].collections.get()

    response = client.get(url("changelist"))
    assert f"?collection={minerals.pk}" in response.text
    assert f"?collection={collection_a.pk}" in response.text
    assert f"?collection={collection_b.pk}" not in response.text
    assert listed(client, f"?collection={minerals.pk}") == {queue["minerals"]}
    assert queue["minerals"] not in listed(client, f"?collection={collection_a.pk}")


def test_a_malformed_filter_value_is_refused_without_an_error(client, curator_a, queue):
    client.force_login(curator_a)

    for query in ("?overdue=maybe", "?collection=ENT"):
        response = client.get(url("changelist") + query)
        assert response.status_code == 302
        assert response.url.endswith("?e=1")


def test_the_reference_search_finds_one_loan(client, curator_a, queue):
    client.force_login(curator_a)

    assert listed(client, f"?q={queue['late'].reference}") == {queue["late"]}


def changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("changelist")).status_code == 200
    return len(queries)


def test_the_queue_costs_the_same_queries_for_few_and_many_loans(
    client, curator_a, make_loan, researcher, make_user
):
    client.force_login(curator_a)
    make_loan(status="submitted")
    few = changelist_queries(client)
    for n in range(5):
        loan = make_loan(
            status="on_loan",
            specimens=[],
            requester=make_user(f"r{n}@example.org"),
            due_date=days(n - 2),
        )
        perform(loan, "extend", actor=curator_a, due_date=days(60 + n))

    assert changelist_queries(client) == few


def test_the_change_page_shows_items_history_and_messages_read_only(
    client, curator_a, researcher, make_loan
):
    loan = make_loan(status="submitted")
    perform(loan, "start_review", actor=curator_a, comment="Looking at it")
    loan.comments.create(author=researcher, body="Could drawer 14 come too?")
    client.force_login(curator_a)

    response = client.get(url("change", loan.pk))

    assert response.status_code == 200
    page = response.text
    assert "A-0001 Carabus auratus" in page and "20 unsorted Carabidae, drawer 14" in page
    assert "Looking at it" in page and "Start review (Submitted → Under review)" in page
    assert "Could drawer 14 come too?" in page
    assert response.context["adminform"].form.fields == {}
    assert not response.context["has_change_permission"]


@pytest.mark.parametrize("role", ["curator_a", "coordinator_a", "site_staff"])
def test_nobody_but_superusers_adds_changes_or_deletes_loans(client, request, make_loan, role):
    loan = make_loan(status="submitted")
    client.force_login(request.getfixturevalue(role))

    assert client.get(url("add")).status_code == 403
    assert client.post(url("change", loan.pk), {"title": "Hijacked"}).status_code == 403
    assert client.post(url("delete", loan.pk), {"post": "yes"}).status_code == 403
    loan.refresh_from_db()
    assert (loan.title, loan.status) == ("Revision of Carabus", "submitted")


def test_a_superuser_may_delete_a_loan_with_its_history(client, superuser, curator_a, make_loan):
    loan = make_loan(status="submitted")
    perform(loan, "start_review", actor=curator_a)
    client.force_login(superuser)

    response = client.post(url("delete", loan.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not LoanRequest.objects.filter(pk=loan.pk).exists()


def test_a_curator_posts_a_message_from_the_change_page(client, curator_a, make_loan):
    loan = make_loan(status="under_review")
    client.force_login(curator_a)
    page = client.get(url("change", loan.pk)).text
    assert f'action="{url("comment", loan.pk)}"' in page

    response = client.post(url("comment", loan.pk), {"body": "  Drawer 14 is fine.  "})

    assert response.status_code == 302
    assert response.url == url("change", loan.pk) + "#comments-group"
    comment = loan.comments.get()
    assert (comment.author, comment.body) == (curator_a, "Drawer 14 is fine.")


def test_an_empty_message_is_refused_with_a_message(client, curator_a, make_loan):
    loan = make_loan(status="under_review")
    client.force_login(curator_a)

    response = client.post(url("comment", loan.pk), {"body": "   "})

    assert response.status_code == 302
    assert messages_of(response) == ["Write a message."]
    assert not loan.comments.exists()


def test_site_staff_without_a_membership_may_not_write_on_a_loan(client, site_staff, make_loan):
    loan = make_loan(status="under_review")
    client.force_login(site_staff)

    assert 'id="write-message"' not in client.get(url("change", loan.pk)).text
    assert client.post(url("comment", loan.pk), {"body": "Hello"}).status_code == 403
    assert not loan.comments.exists()


def test_attachments_are_downloaded_through_the_scoped_admin_view(
    client, settings, tmp_path, curator_a, coordinator_b, researcher, make_loan
):
    settings.MEDIA_ROOT = tmp_path
    loan = make_loan(status="submitted")
    upload = SimpleUploadedFile("cites-permit.pdf", PDF, content_type="application/pdf")
    attachment = save_attachment(loan, upload=upload, uploaded_by=researcher)
    download = url("attachment", loan.pk, attachment.pk)

    client.force_login(curator_a)
    assert f'href="{download}"' in client.get(url("change", loan.pk)).text
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'attachment; filename="cites-permit.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF

    client.force_login(coordinator_b)
    assert client.get(download).status_code == 404


def test_the_request_page_warns_of_the_requester_s_loan_still_out_past_its_due_date(
    client, curator_a, make_loan
):
    late = make_loan(status="on_loan", specimens=[], due_date=days(-3))
    current = make_loan(status="submitted", specimens=[])
    client.force_login(curator_a)
    page = client.get(url("change", current.pk)).content.decode()
    panel = page.split('id="requester"', 1)[1].split("</div>", 1)[0]
    assert late.reference in panel and f"overdue since {days(-3)}" in panel
