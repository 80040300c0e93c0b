"""WSGI entry point (`project.wsgi:application`): every HTTP request in production (bin/serve-http);
WebSockets go to daphne (bin/serve-ws, project.asgi)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.base")
application = get_wsgi_application()
