from __future__ import annotations

from django.urls import path

from feeds import api

urlpatterns = [
    path("feeds/imports/<int:batch_id>/", api.ImportView.as_view(), name="feed-import"),
    path("feeds/<slug:slug>/imports/", api.ImportsView.as_view(), name="feed-imports"),
]
