"""What the tests of the staff sockets (queue, alerts, dashboard) share: a session cookie for the
handshake, reading how a socket closed, and the ways a member of staff loses the right to listen."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

# Sockets are accepted only from PUBLIC_BASE_URL: scheme, host and port (project.middleware).
OUR_ORIGIN = (b"origin", settings.PUBLIC_BASE_URL.encode())
FORBIDDEN = 4403


def session_cookie(client: Client) -> tuple[bytes, bytes]:
    name = settings.SESSION_COOKIE_NAME
    return (b"cookie", f"{name}={client.cookies[name].value}".encode())


async def closed_with(socket: WebsocketCommunicator) -> int | None:
    output = await socket.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    return output.get("code")


def disable(user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)


def log_out_everywhere(user: User) -> None:
    """What logout() does to the session row: gone (flush deletes it)."""
    for session in Session.objects.all():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()


def remove_device(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()


def change_password(user: User) -> None:
    user.set_password("another made-up passphrase")
    user.save(update_fields=["password"])


# Every socket closes for these; each test adds the role changes that matter to its socket.
LOSING_ACCESS = [disable, log_out_everywhere, remove_device, change_password]
