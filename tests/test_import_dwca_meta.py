"""meta.xml decides how the core file is read: defaults, header lines, delimiters, encoding."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from bench.make_dwca import write_dwca
from collections_app.dwca.terms import DWC
from collections_app.models import Specimen

from .dwca_support import COLUMNS, import_dwca, occurrence, rejects_of, write_occurrences


def rewrite(path: Path, name: str, change: Callable[[bytes], bytes]) -> None:
    """Change one file of a zip in place (meta.xml or the core file)."""
    with zipfile.ZipFile(path) as source:
        files = {member: source.read(member) for member in source.namelist()}
    files[name] = change(files[name])
    with zipfile.ZipFile(path, "w") as target:
        for member, data in files.items():
            target.writestr(member, data)


def without(term: str) -> tuple[tuple[str, ...], Callable[[tuple[str, ...]], tuple[str, ...]]]:
    """The columns without ``term``, and a function dropping its value from a row."""
    index = COLUMNS.index(term)
    return COLUMNS[:index] + COLUMNS[index + 1 :], lambda row: row[:index] + row[index + 1 :]


def test_default_values_of_meta_xml_fill_terms_without_a_column(collection_a, tmp_path):
    columns, drop = without(DWC + "preparations")
    path = tmp_path / "defaults.zip"
    write_dwca(
        path,
        columns,
        [drop(occurrence(1)), drop(occurrence(2))],
        defaults={DWC + "preparations": "herbarium sheet"},
    )

    import_dwca(path, collection_a)

    assert set(Specimen.objects.values_list("preparations", flat=True)) == {"herbarium sheet"}


def test_without_header_lines_the_first_line_is_data(collection_a, tmp_path):
    path = write_occurrences(
        tmp_path / "headless.zip", [occurrence(1), occurrence(2, catalogNumber="")], header_lines=0
    )

    output = import_dwca(path, collection_a)

    assert output.startswith("created 1, updated 0, unchanged 0, rejected 1")
    assert rejects_of(tmp_path / "headless.rejects.csv")[0]["line"] == "2"


def test_quoted_comma_separated_values_keep_commas_quotes_tabs_and_line_breaks(
    collection_a, tmp_path
):
    locality = 'Wicken Fen, "Sedge Fen"\nnear the windpump\tdrawer C:\\14'
    path = write_occurrences(
        tmp_path / "quoted.zip",
        [occurrence(1, locality=locality), occurrence(2)],
        delimiter=",",
        enclosure='"',
    )

    output = import_dwca(path, collection_a)

    assert output.startswith("created 2, updated 0, unchanged 0, rejected 0")
    assert Specimen.objects.get(catalog_number="ENT-00001").locality == locality


def test_the_encoding_meta_xml_declares_is_used(collection_a, tmp_path):
    path = write_occurrences(
        tmp_path / "latin1.zip",
        [occurrence(1, locality="Forêt de Soignes, Brabant")],
        encoding="ISO-8859-1",
    )

    import_dwca(path, collection_a)

    assert Specimen.objects.get().locality == "Forêt de Soignes, Brabant"


def test_bytes_the_declared_encoding_cannot_decode_reject_their_row(collection_a, tmp_path):
    path = write_occurrences(
        tmp_path / "mislabelled.zip",
        [occurrence(1, locality="Forêt de Soignes"), occurrence(2, locality="Wicken Fen")],
        encoding="ISO-8859-1",
    )
    rewrite(path, "meta.xml", lambda meta: meta.replace(b'"ISO-8859-1"', b'"UTF-8"'))

    output = import_dwca(path, collection_a)

    assert output.startswith("created 1, updated 0, unchanged 0, rejected 1")
    assert rejects_of(tmp_path / "mislabelled.rejects.csv")[0]["reason"] == (
        "contains bytes that are not valid utf-8 (the encoding meta.xml declares)"
    )


def test_a_utf8_byte_order_mark_does_not_stick_to_the_first_value(collection_a, tmp_path):
    path = write_occurrences(tmp_path / "bom.zip", [occurrence(1)], header_lines=0)
    rewrite(path, "occurrence.txt", lambda data: b"\xef\xbb\xbf" + data)

    import_dwca(path, collection_a)

    assert Specimen.objects.get().catalog_number == "ENT-00001"


def test_windows_line_endings_do_not_stick_to_the_last_value(collection_a, tmp_path):
    path = write_occurrences(tmp_path / "crlf.zip", [occurrence(1), occurrence(2)])
    rewrite(path, "occurrence.txt", lambda data: data.replace(b"\n", b"\r\n"))

    import_dwca(path, collection_a)

    assert set(Specimen.objects.values_list("preparations", flat=True)) == {"pinned"}


def test_the_country_is_the_iso_code_when_there_is_one_else_the_country_text(
    collection_a, tmp_path
):
    path = tmp_path / "countries.zip"
    columns = (*COLUMNS, DWC + "country")
    write_dwca(
        path,
        columns,
        [
            (*occurrence(1, countryCode="FR"), "France"),
            (*occurrence(2, countryCode=""), "Royaume-Uni"),
        ],
    )

    import_dwca(path, collection_a)

    assert dict(Specimen.objects.values_list("catalog_number", "country")) == {
        "ENT-00001": "FR",
        "ENT-00002": "Royaume-Uni",
    }


def test_an_archive_zipped_with_its_folder_is_read(collection_a, tmp_path):
    flat = write_occurrences(tmp_path / "flat.zip", [occurrence(1)])
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(flat) as source, zipfile.ZipFile(nested, "w") as target:
        for name in source.namelist():
            target.writestr(f"dwca-export/{name}", source.read(name))

    output = import_dwca(nested, collection_a)

    assert output.startswith("created 1, updated 0, unchanged 0, rejected 0")
