"""Long forms don't lose work (UX.md 17, 47): what someone types into the verify, change, risk or
new-case form is kept on the server as they type (static/js/drafts.js), never in the browser, so a
sign-out, a crash or a closed tab loses nothing. A draft is its writer's alone, of a form they may
send (403 otherwise; 404 for a case they cannot see), encrypted, one per form and case, and goes when the form is sent successfully (discard_draft, called by each form's
view) or DRAFT_KEEP_DAYS after it was last saved (purge_old_drafts, in the daily job).

`/cases/drafts/<form>/`: POST saves (JSON {"case", "fields"} or the form itself, form-encoded, with
the case number in "case"), answers {"saved_at", "saved_at_label"}; GET ?case=<number> answers
{"draft": {"fields", "saved_at", "saved_at_label"} or null}; DELETE ?case=<number> discards it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases.models import Case, Draft
from cases.policy import (
    can_assess_risk,
    can_open_case,
    can_work_case,
    changeable_details,
    visible_cases,
)
from cases.workflow import CaseError, NotAllowedError

# Each form with who may send it, so who may keep a draft of it: a draft of a form one may not
# send is refused (403), as the form itself would be. Every form but a new case's is about a case.
DRAFT_FORMS = {
    "verify": can_work_case,
    "change": lambda user, case: bool(changeable_details(user, case)),
    "risk": can_assess_risk,
    "new-case": lambda user, case: case is None and can_open_case(user),
}
DRAFT_MAX_BYTES = 32 * 1024  # a long form's text, many times over; not a place to keep files
DRAFT_MAX_FIELDS = 200
DRAFT_KEEP_DAYS = 7
# Never kept, whatever a form calls them: a sign-in secret has no business surviving a sign-out.
_NEVER_KEPT = ("password", "otp", "token", "csrf")
_RESERVED = ("case", "csrfmiddlewaretoken")


class DraftTooLargeError(CaseError):
    http_status = 413

    def __init__(self) -> None:
        super().__init__(f"A draft holds at most {DRAFT_MAX_BYTES // 1024} KB of text.")


class BadDraftError(CaseError):
    """The body is not a form's fields (400): nothing is stored."""


def save_draft(
    *, user: AbstractBaseUser, form: str, case: Case | None, fields: dict[str, Any]
) -> Draft:
    may_send = DRAFT_FORMS[form]
    if (case is None and form != "new-case") or not may_send(user, case):
        raise NotAllowedError("You cannot send this form, so no draft of it is kept.")
    kept = _clean(fields)
    if len(json.dumps(kept).encode()) > DRAFT_MAX_BYTES:
        raise DraftTooLargeError
    now = timezone.now()
    try:
        with transaction.atomic():
            draft, _ = Draft.objects.update_or_create(
                user=user, form=form, case=case, defaults={"data": kept, "saved_at": now}
            )
    except IntegrityError:  # the same form saved twice at once (two tabs): the later one wins
        draft = Draft.objects.get(user=user, form=form, case=case)
        draft.data, draft.saved_at = kept, now
        draft.save(update_fields=["data", "saved_at"])
    return draft


def get_draft(*, user: AbstractBaseUser, form: str, case: Case | None) -> Draft | None:
    return Draft.objects.filter(user=user, form=form, case=case).first()


def discard_draft(user: AbstractBaseUser, form: str, case: Case | None = None) -> None:
    """The form was sent and saved: its draft has done its work. Call after a successful submit."""
    Draft.objects.filter(user=user, form=form, case=case).delete()


def purge_old_drafts(*, now: datetime | None = None) -> int:
    """Drafts nobody has saved for DRAFT_KEEP_DAYS go (returns how many)."""
    cutoff = (now or timezone.now()) - timedelta(days=DRAFT_KEEP_DAYS)
    deleted, _ = Draft.objects.filter(saved_at__lt=cutoff).delete()
    return deleted


def _clean(fields: dict[str, Any]) -> dict[str, str | list[str]]:
    if not isinstance(fields, dict) or len(fields) > DRAFT_MAX_FIELDS:
        raise BadDraftError(f"A draft is a form's fields, at most {DRAFT_MAX_FIELDS} of them.")
    kept: dict[str, str | list[str]] = {}
    for name, value in fields.items():
        if name in _RESERVED or any(word in name.lower() for word in _NEVER_KEPT):
            continue
        if (
            isinstance(value, list)
            and all(isinstance(item, str) for item in value)
            or isinstance(value, str)
        ):
            kept[name] = value
        else:
            raise BadDraftError(f"{name}: a draft keeps text only.")
    return kept


# --- the endpoint drafts.js talks to --------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST", "DELETE"])
def draft(request: HttpRequest, form: str) -> HttpResponse:
    if form not in DRAFT_FORMS:
        raise Http404("No such form.")
    user = request.user
    try:
        if request.method == "POST":
            case_number, fields = _posted(request)
            saved = save_draft(user=user, form=form, case=_case(user, case_number), fields=fields)
            return JsonResponse(_when(saved))
    except CaseError as exc:
        return JsonResponse({"detail": str(exc)}, status=exc.http_status)
    case = _case(user, request.GET.get("case", ""))
    if request.method == "DELETE":
        discard_draft(user, form, case)
        return HttpResponse(status=204)
    found = get_draft(user=user, form=form, case=case)
    return JsonResponse({"draft": {"fields": found.data, **_when(found)} if found else None})


def _posted(request: HttpRequest) -> tuple[str, dict[str, Any]]:
    if len(request.body) > DRAFT_MAX_BYTES:
        raise DraftTooLargeError
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body)
        except ValueError as exc:
            raise BadDraftError("The draft is not JSON.") from exc
        if not isinstance(body, dict):
            raise BadDraftError("A draft is a form's fields.")
        return str(body.get("case") or ""), body.get("fields", {})
    posted: QueryDict = request.POST
    fields = {name: values[0] if len(values) == 1 else values for name, values in posted.lists()}
    return posted.get("case", ""), fields


def _case(user: AbstractBaseUser, number: str) -> Case | None:
    """The draft's case, one the user may see (else 404, as everywhere); none for a new case."""
    if not number:
        return None
    case = visible_cases(user).filter(number=number).first()
    if case is None:
        raise Http404("No such case.")
    return case


def _when(saved: Draft) -> dict[str, str]:
    return {
        "saved_at": saved.saved_at.isoformat(),
        "saved_at_label": timezone.localtime(saved.saved_at).strftime("%H:%M"),
    }
