"""The operator's state switch in the header (UX.md 6, 8): `/console/state/`.

A plain POST form that works without JavaScript (redirect back to the page it was pressed on);
with htmx the answer is the switch itself, swapped in place. GET answers the switch too, so a
page can re-read it when Lantern changes the state (static/js/presence.js). One service call each:
live.presence.choose_state or set_duty."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from live import presence
from live.templatetags.operator_state import switch_context

SAID = {
    presence.State.AVAILABLE: "You are available: calls and chats may be offered to you.",
    presence.State.AWAY: "You are away: no calls or chats are offered to you.",
}


class StateForm(forms.Form):
    state = forms.ChoiceField(
        choices=[(s.value, s.label) for s in presence.CHOOSABLE], required=False
    )
    duty = forms.ChoiceField(choices=[("on", "On duty"), ("off", "Off duty")], required=False)

    def clean(self) -> dict[str, str]:
        data = super().clean()
        if bool(data.get("state")) == bool(data.get("duty")):
            raise forms.ValidationError("Choose Available or Away, or on or off duty.")
        return data


@never_cache
@require_http_methods(["GET", "POST"])
def state_switch(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not presence.has_switch(user):
        raise PermissionDenied
    if request.method == "GET":
        return _switch(request)
    form = StateForm(request.POST)
    status = 200
    if not form.is_valid():
        status, text = 400, "Choose Available or Away."
    else:
        try:
            text = _apply(user, form.cleaned_data)  # type: ignore[arg-type]
        except presence.PresenceError as exc:
            status, text = exc.http_status, str(exc)
    if request.htmx:  # type: ignore[attr-defined]
        # 200 even when refused: htmx swaps no 4xx answer, and the refusal is shown in the switch
        return _switch(request, said=text, refused=status != 200)
    if status != 200:
        context = {"message": text, "back": _back(request)}
        return render(request, "referrals/refused.html", context, status=status)
    messages.success(request, text)
    return redirect(_back(request))


def _apply(user: presence.User, data: dict[str, str]) -> str:
    if data.get("duty"):
        on = data["duty"] == "on"
        presence.set_duty(user=user, on_duty=on)
        return "You are on duty." if on else "You are off duty and away."
    presence.choose_state(user=user, state=data["state"])
    return SAID[data["state"]]


def _switch(request: HttpRequest, *, said: str = "", refused: bool = False) -> HttpResponse:
    context = switch_context(request, said=said, refused=refused)
    return HttpResponse(render_to_string("live/_state_switch.html", context, request=request))


def _back(request: HttpRequest) -> str:
    """The page the switch was pressed on: a path of this site only (the form sends request.path,
    never a query string, which may hold what someone searched for)."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("helpline:queue")
