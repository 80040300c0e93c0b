"""Signing in to the portal (case reference, then a one-time code sent to a safe way of contact),
signing out, and the quick exit."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache

from accounts.access import public
from portal import session


@public
@never_cache
def leave(request: HttpRequest) -> HttpResponse:
    """ "Leave this site": the portal session ends on the server and the browser is told to forget
    this site's cookies and storage, then goes to the neutral site."""
    session.end(request)
    response = HttpResponseRedirect(settings.QUICK_EXIT_URL)
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response
