"""The unrouted queue: texts to numbers no helpline claims, for helpline supervisors to take. Only
when and to which of our numbers each came is shown: who sent it and what it says belong to the
helpline that takes it, and are read there, through the case, like any other report."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cases.policy import can_take_unrouted
from intake import services
from intake.models import UnroutedMessage


def _supervisor_only(request: HttpRequest) -> None:
    if not can_take_unrouted(request.user):
        raise Http404  # as for any page a role has no business with


@never_cache
@require_GET
def waiting(request: HttpRequest) -> HttpResponse:
    _supervisor_only(request)
    waiting = UnroutedMessage.objects.filter(case__isnull=True).only(
        "pk", "to_number", "received_at"
    )
    page = Paginator(waiting, 50).get_page(request.GET.get("page"))
    return render(request, "intake/unrouted.html", {"page": page})


@require_POST
def take(request: HttpRequest, message_id: int) -> HttpResponse:
    _supervisor_only(request)
    try:
        case = services.take_unrouted(message_id=message_id, actor=request.user)
    except UnroutedMessage.DoesNotExist as exc:
        raise Http404 from exc
    except services.AlreadyTakenError:
        messages.info(request, "Someone else took that message already.")
        return redirect("intake:unrouted")
    messages.success(request, f"The message is now case {case.number} at your helpline.")
    return redirect("cases:detail", case.number)
