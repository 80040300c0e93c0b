"""Two cases that turn out to be one: merge a case into another, a supervisor's unmerge, and moving
one report to another case (issue 12, UX item 5).

A merge moves the case's reports and the people on it (a person already on the other case in the
same role stays behind) and sets its flags on the other case too; it records exactly which reports
and people moved (CaseMerge), so an unmerge puts back exactly those. Notes, referrals, services and
messages stay on the merged case, which becomes read-only and points to the case it joined. Both
rows are locked in the order of their keys, so two people merging A into B and B into A at once
cannot deadlock: the second waits, then finds its case merged and is refused (409)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from cases.flags import apply_flags, bump_version, require_reason
from cases.models import Case, CaseMerge, CasePerson, Report
from cases.moves import case_summary, move_case, require
from cases.policy import can_merge, can_unmerge, visible_cases
from cases.workflow import CaseError, ConflictError, NotAllowedError, ReadOnlyError
from notifications import realtime
from project.history import attribute_change

S = Case.Status
# a case may not take in another when it is one of these
CLOSED_TO_MERGES = (S.MERGED, S.ARCHIVED, S.DISCARDED)


class NotFoundError(CaseError):
    """A case the user may not see: 404, as everywhere (never 403: numbers cannot be probed)."""

    http_status = 404

    def __init__(self) -> None:
        super().__init__("No such case.")


def _lock_pair(first: Case, second: Case) -> tuple[Case, Case]:
    """Both case rows locked, always the lower key first (no deadlock between two opposite
    merges), returned in the order asked."""
    locked = {}
    for pk in sorted({first.pk, second.pk}):
        locked[pk] = Case.objects.select_for_update(of=("self",)).get(pk=pk)
    return locked[first.pk], locked[second.pk]


def _saved(record: Model, actor: AbstractBaseUser, reason: str, **changes: object) -> None:
    for name, value in changes.items():
        setattr(record, name, value)
    attribute_change(record, actor=actor, reason=reason)
    record.save(update_fields=list(changes))


def _require_visible(actor: AbstractBaseUser, *cases: Case) -> None:
    if visible_cases(actor).filter(pk__in=[case.pk for case in cases]).count() != len(cases):
        raise NotFoundError()


def _require_open_to(target: Case) -> None:
    if target.status in CLOSED_TO_MERGES:
        raise ConflictError(
            f"{target.number} is {S(target.status).label.lower()}: it cannot take in another case.",
        )


@dataclass(frozen=True)
class MergePreview:
    """What a merge of `case` into `into` would move (the confirmation page), in counts."""

    reports: int
    people: dict[str, int]  # role label -> how many move
    staying: dict[str, int]  # already on the other case in the same role: they stay
    flags: list[str]  # labels of the flags the other case would gain


def merge_preview(case: Case, into: Case) -> MergePreview:
    there = set(CasePerson.objects.filter(case=into).values_list("person_id", "role"))
    moving: Counter[str] = Counter()
    staying: Counter[str] = Counter()
    for person_id, role in CasePerson.objects.filter(case=case).values_list("person_id", "role"):
        label = CasePerson.Role(role).label.lower()
        (staying if (person_id, role) in there else moving)[label] += 1
    have = set(into.flag_links.values_list("flag_id", flat=True))
    flags = [
        link.flag.label
        for link in case.flag_links.filter(flag__is_active=True).select_related("flag")
        if link.flag_id not in have
    ]
    return MergePreview(
        reports=Report.objects.filter(case=case).count(),
        people=dict(moving),
        staying=dict(staying),
        flags=flags,
    )


@transaction.atomic
def merge_case(*, case: Case, into: Case, actor: AbstractBaseUser, reason: str) -> Case:
    """Merge `case` into `into` (see the module): `case` becomes merged, pointing to `into`."""
    reason = require_reason(reason)
    if case.pk == into.pk:
        raise ConflictError("A case cannot be merged into itself.")
    _require_visible(actor, case, into)
    source, target = _lock_pair(case, into)
    if source.merged_into_id:
        raise ReadOnlyError(source.number, source.status)
    _require_open_to(target)
    require(can_merge(actor, source), source, f"You may not merge {source.number}.")
    require(can_merge(actor, target), target, f"You may not change {target.number}.")
    if source.helpline_id != target.helpline_id:  # the policy already keeps them apart
        raise NotAllowedError("Only cases of the same helpline can be merged.")
    why_here = f"Merged into {target.number}: {reason}"
    why_there = f"Merged in from {source.number}: {reason}"
    report_ids = []
    for report in Report.objects.filter(case=source).order_by("pk"):
        _saved(report, actor, why_there, case=target)
        report_ids.append(report.pk)
    there = set(CasePerson.objects.filter(case=target).values_list("person_id", "role"))
    person_ids = []
    for link in CasePerson.objects.filter(case=source).order_by("pk"):
        if (link.person_id, link.role) not in there:
            _saved(link, actor, why_there, case=target)
            person_ids.append(link.pk)
    flags = source.flag_links.filter(flag__is_active=True).values_list("flag__code", flat=True)
    apply_flags(target, actor=actor, add=list(flags), reason=why_there)
    CaseMerge.objects.create(
        case=source, into=target, previous_status=source.status, reason=reason,
        report_ids=report_ids, case_person_ids=person_ids, merged_by=actor,
    )  # fmt: skip
    _saved(
        source, actor, why_here,
        merged_into=target, version=source.version + 1, updated_at=timezone.now(),
    )  # fmt: skip
    bump_version(target, actor, why_there)
    return move_case(case=source, to=S.MERGED, actor=actor, reason=why_here, action="merge")


@transaction.atomic
def unmerge_case(*, case: Case, actor: AbstractBaseUser, reason: str) -> Case:
    """Undo the merge of `case`: exactly the reports and people it moved go back (those moved on
    from the other case since stay where they are), and the case takes back the status it had.
    Flags it set on the other case stay there. A supervisor of the case's helpline only."""
    reason = require_reason(reason)
    _require_visible(actor, case)
    into_id = Case.objects.filter(pk=case.pk).values_list("merged_into_id", flat=True).first()
    if into_id is None:
        raise ConflictError(f"{case.number} is not merged.")
    source, target = _lock_pair(case, Case(pk=into_id))
    if source.status != S.MERGED or source.merged_into_id != target.pk:
        raise ConflictError(f"{source.number} is not merged.")
    if not can_unmerge(actor, source):
        raise NotAllowedError("Only a supervisor of the case's helpline can undo a merge.")
    if target.status in (S.MERGED, S.ARCHIVED):
        raise ConflictError(
            f"{target.number} is {S(target.status).label.lower()}: undo that first.",
        )
    merge = CaseMerge.objects.filter(case=source, into=target, unmerged_at=None).first()
    if merge is None:
        raise ConflictError(f"{source.number} has no merge to undo.")
    why_here = f"Unmerged from {target.number}: {reason}"
    why_there = f"Unmerged {source.number}: {reason}"
    for report in Report.objects.filter(pk__in=merge.report_ids, case=target):
        _saved(report, actor, why_here, case=source)
    for link in CasePerson.objects.filter(pk__in=merge.case_person_ids, case=target):
        _saved(link, actor, why_here, case=source)
    _saved(
        merge, actor, why_here,
        unmerged_by=actor, unmerged_at=timezone.now(), unmerge_reason=reason,
    )  # fmt: skip
    _saved(
        source, actor, why_here,
        status=merge.previous_status, merged_into=None, version=source.version + 1,
        updated_at=timezone.now(),
    )  # fmt: skip
    realtime.broadcast_case_event(
        source.helpline_id,
        realtime.CaseEvent(type="case.updated", case=case_summary(source)),
    )
    bump_version(target, actor, why_there)
    return source


@transaction.atomic
def move_report(*, report: Report, to_case: Case, actor: AbstractBaseUser, reason: str) -> Report:
    """Move one report to another case of the same helpline (it was about someone else): both
    cases must be changeable by the actor, and a case keeps at least one report."""
    reason = require_reason(reason)
    if report.case_id == to_case.pk:
        raise ConflictError("The report is already on that case.")
    _require_visible(actor, report.case, to_case)
    source, target = _lock_pair(report.case, to_case)
    _require_open_to(target)
    require(can_merge(actor, source), source, f"You may not change {source.number}.")
    require(can_merge(actor, target), target, f"You may not change {target.number}.")
    if source.helpline_id != target.helpline_id:
        raise NotAllowedError("A report can only move to a case of the same helpline.")
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.case_id != source.pk:
        raise ConflictError("The report has just been moved by someone else.")
    if not Report.objects.filter(case=source).exclude(pk=locked.pk).exists():
        raise ConflictError(f"This is the only report on {source.number}: merge the case instead.")
    _saved(locked, actor, f"Moved from {source.number} to {target.number}: {reason}", case=target)
    bump_version(source, actor, f"Report moved to {target.number}: {reason}")
    bump_version(target, actor, f"Report moved in from {source.number}: {reason}")
    return locked
