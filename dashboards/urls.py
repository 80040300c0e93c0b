"""The live dashboard under /dashboards/ (dashboards.live)."""

from __future__ import annotations

from django.urls import path

from dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.live, name="live"),
    path("tiles/", views.tiles, name="tiles"),
]
