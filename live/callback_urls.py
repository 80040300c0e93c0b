"""Twilio's webhooks for call-backs, under /intake/twilio/call-back/ (live.callback_views). Each
names its call by `?call=<id>` only: no number or name in any address."""

from __future__ import annotations

from django.urls import path

from live import callback_views

app_name = "live-callback-hooks"
urlpatterns = [
    path("operator/", callback_views.operator, name="operator"),
    path("connect/", callback_views.connect, name="connect"),
    path("answered/", callback_views.answered, name="answered"),
    path("dialled/", callback_views.dialled, name="dialled"),
    path("status/", callback_views.status, name="status"),
]
