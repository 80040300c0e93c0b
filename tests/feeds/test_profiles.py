"""Profiles (feeds.profiles.parse_profile) and the canonical record of a row (canonical,
content_hash, needs_contact): what an admin writes wrong is said in words, all at once; what a
force's file holds becomes one normalised form; a bad value is refused by field, never quoted."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.profiles import (
    CRIME_FIELDS,
    PERSONAL_FIELDS,
    PLACE_FIELDS,
    Canonical,
    ProfileError,
    RowInvalid,
    canonical,
    content_hash,
    lantern_category,
    needs_contact,
    parse_profile,
)
from tests.feeds.conftest import PROFILES, shipped_profile

COLUMNS = {"crime_reference": "Crime ID", "month": "Month"}


def crimes(**settings) -> dict:
    return {"format": "csv", "columns": dict(COLUMNS), **settings}


def full_profile(**settings):
    columns = {name: name for name in CRIME_FIELDS + PERSONAL_FIELDS}
    return parse_profile({"format": "csv", "columns": columns, **settings})


def row_of(**values: str) -> dict[str, str]:
    return {"crime_reference": "AB/123", "month": "2017-06", **values}


# Profiles -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(PROFILES.glob("*.json")), ids=lambda path: path.stem)
def test_every_shipped_profile_is_valid(path):
    data = json.loads(path.read_text())
    kind = "places" if "uprn" in data["columns"] else "crimes"
    profile = parse_profile(data, kind=kind)
    assert set(profile.required) <= set(profile.columns)


def test_the_police_uk_profiles_are_shipped():
    assert {"police-uk-street", "police-uk-outcomes", "police-uk-api"} <= {
        path.stem for path in PROFILES.glob("*.json")
    }


def test_a_minimal_profile_takes_the_defaults():
    profile = parse_profile(crimes())
    assert profile.format == "csv"
    assert profile.delimiter == ""  # detected when reading
    assert profile.encoding == ""
    assert profile.decimal == "."
    assert profile.skip_rows == 0
    assert profile.case_when == "contact"
    assert profile.columns == {"crime_reference": ("Crime ID",), "month": ("Month",)}
    assert profile.raw == crimes()


def test_a_full_profile_is_read():
    profile = parse_profile(
        {
            "format": "csv",
            "delimiter": ";",
            "decimal": ",",
            "encoding": "Windows-1252",
            "skip_rows": 2,
            "columns": {"crime_reference": ["Crime ID", "Ref"], "month": "Month"},
            "case_when": {"categories": ["Domestic abuse", "stalking"]},
            "categories": {"Domestic abuse": "domestic-abuse"},
            "date_formats": ["%Y%m%d"],
            "description": "Made-up force",
        }
    )
    assert profile.delimiter == ";"
    assert profile.decimal == ","
    assert profile.encoding == "cp1252"
    assert profile.skip_rows == 2
    assert profile.columns["crime_reference"] == ("Crime ID", "Ref")
    assert profile.case_when == "categories"
    assert profile.case_categories == {"domestic abuse", "stalking"}
    assert profile.categories == {"Domestic abuse": "domestic-abuse"}
    assert profile.date_formats == ("%Y%m%d",)


def test_tsv_is_tab_separated_and_fixed_needs_widths():
    assert parse_profile({"format": "tsv", "columns": COLUMNS}).delimiter == "\t"
    fixed = parse_profile(
        {
            "format": "fixed",
            "widths": [["Crime ID", 10], ["MONTH", 7]],
            "columns": COLUMNS,
        }
    )
    assert fixed.widths == (("Crime ID", 10), ("MONTH", 7))


BAD_PROFILES = [
    ({"columns": COLUMNS}, '"format" is missing: say csv, tsv, xlsx, fixed or json.'),
    (crimes(format="pdf"), '"format" must be one of csv, tsv, xlsx, fixed or json.'),
    (crimes(colour="blue"), '"colour" is not a profile setting.'),
    ({"format": "csv"}, '"columns" is missing: map each canonical field to its column name.'),
    (
        {"format": "csv", "columns": {"month": "Month"}},
        '"columns" has no column for "crime_reference", which every crimes file needs.',
    ),
    (
        {"format": "csv", "columns": {"crime_reference": "Crime ID"}},
        '"columns" has no column for "month", which every crimes file needs.',
    ),
    (
        crimes(columns={**COLUMNS, "shoe_size": "Shoe"}),
        '"shoe_size" is not a canonical field of crimes sources.',
    ),
    (
        crimes(columns={**COLUMNS, "category": []}),
        'Column of "category" must be a name or a list of names.',
    ),
    (
        crimes(columns={**COLUMNS, "category": ["Type", 3]}),
        'Column of "category" must be a name or a list of names.',
    ),
    (
        crimes(delimiter=";;"),
        '"delimiter" must be one character (not a quote or a line break).',
    ),
    (crimes(delimiter='"'), '"delimiter" must be one character (not a quote or a line break).'),
    (
        {"format": "tsv", "delimiter": ",", "columns": COLUMNS},
        '"delimiter" of a tsv file is always a tab.',
    ),
    (
        {"format": "json", "delimiter": ",", "columns": COLUMNS},
        '"delimiter" is only for the csv format.',
    ),
    (crimes(decimal="·"), '"decimal" must be "." or ",".'),
    (
        crimes(delimiter=",", decimal=","),
        "A comma cannot be both the delimiter and the decimal mark.",
    ),
    (
        crimes(encoding="klingon-8"),
        '"encoding" is not a text encoding Python knows (such as utf-8 or cp1252).',
    ),
    (crimes(sheet="Crimes"), '"sheet" is only for the xlsx format.'),
    (
        {"format": "xlsx", "sheet": -1, "columns": COLUMNS},
        '"sheet" must be a sheet name or its position (0 for the first).',
    ),
    (crimes(skip_rows=-1), '"skip_rows" must be a whole number from 0 to 100.'),
    (crimes(skip_rows="2"), '"skip_rows" must be a whole number from 0 to 100.'),
    (crimes(widths=[["Crime ID", 10]]), '"widths" is only for the fixed format.'),
    (
        {"format": "fixed", "columns": COLUMNS},
        '"widths" must list [column name, width] pairs in order (fixed format).',
    ),
    (
        {"format": "fixed", "widths": [["Crime ID", 0], ["Month", 7]], "columns": COLUMNS},
        '"widths" must list [column name, width] pairs in order (fixed format).',
    ),
    (
        {
            "format": "fixed",
            "widths": [["Crime ID", 9], ["crime_id", 7], ["Month", 7]],
            "columns": COLUMNS,
        },
        '"widths" names each column once.',
    ),
    (
        {"format": "fixed", "widths": [["Crime ID", 9], ["Period", 7]], "columns": COLUMNS},
        'Column of "month" is not one of the names in "widths".',
    ),
    (
        crimes(case_when="sometimes"),
        '"case_when" must be "contact", "never", "always" or {"categories": [...]}.',
    ),
    (
        crimes(case_when={"categories": []}),
        '"case_when" must be "contact", "never", "always" or {"categories": [...]}.',
    ),
    (
        crimes(categories={"Burglary": 7}),
        '"categories" must map each source category to a Lantern category code.',
    ),
    (
        crimes(date_formats=["dd/mm/yyyy"]),
        '"date_formats" must list strptime formats (such as "%d/%m/%Y %H:%M").',
    ),
]


@pytest.mark.parametrize(("data", "message"), BAD_PROFILES)
def test_a_bad_profile_is_refused_in_words(data, message):
    with pytest.raises(ProfileError) as refused:
        parse_profile(data)
    assert refused.value.messages == [message]


def test_every_problem_is_said_at_once():
    with pytest.raises(ProfileError) as refused:
        parse_profile({"colour": "blue", "decimal": "·", "columns": {"victim_shoe": "X"}})
    assert refused.value.messages == [
        '"colour" is not a profile setting.',
        '"format" is missing: say csv, tsv, xlsx, fixed or json.',
        '"victim_shoe" is not a canonical field of crimes sources.',
        '"columns" has no column for "crime_reference", which every crimes file needs.',
        '"columns" has no column for "month", which every crimes file needs.',
        '"decimal" must be "." or ",".',
    ]
    assert str(refused.value).startswith('"colour" is not a profile setting.')


def test_a_profile_that_is_not_an_object_is_refused():
    with pytest.raises(ProfileError) as refused:
        parse_profile(["format", "csv"])
    assert refused.value.messages == ["A profile is a JSON object of settings."]


def test_places_profiles_need_a_uprn_and_have_no_case_rule():
    profile = parse_profile({"format": "csv", "columns": {"uprn": "UPRN"}}, kind="places")
    assert profile.kind == "places"
    assert profile.required == ("uprn",)
    with pytest.raises(ProfileError) as refused:
        parse_profile(
            {"format": "csv", "columns": {"month": "Month"}, "case_when": "always"},
            kind="places",
        )
    assert refused.value.messages == [
        '"month" is not a canonical field of places sources.',
        '"columns" has no column for "uprn", which every places file needs.',
        '"case_when" is only for crimes sources.',
    ]
    with pytest.raises(ProfileError) as refused:
        parse_profile(crimes(), kind="people")
    assert refused.value.messages == ['"people" is not a kind of source (crimes or places).']


# Canonical records --------------------------------------------------------------------------------


def test_a_row_becomes_its_canonical_record(police_street_csv):
    profile = parse_profile(shipped_profile("police-uk-street"))
    row = {
        "Crime ID": " 356f6e3b1e35 ",
        "Month": "2017-01",
        "Reported by": "City of London Police",
        "Falls within": "City of London Police",
        "Longitude": "-0.111497",
        "Latitude": "51.518226",
        "Location": "On or near Pedestrian Subway",
        "LSOA code": "E01000914",
        "LSOA name": "Camden 028B",
        "Crime type": "Burglary",
        "Last outcome category": "Offender given community sentence",
        "Context": "",
        "Something new": "ignored",
    }
    record = canonical(profile, row)
    assert record.reference == "356f6e3b1e35"
    assert record.personal == {}
    assert record.data == {
        "crime_reference": "356f6e3b1e35",
        "month": "2017-01",
        "reported_by": "City of London Police",
        "force": "City of London Police",
        "longitude": "-0.111497",
        "latitude": "51.518226",
        "location": "On or near Pedestrian Subway",
        "lsoa_code": "E01000914",
        "lsoa_name": "Camden 028B",
        "category": "Burglary",
        "outcome": "Offender given community sentence",
        "context": None,
    }


@pytest.mark.parametrize(
    "header",
    ["Crime ID", "crime id", "CRIME_ID", "  Crime  ID ", "crime_id", "\ufeffCrime ID"],
)
def test_header_variants_match(header):
    profile = parse_profile(crimes())
    assert canonical(profile, {header: "X1", "Month": "2017-06"}).reference == "X1"


def test_the_first_alternative_the_file_has_is_used():
    profile = parse_profile(crimes(columns={**COLUMNS, "category": ["Crime type", "Offence"]}))
    record = canonical(profile, {"Crime ID": "X1", "Month": "2017-06", "offence": "Robbery"})
    assert record.data["category"] == "Robbery"


def test_a_mapped_column_the_file_lacks_is_none():
    profile = parse_profile(crimes(columns={**COLUMNS, "context": "Context"}))
    assert canonical(profile, {"Crime ID": "X1", "Month": "2017-06"}).data["context"] is None


def test_a_row_without_a_crime_reference_has_an_empty_reference():
    profile = parse_profile(crimes())
    record = canonical(profile, {"Crime ID": "  ", "Month": "2017-06"})
    assert record.reference == ""
    assert record.data["crime_reference"] is None


@pytest.mark.parametrize(
    "raw",
    [
        "2017-06",
        "2017/06",
        "06/2017",
        "6/2017",
        "06-2017",
        "Jun 2017",
        "June 2017",
        "jun-2017",
        "2017-06-14",
        "14/06/2017",
        "2017-06-14 13:40",
        "2017-06-14T13:40:00Z",
    ],
)
def test_months_in_the_forms_forces_write(raw):
    assert canonical(full_profile(), row_of(month=raw)).data["month"] == "2017-06"


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("01/06/2017", "2017-06-01T00:00:00+01:00"),  # day first: 1 June, summer time
        ("01/12/2017 13:40", "2017-12-01T13:40:00+00:00"),
        ("2017-06-01 13:40", "2017-06-01T13:40:00+01:00"),
        ("2017-06-01T13:40:05", "2017-06-01T13:40:05+01:00"),
        ("2017-06-01T12:40:00Z", "2017-06-01T12:40:00+00:00"),
        ("2017-06-01T13:40:00+02:00", "2017-06-01T13:40:00+02:00"),
        ("1 Jun 2017", "2017-06-01T00:00:00+01:00"),
        ("01.06.2017 08.15", "2017-06-01T08:15:00+01:00"),
        ("42887", "2017-06-01T00:00:00+01:00"),  # an Excel serial date
        ("42887.5", "2017-06-01T12:00:00+01:00"),
        ("42887.3333333333", "2017-06-01T08:00:00+01:00"),  # to the second
    ],
)
def test_dates_and_times_in_the_forms_forces_write(raw, iso):
    assert canonical(full_profile(), row_of(occurred_at=raw)).data["occurred_at"] == iso


def test_the_profiles_own_date_formats_come_first():
    profile = full_profile(date_formats=["%Y%m%d%H%M", "%Y%m"])
    record = canonical(profile, row_of(month="201706", occurred_at="201706011340"))
    assert record.data["month"] == "2017-06"
    assert record.data["occurred_at"] == "2017-06-01T13:40:00+01:00"


@pytest.mark.parametrize(
    ("decimal", "latitude", "longitude", "expected"),
    [
        (".", "51.518226", "-0.111497", ("51.518226", "-0.111497")),
        (".", " 51.5000 ", "-0.10", ("51.5", "-0.1")),
        (",", "52,629909", "-1,132073", ("52.629909", "-1.132073")),
        (".", "90", "-180", ("90", "-180")),
        (".", "", "", (None, None)),
    ],
)
def test_coordinates(decimal, latitude, longitude, expected):
    record = canonical(
        full_profile(decimal=decimal), row_of(latitude=latitude, longitude=longitude)
    )
    assert (record.data["latitude"], record.data["longitude"]) == expected


def test_no_location_rows_are_valid():
    record = canonical(full_profile(), row_of(location="No Location", latitude="", longitude=""))
    assert record.data["location"] == "No Location"
    assert record.data["latitude"] is None


def test_personal_fields_are_kept_apart_and_normalised():
    record = canonical(
        full_profile(),
        row_of(
            victim_name="  Made-Up  Person ",
            victim_phone="07700 900123",
            victim_email="made.up@example.invalid",
            victim_address="1 Imaginary Row\nNowhere",
        ),
    )
    assert record.personal == {
        "victim_name": "Made-Up Person",
        "victim_phone": "+447700900123",
        "victim_email": "made.up@example.invalid",
        "victim_address": "1 Imaginary Row Nowhere",
    }
    assert not set(record.data) & set(PERSONAL_FIELDS)


def test_blank_personal_fields_are_left_out():
    record = canonical(full_profile(), row_of(victim_name=" ", victim_phone=""))
    assert record.personal == {}


def test_control_characters_become_spaces():
    record = canonical(full_profile(), row_of(location="On or near\tHigh\x0bStreet\r\n"))
    assert record.data["location"] == "On or near High Street"


# (field, value, message): each value is made-up and distinctive, so finding it in a message
# would show the value leaked.
BAD_VALUES = [
    ("month", "Smarch 2017", "is not a month (such as 2017-06 or 06/2017)"),
    ("month", "", "is missing"),
    ("occurred_at", "31/02/2017", "is not a date (such as 01/06/2017 or 2017-06-01 13:40)"),
    ("occurred_at", "yesterday-ish", "is not a date (such as 01/06/2017 or 2017-06-01 13:40)"),
    ("latitude", "51°30'N", "is not a number"),
    ("latitude", "91.5", "is outside -90 to 90"),
    ("longitude", "-180.25", "is outside -180 to 180"),
    ("longitude", "NaN", "is not a number"),
    ("latitude", "51,5", "is not a number"),  # a decimal comma the profile did not announce
    ("victim_phone", "07700 9001234567890", "is not a phone number"),
    ("victim_email", "qz.not-an-email@", "is not an email address"),
    ("victim_name", "Zephyrine\x00Canary", "contains a NUL character"),
    ("location", "Qx" * 251, "is longer than 500 characters"),
    ("crime_reference", "R" * 129, "is longer than 128 characters"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES)
def test_a_bad_value_is_refused_by_field_without_its_value(field, value, message):
    row = row_of(**{field: value})
    if field == "latitude":
        row["longitude"] = "-0.1"
    if field == "longitude":
        row["latitude"] = "51.5"
    with pytest.raises(RowInvalid) as refused:
        canonical(full_profile(), row)
    assert (refused.value.field, refused.value.message) == (field, message)
    if value:
        assert value not in str(refused.value)
        assert value not in refused.value.message


FIXED_MESSAGES = {message for _, _, message in BAD_VALUES} | {
    "is missing while latitude is given",
    "is missing while longitude is given",
    "is outside -90 to 90",
    "is outside -180 to 180",
}


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(CRIME_FIELDS + PERSONAL_FIELDS),
    value=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
)
def test_any_value_is_accepted_or_refused_in_fixed_words(field, value):
    """Whatever a cell holds, a refusal is one of the fixed messages: no value is ever woven in."""
    refused = None
    try:
        canonical(full_profile(), row_of(**{field: value}))
    except RowInvalid as exc:
        refused = exc
    if refused is not None:
        assert refused.message in FIXED_MESSAGES
        assert str(refused) == f"{refused.field}: {refused.message}"


def test_a_coordinate_alone_is_refused():
    with pytest.raises(RowInvalid) as refused:
        canonical(full_profile(), row_of(latitude="51.5", longitude=""))
    assert (refused.value.field, refused.value.message) == (
        "longitude",
        "is missing while latitude is given",
    )
    with pytest.raises(RowInvalid) as refused:
        canonical(full_profile(), row_of(latitude="", longitude="-0.1"))
    assert refused.value.field == "latitude"


def test_places_rows():
    profile = parse_profile(
        {"format": "csv", "columns": {name: name for name in PLACE_FIELDS}}, kind="places"
    )
    record = canonical(
        profile,
        {
            "uprn": "100023336956.0",
            "address": "10 Made Up Road, Nowhere",
            "postcode": "zz99 9zz",
            "latitude": "51.5",
            "longitude": "-0.12",
            "easting": "530047.00",
            "northing": "180136",
        },
    )
    assert record.reference == "100023336956"
    assert record.personal == {}
    assert record.data["postcode"] == "ZZ99 9ZZ"
    assert record.data["easting"] == "530047"
    for field, value, message in [
        ("uprn", "UPRN-12", "is not a UPRN (up to 12 digits)"),
        ("uprn", "", "is missing"),
        ("postcode", "not a postcode", "is not a postcode"),
        ("easting", "-5", "is outside 0 to 800000"),
        ("northing", "1400001", "is outside 0 to 1400000"),
        ("uprn", "¹²", "is not a UPRN (up to 12 digits)"),
    ]:
        with pytest.raises(RowInvalid) as refused:
            canonical(profile, {"uprn": "1", field: value})
        assert (refused.value.field, refused.value.message) == (field, message)


# Hash, case rule and categories -------------------------------------------------------------------


def test_the_content_hash_is_stable_and_covers_personal_fields():
    one = Canonical(data={"month": "2017-06", "category": "Robbery"}, personal={}, reference="")
    same = Canonical(data={"category": "Robbery", "month": "2017-06"}, personal={}, reference="")
    other = Canonical(data={"month": "2017-06", "category": "Burglary"}, personal={}, reference="")
    with_phone = Canonical(data=one.data, personal={"victim_phone": "+447700900123"}, reference="")
    assert content_hash(one) == content_hash(same)
    assert len(content_hash(one)) == 64
    assert len({content_hash(one), content_hash(other), content_hash(with_phone)}) == 3


@pytest.mark.parametrize(
    ("case_when", "personal", "category", "expected"),
    [
        (None, {}, "Burglary", False),
        (None, {"victim_phone": "+447700900123"}, "Burglary", True),
        (None, {"victim_email": "a@example.invalid"}, "Burglary", True),
        (None, {"victim_name": "Made Up"}, "Burglary", False),
        ("never", {"victim_phone": "+447700900123"}, "Burglary", False),
        ("always", {}, "Burglary", True),
        ({"categories": ["stalking"]}, {"victim_phone": "+447700900123"}, "Stalking", True),
        ({"categories": ["stalking"]}, {}, "Stalking", False),
        ({"categories": ["stalking"]}, {"victim_phone": "+447700900123"}, "Burglary", False),
        # listed by the Lantern code the source's text maps to
        ({"categories": ["domestic-abuse"]}, {"victim_email": "a@example.invalid"}, "DA", True),
    ],
)
def test_needs_contact_follows_the_profiles_rule(case_when, personal, category, expected):
    settings = {"categories": {"DA": "domestic-abuse"}}
    if case_when is not None:
        settings["case_when"] = case_when
    profile = parse_profile(crimes(**settings))
    record = Canonical(data={"category": category}, personal=personal, reference="")
    assert needs_contact(profile, record) is expected


def test_lantern_category_maps_the_sources_text():
    profile = parse_profile(crimes(categories={"Violence and sexual offences": "physical"}))
    record = Canonical(data={"category": "VIOLENCE and sexual offences"}, personal={}, reference="")
    assert lantern_category(profile, record) == "physical"
    assert lantern_category(profile, Canonical({"category": "Drugs"}, {}, "")) == ""
    assert lantern_category(profile, Canonical({}, {}, "")) == ""
