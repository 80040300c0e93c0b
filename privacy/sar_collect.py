"""Everything Lantern holds about one person, gathered for a subject access export (UK GDPR art. 15,
SECURITY DP-10): their own details, and per case they are on (whatever their part in it, whoever's
queue it is in) what is theirs to have. Each source is chosen here on purpose and listed in
SOURCES, which the export repeats as its "what this contains" section.

What a case holds about someone else stays out: the other people's details, free text passed
through the redactor (privacy.sar_redact), and staff's own working notes. A perpetrator's export
carries the cases' facts and their own details only: the victim's account of what happened is the
victim's data."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from cases.contact import contact_lines
from cases.models import Case, CaseNote, CasePerson, Person, Report
from notifications.models import Notification
from portal.models import PortalUpdate
from privacy.sar_redact import ANOTHER_PERSON, Redactor
from referrals.models import FollowUp, Referral, ServiceRecord
from risk.models import Answer, Assessment, Question

# (section, what it holds) as the export says it; "excluded" sources are said too, so the person
# knows what was left out and why.
SOURCES = [
    (
        "Your details",
        "Name, age, ethnicity, phone, address, date of birth, language, how and when "
        "we may contact you, your other contact details (past ones with their dates) and reference "
        "numbers other agencies gave you.",
    ),
    (
        "Cases",
        "Every case you are named on: its number, when it was opened and closed, its "
        "status, the kind of harm, and your part in it (victim, reporter or the person reported).",
    ),
    (
        "What was reported",
        "On cases where you are the victim: what happened as recorded, and every "
        "report (texts, calls, web forms, portal messages). On other cases: the reports you sent.",
    ),
    (
        "Notes shared with you",
        "Notes marked as shared on cases where you are the victim "
        "(resolution and closing remarks and the like).",
    ),
    (
        "Services and referrals",
        "Services you were given, and the organisations your case was "
        "referred to, with dates and status.",
    ),
    (
        "Appointments",
        "Follow-ups meant for you (an appointment, a call you expect): kind and time.",
    ),
    ("Portal", "Updates shown to you in the victim portal."),
    ("Messages to you", "Every message we sent or tried to send you: its words, how, and when."),
    ("Risk assessments", "The risk questions asked about you, your answers and the outcome."),
]
EXCLUDED = [
    (
        "Other people",
        f'Names, contact details and references of anyone else (shown as "{ANOTHER_PERSON}").',
    ),
    (
        "Staff's internal notes",
        "Notes staff keep for their own work, the notes on services and "
        "follow-ups, and risk assessors' notes, are not included.",
    ),
    (
        "Other people's accounts",
        "On cases where you are not the victim, what the victim told us "
        "is theirs and is not included.",
    ),
]


def _when(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    return value.isoformat()


def _person_details(person: Person) -> dict[str, Any]:
    return {
        "name": person.name,
        "age": person.age,
        "ethnicity": person.ethnicity,
        "phone": person.phone,
        "address": person.address,
        "date_of_birth": person.date_of_birth,
        "language": str(person.language) if person.language else "",
        "how_we_may_contact_you": [
            {"question": line.label, "answer": line.words}
            for line in contact_lines(person.contact_preferences)
        ],
        "contact_details": [
            {
                "kind": str(contact.kind),
                "value": contact.value,
                "from": _when(contact.valid_from),
                "until": _when(contact.valid_to),
            }
            for contact in person.contacts.select_related("kind")
        ],
        "references": _references(person.references.select_related("kind")),
        "first_recorded": _when(person.created_at),
    }


def _references(references: Any) -> list[dict[str, Any]]:
    return [{"kind": str(r.kind), "value": r.value, "issued_by": r.issued_by} for r in references]


def _report(report: Report, subject: Person, redact: Redactor) -> dict[str, Any]:
    own = bool(report.sender_index) and report.sender_index == subject.phone_index
    return {
        "received": _when(report.received_at),
        "how": report.get_channel_display(),
        "from": ("you" if own else ANOTHER_PERSON) if report.sender else "",
        "words": redact(report.body),
        "transcript": redact(report.transcription),
        "recording_kept": bool(report.recording_file or report.recording_url),
    }


def _victim_parts(case: Case, subject: Person, redact: Redactor) -> dict[str, Any]:
    """What a victim's case holds for them (SOURCES), third parties redacted."""
    questions = {str(pk): text for pk, text in Question.objects.values_list("pk", "text")}
    answers = dict(Answer.choices)
    return {
        "what_happened": {
            "when": _when(case.incident_occurred_at),
            "where": redact(case.incident_location),
            "description": redact(case.incident_description),
        },
        "references": _references(case.references.select_related("kind")),
        "reports": [_report(r, subject, redact) for r in case.reports.all()],
        "shared_notes": [
            {"written": _when(n.created_at), "kind": n.get_kind_display(), "text": redact(n.text)}
            for n in CaseNote.objects.filter(case=case, shared=True)
        ],
        "services": [
            {
                "service": str(s.service_type),
                "by": str(s.organisation),
                "given": _when(s.provided_at),
                "minutes": s.duration_minutes,
            }
            for s in ServiceRecord.objects.filter(case=case).select_related(
                "service_type", "organisation"
            )
        ],
        "referrals": [
            {
                "organisation": str(r.organisation),
                "status": r.get_status_display(),
                "referred": _when(r.created_at),
                "ended": _when(r.ended_at),
            }
            for r in Referral.objects.filter(case=case).select_related("organisation")
        ],
        "appointments": [
            {"kind": str(f.kind), "when": _when(f.due_at), "done": _when(f.done_at)}
            for f in FollowUp.objects.filter(case=case, for_victim=True).select_related("kind")
        ],
        "portal_updates": [
            {"shown": _when(u.created_at), "title": u.title, "text": redact(u.body)}
            for u in PortalUpdate.objects.filter(case=case)
        ],
        "risk_assessments": [
            {
                "completed": _when(a.completed_at),
                "outcome": a.get_level_display(),
                "score": f"{a.score} of {a.out_of}",
                "on_professional_judgement": a.professional_judgement,
                "answers": [
                    {
                        "question": questions.get(str(pk), "A question since removed"),
                        "answer": answers.get(answer, answer),
                    }
                    for pk, answer in a.answers.items()
                ],
            }
            for a in Assessment.objects.filter(case=case)
        ],
    }


def _messages(subject: Person, redact: Redactor) -> dict[int | None, list[dict[str, Any]]]:
    by_case: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for message in Notification.objects.filter(person=subject).order_by("created_at", "pk"):
        by_case[message.case_id].append(
            {
                "written": _when(message.created_at),
                "sent": _when(message.sent_at),
                "how": message.get_channel_display(),
                "status": message.get_status_display(),
                "words": redact(message.text),
            }
        )
    return by_case


def _case(case: Case, roles: list[str], subject: Person, redact: Redactor, messages: list) -> dict:
    entry: dict[str, Any] = {
        "number": case.number,
        "your_part": roles,
        "opened": _when(case.created_at),
        "closed": _when(case.closed_at),
        "status": case.get_status_display(),
        "kind_of_harm": [str(c) for c in [case.category, *case.other_categories.all()] if c],
        "messages_to_you": messages,
    }
    if CasePerson.Role.VICTIM.label in roles:
        entry |= _victim_parts(case, subject, redact)
    else:
        sent = case.reports.filter(sender_index=subject.phone_index) if subject.phone_index else []
        entry["reports"] = [_report(r, subject, redact) for r in sent]
    return entry


def collect(subject: Person) -> dict[str, Any]:
    """The export's content for `subject`, as plain data (dates as ISO strings)."""
    links = CasePerson.objects.filter(person=subject).select_related("case", "case__category")
    roles: dict[int, list[str]] = defaultdict(list)
    cases: dict[int, Case] = {}
    for link in links.order_by("case__created_at", "role"):
        roles[link.case_id].append(link.get_role_display())
        cases[link.case_id] = link.case
    others = Person.objects.filter(cases__case_id__in=cases).exclude(pk=subject.pk).distinct()
    redact = Redactor(subject, others.prefetch_related("contacts", "references"))
    messages = _messages(subject, redact)
    return {
        "person": _person_details(subject),
        "cases": [
            _case(c, roles[pk], subject, redact, messages.pop(pk, [])) for pk, c in cases.items()
        ],
        "other_messages_to_you": [m for rest in messages.values() for m in rest],
        "what_this_contains": [{"section": s, "holds": h} for s, h in SOURCES],
        "not_included": [{"section": s, "why": h} for s, h in EXCLUDED],
    }
