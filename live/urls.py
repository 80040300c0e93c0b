"""`/console/state/`: the operator's state switch (live.views)."""

from __future__ import annotations

from django.urls import path

from live import views

app_name = "live"

urlpatterns = [path("", views.state_switch, name="state")]
