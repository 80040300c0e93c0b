"""The duress code (SECURITY AUTH-09): a code the victim chooses that, typed at sign-in instead of
the code we send, opens a harmless page (portal.decoy) and silently tells the case's supervisors
that someone may be making them sign in. Kept only as a password hash, like a password; it is
compared the way codes are typed (case, spaces and hyphens do not matter)."""

from __future__ import annotations

import logging
import re
from functools import cache

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import staff_with
from cases.moves import write_note
from notifications.services import notify_staff
from portal.models import PortalAccess
from project.history import attribute_change

security_log = logging.getLogger("lantern.security")

SHORTEST = 4
LONGEST = 12
ALERT_KIND = "portal.duress"


class DuressCodeError(ValueError):
    """A duress code that cannot be used; the message is for the victim."""


_SPACES_AND_DASHES = re.compile(r"[\s\-\u2010-\u2015]+")


def normalise(typed: str) -> str:
    # The same shape as portal.codes.normalise, so a duress code is compared as it is typed at
    # the sign-in step (without importing codes, which imports this module).
    return _SPACES_AND_DASHES.sub("", typed).upper()


def check_new_code(typed: str) -> str:
    """The duress code as it will be kept, or DuressCodeError in plain words."""
    code = normalise(typed)
    if not SHORTEST <= len(code) <= LONGEST:
        raise DuressCodeError(
            f"Your safety code must be {SHORTEST} to {LONGEST} letters or numbers long."
        )
    if len(set(code)) == 1:
        raise DuressCodeError("Your safety code must not be the same letter or number every time.")
    return code


@transaction.atomic
def set_duress_code(*, access: PortalAccess, typed: str) -> None:
    """Set or change the victim's duress code. Raises DuressCodeError."""
    code = check_new_code(typed)
    locked = PortalAccess.objects.select_for_update().get(pk=access.pk)
    locked.duress_hash = make_password(code)
    attribute_change(locked, actor=None, reason="The victim set a duress code in the portal")
    locked.save(update_fields=["duress_hash"])
    security_log.info("portal_duress_code_set", extra={"access_id": access.pk})


@transaction.atomic
def remove_duress_code(*, access: PortalAccess) -> None:
    locked = PortalAccess.objects.select_for_update().get(pk=access.pk)
    if not locked.duress_hash:
        return
    locked.duress_hash = ""
    attribute_change(
        locked, actor=None, reason="The victim removed their duress code in the portal"
    )
    locked.save(update_fields=["duress_hash"])
    security_log.info("portal_duress_code_removed", extra={"access_id": access.pk})


@cache
def _stand_in_hash() -> str:
    return make_password("not a duress code")


def matches(access: PortalAccess, typed: str) -> bool:
    """Whether `typed` is this access's duress code. Without one, a hash is still checked, so the
    time the answer takes does not tell someone at the sign-in page whether the victim set one."""
    code = normalise(typed)
    if not access.duress_hash or not SHORTEST <= len(code) <= LONGEST:
        take_the_time(typed)
        return False
    return check_password(code, access.duress_hash)


def take_the_time(typed: str) -> None:
    """Check a stand-in hash: a refusal that never reached a duress code (no such reference, a
    locked access) takes as long as one that did, so timing does not tell them apart."""
    check_password(normalise(typed), _stand_in_hash())


def raise_alarm(access: PortalAccess) -> None:
    """Tell the case's holder and the active supervisors of its helpline (by email and text as
    well, on duty or not, unless they chose otherwise: notifications.preferences), or with neither,
    its staff on duty; and leave a note on the case for whoever opens it next. Silently: the
    victim's screen shows only the decoy or the usual refusal. Must run inside the sign-in's
    transaction. The alert names the case number only."""
    case = access.case
    people = list(staff_with(case.helpline_id, "cases.supervise_case"))
    if case.claimed_by is not None and case.claimed_by.is_active:
        people.append(case.claimed_by)
    if not people:
        people = list(
            User.objects.filter(organisation_id=case.helpline_id, on_duty=True, is_active=True)
        )
    notify_staff(
        users=people,
        kind=ALERT_KIND,
        case_number=case.number,
        text=(
            f"Duress code used on the portal for case {case.number}: contact the victim only in "
            "the way they said is safe."
        ),
    )
    at = timezone.localtime().strftime("%-d %b %Y %H:%M")
    write_note(
        case=case,
        actor=None,
        organisation=case.helpline,
        text=(
            f"The victim's duress code was typed at the portal's sign-in at {at}: someone may be "
            "making them sign in. They saw a harmless page. Contact them only in the way they said "
            "is safe."
        ),
    )
    security_log.warning(
        "portal_duress_code_used", extra={"access_id": access.pk, "case_id": case.pk}
    )
