"""/cases/<number>/call-back/: the "Call back" button of the case page's Calls panel (POST; both
in live.panels)."""

from __future__ import annotations

from django.urls import path

from live import panels

app_name = "live-callback"
urlpatterns = [
    path("", panels.call_back, name="call-back"),
]
