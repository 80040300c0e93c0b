from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.selectors import count_unread_alerts, on_duty_applies


def alerts(request: HttpRequest) -> dict[str, Any]:
    """The header's "Alerts (N)" badge, on-duty switch and live toasts, for signed-in, verified
    staff. The count is only read if the page shows it: partials (the queue's rows) cost nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {}
    return {
        "alerts_live": True,
        "alerts_unread": SimpleLazyObject(lambda: count_unread_alerts(user)),
        "duty_switch": on_duty_applies(user),
    }
