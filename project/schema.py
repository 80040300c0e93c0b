"""The OpenAPI schema lists every answer an operation can give (issue 11, item 14).

drf-spectacular documents only the success an endpoint returns. The error answers follow from how
every view here is built (CONTRACT.md "Errors", cases.api_errors), so they are added in one place
from what the operation is, instead of on each view:

- every operation that needs a signed-in user: 401 (no, unknown, expired or revoked token) and 403
  (signed in without the second factor, or a role that may not do this);
- an operation on one record (a case number or an id in the path): 404, also for a record the user
  may not see (never 403 for that, so numbers cannot be probed);
- an operation with query parameters: 400 for a value it cannot use; a paged list: 404 for a page
  past the end;
- a write (POST, PUT, PATCH, DELETE): 400 with field errors, 403 for a step this role may not take;
  on one record also 409 for a move the state machine forbids (with the case's `status`) or a
  conflict with its current state;
- a body in another media type: 415; an Accept header it cannot answer: 406;
- a view with throttles: 429 with Retry-After;
- every operation: 503 with Retry-After while the database cannot be reached (project.faults).

A view documents anything else (another success such as 204, or an error code with its own body)
with `extend_schema(responses=...)`; a code it names is never replaced here.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The error bodies, as cases.api_errors and DRF's handler write them.
ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "description": "Why the request was refused, in words for the person using the client.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationError": {
        "type": "object",
        "description": (
            "Field errors: each field of the request that was refused, with its messages (a list "
            "of strings; for a nested object the same shape again; for a list of objects, one "
            "such object per item), and `non_field_errors` for the request as a whole. A step "
            "refused for a reason the user can fix answers `detail` instead."
        ),
        "properties": {
            "detail": {"type": "string"},
            "non_field_errors": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": {"anyOf": [{"type": "array"}, {"type": "object"}]},
    },
    "Conflict": {
        "type": "object",
        "description": (
            "A move the case's state machine forbids, or a change that conflicts with the current "
            "state of the record: `detail` in words and, for a case, its current `status`. A "
            "change of a case's details sent with a `version` older than the case's also says "
            "the current `version`, who changed it last and when, and what changed since."
        ),
        "properties": {
            "detail": {"type": "string"},
            "status": {"type": "string"},
            "version": {"type": "integer"},
            "changed_by": {"type": "string", "nullable": True},
            "changed_at": {"type": "string", "format": "date-time", "nullable": True},
            "reason": {"type": "string", "description": "Why it was last changed."},
            "changes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "description": "A value that changed (`from` and `to` are null where this "
                    "user may not see it, or it is kept encrypted).",
                    "properties": {
                        "record": {"type": "string"},
                        "field": {"type": "string"},
                        "from": {"nullable": True},
                        "to": {"nullable": True},
                    },
                },
            },
        },
        "required": ["detail"],
    },
}

RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before trying again.",
    }
}


class LanternAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema with the error answers every operation can give."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, answer in self._error_responses().items():
            responses.setdefault(code, answer)
        return dict(sorted(responses.items()))

    def _get_parameters(self) -> list[dict[str, Any]]:
        """An optional query parameter sent empty (`?status=&page=`, as a GET form sends its blank
        fields) is read as not sent: the filters, the pager and the report's options all do so."""
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return parameters

    def _get_serializer_field_meta(self, field: Any, direction: str) -> dict[str, Any]:
        """An answer's field that defaults to None (`CharField(source="claimed_by.username",
        default=None)`) is null when the relation is empty: say so."""
        meta = super()._get_serializer_field_meta(field, direction)
        if (
            direction == "response"
            and isinstance(field, serializers.Field)
            and field.default is None
        ):
            meta["nullable"] = True
        return meta

    def _error_responses(self) -> dict[str, dict[str, Any]]:
        parameters = self._get_parameters()
        on_one_record = any(p["in"] == "path" for p in parameters)
        has_query = any(p["in"] == "query" for p in parameters)
        writes = self.method in UNSAFE_METHODS
        errors: dict[str, dict[str, Any]] = {}

        if self._needs_sign_in():
            errors["401"] = self._error(
                "Error", "Not signed in: no token, or an unknown, expired or revoked one."
            )
            errors["403"] = self._error(
                "Error",
                "Signed in without the second factor, or this role may not do this.",
            )
        if writes or has_query:
            errors["400"] = self._error(
                "ValidationError", "The request was refused: field errors, or why in `detail`."
            )
        if on_one_record:
            errors["404"] = self._error(
                "Error", "No such record, or one this user may not see (the same answer)."
            )
        elif has_query and self._is_paged():
            errors["404"] = self._error("Error", "A page past the end of the list.")
        if writes and on_one_record:
            errors["409"] = self._error(
                "Conflict",
                "A move the state machine forbids, or the record changed state in the meantime.",
            )
        if self.method in UNSAFE_METHODS and self._get_request_body() is not None:
            errors["415"] = self._error("Error", "A request body in a media type not listed here.")
        errors["406"] = self._error(
            "Error", "An Accept header this API cannot answer (it answers JSON)."
        )
        if self.view.get_throttles():
            errors["429"] = self._error("Error", "Too many requests.", headers=RETRY_AFTER)
        errors["503"] = self._error(
            "Error", "The database cannot be reached just now.", headers=RETRY_AFTER
        )
        return errors

    def _needs_sign_in(self) -> bool:
        return not all(isinstance(p, AllowAny) for p in self.view.get_permissions())

    def _is_paged(self) -> bool:
        return any(p["in"] == "query" and p["name"] == "page" for p in self._get_parameters())

    def _error(
        self, component: str, description: str, headers: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        resolved = ResolvedComponent(
            name=component,
            type=ResolvedComponent.SCHEMA,
            object=component,
            schema=ERROR_SCHEMAS[component],
        )
        self.registry.register_on_missing(resolved)
        answer: dict[str, Any] = {
            "description": description,
            "content": {"application/json": {"schema": resolved.ref}},
        }
        if headers:
            answer["headers"] = headers
        return answer


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Any path under /api/v1/ that names no operation, whatever the method: after the same
    sign-in check as every API path (401/403 first, deny by default), the API's 404 body as JSON
    like every other error, not Django's HTML page."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # DRF runs this before it looks for a handler: every method gets the same 404
        super().initial(request, *args, **kwargs)
        raise NotFound()
