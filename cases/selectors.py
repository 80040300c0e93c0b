"""Reads of cases, always through the access policy."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest

from cases import case_search
from cases.models import (
    AccessLog,
    Case,
    CaseCategory,
    CaseFlag,
    CaseNote,
    CasePerson,
    ExternalReference,
    Person,
    PersonContact,
    Place,
    Report,
)
from cases.policy import can_see_identities, notes_visible, own_records, visible_cases
from project.crypto import blind_indexes, is_encrypted, normalise_text
from project.phones import to_e164

# a case's flags, with the flag (its icon and label), in the list's order
FLAGS = Prefetch("flag_links", queryset=CaseFlag.objects.select_related("flag"))
# how many contact details the person on a case has (the case page links to them)
_CONTACT_COUNT = Coalesce(
    Subquery(
        PersonContact.objects.filter(person=OuterRef("person"))
        .values("person")
        .annotate(n=Count("pk"))
        .values("n")
    ),
    0,
)


def list_cases(user: AbstractBaseUser, *, q: str = "") -> QuerySet[Case]:
    cases = (
        visible_cases(user)
        .select_related("category", "area", "claimed_by", "helpline")
        .prefetch_related(FLAGS)
    )
    if q:
        cases = cases.filter(_search(user, q))
    return cases


def with_victim_language(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Each case with `victim_language`: the label of its victim's language when it is not the
    helpline's own (settings.LANGUAGE_CODE), else None. A subquery in the list's own query, so a
    page of rows costs no query more however many there are."""
    home = settings.LANGUAGE_CODE.split("-")[0]
    labels = (
        CasePerson.objects.filter(case=OuterRef("pk"), role=CasePerson.Role.VICTIM)
        .exclude(person__language=None)
        .exclude(person__language__code=home)
        .order_by("pk")
        .values("person__language__label")
    )
    return cases.annotate(victim_language=Subquery(labels[:1]))


def _search(user: AbstractBaseUser, q: str) -> Q:
    """A case number, or (for those who may see identities) a person on the case: by every word
    of their name, spelt another way or sounding the same (keyed tokens), their exact full name,
    phone number, a contact detail or reference of theirs, or a reference of the case, or the
    phone a report came from. All matched through blind indexes (cases.case_search)."""
    term = q.strip()
    query = Q(number__iexact=term)
    if can_see_identities(user):
        query |= Q(people__person__name_index__in=blind_indexes(normalise_text(term)))
        query |= case_search.cases_matching(user, term)
        phone = to_e164(term)
        if phone:
            indexes = blind_indexes(phone)
            query |= Q(people__person__phone_index__in=indexes) | Q(
                reports__sender_index__in=indexes
            )
    return Q(pk__in=Case.objects.filter(query).values("pk"))


def get_case_to_act_on(user: AbstractBaseUser, number: str) -> Case:
    """The case with this number if the user may see it (else Http404), for a write: whether
    they may do the write is the service's to decide. Not audited: the write leaves history."""
    case = visible_cases(user).filter(number=number).first()
    if case is None:
        raise Http404("No such case.")
    return case


def access_case(
    user: AbstractBaseUser,
    number: str,
    *,
    request: HttpRequest,
    action: str = AccessLog.Action.VIEW,
    detail: str = "",
) -> Case:
    """The case with this number if the user may see it, else Http404 (never 403: numbers cannot be
    probed). The read is written to the access log before the case is returned.

    What the user may read of the records hanging off it is settled here too (need to know):
    `case.visible_notes` and `case.visible_follow_ups` hold only what the policy allows, and each
    service and referral carries `readable_notes` / `readable_reason` / `readable_decline_reason`,
    empty where the text belongs to another organisation. Pages and JSON read only those."""
    # referrals sits above cases: its models are reached through the case's relations
    follow_ups, referrals, services = (
        Case._meta.get_field(name).related_model for name in ("follow_ups", "referrals", "services")
    )
    case = (
        visible_cases(user)
        .select_related("category", "area", "claimed_by", "helpline", "merged_into")
        .prefetch_related(
            FLAGS,
            Prefetch("other_categories", queryset=CaseCategory.objects.select_related("category")),
            Prefetch("reports", queryset=Report.objects.order_by("received_at", "pk")),
            Prefetch(
                "people",
                queryset=CasePerson.objects.select_related(
                    "person", "person__language", "relationship"
                ).annotate(contact_count=_CONTACT_COUNT),
            ),
            # the page says how many contact details a person has, not what they are: counted in
            # the people's query, none fetched (nor decrypted)
            Prefetch(
                "people__person__references",
                queryset=ExternalReference.objects.select_related("kind"),
            ),
            # each with what it names joined in: one query apiece, not four
            Prefetch(
                "referrals",
                queryset=referrals.objects.select_related(
                    "organisation", "assignee", "referred_by"
                ),
            ),
            Prefetch(
                "services",
                queryset=services.objects.select_related(
                    "organisation", "service_type", "recorded_by"
                ),
            ),
            Prefetch(
                "notes",
                queryset=CaseNote.objects.filter(notes_visible(user)).select_related(
                    "author", "organisation"
                ),
                to_attr="visible_notes",
            ),
            Prefetch(
                "follow_ups",
                queryset=follow_ups.objects.filter(own_records(user)).select_related(
                    "kind", "assignee"
                ),
                to_attr="visible_follow_ups",
            ),
        )
        .filter(number=number)
        .first()
    )
    if case is None:
        raise Http404("No such case.")
    _settle_readable_text(user, case)
    _audit(user, request, action, case, detail)
    return case


def _audit(
    user: AbstractBaseUser, request: HttpRequest, action: str, case: Case | None, detail: str = ""
) -> None:
    """`detail` says which part or form of the case was read (a print "masked"), never a value."""
    AccessLog.objects.create(
        user=user,
        case=case,
        action=action,
        detail=detail,
        via="api" if request.path.startswith("/api/") else "web",
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )


def audit_reveal(
    user: AbstractBaseUser, request: HttpRequest, case: Case | None, detail: str
) -> None:
    """A masked detail was shown (cases.reveal): which one ("person 12 phone"), never the value."""
    _audit(user, request, AccessLog.Action.REVEAL, case, detail)


def audit_listing(user: AbstractBaseUser, request: HttpRequest, *, searched: bool) -> None:
    """A list of cases was shown (or searched): who and when, never what was searched for."""
    _audit(user, request, AccessLog.Action.SEARCH if searched else AccessLog.Action.LIST, None)


# A list that fetches itself again (the console's queue rows on every case event) is one look at
# one list while it stays open: audited once per list per this many seconds in the session, not
# once per event (a busy queue refreshes many times a minute, and a row per refresh would bury the
# reads an audit is for). A new search is a new list and is audited at once.
REFRESH_AUDIT_SECONDS = 5 * 60
_REFRESHES_AUDITED = "listings_audited"


def audit_listing_once(
    user: AbstractBaseUser, request: HttpRequest, *, searched: bool, key: str, page: bool = False
) -> None:
    """audit_listing for the list `key` (e.g. the search id it shows), unless this session had it
    audited in the last REFRESH_AUDIT_SECONDS; a `page` opened by the user is audited always (and
    counts for the refreshes that follow it)."""
    now = time.time()
    audited = {
        name: at
        for name, at in request.session.get(_REFRESHES_AUDITED, {}).items()
        if now - at < REFRESH_AUDIT_SECONDS
    }
    if key in audited and not page:
        return
    audit_listing(user, request, searched=searched)
    audited[key] = now
    request.session[_REFRESHES_AUDITED] = audited


def _settle_readable_text(user: AbstractBaseUser, case: Case) -> None:
    """Service notes are their organisation's own; a referral's reasons are for the two sides of
    it and the case's helpline. Monitors read none of them."""
    identities = can_see_identities(user)
    org_id = getattr(user, "organisation_id", None)
    for service in case.services.all():
        service.readable_notes = (
            service.notes if identities and service.organisation_id == org_id else ""
        )
    for referral in case.referrals.all():
        party = org_id in (
            referral.organisation_id,
            referral.referred_by_organisation_id,
            case.helpline_id,
        )
        allowed = identities and party
        referral.readable_reason = referral.reason if allowed else ""
        referral.readable_decline_reason = referral.decline_reason if allowed else ""


def earlier_cases_from_same_number(user: AbstractBaseUser, case: Case) -> list[Case]:
    """Other cases this user may see that came from a phone number this case came from: a repeat
    contact is seen at once. Numbers are compared by their blind index (E.164)."""
    indexes = {r.sender_index for r in case.reports.all() if r.sender_index}
    if not indexes:
        return []
    return list(
        visible_cases(user)
        .filter(pk__in=Report.objects.filter(sender_index__in=indexes).values("case"))
        .exclude(pk=case.pk)
        .order_by("-created_at")[:10]
    )


def case_history(user: AbstractBaseUser, case: Case) -> list[dict[str, Any]]:
    """The case's timeline, oldest first, from the history tables: every change to the case and
    to the records hanging off it (reports, people, referrals, services, follow-ups, notes, crime-system updates), with
    who, when and why. Notes and follow-ups the user may not read are left out altogether; the
    values of encrypted fields are never shown (that they changed, not what to)."""
    records: list[Any] = list(case.history.select_related("history_user"))
    # flags and further categories too: what they were, who set them and why (cases.flags); and
    # what a force's crime system told us (feeds.partners)
    for related in (
        "reports",
        "people",
        "referrals",
        "services",
        "external_events",
        *CHANGE_RECORDS,
    ):
        model = Case._meta.get_field(related).related_model
        records += list(model.history.filter(case_id=case.pk).select_related("history_user"))
    notes = CaseNote.objects.filter(notes_visible(user), case=case).values("pk")
    records += list(CaseNote.history.filter(id__in=notes).select_related("history_user"))
    follow_ups = Case._meta.get_field("follow_ups").related_model
    mine = follow_ups.objects.filter(own_records(user), case=case).values("pk")
    records += list(follow_ups.history.filter(id__in=mine).select_related("history_user"))
    people = [link.person_id for link in case.people.all()]
    records += list(Person.history.filter(id__in=people).select_related("history_user"))
    # addresses over time (cases.addresses): that one changed, and when, never what to
    contacts = PersonContact.history.filter(person_id__in=people)
    records += list(contacts.select_related("history_user"))
    records.sort(key=lambda r: (r.history_date, r.history_id))
    # Each row's previous version is found here, in memory: simple-history's prev_record would
    # cost one query per row, and a long-running case has hundreds.
    previous: dict[tuple[type, int], Any] = {}
    names: dict[tuple[type, Any], Any] = {}
    # Without identities (monitors) no value about a person shows: not even an age or a number.
    hidden = () if can_see_identities(user) else IDENTIFYING_RECORDS
    entries = []
    for record in records:
        key = (record.instance_type, record.id)
        entries.append(_history_entry(record, previous.get(key), names, hidden))
        previous[key] = record
    return entries


IDENTIFYING_RECORDS = (Person, CasePerson, Report, PersonContact)
# a field pointing at a place says where someone lives or was harmed, like an address does
IDENTIFYING_TARGETS = (Place,)
CHANGE_RECORDS = ("flag_links", "other_categories")


def _history_entry(
    record: Any, prev: Any, names: dict[tuple[type, Any], Any], hidden: tuple[type, ...]
) -> dict[str, Any]:
    model = record.instance_type
    changes: list[dict[str, Any]] = []
    if prev is not None:
        for change in record.diff_against(prev).changes:
            field = model._meta.get_field(change.field)
            identifying = field.is_relation and field.related_model in IDENTIFYING_TARGETS
            if is_encrypted(field) or model in hidden or (hidden and identifying):
                changes.append({"field": change.field})  # that it changed, never what to
            else:
                changes.append(
                    {
                        "field": change.field,
                        "from": _readable(field, change.old, names),
                        "to": _readable(field, change.new, names),
                    }
                )
    user = record.history_user
    return {
        "subject": _subject(record, model, names),
        "at": record.history_date,
        "record": model._meta.verbose_name,
        "record_id": record.id,
        "action": {"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
        "by": user.get_username() if user else None,
        "reason": record.history_change_reason or "",
        "changes": sorted(changes, key=lambda c: c["field"]),
    }


def _subject(record: Any, model: type, names: dict[tuple[type, Any], Any]) -> str | None:
    """What a flag, further category or part on a case that was set or taken away is ("High
    risk", "Reporter"), for the timeline's words: a created or deleted row has no diff to say it."""
    if model is CasePerson:
        return str(CasePerson.Role(record.role).label)
    if model in SUBJECTS:
        field = model._meta.get_field(SUBJECTS[model])
        return str(_readable(field, getattr(record, field.attname), names))
    return None


SUBJECTS: dict[type, str] = {CaseFlag: "flag", CaseCategory: "category"}


def _readable(field: Any, value: Any, names: dict[tuple[type, Any], Any]) -> Any:
    """A related row by its name (a username, a category label), not its id; each looked up once."""
    if value is None or not field.is_relation:
        return value
    key = (field.related_model, value)
    if key not in names:
        related = field.related_model.objects.filter(pk=value).first()
        names[key] = str(related) if related is not None else value
    return names[key]
