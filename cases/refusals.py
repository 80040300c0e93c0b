"""How a form page answers what a case service refuses, the same on every page: the reason at the
top of the form and its status code (400 fix and retry, 409 the case has moved on), or a 403 for
NotAllowedError. Never a 500."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import PermissionDenied

from cases.workflow import CaseError, NotAllowedError


def attempt(form: forms.Form, action: Callable[[], object]) -> int:
    """Run one service call; 0 when it went through, else the status to answer the form with."""
    try:
        action()
    except NotAllowedError as exc:
        raise PermissionDenied(str(exc)) from exc
    except CaseError as exc:
        form.add_error(None, str(exc))
        return exc.http_status
    return 0
