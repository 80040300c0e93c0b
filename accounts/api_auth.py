"""API authentication: hashed tokens (manage.py issue_token; they expire after API_TOKEN_DAYS and
can be revoked) or a 2FA-verified browser session."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from accounts.models import ApiToken, User
from accounts.services import token_digest

if TYPE_CHECKING:  # rest_framework.views imports this module through the settings
    from rest_framework.request import Request
    from rest_framework.views import APIView


class HashedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>`; the token is looked up by its SHA-256 digest."""

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
        now = timezone.now()
        # one answer for unknown, revoked and expired tokens: it says nothing of which it was
        if (
            token is None
            or not token.user.is_active
            or token.revoked_at is not None
            or now >= token.expires_at
        ):
            raise AuthenticationFailed("Invalid token.")
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


class IsVerifiedStaff(BasePermission):
    """Signed in by token, or by a session that passed the second factor."""

    message = "Sign in with your second factor first."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if isinstance(request.auth, ApiToken):
            return True
        return bool(getattr(user, "is_verified", lambda: False)())
