"""Reading feed files in every shape forces send (feeds.readers.open_rows): the real City of
London street file, and files written for each reader with made-up data. Rows come numbered as a
person counts them in the file; a file that is not what its profile says is refused in words,
without quoting it."""

from __future__ import annotations

import codecs
import csv
import json
import re
import tracemalloc
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from feeds.profiles import canonical, content_hash, parse_profile
from feeds.readers import FileUnreadable, open_rows
from feeds.readers.base import is_blank
from tests.feeds.conftest import FILES, STREET_ROWS, shipped_profile

CRIME_COLUMNS = {"crime_reference": "Crime ID", "month": "Month"}


def read(path: Path, profile_data: dict) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    with open_rows(path, parse_profile(profile_data)) as rows:
        return rows.encoding, list(rows)


def records(path: Path, profile_data: dict) -> list[tuple[int, dict]]:
    profile = parse_profile(profile_data)
    with open_rows(path, profile) as rows:
        return [(number, canonical(profile, row).data) for number, row in rows]


def refusal(path: Path, profile_data: dict) -> str:
    with (
        pytest.raises(FileUnreadable) as refused,
        open_rows(path, parse_profile(profile_data)) as rows,
    ):
        list(rows)
    return refused.value.message


# CSV ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("say_how", [True, False], ids=["profile-says", "detected"])
def test_the_city_of_london_street_file(police_street_csv, say_how):
    data = shipped_profile("police-uk-street")
    if not say_how:
        del data["delimiter"]
    profile = parse_profile(data)
    with open_rows(police_street_csv, profile) as rows:
        assert rows.encoding == "utf-8"
        read_rows = [(number, canonical(profile, row)) for number, row in rows]
    assert len(read_rows) == STREET_ROWS
    assert [number for number, _ in read_rows] == list(range(2, STREET_ROWS + 2))
    first = read_rows[0][1]
    assert first.reference.startswith("356f6e3b1e35")
    assert first.data["category"] == "Burglary"
    assert first.data["force"] == "City of London Police"
    assert (first.data["latitude"], first.data["longitude"]) == ("51.518226", "-0.111497")
    assert sum(1 for _, r in read_rows if not r.reference) == 129  # anti-social behaviour
    no_location = [r for _, r in read_rows if r.data["location"] == "No Location"]
    assert len(no_location) == 14
    assert all(r.data["latitude"] is None and r.data["longitude"] is None for r in no_location)
    assert {r.data["month"] for _, r in read_rows} == {"2017-01"}


def test_semicolons_decimal_commas_and_a_title_row():
    encoding, rows = read(
        FILES / "semicolon-decimal-comma.csv",
        {
            "format": "csv",
            "decimal": ",",
            "skip_rows": 1,
            "columns": {
                "crime_reference": "Crime Ref",
                "month": "Month",
                "latitude": "Latitude",
                "longitude": "Longitude",
                "victim_phone": "Victim phone",
                "victim_email": "Victim email",
            },
        },
    )
    assert encoding == "utf-8"
    # row 1 is the title, row 2 the header, row 6 is blank (skipped)
    assert [number for number, _ in rows] == [3, 4, 5, 7]
    assert rows[0][1]["Latitude"] == "52,629909"
    data = records(
        FILES / "semicolon-decimal-comma.csv",
        {
            "format": "csv",
            "decimal": ",",
            "skip_rows": 1,
            "columns": {
                "crime_reference": "Crime Ref",
                "month": "Month",
                "latitude": "Latitude",
                "longitude": "Longitude",
            },
        },
    )
    assert [(d["crime_reference"], d["month"], d["latitude"]) for _, d in data] == [
        ("NS/17/0001", "2017-06", "52.629909"),
        ("NS/17/0002", "2017-06", "52.640374"),
        ("NS/17/0003", "2017-06", None),
        ("NS/17/0004", "2017-06", "52.6"),
    ]


def test_a_delimiter_the_profile_names_is_used(tmp_path):
    path = tmp_path / "pipes.txt"
    path.write_text("Crime ID|Month|Location\nP1|2017-06|On or near A, B and C\n")
    _, rows = read(path, {"format": "csv", "delimiter": "|", "columns": CRIME_COLUMNS})
    assert rows == [
        (2, {"Crime ID": "P1", "Month": "2017-06", "Location": "On or near A, B and C"})
    ]
    _, detected = read(path, {"format": "csv", "columns": CRIME_COLUMNS})
    assert detected == rows


def test_quoted_cells_keep_their_delimiters_and_line_breaks(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text(
        'Crime ID,Month,Context\r\nQ1,2017-06,"Two lines,\r\nwith a comma"\r\nQ2,2017-06,plain\r\n'
    )
    _, rows = read(path, {"format": "csv", "columns": CRIME_COLUMNS})
    assert rows[0] == (
        2,
        {"Crime ID": "Q1", "Month": "2017-06", "Context": "Two lines,\r\nwith a comma"},
    )
    assert rows[1][0] == 3  # a person counts records, not lines


def test_a_quote_that_never_closes_is_refused_at_its_row(tmp_path):
    path = tmp_path / "unclosed.csv"
    tail = "Zephyrine Canaryfield said " * 8000  # made-up; past the csv module's field limit
    path.write_text(f'Crime ID,Month,Context\nC1,2017-06,fine\nC2,2017-06,"{tail}\n')
    message = refusal(path, {"format": "csv", "columns": CRIME_COLUMNS})
    assert message == (
        "The file cannot be read as delimited text (a quote may never close) after row 2."
    )


def test_short_rows_are_padded_and_extra_cells_ignored(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("Crime ID,Month,Location\nR1,2017-06\nR2,2017-06,Here,extra\n")
    _, rows = read(path, {"format": "csv", "delimiter": ",", "columns": CRIME_COLUMNS})
    assert rows == [
        (2, {"Crime ID": "R1", "Month": "2017-06", "Location": ""}),
        (3, {"Crime ID": "R2", "Month": "2017-06", "Location": "Here"}),
    ]


def test_an_outcomes_file_with_exact_duplicate_rows_yields_each():
    profile = parse_profile(shipped_profile("police-uk-outcomes"))
    with open_rows(FILES / "outcomes-duplicates.csv", profile) as rows:
        read_rows = [(number, canonical(profile, row)) for number, row in rows]
    assert [number for number, _ in read_rows] == [2, 3, 4, 5]
    hashes = [content_hash(r) for _, r in read_rows]
    assert hashes[0] == hashes[2] == hashes[3] != hashes[1]  # the engine dedupes, not the reader
    assert read_rows[1][1].data["outcome"] == "Suspect charged, part of another case"


def test_no_location_rows_and_blank_crime_ids():
    data = records(FILES / "no-location.csv", shipped_profile("police-uk-street"))
    assert [(n, d["crime_reference"], d["location"], d["latitude"]) for n, d in data] == [
        (2, None, "No Location", None),
        (3, "c0ffee0001", "No Location", None),
        (4, None, "On or near Park Lane", "53.8"),
        (5, None, "On or near Park Lane", "53.8"),
    ]


cells = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(cells, cells, cells), max_size=8),
    delimiter=st.sampled_from(",;|\t"),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_whatever_a_csv_writer_wrote_reads_back(tmp_path, rows, delimiter, encoding):
    """Any cells (quotes, delimiters, line breaks, accents) written by the csv module in any
    candidate delimiter and a Unicode encoding come back as they were, the delimiter and the
    encoding detected, each row numbered as written; blank rows are left out."""
    path = tmp_path / "written.csv"
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(["Crime ID", "Month", "Location"])
        writer.writerows(rows)
    _, read_rows = read(path, {"format": "csv", "columns": CRIME_COLUMNS})
    assert read_rows == [
        (number, dict(zip(["Crime ID", "Month", "Location"], row, strict=True)))
        for number, row in enumerate(rows, start=2)
        if not is_blank(list(row))
    ]


# Encodings ----------------------------------------------------------------------------------------

WINDOWS_COLUMNS = {
    **CRIME_COLUMNS,
    "location": "Location",
    "victim_name": "Victim name",
    "context": "Context",
}


def test_windows_1252_is_detected_without_the_profile_saying():
    profile = parse_profile({"format": "csv", "columns": WINDOWS_COLUMNS})
    with open_rows(FILES / "windows-1252.csv", profile) as rows:
        assert rows.encoding == "cp1252"
        read_rows = [canonical(profile, row) for _, row in rows]
    assert read_rows[0].data["location"] == "On or near Café Rouge’s terrace"
    assert read_rows[0].data["context"] == "Purse with £40 taken"
    assert read_rows[0].personal["victim_name"] == "Renée Dubois-O’Hara"
    assert read_rows[1].data["context"] == "Caller asked for £250 in vouchers – “urgent”"
    assert read_rows[2].personal["victim_name"] == "Anaïs Lefèvre"


def test_the_profiles_encoding_is_used():
    encoding, rows = read(
        FILES / "windows-1252.csv",
        {"format": "csv", "encoding": "windows-1252", "columns": WINDOWS_COLUMNS},
    )
    assert encoding == "cp1252"
    assert rows[1][1]["Victim name"] == "Zoë Müller"


def test_a_wrong_encoding_is_refused_without_quoting_the_file():
    message = refusal(
        FILES / "windows-1252.csv",
        {"format": "csv", "encoding": "utf-8", "columns": WINDOWS_COLUMNS},
    )
    assert message == "The file is not utf-8 text."


def test_an_encoding_change_past_the_sample_is_refused_at_its_row(tmp_path):
    path = tmp_path / "late-accent.csv"
    ascii_rows = "".join(f"A{i},2017-06,On or near Plain Street\n" for i in range(3000))
    path.write_bytes(
        ("Crime ID,Month,Location\n" + ascii_rows).encode() + "Z1,2017-06,Cafè\n".encode("cp1252")
    )
    message = refusal(path, {"format": "csv", "columns": CRIME_COLUMNS})
    assert message.startswith("The file cannot be read as utf-8 text after row ")
    assert "Caf" not in message


def test_utf8_with_a_bom():
    encoding, rows = read(FILES / "utf8-bom.csv", {"format": "csv", "columns": CRIME_COLUMNS})
    assert encoding == "utf-8-sig"
    assert list(rows[0][1]) == ["Crime ID", "Month", "Crime type", "Location"]
    assert rows[1][1]["Location"] == "On or near Łódź Road"
    named, _ = read(
        FILES / "utf8-bom.csv", {"format": "csv", "encoding": "utf-8", "columns": CRIME_COLUMNS}
    )
    assert named == "utf-8-sig"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_its_bom(tmp_path, codec):
    path = tmp_path / "utf16.csv"
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(codec, b"")
    path.write_bytes(
        bom
        + "Crime ID\tMonth\tLocation\r\nU1\t2017-06\tOn or near Rue de l’Église\r\n".encode(codec)
    )
    encoding, rows = read(path, {"format": "csv", "columns": CRIME_COLUMNS})
    assert encoding == "utf-16"
    assert rows == [
        (2, {"Crime ID": "U1", "Month": "2017-06", "Location": "On or near Rue de l’Église"})
    ]


# TSV and fixed width ------------------------------------------------------------------------------


def test_tsv_with_header_variants():
    data = records(
        FILES / "tab-separated.tsv",
        {
            "format": "tsv",
            "columns": {
                "crime_reference": "Crime ID",
                "month": "Month",
                "category": "Crime type",
                "force": "Falls within",
                "latitude": "Latitude",
                "longitude": "Longitude",
                "occurred_at": ["Occurred at", "Occurred"],
            },
        },
    )
    assert data[0] == (
        2,
        {
            "crime_reference": "WS-0001",
            "month": "2017-03",
            "category": "Robbery",
            "force": "Westshire Police",
            "latitude": "51.5",
            "longitude": "-0.1",
            "occurred_at": "2017-03-01T22:15:00+00:00",
        },
    )
    assert data[2][1]["latitude"] is None


FIXED = {
    "format": "fixed",
    "widths": [["REF", 10], ["MONTH", 8], ["TYPE", 24], ["LAT", 10], ["LON", 10]],
    "columns": {
        "crime_reference": "REF",
        "month": "Month",
        "category": "Type",
        "latitude": "Lat",
        "longitude": "Lon",
    },
}
FIXED_ROWS = [
    (("EF-00001", "2017-02", "Vehicle crime", "51.4812", "-0.9712")),
    (("EF-00002", "2017-02", "Public order", "51.48", "-0.97")),
    ((None, "2017-02", "Anti-social behaviour", None, None)),
]


def test_fixed_width_with_a_header_line():
    data = records(FILES / "fixed-width.txt", FIXED)
    assert [n for n, _ in data] == [2, 3, 4]
    assert [tuple(d.values()) for _, d in data] == FIXED_ROWS


def test_fixed_width_without_a_header_takes_the_names_from_the_widths():
    _, rows = read(FILES / "fixed-width-no-header.txt", {**FIXED, "skip_rows": 1})
    assert rows[0] == (
        2,
        {
            "REF": "EF-00001",
            "MONTH": "2017-02",
            "TYPE": "Vehicle crime",
            "LAT": "51.4812",
            "LON": "-0.9712",
        },
    )
    data = records(FILES / "fixed-width-no-header.txt", {**FIXED, "skip_rows": 1})
    assert [n for n, _ in data] == [2, 3, 4]
    assert [tuple(d.values()) for _, d in data] == FIXED_ROWS


def test_fixed_width_blank_and_short_lines(tmp_path):
    path = tmp_path / "short.txt"
    path.write_text("F1        2017-02\n\n   \nF2        2017-03 Theft\n")
    data = records(path, FIXED)
    assert [(n, d["crime_reference"], d["month"], d["category"]) for n, d in data] == [
        (1, "F1", "2017-02", None),
        (4, "F2", "2017-03", "Theft"),
    ]


# XLSX ---------------------------------------------------------------------------------------------


def workbook(path: Path, rows: list[list], *, title: str = "Crimes", first_sheet: str = "") -> Path:
    book = Workbook()
    sheet = book.active
    if first_sheet:
        sheet.title = first_sheet
        sheet.append(["Not this sheet"])
        sheet = book.create_sheet()
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


XLSX_ROWS = [
    ["Westshire Police crimes, June 2017 (made-up data)"],
    [],
    ["Crime ID", "Month", "Occurred", "Latitude", "Longitude", "Phone", "Count"],
    [
        "X-1",
        date(2017, 6, 1),
        datetime(2017, 6, 1, 13, 40),  # noqa: DTZ001 - Excel cells hold no zone
        51.5,
        -0.12,
        "07700 900456",
        3,
    ],
    [None, None, None, None, None, None, None],
    [1234, "06/2017", 42887.5, 51.0, 0, None, 2.5],
]
XLSX_PROFILE = {
    "format": "xlsx",
    "skip_rows": 2,
    "columns": {
        "crime_reference": "Crime ID",
        "month": "Month",
        "occurred_at": "Occurred",
        "latitude": "Latitude",
        "longitude": "Longitude",
        "victim_phone": "Phone",
    },
}


def test_xlsx_with_a_title_row(tmp_path):
    path = workbook(tmp_path / "crimes.xlsx", XLSX_ROWS)
    encoding, rows = read(path, XLSX_PROFILE)
    assert encoding == ""
    assert rows == [
        (
            4,
            {
                "Crime ID": "X-1",
                "Month": "2017-06-01",
                "Occurred": "2017-06-01T13:40:00",
                "Latitude": "51.5",
                "Longitude": "-0.12",
                "Phone": "07700 900456",
                "Count": "3",
            },
        ),
        (
            6,
            {
                "Crime ID": "1234",
                "Month": "06/2017",
                "Occurred": "42887.5",
                "Latitude": "51",
                "Longitude": "0",
                "Phone": "",
                "Count": "2.5",
            },
        ),
    ]
    profile = parse_profile(XLSX_PROFILE)
    first, second = (canonical(profile, row) for _, row in rows)
    assert first.data["month"] == "2017-06"
    assert first.data["occurred_at"] == "2017-06-01T13:40:00+01:00"
    assert first.personal == {"victim_phone": "+447700900456"}
    assert second.reference == "1234"  # not "1234.0"
    assert second.data["occurred_at"] == "2017-06-01T12:00:00+01:00"


@pytest.mark.parametrize("sheet", ["Crimes", 1])
def test_xlsx_sheet_by_name_or_position(tmp_path, sheet):
    path = workbook(tmp_path / "two-sheets.xlsx", XLSX_ROWS, first_sheet="Notes")
    _, rows = read(path, {**XLSX_PROFILE, "sheet": sheet})
    assert [n for n, _ in rows] == [4, 6]


def test_xlsx_without_the_sheet_is_refused(tmp_path):
    path = workbook(tmp_path / "crimes.xlsx", XLSX_ROWS)
    assert (
        refusal(path, {**XLSX_PROFILE, "sheet": "Outcomes"})
        == "The workbook has no sheet 'Outcomes'."
    )
    assert refusal(path, {**XLSX_PROFILE, "sheet": 3}) == "The workbook has no sheet 3."


def test_a_workbook_stating_the_wrong_dimensions_is_read_whole(tmp_path):
    made = workbook(tmp_path / "made.xlsx", XLSX_ROWS)
    path = tmp_path / "misstated.xlsx"
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(path, "w") as copy:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:A1"', content)
            copy.writestr(item, content)
    _, rows = read(path, XLSX_PROFILE)
    assert [n for n, _ in rows] == [4, 6]
    assert rows[0][1]["Phone"] == "07700 900456"


def test_a_file_that_is_not_a_workbook_is_refused():
    assert (
        refusal(FILES / "utf8-bom.csv", XLSX_PROFILE) == "The file is not an Excel workbook (xlsx)."
    )


def test_a_workbook_given_as_csv_is_refused(tmp_path):
    path = workbook(tmp_path / "crimes.xlsx", XLSX_ROWS)
    assert refusal(path, {"format": "csv", "columns": CRIME_COLUMNS}) == (
        "The file is a spreadsheet, archive or document, not text."
    )


# police.uk API JSON -------------------------------------------------------------------------------


def test_api_json_array_of_crimes(tmp_path):
    crime = json.loads((FILES / "api" / "crime.json").read_text())
    second = {
        **crime,
        "persistent_id": "",
        "id": 81012438,
        "category": "anti-social-behaviour",
        "outcome_status": None,
    }
    path = tmp_path / "crimes-street.json"
    path.write_text(json.dumps([crime, second]))
    profile = parse_profile(shipped_profile("police-uk-api"))
    with open_rows(path, profile) as rows:
        assert rows.encoding == "utf-8"
        read_rows = list(rows)
    assert [n for n, _ in read_rows] == [1, 2]
    assert read_rows[0][1]["location.street.name"] == "On or near Marquis Street"
    assert read_rows[0][1]["outcome_status.category"] == "Status update unavailable"
    assert read_rows[0][1]["id"] == "81012437"
    first, anti_social = (canonical(profile, row) for _, row in read_rows)
    assert first.reference == crime["persistent_id"]
    assert first.data == {
        "crime_reference": crime["persistent_id"],
        "month": "2020-02",
        "category": "violent-crime",
        "location": "On or near Marquis Street",
        "latitude": "52.629909",
        "longitude": "-1.132073",
        "outcome": "Status update unavailable",
        "context": None,
    }
    assert anti_social.reference == ""
    assert anti_social.data["outcome"] is None


def test_api_json_single_objects():
    profile = parse_profile(shipped_profile("police-uk-api"))
    with open_rows(FILES / "api" / "crime.json", profile) as rows:
        assert [n for n, _ in rows] == [1]
    with open_rows(FILES / "api" / "outcome.json", profile) as rows:
        ((number, row),) = list(rows)
    assert row["crime.persistent_id"].startswith("c69de56f")
    outcome = canonical(profile, row)
    assert outcome.data["month"] == "2020-09"
    assert outcome.data["category"] == "burglary"
    assert outcome.data["outcome"] == "Investigation complete; no suspect identified"


def test_api_json_numbers_as_numbers(tmp_path):
    path = tmp_path / "numbers.json"
    path.write_bytes(
        codecs.BOM_UTF8 + b'[{"persistent_id": "N1", "month": "2020-02", '
        b'"location": {"latitude": 52.5, "longitude": -1.25, "street": {"id": 7}}}]'
    )
    data = records(path, shipped_profile("police-uk-api"))
    assert data[0][1]["latitude"] == "52.5"
    assert data[0][1]["longitude"] == "-1.25"


@pytest.mark.parametrize("codec", ["utf-16", "cp1252"])
def test_api_json_in_another_encoding(tmp_path, codec):
    path = tmp_path / "other-encoding.json"
    item = {
        "persistent_id": "E1",
        "month": "2020-02",
        "location": {"street": {"name": "Café £ Row"}},
    }
    path.write_bytes(json.dumps([item] * 3, ensure_ascii=False).encode(codec))
    profile = parse_profile(shipped_profile("police-uk-api"))
    with open_rows(path, profile) as rows:
        assert rows.encoding == {"utf-16": "utf-16", "cp1252": "cp1252"}[codec]
        read_rows = [canonical(profile, row) for _, row in rows]
    assert [r.data["location"] for r in read_rows] == ["Café £ Row"] * 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"Crime ID,Month\n", "The file is not JSON (an array of items or one object)."),
        (
            b'[{"persistent_id": "T1", "month": "2020-02"}, {"persistent_',
            "The file is not valid JSON after item 1.",
        ),
        (b'["a made-up string"]', "Item 1 of the file is not an object."),
    ],
)
def test_broken_json_is_refused_in_words(tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    assert refusal(path, shipped_profile("police-uk-api")) == message


# Files that are not what the profile says ---------------------------------------------------------


def test_a_file_without_the_key_columns_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("Reference,Period,Victim name\nZ9,2017-06,Zephyrine Canaryfield\n")
    message = refusal(
        path,
        {"format": "csv", "columns": {"crime_reference": ["Crime ID", "Ref"], "month": "Month"}},
    )
    assert message.startswith(
        "The file has no column for \"crime_reference\" (looked for 'Crime ID' or 'Ref'), "
        "\"month\" (looked for 'Month')"
    )
    assert "Zephyrine" not in message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\n\n  \n", "The file is empty."),
        (b"title only\n", "The file has no header row."),
    ],
)
def test_empty_files_are_refused(tmp_path, content, message):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    assert (
        refusal(path, {"format": "csv", "delimiter": ",", "skip_rows": 1, "columns": CRIME_COLUMNS})
        == message
    )


def test_the_file_is_closed_on_leaving(police_street_csv, street_profile):
    with open_rows(police_street_csv, street_profile) as rows:
        next(iter(rows))
        stream = rows.text.buffer
    assert stream.closed


# Constant memory ----------------------------------------------------------------------------------


def peak_bytes_reading(path: Path, profile_data: dict, *, check_every: int) -> tuple[int, int]:
    """Rows read and the peak of memory allocated while reading them, every `check_every`th row
    also made canonical (tracemalloc slows each allocation, so not all of them)."""
    profile = parse_profile(profile_data)
    with open_rows(path, profile) as rows:  # the first read imports and caches what it needs
        canonical(profile, next(iter(rows))[1])
    count = 0
    tracemalloc.start()
    try:
        with open_rows(path, profile) as rows:
            for number, row in rows:
                count += 1
                if number % check_every == 0:
                    content_hash(canonical(profile, row))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_a_large_csv_file_is_read_in_bounded_memory(tmp_path):
    path = tmp_path / "large.csv"
    line = (
        "{i:08d},2017-06,Northshire Police,Northshire Police,-1.{i:06d},52.{i:06d},"
        "On or near Long Road,E01000001,Northshire 001A,Violence and sexual offences,"
        "Under investigation,\n"
    )
    with path.open("w") as out:
        out.write(
            "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
            "LSOA name,Crime type,Last outcome category,Context\n"
        )
        out.writelines(line.format(i=i) for i in range(200_000))
    assert path.stat().st_size > 30_000_000
    count, peak = peak_bytes_reading(path, shipped_profile("police-uk-street"), check_every=50)
    assert count == 200_000
    assert peak < 2 * 1024 * 1024


def test_a_large_json_file_is_streamed(tmp_path):
    crime = json.loads((FILES / "api" / "crime.json").read_text())
    path = tmp_path / "large.json"
    with path.open("w") as out:
        out.write("[")
        for i in range(20_000):
            out.write("," if i else "")
            json.dump({**crime, "persistent_id": f"{i:064d}"}, out)
        out.write("]")
    assert path.stat().st_size > 8_000_000
    count, peak = peak_bytes_reading(path, shipped_profile("police-uk-api"), check_every=50)
    assert count == 20_000
    assert peak < 2 * 1024 * 1024
