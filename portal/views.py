"""The signed-in victim's pages: their report's progress (home) and their messages. Thin: the
case is always the portal session's (portal.session), read through portal.progress and
portal.messages. A decoy session never gets here (portal.session.portal_page shows the decoy)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal import messages as portal_messages
from portal import session
from portal.menu import portal_nav
from portal.message_forms import MessageForm
from portal.notices import victim_language
from portal.progress import count_unread_messages, mark_updates_read, progress
from portal.session import portal_page

# "Sent", shown once on the page the victim is sent back to (never in the address).
SENT = "portal_sent"


@portal_page
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    case = request.portal.case  # type: ignore[attr-defined]
    shown = progress(case, language=victim_language(case))
    mark_updates_read(case, shown.updates)
    return render(
        request,
        "portal/home.html",
        {
            "progress": shown,
            "portal_nav": portal_nav("portal:home", shown.unread_messages),
        },
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def messages(request: HttpRequest) -> HttpResponse:
    visitor = request.portal  # type: ignore[attr-defined]
    case = visitor.case
    writable = portal_messages.can_write(visitor.access)
    kept = session.take_unsent_words(request, visitor.access) if request.method != "POST" else ""
    form = MessageForm(request.POST if request.method == "POST" else None)
    if kept:
        form.initial["text"] = kept
    if request.method == "POST" and writable and form.is_valid():
        try:
            portal_messages.victim_writes(
                visitor, form.cleaned_data["text"], token=form.cleaned_data["token"]
            )
        except portal_messages.MessageRefusedError as exc:
            form.add_error("text", str(exc))
        else:
            request.session[SENT] = True
            return redirect("portal:messages")
    entries = portal_messages.thread(visitor.access)
    portal_messages.mark_replies_read(case)
    return render(
        request,
        "portal/messages.html",
        {
            "entries": entries,
            "form": form if writable else None,
            "sent": request.session.pop(SENT, False),
            "idle_minutes": settings.PORTAL_IDLE_MINUTES,
            "portal_nav": portal_nav("portal:messages", count_unread_messages(case)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
