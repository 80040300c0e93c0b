"""`{% masked person "phone" case %}`: a masked detail with its "Show" (cases.reveal). The value is
not in the page at all until it is shown: not hidden with CSS, absent. Without `case` (a person's
own page) the reveal is asked of the person; `{% masked report "sender" case %}` masks a report's
sender. `{{ person|masked_text:"phone" }}` and `{{ report.sender|mask_phone }}` are the mask alone
(the printed case file)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from cases import masking
from cases.models import Case, Person, Report

register = template.Library()


@register.inclusion_tag("cases/_masked.html", takes_context=True)
def masked(
    context: template.Context, obj: Person | Report, field: str, case: Case | None = None
) -> dict[str, Any]:
    if isinstance(obj, Report):
        if field != "sender":
            raise template.TemplateSyntaxError("A report masks only its sender.")
        label, mask, kind = "Sender", masking.mask_phone(obj.sender), "report"
        url = reverse("cases:reveal", args=[obj.case.number if case is None else case.number])
    else:
        if field not in masking.MASKED_FIELDS:
            raise template.TemplateSyntaxError(f"{field} is not a masked detail.")
        label, mask, kind = masking.MASKED_FIELDS[field], masking.masked(obj, field), "person"
        url = (
            reverse("cases:reveal", args=[case.number])
            if case is not None
            else reverse("cases:reveal-person", args=[obj.pk])
        )
    return {
        "csrf_token": context.get("csrf_token"),
        "label": label,
        "mask": mask,
        "url": url,
        "kind": kind,
        "pk": obj.pk,
        "field": field,
    }


@register.filter
def masked_text(person: Person, field: str) -> str:
    return masking.masked(person, field)


@register.filter
def shown_text(person: Person, field: str) -> str:
    return masking.shown(person, field)


register.filter("mask_phone", masking.mask_phone)
