"""The client's address, as the proxies we run saw it (SECURITY 4.1.3, ASVS 4.1.3).

Each proxy in front of Lantern appends the address it was connected from to X-Forwarded-For, so
only the last TRUSTED_PROXY_COUNT entries were written by someone we trust: anything to their left
is whatever the client sent, and a client can send anything. The entry TRUSTED_PROXY_COUNT from the
right is the client's address; with no proxies (0) it is the socket's own. The answer is put in
REMOTE_ADDR, and everything that needs an address (lock-out, the public form's limit, the access
log) reads REMOTE_ADDR only, so there is exactly one place that decides.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from project.middleware import AnswerMiddleware

logger = logging.getLogger(__name__)

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


def client_address(forwarded_for: str, socket_address: str, trusted_proxies: int) -> str:
    """The address `trusted_proxies` hops from the right of X-Forwarded-For, else the socket's.

    A request with fewer entries than there are proxies did not come through all of them (or a
    proxy is misconfigured): the socket's address is then the only one nobody could forge."""
    if trusted_proxies <= 0:
        return socket_address
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    if len(hops) < trusted_proxies:
        return socket_address
    candidate = _address(hops[-trusted_proxies])
    return candidate or socket_address


def _address(value: str) -> str:
    """A bare IP address from a header entry ("[2001:db8::1]:443", "203.0.113.9:5000" too)."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # IPv4 with a port; IPv6 has more colons
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""


def client_ip(request: HttpRequest) -> str | None:
    """For django-axes (AXES_CLIENT_IP_CALLABLE): the address this middleware settled on."""
    return request.META.get("REMOTE_ADDR") or None


def client_key(request: HttpRequest) -> str:
    """What a rate limit counts a client by: its address as this middleware settled it (the one
    the lock-out uses too); an IPv6 client is its /64, which one household or phone usually owns
    whole."""
    address = client_ip(request) or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


class TrustedProxyMiddleware(AnswerMiddleware):
    """First in MIDDLEWARE: sets REMOTE_ADDR and drops X-Forwarded-For, so nothing later (a
    library reading the header itself) can be fooled by the client's part of it."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        self._settle(request)
        return self.get_response(request)  # under ASGI an awaitable, which Django awaits

    @staticmethod
    def _settle(request: HttpRequest) -> None:
        meta = request.META
        meta["REMOTE_ADDR"] = client_address(
            meta.pop(FORWARDED_FOR, ""),
            meta.get("REMOTE_ADDR", ""),
            settings.TRUSTED_PROXY_COUNT,
        )
