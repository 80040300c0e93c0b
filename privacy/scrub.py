"""The one way data protection changes or removes stored rows: together with every historical copy
of them (django-simple-history keeps a full copy per change, SECURITY gap 9), so nothing removed
from a record survives in its history. Retention and erasure build on these."""

from __future__ import annotations

from typing import Any

from django.db import models


def _history_model(model: type[models.Model]) -> type[models.Model] | None:
    manager = getattr(model, "history", None)
    return getattr(manager, "model", None) if manager is not None else None


def blank_rows(queryset: models.QuerySet, values: dict[str, Any]) -> int:
    """Set `values` (blanks: "", {}, None) on the rows and on every historical copy of them, in
    place and without a new history row. Returns how many rows there were."""
    model = queryset.model
    pks = list(queryset.values_list("pk", flat=True))
    if not pks:
        return 0
    model._base_manager.filter(pk__in=pks).update(**values)
    history = _history_model(model)
    if history is not None:
        history._base_manager.filter(**{f"{model._meta.pk.attname}__in": pks}).update(**values)
    return len(pks)


def delete_rows(queryset: models.QuerySet) -> int:
    """Delete the rows and every historical copy of them. Returns how many rows there were."""
    model = queryset.model
    pks = list(queryset.values_list("pk", flat=True))
    if not pks:
        return 0
    history = _history_model(model)
    model._base_manager.filter(pk__in=pks).delete()
    if history is not None:
        history._base_manager.filter(**{f"{model._meta.pk.attname}__in": pks}).delete()
    return len(pks)
