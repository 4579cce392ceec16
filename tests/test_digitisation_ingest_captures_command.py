"""``manage.py ingest_captures FOLDER --request DIG-… --as EMAIL``: an imaging station's folder,
its files named by catalogue number, into the request's items."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.digitisation_support import jpeg, png, text_as_jpg
from virtual_access.models import Capture

pytestmark = pytest.mark.django_db


def ingest(folder, request, user) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(
        "ingest_captures",
        str(folder),
        request=request.reference,
        user=user.email,
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


@pytest.fixture
def station(tmp_path):
    """An imaging station's folder: two views of one specimen, one of another, a stray file."""
    folder = tmp_path / "station"
    folder.mkdir()
    (folder / "NHMUK010101234.jpg").write_bytes(jpeg(colour=(200, 30, 30)))
    (folder / "NHMUK010101234_2.jpg").write_bytes(jpeg(colour=(30, 200, 30)))
    (folder / "nhmuk010101235.png").write_bytes(png())
    (folder / "NHMUK999.jpg").write_bytes(jpeg())
    return folder


def test_files_go_to_the_items_of_their_catalogue_numbers(dig_request, curator_a, station):
    request = dig_request()

    out, err = ingest(station, request, curator_a)

    by_item = {
        item.specimen.catalog_number: sorted(item.captures.values_list("original_name", flat=True))
        for item in request.items.select_related("specimen")
    }
    assert by_item == {
        "NHMUK010101234": ["NHMUK010101234.jpg", "NHMUK010101234_2.jpg"],
        "NHMUK010101235": ["nhmuk010101235.png"],
    }
    assert "unmatched: NHMUK999.jpg" in err
    assert "3 ingested, 0 already ingested, 1 unmatched, 0 refused." in out


def test_ingested_captures_are_processed(
    dig_request, curator_a, station, django_capture_on_commit_callbacks
):
    request = dig_request()

    with django_capture_on_commit_callbacks(execute=True):
        ingest(station, request, curator_a)

    assert set(Capture.objects.values_list("status", flat=True)) == {"processed"}
    assert set(request.items.values_list("status", flat=True)) == {"processed"}


def test_running_again_skips_what_was_ingested_and_adds_what_is_new(
    dig_request, curator_a, station
):
    request = dig_request()
    ingest(station, request, curator_a)  # not processed yet: the request is still in progress
    (station / "NHMUK010101235_label.jpg").write_bytes(jpeg(colour=(10, 10, 200)))

    out, _err = ingest(station, request, curator_a)

    assert "1 ingested, 3 already ingested, 1 unmatched" in out
    assert Capture.objects.count() == 4


def test_once_every_item_is_processed_the_request_is_delivered_and_takes_no_more(
    dig_request, curator_a, station, django_capture_on_commit_callbacks
):
    request = dig_request()
    with django_capture_on_commit_callbacks(execute=True):
        ingest(station, request, curator_a)
    (station / "NHMUK010101235_label.jpg").write_bytes(jpeg(colour=(10, 10, 200)))

    with pytest.raises(CommandError, match="delivered"):
        ingest(station, request, curator_a)

    request.refresh_from_db()
    assert request.status == "delivered"
    assert Capture.objects.count() == 3


def test_a_bad_file_is_ingested_and_refused_by_processing(
    dig_request, curator_a, tmp_path, django_capture_on_commit_callbacks
):
    request = dig_request()
    (tmp_path / "NHMUK010101234.jpg").write_bytes(text_as_jpg())

    with django_capture_on_commit_callbacks(execute=True):
        ingest(tmp_path, request, curator_a)

    item = request.items.get(specimen__catalog_number="NHMUK010101234")
    assert item.status == "failed" and "not an image" in item.failure_reason


def test_a_longer_catalogue_number_is_not_taken_by_a_shorter_one():
    from virtual_access.management.commands.ingest_captures import match_item

    items = {"a-12": "short", "a-123": "long"}

    assert match_item("A-123_2", items) == "long"
    assert match_item("A-12", items) == "short"
    assert match_item("A-12_dorsal", items) == "short"
    assert match_item("A-1234", items) is None


def test_a_request_not_in_progress_is_refused(dig_request, curator_a, station):
    request = dig_request(status="delivered")

    with pytest.raises(CommandError, match="in progress"):
        ingest(station, request, curator_a)
    assert not Capture.objects.exists()


def test_someone_not_of_the_institution_may_not_ingest(dig_request, curator_b, station):
    request = dig_request()

    with pytest.raises(CommandError, match="institution's staff"):
        ingest(station, request, curator_b)
