"""The web chat's rate limits (SECURITY IN-05): new chats per client address, messages per
conversation per minute. Counted in the shared cache (Redis in production); when the cache fails
the limit is open, so an outage never turns a victim away. Over the limit the visitor is told so
in words and nothing is stored."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from project.proxy import client_address, client_key

logger = logging.getLogger(__name__)


def socket_client_key(scope: Mapping[str, object]) -> str:
    """A socket's client as the HTTP side counts one (project.proxy): the address the trusted
    proxies saw, an IPv6 client as its /64."""
    headers = dict(scope.get("headers") or [])  # type: ignore[call-overload]
    forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
    peer: Sequence[object] = scope.get("client") or ("", 0)  # type: ignore[assignment]
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = client_address(
        forwarded, str(peer[0]), settings.TRUSTED_PROXY_COUNT
    )
    return client_key(request)


def _over(name: str, limit: int, window: int) -> bool:
    """Count one more in the current window of `window` seconds; True past `limit`."""
    key = f"chat.limit:{name}:{int(time.time()) // window}"
    try:
        cache.add(key, 0, timeout=window + 5)
        return cache.incr(key) > limit
    except Exception as exc:  # the cache is down: let the victim in rather than refuse them
        logger.warning("chat_rate_limit_unavailable", extra={"error": type(exc).__name__})
        return False


def over_start_limit(client: str) -> bool:
    return _over(
        f"start:{client}", settings.CHAT_STARTS_PER_ADDRESS, settings.CHAT_STARTS_WINDOW_SECONDS
    )


def over_message_limit(conversation_id: int) -> bool:
    return _over(f"messages:{conversation_id}", settings.CHAT_MESSAGES_PER_MINUTE, 60)
