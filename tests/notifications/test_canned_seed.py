"""seed_demo's canned replies: written once however often it runs, every one passes the admin's
placeholder check, and the demo operator gets them for a demo case."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import User
from cases.models import Case
from notifications.canned import canned_replies, placeholder_errors
from notifications.models import CannedReply

pytestmark = pytest.mark.django_db


def test_seed_demo_writes_valid_canned_replies_once() -> None:
    call_command("seed_demo")
    rows = list(CannedReply.objects.values_list("pk", "text"))
    call_command("seed_demo")

    assert list(CannedReply.objects.values_list("pk", "text")) == rows
    assert len(rows) >= 5
    assert all(not placeholder_errors(text) for _, text in rows)
    assert CannedReply.objects.filter(language__code="es").exists()
    case = Case.objects.filter(helpline__slug="demo-helpline").first()
    offered = canned_replies(case=case, operator=User.objects.get(username="operator"))
    assert {"welcome", "ref", "who"} <= {reply["shortcut"] for reply in offered}
    assert any(case.number in reply["text"] for reply in offered)
