"""The web chat's pages: the public chat page (no login; it sets no cookie and puts nothing in
its URL: everything after the page load goes over the socket, chat.consumers) and the two
operator actions on a case's chat, taken from the case page. Their case number travels in the
form's body, never the URL (project/urls.py: nothing about a case under /chat/)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.access import public
from cases.selectors import get_case_to_act_on
from cases.workflow import CaseError
from chat import services


@public
@never_cache
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    if not settings.CHAT_ENABLED:
        raise Http404("The chat is off.")
    return render(
        request,
        "chat/page.html",
        {
            "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
            "emergency_number": getattr(settings, "EMERGENCY_NUMBER", "999"),
        },
    )


@require_POST
def take(request: HttpRequest) -> HttpResponse:
    case = get_case_to_act_on(request.user, request.POST.get("case", ""))
    try:
        services.take_chat(case=case, actor=request.user)  # type: ignore[arg-type]
    except (services.ChatError, CaseError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "You took the chat: the visitor has been told.")
    return redirect(reverse("cases:detail", args=[case.number]) + "#chat")


@require_POST
def end(request: HttpRequest) -> HttpResponse:
    case = get_case_to_act_on(request.user, request.POST.get("case", ""))
    try:
        services.end_chat(case=case, actor=request.user)  # type: ignore[arg-type]
    except services.ChatError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The chat has ended: you are in wrap-up.")
    return redirect(reverse("cases:detail", args=[case.number]) + "#chat")
