"""Rules about where code may do things (SECURITY DP-04, DESIGN rules 6 and 7), checked by reading
the source: one module talks to Twilio's REST API and the mail server, and only the outbox writes
messages, so no outbound path can skip the safe-contact function."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "cases", "dashboards", "helpline", "intake", "notifications", "project",
        "referrals", "triage"]  # fmt: skip
GATEWAY = ROOT / "notifications" / "transports.py"
OUTBOX = ROOT / "notifications" / "services.py"


def sources() -> list[tuple[Path, ast.Module]]:
    files = [p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
    return [(path, ast.parse(path.read_text(), filename=str(path))) for path in files]


def test_only_the_gateway_imports_the_twilio_rest_client_or_django_mail() -> None:
    offenders = []
    for path, tree in sources():
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith(("twilio.rest", "django.core.mail")) and path != GATEWAY:
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_only_the_gateway_sends() -> None:
    offenders = []
    for path, tree in sources():
        if path == GATEWAY:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            target = ast.unparse(node.func)
            if target.endswith(("messages.create", ".send_mail", "send_mass_mail")) or (
                target.endswith(".send") and "message" in target.lower()
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {target}")
    assert offenders == []


def test_only_the_outbox_writes_notification_rows() -> None:
    """Notification.objects.create/bulk_create/save outside notifications.services would be a
    message that never met the safe-contact function."""
    offenders = []
    for path, tree in sources():
        if path == OUTBOX:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                target = ast.unparse(node.func)
                if target.startswith("Notification.objects.") and node.func.attr in (
                    "create",
                    "bulk_create",
                    "get_or_create",
                    "update_or_create",
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {target}")
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "Notification":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} Notification(...)")
    assert offenders == []
