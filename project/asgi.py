"""ASGI entry point (`project.asgi:application`): HTTP through Django, WebSockets through Channels."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.base")
django_asgi_app = get_asgi_application()  # before any import that touches models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from project.middleware import PublicOriginOnly  # noqa: E402
from project.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": PublicOriginOnly(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
