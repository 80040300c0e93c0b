"""Staff pages about messages. Mounted at the root, like referrals.urls, so the one compose form of
the case page sits beside its other actions (`cases/<number>/messages/`, one segment more than the
case page's address); everything else is under `notifications/`. Alerts and messages are named by
id and cases by number: no personal data in any address."""

from __future__ import annotations

from django.urls import path

from notifications import canned_views, views

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.alert_list, name="list"),
    path("notifications/read/", views.mark_all_read, name="mark-all-read"),
    path("notifications/<int:notification_id>/read/", views.mark_read, name="mark-read"),
    path("notifications/<int:notification_id>/toast/", views.toast, name="toast"),
    path("notifications/settings/", views.alert_settings, name="settings"),
    path("notifications/duty/", views.duty, name="duty"),
    path("notifications/failed/", views.outbox, name="failed"),
    path("notifications/<int:notification_id>/retry/", views.retry, name="retry"),
    path("cases/<str:number>/messages/", views.case_message, name="case-message"),
    path("cases/<str:number>/replies/", canned_views.case_replies, name="canned-replies"),
]
