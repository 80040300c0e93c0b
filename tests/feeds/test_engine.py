"""The import engine (issue 13 item 2): a file streamed into feed records a chunk at a time,
matched on (source, crime reference) or on content and occurrence for rows without one, counted
new / updated / unchanged / rejected; rows with victim contact open one case each in the
source's helpline's queue; a dry run writes nothing; a batch killed mid-way resumes to the same
result as a clean run. On the real City of London street file and made-up files of the shape."""

from __future__ import annotations

import io
import logging

import pytest
from django.db import connection

from accounts.models import Organisation
from cases.models import Case, CasePerson, ExternalReference, Person, Report, RoutingRule, Team
from feeds import records
from feeds.engine import run_batch
from feeds.models import FeedRecord, FeedRecordVersion, FeedSource, ImportBatch
from feeds.services import start_import
from tests.factories import category
from tests.feeds.conftest import FILES, STREET_ROWS, shipped_profile

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_dir")]

S = ImportBatch.Status
STREET = FILES / "2017-01-city-of-london-street.csv"
STREET_BLANK_IDS = 129  # anti-social behaviour rows, no crime ID
# Made-up victims: names nobody has, numbers from Ofcom's drama range.
CONTACT_PROFILE = {
    "format": "csv",
    "columns": {
        "crime_reference": "Crime ID",
        "month": "Month",
        "force": "Falls within",
        "category": "Crime type",
        "location": "Location",
        "victim_name": "Victim name",
        "victim_phone": "Victim phone",
        "victim_email": "Victim email",
    },
    "categories": {"Violence and sexual offences": "physical"},
}
CONTACT_HEADER = (
    "Crime ID,Month,Falls within,Crime type,Location,Victim name,Victim phone,Victim email"
)
CONTACT_ROWS = [
    "CR-1,2026-10,Made-up Police,Violence and sexual offences,On or near Elm Row,"
    "Wilhelmina Quarrender,07700 900123,",
    "CR-2,2026-10,Made-up Police,Burglary,On or near Oak Lane,,,",
    "CR-3,2026-10,Made-up Police,Other theft,On or near Ash Close,Tobias Fenwhistle,,"
    "tobias.fenwhistle@example.org",
]


def contact_file(rows: list[str] = CONTACT_ROWS) -> bytes:
    return ("\n".join([CONTACT_HEADER, *rows]) + "\n").encode()


def make_source(
    helpline: Organisation | None = None, *, profile: dict | None = None, slug: str = "city"
) -> FeedSource:
    return FeedSource.objects.create(
        slug=slug,
        name="City Police",
        helpline=helpline,
        profile=profile or shipped_profile("police-uk-street"),
    )


def import_bytes(
    source: FeedSource, content: bytes, *, dry_run: bool = False, name: str = "feed.csv"
) -> ImportBatch:
    batch = start_import(
        source=source,
        upload=io.BytesIO(content),
        file_name=name,
        actor=None,
        dry_run=dry_run,
        origin=ImportBatch.Origin.COMMAND,
        queue=False,
    )
    run_batch(batch.pk)
    batch.refresh_from_db()
    return batch


def import_street(source: FeedSource, **kwargs: object) -> ImportBatch:
    return import_bytes(source, STREET.read_bytes(), **kwargs)  # type: ignore[arg-type]


def counts(batch: ImportBatch) -> tuple[int, int, int, int, int]:
    return batch.rows, batch.new, batch.updated, batch.unchanged, batch.rejected


def stored(source: FeedSource) -> set[tuple[str, str]]:
    return set(FeedRecord.objects.filter(source=source).values_list("key", "content_hash"))


# A real file, twice ---------------------------------------------------------------------------


def test_the_city_of_london_file_imports_every_row_and_again_all_unchanged() -> None:
    source = make_source()

    first = import_street(source)

    assert first.status == S.DONE, first.failure
    assert counts(first) == (STREET_ROWS, STREET_ROWS, 0, 0, 0)
    assert FeedRecord.objects.filter(source=source).count() == STREET_ROWS
    assert first.encoding
    assert first.finished_at
    assert first.rows_done == STREET_ROWS
    assert first.checksum
    assert first.size == STREET.stat().st_size
    # rows without a crime ID are keyed on their content and which of its copies they are
    hashed = FeedRecord.objects.filter(source=source, key__startswith="h:")
    assert hashed.count() == STREET_BLANK_IDS
    assert hashed.filter(key__endswith=":2").exists()  # identical rows are records of their own

    again = import_street(source)

    assert counts(again) == (STREET_ROWS, 0, 0, STREET_ROWS, 0)
    assert FeedRecord.objects.filter(source=source).count() == STREET_ROWS
    assert not FeedRecordVersion.objects.exists()
    assert FeedRecord.objects.filter(last_batch=again).count() == 0


def test_a_changed_row_is_updated_and_keeps_what_it_held_before() -> None:
    source = make_source()
    first = import_street(source)
    text = STREET.read_text()
    changed = text.replace("Investigation complete; no suspect identified", "Suspect charged", 1)

    second = import_bytes(source, changed.encode())

    assert counts(second) == (STREET_ROWS, 0, 1, STREET_ROWS - 1, 0)
    record = FeedRecord.objects.get(last_batch=second)
    assert record.data["outcome"] == "Suspect charged"
    assert record.first_batch == first
    [version] = record.versions.all()
    assert version.batch == first  # the batch that wrote what it held
    assert version.data["outcome"] == "Investigation complete; no suspect identified"


def test_exact_duplicates_and_rows_without_a_reference() -> None:
    source = make_source(profile=CONTACT_PROFILE)
    row = "CR-9,2026-10,Made-up Police,Burglary,On or near Elm Row,,,"
    blank = ",2026-10,Made-up Police,Anti-social behaviour,On or near Elm Row,,,"
    other = ",2026-10,Made-up Police,Anti-social behaviour,On or near Oak Lane,,,"

    batch = import_bytes(source, contact_file([row, row, blank, blank, blank, other]))

    # the same crime ID twice: one record, the copy unchanged; three identical blank-ID rows are
    # three records
    assert counts(batch) == (6, 5, 0, 1, 0)
    keys = sorted(FeedRecord.objects.filter(source=source).values_list("key", flat=True))
    assert keys[0] == "CR-9"
    assert sorted(key.rsplit(":", 1)[1] for key in keys[1:]) == ["1", "1", "2", "3"]
    again = import_bytes(source, contact_file([row, row, blank, blank, blank, other]))
    assert counts(again) == (6, 0, 0, 6, 0)


def test_the_same_reference_changed_twice_in_one_file_ends_as_the_last_row_says() -> None:
    source = make_source(profile=CONTACT_PROFILE)
    import_bytes(source, contact_file(["CR-5,2026-10,Made-up Police,Burglary,On or near A,,,"]))
    rows = [f"CR-5,2026-10,Made-up Police,Burglary,On or near {place},,," for place in "BC"]

    batch = import_bytes(source, contact_file(rows))

    assert counts(batch) == (2, 0, 2, 0, 0)
    assert FeedRecord.objects.get(source=source).data["location"] == "On or near C"


def test_an_outcomes_file_naming_one_crime_on_several_rows_is_all_unchanged_again() -> None:
    """police.uk outcomes files give one crime a row per outcome: the same file again changes
    nothing, while a new file going back to an earlier outcome is a change."""
    source = make_source(profile=CONTACT_PROFILE)
    rows = [f"CR-7,2026-10,Made-up Police,Burglary,On or near {where},,," for where in "ABC"]
    first = import_bytes(source, contact_file(rows))
    assert counts(first) == (3, 1, 2, 0, 0)
    versions = FeedRecordVersion.objects.count()

    again = import_bytes(source, contact_file(rows))

    assert counts(again) == (3, 0, 0, 3, 0)
    assert FeedRecordVersion.objects.count() == versions
    assert FeedRecord.objects.get(source=source).data["location"] == "On or near C"
    back = import_bytes(source, contact_file(rows[:1]))
    assert counts(back) == (1, 0, 1, 0, 0)
    assert FeedRecord.objects.get(source=source).data["location"] == "On or near A"


# Rejected rows ----------------------------------------------------------------------------------


def test_bad_rows_are_counted_with_the_field_and_never_the_value() -> None:
    source = make_source(profile=CONTACT_PROFILE)
    rows = [
        *CONTACT_ROWS[1:2],
        "CR-7,last October,Made-up Police,Burglary,On or near Elm Row,,,",
        "CR-8,2026-10,Made-up Police,Burglary,On or near Elm Row,Quilla Marchbanks,not-a-phone,",
        "CR-" + "9" * 200 + ",2026-10,Made-up Police,Burglary,On or near Elm Row,,,",
    ]

    batch = import_bytes(source, contact_file(rows))

    assert batch.status == S.DONE
    assert counts(batch) == (4, 1, 0, 0, 3)
    errors = list(batch.row_errors.values_list("row", "field"))
    assert errors == [(3, "month"), (4, "victim_phone"), (5, "crime_reference")]
    for message in batch.row_errors.values_list("message", flat=True):
        assert "last October" not in message
        assert "not-a-phone" not in message
        assert "Quilla" not in message
        assert "999" not in message
    assert FeedRecord.objects.filter(source=source).count() == 1


def test_row_errors_kept_are_capped_but_all_counted(settings) -> None:
    settings.FEED_ERRORS_KEPT = 2
    settings.FEED_CHUNK_ROWS = 2
    source = make_source(profile=CONTACT_PROFILE)
    bad = [f"CR-{n},never,Made-up Police,Burglary,On or near Elm Row,,," for n in range(5)]

    batch = import_bytes(source, contact_file(bad))

    assert batch.rejected == 5
    assert batch.row_errors.count() == 2


# Cases from rows with victim contact ------------------------------------------------------------


def test_rows_with_victim_contact_open_one_case_each_in_the_helplines_queue(helpline) -> None:
    team = Team.objects.create(helpline=helpline, name="City team")
    RoutingRule.objects.create(helpline=helpline, position=1, team=team, force="Made-up Police")
    source = make_source(helpline, profile=CONTACT_PROFILE)

    batch = import_bytes(source, contact_file())

    assert batch.cases_opened == 2
    cases = Case.objects.filter(channel=Case.Channel.FEED).order_by("pk")
    assert [c.helpline for c in cases] == [helpline, helpline]
    assert [c.team for c in cases] == [team, team]
    first = cases[0]
    assert first.category == category("physical")
    assert first.incident_location == "On or near Elm Row"
    victim = first.people.get(role=CasePerson.Role.VICTIM).person
    assert (victim.name, victim.phone) == ("Wilhelmina Quarrender", "+447700900123")
    assert victim.contact_preferences == {}  # nobody said how it is safe: the gate says no
    reference = ExternalReference.objects.get(case=first)
    assert (reference.kind.code, reference.value, reference.issued_by) == (
        "crime_number",
        "CR-1",
        "Made-up Police",
    )
    assert FeedRecord.objects.get(source=source, key="CR-1").case == first
    assert FeedRecord.objects.get(source=source, key="CR-2").case is None
    emailed = cases[1].people.get(role=CasePerson.Role.VICTIM).person
    assert emailed.contacts.get().value == "tobias.fenwhistle@example.org"

    # the same file again, and a changed row of a record that has its case: no new case
    changed = [CONTACT_ROWS[0].replace("Elm Row", "Birch Row"), *CONTACT_ROWS[1:]]
    assert import_bytes(source, contact_file()).cases_opened == 0
    assert import_bytes(source, contact_file(changed)).cases_opened == 0
    assert Case.objects.count() == 2
    assert Report.objects.filter(channel=Case.Channel.FEED).count() == 2
    [version] = FeedRecordVersion.objects.filter(record__key="CR-1")  # what it held before
    assert version.data["location"] == "On or near Elm Row"
    assert version.personal["victim_name"] == "Wilhelmina Quarrender"


def test_a_feed_case_keeps_its_forces_team_when_it_is_verified(helpline, operator) -> None:
    from cases.services import IncidentDetails
    from triage.services import Verification, claim_case, verify_case

    team = Team.objects.create(helpline=helpline, name="City team")
    RoutingRule.objects.create(helpline=helpline, position=1, team=team, force="Made-up Police")
    import_bytes(make_source(helpline, profile=CONTACT_PROFILE), contact_file(CONTACT_ROWS[:1]))
    case = Case.objects.get(channel=Case.Channel.FEED)
    assert case.team == team
    team.members.add(operator)
    claim_case(case=case, actor=operator)

    verify_case(
        case=case,
        actor=operator,
        verification=Verification(
            category=category("physical"),
            priority=Case.Priority.STANDARD,
            incident=IncidentDetails(),
        ),
    )

    case.refresh_from_db()
    assert case.team == team  # routed again without a force given: the crime number's issuer


def test_a_victims_address_in_the_feed_is_on_the_case_as_their_address(helpline) -> None:
    profile = {
        **CONTACT_PROFILE,
        "columns": {**CONTACT_PROFILE["columns"], "victim_address": "Addr"},
    }
    header = CONTACT_HEADER + ",Addr"
    row = CONTACT_ROWS[0] + ',"4 Made-up Mews, Testbury"'
    source = make_source(helpline, profile=profile)

    import_bytes(source, ("\n".join([header, row]) + "\n").encode())

    victim = Case.objects.get().people.get(role=CasePerson.Role.VICTIM).person
    address = victim.contacts.get(kind__code="address")
    assert address.value == "4 Made-up Mews, Testbury"
    assert address.valid_to is None  # their current address


def test_a_source_without_a_helpline_keeps_records_and_opens_no_case() -> None:
    source = make_source(profile=CONTACT_PROFILE)

    batch = import_bytes(source, contact_file())

    assert (batch.new, batch.cases_opened) == (3, 0)
    assert not Case.objects.exists()


def test_personal_fields_are_stored_encrypted(helpline) -> None:
    source = make_source(helpline, profile=CONTACT_PROFILE)
    import_bytes(source, contact_file())
    record = FeedRecord.objects.get(source=source, key="CR-1")
    assert record.personal["victim_name"] == "Wilhelmina Quarrender"

    with connection.cursor() as cursor:
        cursor.execute("SELECT personal, data FROM feeds_feedrecord")
        raw = " ".join(str(value) for row in cursor.fetchall() for value in row)
    for plain in ("Wilhelmina", "Quarrender", "900123", "fenwhistle"):
        assert plain not in raw
    assert "On or near Elm Row" in raw  # the rest is plain, as it should be


# Dry run -----------------------------------------------------------------------------------------


def table_counts() -> dict[str, int]:
    models = [FeedRecord, FeedRecordVersion, Case, Report, Person, CasePerson, ExternalReference]
    return {model.__name__: model.objects.count() for model in models}


def test_a_dry_run_counts_the_same_and_writes_nothing(helpline) -> None:
    source = make_source(helpline, profile=CONTACT_PROFILE)
    rows = [*CONTACT_ROWS, "CR-7,someday,Made-up Police,Burglary,On or near Elm Row,,,"]
    before = table_counts()

    dry = import_bytes(source, contact_file(rows), dry_run=True)

    assert table_counts() == before
    assert dry.status == S.DONE
    assert dry.dry_run
    assert (*counts(dry), dry.cases_opened) == (4, 3, 0, 0, 1, 2)  # would-be cases, counted
    assert list(dry.row_errors.values_list("row", "field")) == [(5, "month")]  # its report
    real = import_bytes(source, contact_file(rows))
    assert (*counts(real), real.cases_opened) == (*counts(dry), dry.cases_opened)


def test_a_dry_runs_page_hears_of_each_chunk_with_counts_only(
    settings, captured_broadcasts, helpline
) -> None:
    settings.FEED_CHUNK_ROWS = 2
    source = make_source(helpline, profile=CONTACT_PROFILE)

    dry = import_bytes(source, contact_file(), dry_run=True)

    assert [groups for groups, _ in captured_broadcasts] == [[f"feeds.import.{dry.pk}"]] * 2
    assert [event["rows_done"] for _, event in captured_broadcasts] == [2, 3]
    assert "Wilhelmina" not in str(captured_broadcasts)


# Resuming after a kill ------------------------------------------------------------------------------


class Killed(BaseException):
    """Stands for SIGKILL: not an error the engine could catch and record."""


def test_a_batch_killed_in_its_third_chunk_resumes_to_a_clean_runs_result(
    settings, monkeypatch
) -> None:
    settings.FEED_CHUNK_ROWS = 100
    clean = import_street(make_source(slug="clean"))
    source = make_source(slug="killed")
    batch = start_import(
        source=source, upload=STREET.open("rb"), file_name="street.csv", actor=None,
        origin=ImportBatch.Origin.COMMAND, queue=False,
    )  # fmt: skip
    calls = []
    write = records.CrimesTarget.write

    def dies_in_the_third(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        result = write(self, *args, **kwargs)  # the chunk's rows are written, not yet committed
        if len(calls) == 3:
            raise Killed
        return result

    monkeypatch.setattr(records.CrimesTarget, "write", dies_in_the_third)
    with pytest.raises(Killed):
        run_batch(batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done) == (S.RUNNING, 200)
    assert FeedRecord.objects.filter(source=source).count() == 200

    monkeypatch.setattr(records.CrimesTarget, "write", write)
    run_batch(batch.pk)  # the task handed out again

    batch.refresh_from_db()
    assert batch.status == S.DONE
    assert counts(batch) == counts(clean)
    assert stored(source) == stored(clean.source)  # same keys, same contents, nothing twice


def test_a_finished_batch_delivered_again_does_nothing() -> None:
    source = make_source()
    batch = import_street(source)

    run_batch(batch.pk)

    batch.refresh_from_db()
    assert counts(batch) == (STREET_ROWS, STREET_ROWS, 0, 0, 0)


# Failures --------------------------------------------------------------------------------------


def test_a_file_that_is_not_what_the_profile_says_fails_in_words() -> None:
    source = make_source()

    batch = import_bytes(source, b"Name,Phone\nOttoline Brackenridge,07700900999\n")

    assert batch.status == S.FAILED
    assert "no column" in batch.failure
    assert "Ottoline" not in batch.failure
    assert not FeedRecord.objects.exists()


def test_a_bad_profile_fails_the_batch_in_words() -> None:
    source = make_source(profile={"format": "parchment", "columns": {}})

    batch = import_bytes(source, STREET.read_bytes())

    assert batch.status == S.FAILED
    assert batch.failure.startswith("The source's profile is not valid")


def test_an_unexpected_error_fails_the_batch_and_logs_no_row(monkeypatch, caplog) -> None:
    source = make_source(profile=CONTACT_PROFILE)

    def breaks(self, batch, rows, *, seen):  # type: ignore[no-untyped-def]
        raise ValueError(f"bad value {rows[0][1].personal}")

    monkeypatch.setattr(records.CrimesTarget, "write", breaks)
    with caplog.at_level(logging.ERROR, logger="feeds.engine"):
        batch = import_bytes(source, contact_file())

    assert batch.status == S.FAILED
    assert batch.failure == "The import stopped on an unexpected error (ValueError)."
    assert "ValueError" in caplog.text
    assert "Wilhelmina" not in caplog.text


def test_a_profile_changed_while_the_file_waited_reads_it_with_the_new_one() -> None:
    source = make_source()
    batch = start_import(
        source=source, upload=STREET.open("rb"), file_name="s.csv", actor=None,
        origin=ImportBatch.Origin.UPLOAD, queue=False,
    )  # fmt: skip
    source.profile_version = 2
    source.save()

    run_batch(batch.pk)

    batch.refresh_from_db()
    assert (batch.status, batch.profile_version) == (S.DONE, 2)


def test_a_profile_changed_mid_import_stops_the_resumed_batch_in_words(
    settings, monkeypatch
) -> None:
    settings.FEED_CHUNK_ROWS = 100
    source = make_source()
    batch = start_import(
        source=source, upload=STREET.open("rb"), file_name="s.csv", actor=None,
        origin=ImportBatch.Origin.UPLOAD, queue=False,
    )  # fmt: skip
    write = records.CrimesTarget.write

    def dies_in_the_second(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.calls == 1:
            raise Killed
        self.calls += 1
        return write(self, *args, **kwargs)

    monkeypatch.setattr(records.CrimesTarget, "calls", 0, raising=False)
    monkeypatch.setattr(records.CrimesTarget, "write", dies_in_the_second)
    with pytest.raises(Killed):
        run_batch(batch.pk)
    source.profile_version = 2
    source.save()

    run_batch(batch.pk)

    batch.refresh_from_db()
    assert (batch.status, batch.rows_done) == (S.FAILED, 100)
    assert "profile changed" in batch.failure
