from __future__ import annotations

from django.urls import path

from feeds.partner_api import partner_events

# Mounted under /api/v1/ (project.api_urls); public: the partner's signature is its authentication.
urlpatterns = [
    path("partner/events/", partner_events, name="partner-events"),
]
