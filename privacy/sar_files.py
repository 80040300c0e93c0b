"""The subject access export as one ZIP: data.json (for a machine), export.pdf (to read; laid out by
project.pdf like every printed page) and README.txt (what is in it and what is not)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from project.pdf import render_pdf

DATA = "data.json"
PDF = "export.pdf"
README = "README.txt"


def _readme(data: dict[str, Any]) -> str:
    return render_to_string("privacy/sar/README.txt", {"data": data})


def build_zip(data: dict[str, Any], *, generated_by: str) -> bytes:
    """The ZIP's bytes. `data` is privacy.sar_collect.collect's, with the request's facts added."""
    pdf = render_pdf(
        "privacy/sar/export_print.html",
        {"data": data, "generated_at": timezone.localtime(), "generated_by": generated_by},
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(README, _readme(data))
        archive.writestr(DATA, json.dumps(data, indent=2, ensure_ascii=False))
        archive.writestr(PDF, pdf)
    return buffer.getvalue()
