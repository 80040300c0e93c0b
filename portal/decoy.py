"""The decoy: what a visitor signed in with the duress code sees on every portal page, whatever
they ask for (portal.session.portal_page sends them here). It looks like the portal - the same
header, the same menu, a sign-out button - but holds nothing: no case data, no messages, no
articles, and it reads and writes nothing, so a POST to any page changes nothing either. The
person watching over the victim's shoulder should see a dull page, not a hidden one."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.menu import NAV, portal_nav


def page(request: HttpRequest) -> HttpResponse:
    """The harmless page, for any method and any portal URL (a form sent to it is ignored)."""
    # The real pages' menu (no unread count: there is never anything new), with the page asked
    # for marked as the one shown.
    match = request.resolver_match
    current = match.view_name if match is not None else None
    if current not in {name for name, _ in NAV}:
        current = "portal:home"
    return render(request, "portal/decoy.html", {"portal_nav": portal_nav(current)})
