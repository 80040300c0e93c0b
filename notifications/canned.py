"""Canned replies (UX.md 10): the vetted words staff insert with `/` in the message and chat boxes.

Admins write them per helpline (or for every helpline) and per language; staff get, for one case,
one reply per shortcut, in the victim's language where a variant exists, with the two placeholders
filled. Nothing else of a case ever goes into one: placeholders are replaced as plain text (never
str.format, which would read attributes), and a reply whose words name an organisation is left out
for a victim who asked us not to name it. Sending stays the message flow's: what staff insert is
checked again by the safe-contact function when they send it."""

from __future__ import annotations

import re
from typing import Any, TypedDict

from django.db.models import Q

from notifications.models import REVEALING_WORDS, CannedReply

PLACEHOLDERS = ("{operator_first_name}", "{case_ref}")
# Anything in braces, or a brace left open or closed on its own.
_BRACED = re.compile(r"\{[^{}]*\}|[{}]")
# The list offered to staff: enough for a picker, never a dump of every reply.
MAX_REPLIES = 20
# A shortcut is short; a longer query is someone typing a message, not looking for a reply.
MAX_QUERY = 40


class Reply(TypedDict):
    shortcut: str
    title: str
    text: str


def placeholder_errors(text: str) -> list[str]:
    """What is wrong with the braces in an admin's wording: only PLACEHOLDERS may be in braces."""
    errors = []
    for found in dict.fromkeys(_BRACED.findall(text)):
        if found in PLACEHOLDERS:
            continue
        if found in "{}":
            errors.append(f'A lone "{found}": braces are only for placeholders.')
        else:
            errors.append(f"{found} is not a placeholder.")
    if errors:
        errors.append("Placeholders you may use: " + ", ".join(PLACEHOLDERS) + ".")
    return errors


def fill(text: str, *, operator: Any, case_number: str) -> str:
    """The reply as staff insert it. An operator with no first name recorded keeps the
    placeholder in the box, to be seen and replaced before sending, rather than a username."""
    first_name = (getattr(operator, "first_name", "") or "").strip()
    if first_name:
        text = text.replace("{operator_first_name}", first_name)
    return text.replace("{case_ref}", case_number)


def canned_replies(*, case: Any, operator: Any, query: str = "") -> list[Reply]:
    """The replies `operator` may insert when writing to the victim of `case`, ordered by shortcut:
    its helpline's and the shared ones, active only, one per shortcut (the victim's language over
    the default wording, the helpline's own over the shared), filled for this operator and case.
    `query` keeps those whose shortcut starts with it, or whose title holds it. Whether the
    operator may write to the case is the caller's to check (cases.policy.can_change_case)."""
    from notifications.victim_messages import victim_of

    person = victim_of(case)
    language_id = getattr(person, "language_id", None)
    discreet = bool(person and (person.contact_preferences or {}).get("no_org_name"))
    rows = CannedReply.objects.filter(
        Q(helpline_id=case.helpline_id) | Q(helpline__isnull=True),
        Q(language__isnull=True) | Q(language_id=language_id),
        is_active=True,
    )
    query = query.strip().lstrip("/")[:MAX_QUERY]
    if query:
        rows = rows.filter(Q(shortcut__istartswith=query) | Q(title__icontains=query))
    chosen: dict[str, CannedReply] = {}
    for row in rows.order_by("shortcut", "pk"):
        held = chosen.get(row.shortcut)
        if held is None or _rank(row, language_id) > _rank(held, language_id):
            chosen[row.shortcut] = row
    names = _organisation_names() if discreet else []
    replies: list[Reply] = []
    for row in chosen.values():
        text = fill(row.text, operator=operator, case_number=case.number)
        # Left out, not swapped for another wording: the operator writes their own words.
        if discreet and _names_any(f"{row.title} {text}", names):
            continue
        replies.append({"shortcut": row.shortcut, "title": row.title, "text": text})
    return replies[:MAX_REPLIES]


def _rank(row: CannedReply, language_id: int | None) -> tuple[bool, bool]:
    # The victim understanding the words comes first; then the helpline's own wording.
    return (language_id is not None and row.language_id == language_id, row.helpline_id is not None)


def _organisation_names() -> list[str]:
    """Every organisation Lantern knows, and the words that name one as plainly (read once for
    the whole list: notifications.models.names_an_organisation asks the same per text)."""
    from accounts.models import Organisation

    names = Organisation.objects.values_list("name", flat=True)
    return [word.casefold() for word in [*names, *REVEALING_WORDS] if word]


def _names_any(text: str, names: list[str]) -> bool:
    words = text.casefold()
    return any(name in words for name in names)
