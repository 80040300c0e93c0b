"""WebSocket routes. Each app that pushes live updates adds its consumer's path here."""

from __future__ import annotations

from django.urls import URLPattern, path

from chat.consumers import VisitorChatConsumer
from dashboards.consumers import DashboardConsumer
from feeds.consumers import ImportProgressConsumer
from helpline.consumers import HelplineConsumer
from notifications.consumers import StaffAlertsConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/helpline/", HelplineConsumer.as_asgi()),
    path("ws/alerts/", StaffAlertsConsumer.as_asgi()),
    path("ws/dashboard/", DashboardConsumer.as_asgi()),
    path("ws/feeds/imports/<int:batch_id>/", ImportProgressConsumer.as_asgi()),
    # the public web chat's visitors: anonymous, each hears only its own conversation
    path("ws/chat/", VisitorChatConsumer.as_asgi()),
]
