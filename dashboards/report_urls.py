"""Snapshot reports and exports under /dashboards/reports/ (dashboards.reports)."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "reports"
urlpatterns: list[URLPattern] = []
