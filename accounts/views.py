from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from two_factor import views as tf_views

from accounts.access import password_step, public


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
    """For the load balancer: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# Views from django-two-factor-auth and django.contrib.auth, marked for the deny-by-default check.
login = public(tf_views.LoginView.as_view())
setup = password_step(tf_views.SetupView.as_view())
qr = password_step(tf_views.QRGeneratorView.as_view())
setup_complete = tf_views.SetupCompleteView.as_view()
logout = password_step(auth_views.LogoutView.as_view())
password_reset = public(
    auth_views.PasswordResetView.as_view(success_url=reverse_lazy("password_reset_done"))
)
password_reset_done = public(auth_views.PasswordResetDoneView.as_view())
password_reset_confirm = public(
    auth_views.PasswordResetConfirmView.as_view(
        success_url=reverse_lazy("password_reset_complete"), post_reset_login=False
    )
)
password_reset_complete = public(auth_views.PasswordResetCompleteView.as_view())
