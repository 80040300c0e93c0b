"""WebSocket routes. Each app that pushes live updates adds its consumer's path here."""

from __future__ import annotations

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
