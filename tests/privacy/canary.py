"""A sweep of everything Lantern stores for a made-up canary string (SECURITY DP-08, DP-09): every
model's rows read through the ORM, so encrypted values are decrypted and history tables included;
the sessions, decoded; and every file in the protected storage, decrypted where it is encrypted.
An erasure or retention test plants canaries, acts, and expects `find` to return nothing."""

from __future__ import annotations

import os

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session

from project import protected_files
from project.crypto import UndecryptableValueError


def _rows() -> list[str]:
    found = []
    for model in apps.get_models(include_auto_created=True):
        fields = list(model._meta.concrete_fields)
        for row in model._base_manager.all().iterator():
            for field in fields:
                value = getattr(row, field.attname, None)
                if value is not None and CANARY_MARK in str(value):
                    found.append((model._meta.label, field.attname, row.pk, str(value)))
    return found


def _sessions() -> list[tuple]:
    found = []
    for session in Session.objects.all():
        text = str(session.get_decoded())
        if CANARY_MARK in text:
            found.append(("session", "session_data", session.pk, text))
    return found


def _files() -> list[tuple]:
    root = settings.PROTECTED_MEDIA_ROOT
    found = []
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root)
            try:
                data = b"".join(protected_files.open_decrypted(relative))
            except UndecryptableValueError:  # not Lantern's format: searched as it is
                with open(path, "rb") as handle:
                    data = handle.read()
            if CANARY_MARK.encode() in data:
                # The text is what `find` matches each canary against, so it is the content.
                found.append(("file", relative, 0, data.decode("utf-8", "replace")))
    return found


# Every canary starts with this, so one sweep finds all of them; `find` then narrows to one.
CANARY_MARK = "CANARY"


def canary(name: str) -> str:
    """A made-up value that can be searched for everywhere ("CANARYvictimname")."""
    return f"{CANARY_MARK}{name}"


def find(*canaries: str) -> list[str]:
    """Where each of `canaries` still is, as "model.field pk" lines; [] when none is anywhere."""
    hits = [*_rows(), *_sessions(), *_files()]
    return sorted(
        f"{where}.{field} {pk}"
        for where, field, pk, text in hits
        for wanted in canaries
        if wanted in text
    )
