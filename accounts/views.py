from __future__ import annotations

import logging

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from two_factor import views as tf_views
from two_factor.forms import BackupTokenForm

from accounts import backup_codes
from accounts.access import password_step, public
from accounts.models import BackupCodeDevice
from accounts.password_reset import over_limit, request_reset
from project.crypto import unreadable_sample

security_log = logging.getLogger("lantern.security")


def home(request: HttpRequest) -> HttpResponse:
    """Each role's starting page: the live queue for those who triage, the dashboard for monitors,
    the casework lists for CSO staff, the cases others may read, or the configuration for admins."""
    if request.user.has_perm("cases.work_case"):
        return redirect("helpline:queue")
    if request.user.has_perm("cases.view_figures"):
        return redirect("dashboards:live")
    if request.user.has_perm("referrals.log_service"):
        return redirect("referrals:workspace")
    if request.user.has_perm("cases.view_case"):
        return redirect("cases:list")
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/home.html")


@public
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer: the process answers and reaches its database. `?ready` also checks
    that the configured keys open the stored data (SECURITY DP-02): a missing key is an error
    here, not pages of unreadable values. The answer never says which data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    if "ready" in request.GET and unreadable_sample():
        return JsonResponse({"status": "error", "problem": "keys"}, status=503)
    return JsonResponse({"status": "ok"})


class BackupCodeForm(BackupTokenForm):
    otp_token = forms.CharField(
        label="Backup code",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": "autofocus"}),
    )


class LoginView(tf_views.LoginView):
    """django-two-factor-auth's sign-in, whose second step also takes one of the person's hashed
    backup codes (accounts.backup_codes) instead of django-otp's plain-text static tokens, and
    whose refused codes are security log lines (ids only)."""

    form_list = (
        (tf_views.LoginView.AUTH_STEP, tf_views.LoginView.form_list[0][1]),
        (tf_views.LoginView.TOKEN_STEP, tf_views.LoginView.form_list[1][1]),
        (tf_views.LoginView.BACKUP_STEP, BackupCodeForm),
    )

    def get_device(self, step: str | None = None) -> object:
        if step == self.BACKUP_STEP:
            return BackupCodeDevice.objects.filter(user=self.get_user()).first()
        return super().get_device(step)

    def render(self, form: forms.Form | None = None, **kwargs: object) -> HttpResponse:
        step = self.steps.current
        if (
            form is not None
            and form.is_bound
            and step in (self.TOKEN_STEP, self.BACKUP_STEP)
            and form.errors
        ):
            user = self.get_user()
            security_log.warning(
                "second_factor_refused", extra={"user_id": user.pk if user else None, "step": step}
            )
        return super().render(form, **kwargs)


class LogoutView(auth_views.LogoutView):
    """Ends the session and asks the browser to forget what it kept of Lantern (ASVS 14.3.1)."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Same answer, and the same work, for a known and an unknown email (accounts.password_reset)."""

    form_class = PasswordResetForm
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if over_limit(self.request):
            return render(self.request, "registration/password_reset_limited.html", status=429)
        request_reset(form.cleaned_data["email"])
        return HttpResponseRedirect(self.get_success_url())


@never_cache
@require_http_methods(["GET", "POST"])
def backup_codes_page(request: HttpRequest) -> HttpResponse:
    """A signed-in, verified member of staff makes a new set of backup codes (the old set stops
    working) and sees them once, on this answer only."""
    codes = backup_codes.new_codes(user=request.user) if request.method == "POST" else None
    response = render(
        request,
        "accounts/backup_codes.html",
        {"codes": codes, "left": backup_codes.codes_left(request.user)},
    )
    response["Cache-Control"] = "no-store"
    return response


# Views from django-two-factor-auth and django.contrib.auth, marked for the deny-by-default check.
login = public(LoginView.as_view())
setup = password_step(tf_views.SetupView.as_view())
qr = password_step(tf_views.QRGeneratorView.as_view())
setup_complete = tf_views.SetupCompleteView.as_view()
logout = password_step(LogoutView.as_view())
password_reset = public(PasswordResetView.as_view())
password_reset_done = public(auth_views.PasswordResetDoneView.as_view())
password_reset_confirm = public(
    auth_views.PasswordResetConfirmView.as_view(
        success_url=reverse_lazy("password_reset_complete"), post_reset_login=False
    )
)
password_reset_complete = public(auth_views.PasswordResetCompleteView.as_view())
