"""Step-up re-authentication (SECURITY AC-06): before something grave (breaking the glass on a sealed
case, exporting a person's data) the person types a fresh code from their authenticator, however
long ago they signed in. The time of that check is kept in the session; `step_up_required` sends
anyone without one in the last STEP_UP_MINUTES to /accounts/step-up/ and back.

Only the authenticator (django-otp TOTP, as the sign-in's second step) is accepted: a backup code
is for a lost phone at sign-in, not a way round a fresh check. django-otp refuses a code already
used (the one typed at sign-in included) and slows down repeated wrong codes."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

security_log = logging.getLogger("lantern.security")

SESSION_KEY = "lantern_stepped_up"


def is_stepped_up(request: HttpRequest) -> bool:
    """The person typed a fresh authenticator code in this session within STEP_UP_MINUTES."""
    at = request.session.get(SESSION_KEY)
    return at is not None and time.time() - at <= settings.STEP_UP_MINUTES * 60


def mark_stepped_up(request: HttpRequest) -> None:
    request.session[SESSION_KEY] = time.time()


def step_up_url(next_path: str) -> str:
    """The step-up page, coming back to `next_path` (a path only: a query string could carry what
    someone typed, and it would reach the logs)."""
    return f"{reverse('step_up')}?{urlencode({'next': next_path})}"


def step_up_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view runs only after a recent step-up; otherwise the person is sent to the step-up page
    and back to this page's path (a POST is not replayed: they send the form again)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not is_stepped_up(request):
            return redirect(step_up_url(request.path))
        return view(request, *args, **kwargs)

    return wrapped


def _safe_next(request: HttpRequest, value: str | None) -> str:
    """Only a path on this site, never another host or a scheme-relative address."""
    if (
        value
        and value.startswith("/")
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value.split("?", 1)[0]
    return reverse("home")


class StepUpForm(forms.Form):
    otp_token = forms.CharField(
        label="Six-digit code from your authenticator app",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_otp_token(self) -> str:
        token = self.cleaned_data["otp_token"].strip()
        devices = TOTPDevice.objects.devices_for_user(self.user, confirmed=True)
        if not any(device.verify_token(token) for device in devices):
            raise forms.ValidationError(
                "That code did not work. Type the code your app shows now; each code works once."
            )
        return token


@never_cache
@require_http_methods(["GET", "POST"])
def step_up(request: HttpRequest) -> HttpResponse:
    """Ask for a fresh code, then go on to where the person was going."""
    next_path = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = StepUpForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            mark_stepped_up(request)
            security_log.info("step_up_passed", extra={"user_id": request.user.pk})
            return redirect(next_path)
        security_log.warning("step_up_refused", extra={"user_id": request.user.pk})
    has_app = TOTPDevice.objects.devices_for_user(request.user, confirmed=True).exists()
    status = 400 if form.is_bound else 200
    return render(
        request,
        "accounts/step_up.html",
        {
            "form": form,
            "next": next_path,
            "has_app": has_app,
            "minutes": settings.STEP_UP_MINUTES,
        },
        status=status,
    )
