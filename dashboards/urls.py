"""The live dashboard under /dashboards/ (dashboards.live)."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "dashboards"
urlpatterns: list[URLPattern] = []
