"""The menu of a signed-in victim (portal/base.html draws it): the real pages, the library, and
the decoy all show the same one, so the two cannot be told apart."""

from __future__ import annotations

from django.urls import reverse

# The menu of a signed-in victim, in order.
NAV = (
    ("portal:home", "Your report"),
    ("portal:messages", "Messages"),
    ("help:library", "Help and advice"),
    ("portal:safety", "Safety settings"),
)


def portal_nav(current: str, unread: int = 0) -> list[dict[str, object]]:
    """The menu for `portal/base.html`; the decoy draws the same one (with no count)."""
    items = []
    for name, label in NAV:
        href = reverse(name)
        if name == "portal:messages" and unread:
            label = f"{label} ({unread} new)"
        items.append({"href": href, "label": label, "current": name == current})
    return items
