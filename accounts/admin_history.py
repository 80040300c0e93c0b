"""The admins' view of a row's history, read-only.

simple_history's "revert" page saves the old version it shows as a whole row, outside the form's
fields: on a member of staff that would restore an old organisation or superuser flag and blank
the password (history keeps no password), and on any row it bypasses the services that keep
history reasons and events. Its button is hidden (SIMPLE_HISTORY_REVERT_DISABLED); this refuses
the POST itself."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict | None = None,
    ) -> HttpResponse:
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
