from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import idle, step_up
from accounts import views as account_views
from accounts.access import public
from helpline import new_case
from intake import views as intake_views
from intake import web as intake_web

two_factor_patterns = (
    [
        path("login/", account_views.login, name="login"),
        path("two_factor/setup/", account_views.setup, name="setup"),
        path("two_factor/qrcode/", account_views.qr, name="qr"),
        path("two_factor/setup/complete/", account_views.setup_complete, name="setup_complete"),
    ],
    "two_factor",
)

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz/", account_views.healthz, name="healthz"),
    path("accounts/", include(two_factor_patterns)),
    path("accounts/logout/", account_views.logout, name="logout"),
    path("accounts/keepalive/", idle.keepalive, name="keepalive"),
    path("accounts/backup-codes/", account_views.backup_codes_page, name="backup_codes"),
    path("accounts/step-up/", step_up.step_up, name="step_up"),
    path("accounts/password/reset/", account_views.password_reset, name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        account_views.password_reset_done,
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        account_views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        account_views.password_reset_complete,
        name="password_reset_complete",
    ),
    # the console's page, under /cases/ where the case it opens will be (before cases/<number>/)
    path("cases/new/", new_case.new_case, name="new-case"),
    path("cases/<str:number>/portal/", include("portal.staff_urls")),
    path("cases/<str:number>/call-back/", include("live.case_urls")),
    path("cases/<str:number>/", include("privacy.case_urls")),
    path("cases/", include("cases.urls")),
    path("people/", include("people.urls")),
    path("places/", include("people.place_urls")),
    path("feeds/", include("feeds.urls")),
    path("partners/", include("feeds.partner_urls")),
    path("console/state/", include("live.urls")),
    path("console/", include("helpline.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("privacy/", include("privacy.urls")),
    path("dashboards/reports/", include("dashboards.report_urls")),
    path("", include("risk.urls")),
    path("", include("referrals.urls")),
    path("", include("notifications.urls")),
    path(
        "cases/<str:number>/recordings/<int:report_id>/",
        intake_views.recording,
        name="case-recording",
    ),
    # Calls that ring operators and call-backs (live): Twilio's webhooks, before intake's own.
    path("intake/twilio/voice/", include("live.voice_urls")),
    path("intake/twilio/call-back/", include("live.callback_urls")),
    path("intake/", include("intake.urls")),
    # The public web chat: no login, and no case reference or personal data in any of its URLs.
    path("chat/", include("chat.urls")),
    # The public report form: no login, and no case reference or personal data in any of its URLs.
    path("report/", intake_web.report, name="report"),
    path("report/thanks/", intake_web.thanks, name="report-thanks"),
    path("report/safety/", intake_web.safety, name="report-safety"),
    # The victim portal and the public library: no case reference or personal data in any URL.
    path("portal/", include("portal.urls")),
    path("help/", include("portal.help_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("project.api_urls")),
    # The schema describes the API, never its data: public so integrators can read it.
    path("api/schema/", public(SpectacularAPIView.as_view()), name="schema"),
    path(
        "api/docs/", public(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"
    ),
]
