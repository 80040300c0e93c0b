"""The crimes target (feeds.targets): each row of a crime source becomes a FeedRecord keyed on
(source, key), written in bulk a chunk at a time, and a row the profile says needs victim contact
opens a case (channel `feed`) in the source's helpline's queue, routed to a team by its force.

A record a batch changes keeps what it held before as a FeedRecordVersion, so rolling the batch
back can restore it."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet
from django.utils import timezone

from cases.models import (
    Case,
    Category,
    ContactType,
    ExternalReference,
    PersonContact,
    ReferenceType,
)
from feeds.models import FeedRecord, FeedRecordVersion, FeedSource, ImportBatch
from feeds.profiles import Canonical, Profile, content_hash, lantern_category, needs_contact
from feeds.targets import Counts, row_key
from project.history import attribute_change
from project.phones import to_e164

KEY_MAX = FeedRecord._meta.get_field("key").max_length
SOURCE_ID_MAX = 128  # cases.models.Report.source_id
# what a changed record gets from the row; the rest (first batch, created) stays as it was
WRITTEN = [
    "crime_reference",
    "content_hash",
    "data",
    "personal",
    "case",
    "last_batch",
    "updated_at",
]
STAGED = ["source", "key", "first_batch", "created_at", *WRITTEN]


@dataclass
class _State:
    """A key as this chunk knows it: as stored (pk set) or as the chunk will write it."""

    pk: int | None
    digest: str
    case_id: int | None
    last_batch_id: int | None = None  # as stored: the batch that last wrote it
    canonical: Canonical | None = None  # set when this chunk writes the key


class CrimesTarget:
    def __init__(self, source: FeedSource, profile: Profile) -> None:
        self.source = source
        self.profile = profile
        # keys a dry run counted as cases already: the same key again is not another case
        self._would_open: set[str] = set()

    # Writing ------------------------------------------------------------------------------------

    def write(
        self, batch: ImportBatch, rows: list[tuple[int, Canonical]], *, seen: Counter[str]
    ) -> Counts:
        counts = Counts()
        keyed = []
        for number, canonical in rows:
            if len(canonical.reference) > KEY_MAX:
                counts.reject(number, "crime_reference", f"is longer than {KEY_MAX} characters")
                continue
            digest = content_hash(canonical)
            keyed.append((canonical, row_key(canonical, seen, digest), digest))
        stored = self._stored({key for _, key, _ in keyed})
        same_file = self._written_by_the_same_file(batch, stored)
        changing: dict[str, _State] = {}
        # contents a key had earlier in this chunk, each kept as a version of this batch, so the
        # same file again knows them (_written_by_the_same_file) and a rollback drops them
        passed: list[tuple[str, _State]] = []
        for canonical, key, digest in keyed:
            now = changing.get(key) or stored.get(key)
            if now is not None and (
                now.digest == digest or (key not in changing and digest in same_file.get(key, ()))
            ):
                counts.unchanged += 1
                continue
            if now is None:
                counts.new += 1
                changing[key] = _State(None, digest, None, canonical=canonical)
            else:
                counts.updated += 1
                if key in changing:
                    passed.append((key, changing[key]))
                changing[key] = _State(now.pk, digest, now.case_id, canonical=canonical)
        counts.cases_opened = self._cases(batch, changing)
        self._save(batch, changing)
        self._keep_passed(batch, passed)
        return counts

    def _keep_passed(self, batch: ImportBatch, passed: list[tuple[str, _State]]) -> None:
        if not passed:
            return  # the usual file: each key once
        pks = dict(
            FeedRecord.objects.filter(
                source=self.source, key__in={key for key, _ in passed}
            ).values_list("key", "pk")
        )
        FeedRecordVersion.objects.bulk_create(
            FeedRecordVersion(
                record_id=pks[key],
                batch=batch,
                content_hash=state.digest,
                data=state.canonical.data,
                personal=state.canonical.personal,
            )
            for key, state in passed
            if state.canonical is not None
        )

    def _stored(self, keys: set[str]) -> dict[str, _State]:
        joined = "\n".join(keys)
        if connection.vendor == "postgresql" and joined.count("\n") == len(keys) - 1:
            # one text parameter split in the database: Django's IN sends a parameter per key,
            # and psycopg quotes a text array element by element in Python (feeds.profiles turns
            # line breaks into spaces, so the count above holds but for a key made elsewhere)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT key, id, content_hash, case_id, last_batch_id FROM feeds_feedrecord "
                    "WHERE source_id = %s AND key = ANY(string_to_array(%s, E'\\n'))",
                    [self.source.pk, joined],
                )
                found = cursor.fetchall()
        else:
            found = FeedRecord.objects.filter(source=self.source, key__in=keys).values_list(
                "key", "pk", "content_hash", "case_id", "last_batch_id"
            )
        return {key: _State(pk, digest, case, last) for key, pk, digest, case, last in found}

    def _written_by_the_same_file(
        self, batch: ImportBatch, stored: dict[str, _State]
    ) -> dict[str, set[str]]:
        """Per key, every content an earlier import of these very bytes wrote to it. A file may
        hold one crime reference several times with different content (an outcomes file: one row
        per outcome); its first import keeps the last, so without this the same file again would
        find the earlier rows "updated" each time. Only for the same file: a new file whose row
        goes back to an earlier content is a real change."""
        earlier = {state.last_batch_id for state in stored.values()} - {batch.pk, None}
        same = set(
            ImportBatch.objects.filter(pk__in=earlier, checksum=batch.checksum).values_list(
                "pk", flat=True
            )
        )
        if not same:
            return {}
        key_of = {state.pk: key for key, state in stored.items() if state.last_batch_id in same}
        written: dict[str, set[str]] = {key: {stored[key].digest} for key in key_of.values()}
        versions = FeedRecordVersion.objects.filter(record_id__in=key_of, batch_id__in=same)
        for record_id, digest in versions.values_list("record_id", "content_hash"):
            written[key_of[record_id]].add(digest)
        return written

    def _save(self, batch: ImportBatch, changing: dict[str, _State]) -> None:
        if not changing:
            return
        keep_versions([state.pk for state in changing.values() if state.pk is not None])
        now = timezone.now()
        rows = {
            # in STAGED's order
            key: (self.source.pk, key, batch.pk, now, state.canonical.reference, state.digest,
                  state.canonical.data, state.canonical.personal, state.case_id, batch.pk, now)
            for key, state in changing.items()
        }  # fmt: skip
        save_records(
            new=[row for key, row in rows.items() if changing[key].pk is None],
            changed=[row for key, row in rows.items() if changing[key].pk is not None],
        )

    # Cases --------------------------------------------------------------------------------------

    def _cases(self, batch: ImportBatch, changing: dict[str, _State]) -> int:
        """Open a case for each written row that needs victim contact and has none yet. A dry run
        counts them instead (no case, no case number used)."""
        if self.source.helpline_id is None:
            return 0
        opened = 0
        for key, state in changing.items():
            if state.case_id is not None or not needs_contact(self.profile, state.canonical):
                continue
            if batch.dry_run:
                if key not in self._would_open:
                    self._would_open.add(key)
                    opened += 1
                continue
            case, created = self._open_case(key, state.canonical)
            state.case_id = case.pk
            opened += int(created)
        return opened

    def _open_case(self, key: str, canonical: Canonical) -> tuple[Case, bool]:
        from cases.routing import assign_team
        from cases.services import (
            IncidentDetails,
            IncomingReport,
            VictimDetails,
            open_reported_case,
        )

        data, personal = canonical.data, canonical.personal
        force = data.get("force") or data.get("reported_by") or ""
        case, created = open_reported_case(
            helpline=self.source.helpline,
            report=IncomingReport(
                channel=Case.Channel.FEED,
                source_id=self.report_id(key),
                body=summary(self.source, canonical),
                raw={"feed_source": self.source.slug},
            ),
            incident=IncidentDetails(
                category=self._category(canonical),
                occurred_at=occurred_at(data),
                location=data.get("location") or "",
                description=summary(self.source, canonical),
            ),
            victim=VictimDetails(
                name=personal.get("victim_name") or "",
                phone=to_e164(personal.get("victim_phone") or ""),
            ),
        )
        if not created:  # opened from this row before (a record rolled back and imported again)
            return case, False
        for field, code, words in (
            ("victim_email", "email", "Victim's email from the police feed"),
            ("victim_address", "address", "Victim's address from the police feed"),
        ):
            if not personal.get(field):
                continue
            victim = case.people.get(role="victim").person
            contact = PersonContact(
                person=victim, kind=ContactType.objects.get(code=code), value=personal[field]
            )
            attribute_change(contact, actor=None, reason=words)
            contact.save()
        if canonical.reference:
            reference = ExternalReference(
                case=case,
                kind=ReferenceType.objects.get(code="crime_number"),
                value=canonical.reference,
                issued_by=force[:120],
            )
            attribute_change(reference, actor=None, reason="Crime number from the police feed")
            reference.save()
        assign_team(case, force=force)
        return case, True

    def report_id(self, key: str) -> str:
        """The case report's source id: one per (source, key), so opening is idempotent."""
        wanted = f"{self.source.slug}:{key}"
        if len(wanted) <= SOURCE_ID_MAX:
            return wanted
        return f"feed{self.source.pk}:{hashlib.sha256(wanted.encode()).hexdigest()}"

    def _category(self, canonical: Canonical) -> Category | None:
        code = lantern_category(self.profile, canonical)
        return Category.objects.filter(code=code, is_active=True).first() if code else None

    # Rolling back -------------------------------------------------------------------------------

    def rollback(self, batch: ImportBatch) -> list[str]:
        records = FeedRecord.objects.filter(source=self.source)
        created = records.filter(first_batch=batch)
        kept = list(
            Case.objects.filter(feed_records__in=created)
            .order_by("pk")
            .values_list("number", flat=True)
        )
        FeedRecordVersion.objects.filter(record__in=created).delete()
        created.delete()
        changed = records.filter(last_batch=batch)
        # contents the batch wrote and then changed again itself are not what it found
        FeedRecordVersion.objects.filter(record__in=changed, batch=batch).delete()
        restored, used = [], []
        for version in _newest(FeedRecordVersion.objects.filter(record__in=changed)):
            record = version.record
            record.content_hash = version.content_hash
            record.data = version.data
            record.personal = version.personal
            record.last_batch_id = version.batch_id
            record.updated_at = timezone.now()
            restored.append(record)
            used.append(version.pk)
        FeedRecord.objects.bulk_update(
            restored, ["content_hash", "data", "personal", "last_batch", "updated_at"], 1000
        )
        FeedRecordVersion.objects.filter(pk__in=used).delete()
        return kept


def keep_versions(pks: list[int]) -> None:
    """Before records change, keep what they hold as versions, each with the batch that wrote it
    (what a rollback restores). Copied inside the database: nothing is decrypted on the way."""
    if not pks:
        return
    version, record = FeedRecordVersion._meta.db_table, FeedRecord._meta.db_table
    marks = ", ".join(["%s"] * len(pks))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {version} (record_id, batch_id, content_hash, data, personal, created_at) "  # noqa: S608 - table names and placeholders only
            f"SELECT id, last_batch_id, content_hash, data, personal, %s FROM {record} "
            f"WHERE id IN ({marks})",
            [timezone.now(), *pks],
        )


def save_records(*, new: list[tuple], changed: list[tuple]) -> None:
    """Insert the new records and overwrite the changed ones (matched on source and key); rows
    hold the STAGED fields' values. The caller holds the source's lock, so no other writer adds a
    key meanwhile. On PostgreSQL the rows are COPYed (the changed ones into a temporary table,
    then one UPDATE): bulk_create quotes every value of every column in Python, many times slower.
    Either way each value goes through its model field (`personal` is encrypted there)."""
    fields = [FeedRecord._meta.get_field(name) for name in STAGED]
    if connection.vendor != "postgresql":
        FeedRecord.objects.bulk_create(
            [
                FeedRecord(**{f.attname: value for f, value in zip(fields, row, strict=True)})
                for row in [*new, *changed]
            ],
            update_conflicts=True,
            unique_fields=["source", "key"],
            update_fields=WRITTEN,
        )
        return
    columns = ", ".join(field.column for field in fields)
    with connection.cursor() as cursor:
        if new:
            _copy(cursor, "feeds_feedrecord", columns, fields, new)
        if changed:
            cursor.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS feeds_record_stage AS "  # noqa: S608 - the model's columns
                f"SELECT {columns} FROM feeds_feedrecord WITH NO DATA"
            )
            _copy(cursor, "feeds_record_stage", columns, fields, changed)
            assignments = ", ".join(
                f"{f.column} = s.{f.column}" for f in fields if f.name in WRITTEN
            )
            cursor.execute(
                f"UPDATE feeds_feedrecord r SET {assignments} FROM feeds_record_stage s "  # noqa: S608
                "WHERE r.source_id = s.source_id AND r.key = s.key"
            )
            cursor.execute("TRUNCATE feeds_record_stage")


def _copy(cursor: CursorWrapper, table: str, columns: str, fields: list, rows: list[tuple]) -> None:
    """COPY the rows in as JSON text for the JSON columns: `data` as json.dumps gives it (what its
    plain JSONField would send), `personal` as its encrypted field prepares it."""
    data, personal = STAGED.index("data"), STAGED.index("personal")
    encrypted = fields[personal]
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = list(row)
            values[data] = json.dumps(values[data])
            values[personal] = encrypted.get_prep_value(values[personal])
            copy.write_row(values)


def _newest(versions: QuerySet[FeedRecordVersion]) -> Iterator[FeedRecordVersion]:
    """Each record's newest version: what it held before the batch being rolled back."""
    last = None
    for version in versions.select_related("record").order_by("record", "-pk").iterator(1000):
        if version.record_id != last:
            last = version.record_id
            yield version


# Words for the case ---------------------------------------------------------------------------


def summary(source: FeedSource, canonical: Canonical) -> str:
    """A neutral line from the record's non-personal fields, for the case's report."""
    data = canonical.data
    parts = [f"From the {source.name} feed: {data.get('category') or 'a crime record'}"]
    if data.get("month"):
        parts.append(f"in {data['month']}")
    if data.get("location"):
        parts.append(f"at {data['location']}")
    text = " ".join(parts) + "."
    if data.get("outcome"):
        text += f" Last outcome: {data['outcome']}."
    return text


def occurred_at(data: dict[str, str | None]) -> datetime | None:
    """When it happened: feeds.profiles gives a full ISO moment with its offset, or nothing."""
    return datetime.fromisoformat(data["occurred_at"]) if data.get("occurred_at") else None
