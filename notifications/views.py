"""Staff pages about messages (issue 6): a user's own alerts and how they arrive, the on-duty
switch, a helpline's failed and held messages for its supervisors, and writing to a victim from
the case page.

Thin: each view reads through notifications.selectors (cases.policy decides which cases) and
makes one call into notifications.services or accounts.services. Every action is a plain POST
form that works without JavaScript; static/js/alerts.js only adds the live toast. Messages and
addresses never appear in a URL: alerts and messages are named by id, cases by number."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.services import set_on_duty
from cases.models import Case
from cases.policy import can_change_case, can_supervise_case
from cases.refusals import attempt
from cases.selectors import access_case, get_case_to_act_on
from notifications import selectors, services
from notifications.forms import AlertSettingsForm, DutyForm, MessageForm
from notifications.models import Notification

PAGE_SIZE = 50


# A user's own alerts ------------------------------------------------------------------------------


@never_cache
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.list_alerts(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/alert_list.html", {"page": page})


@never_cache
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_alerts_read(user=request.user)
    messages.success(request, f"{count} alert{'s' if count != 1 else ''} marked as read.")
    return redirect("notifications:list")


@never_cache
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    alert = selectors.access_alert(request.user, notification_id)
    services.mark_alerts_read(user=request.user, notification_ids=[alert.pk])
    messages.success(request, "Alert marked as read.")
    return redirect("notifications:list")


@never_cache
@require_GET
def toast(request: HttpRequest, notification_id: int) -> HttpResponse:
    """The live toast's content (alerts.js asks for it on each socket event): the alert as the
    list shows it, and the unread count for the header badge. Someone else's alert is a 404."""
    alert = selectors.access_alert(request.user, notification_id)
    unread = selectors.count_unread_alerts(request.user)
    return render(request, "notifications/_toast.html", {"alert": alert, "unread": unread})


@never_cache
@require_http_methods(["GET", "POST"])
def alert_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = AlertSettingsForm(
        request.POST if request.method == "POST" else None,
        choices=selectors.alert_choices(user),
        has_email=bool(user.email),
        has_phone=bool(user.phone),
        duty_applies=selectors.on_duty_applies(user),
    )
    status = 200
    if request.method == "POST":
        status = (
            attempt(form, lambda: services.set_alert_preferences(user=user, choices=form.chosen()))
            if form.is_valid()
            else 400
        )
        if not status:
            messages.success(request, "Alert settings saved.")
            return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form}, status=status)


@never_cache
@require_POST
def duty(request: HttpRequest) -> HttpResponse:
    if not selectors.on_duty_applies(request.user):
        raise PermissionDenied
    form = DutyForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "referrals/refused.html",
            {"message": "Choose on duty or off duty.", "back": reverse("notifications:settings")},
            status=400,
        )
    on_duty = form.cleaned_data["on_duty"] == "on"
    set_on_duty(user=request.user, on_duty=on_duty)
    messages.success(request, "You are on duty." if on_duty else "You are off duty.")
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    """The page the header's switch was pressed on: a path of this site only (the form sends
    request.path, never a query string, which may hold what someone searched for)."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("notifications:settings")


# A helpline's failed and held messages, for its supervisors ---------------------------------------

OUTBOX_VIEWS = {"failed": "Failed", "held": "Held or not sent"}


@never_cache
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    lists = {
        "failed": selectors.list_failed_messages(user),  # PermissionDenied unless a supervisor
        "held": selectors.list_held_messages(user),
    }
    view = request.GET.get("view", "")
    view = view if view in lists else "failed"
    page = Paginator(lists[view], PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/outbox.html",
        {
            "tabs": [(key, OUTBOX_VIEWS[key], qs.count()) for key, qs in lists.items()],
            "view": view,
            "view_label": OUTBOX_VIEWS[view],
            "page": page,
            "rows": selectors.outbox_rows(page.object_list),
        },
    )


@never_cache
@require_POST
def retry(request: HttpRequest, notification_id: int) -> HttpResponse:
    row = selectors.get_message_to_retry(request.user, notification_id)
    row = services.retry(notification=row, actor=request.user)
    about = f" on case {row.case_number}" if row.case_number else ""
    if row.status == Notification.Status.PENDING:
        messages.success(request, f"Message{about} queued to be sent again.")
    else:
        messages.info(request, f"The message{about} had not failed: nothing was sent again.")
    return redirect("notifications:failed")


# Writing to the victim of a case ------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def case_message(request: HttpRequest, number: str) -> HttpResponse:
    """The compose form of the case page, on a page of its own when what was sent needs fixing
    (or without the case page). reply_to_victim decides, safe contact included: a refused
    message is stored as not sent, and the case page says why."""
    user = request.user
    form = None
    status = 200
    if request.method == "POST":
        case = get_case_to_act_on(user, number)
        form = MessageForm(request.POST)
        status = attempt(form, lambda: _send(request, case, form)) if form.is_valid() else 400
        if not status:
            return redirect(f"{reverse('cases:detail', args=[case.number])}#messages")
    # The page shows the case's safe-contact answers and its messages: an audited read.
    case = access_case(user, number, request=request)
    if form is None:
        if not can_change_case(user, case):
            raise PermissionDenied
        form = MessageForm()
    context = {
        "case": case,
        "form": form,
        "contact_answers": selectors.contact_answers(case),
        "may_override": can_supervise_case(user, case),
    }
    return render(request, "notifications/case_message.html", context, status=status)


def _send(request: HttpRequest, case: Case, form: MessageForm) -> None:
    data = form.cleaned_data
    row = services.reply_to_victim(
        case=case,
        actor=request.user,
        channel=data["channel"],
        text=data["text"],
        override_reason=data["override_reason"],
    )
    # The writer learns now if it will not go, or not yet: "queued" only for what is on its way.
    if row.status == Notification.Status.SUPPRESSED:
        messages.warning(request, selectors.status_in_words(row, row.created_at))
    elif row.overridden_by_id is not None:
        messages.warning(
            request, "Message queued despite the victim's safe-contact preferences (recorded)."
        )
    elif row.not_before is not None:
        words = selectors.status_in_words(row, row.created_at)
        messages.warning(request, f"Not sent yet. {words}: it goes then.")
    else:
        messages.success(request, "Message queued.")
