from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def attempted_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username a sign-in attempt is for, for django-axes: from the credentials passed to
    authenticate(), or from the two-factor login form's prefixed field before authentication."""
    if credentials and credentials.get("username"):
        return credentials["username"]
    return request.POST.get("auth-username") or None
