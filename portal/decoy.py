"""The decoy: what a visitor signed in with the duress code sees on every portal page, whatever
they ask for (portal.session.portal_page sends them here). It looks like the portal - the same
header, the same menu, a sign-out button - but holds nothing: no case data, no messages, no
articles, and it reads and writes nothing, so a POST to any page changes nothing either. The
person watching over the victim's shoulder should see a dull page, not a hidden one."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

# The signed-in menu, in the order every portal page shows it (portal/base.html draws it). The
# decoy draws the same one, so a decoy page and a real one look alike.
MENU = (
    ("portal:home", "Your report"),
    ("portal:messages", "Messages"),
    ("portal:safety", "Staying safe"),
)


def menu(current: str | None) -> list[dict[str, object]]:
    """`portal_nav` for portal/base.html: the signed-in menu, with `current` (a URL name such as
    "portal:home") marked as the page being shown."""
    items = []
    for name, label in MENU:
        try:
            href = reverse(name)
        except NoReverseMatch:  # a page not built yet has no link
            continue
        items.append({"href": href, "label": label, "current": name == current})
    return items


def page(request: HttpRequest) -> HttpResponse:
    """The harmless page, for any method and any portal URL (a form sent to it is ignored)."""
    match = request.resolver_match
    current = match.view_name if match is not None else None
    if current not in {name for name, _ in MENU}:
        current = "portal:home"
    return render(request, "portal/decoy.html", {"portal_nav": menu(current)})
