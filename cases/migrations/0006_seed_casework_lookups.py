"""Starting follow-up kinds, and the common services offered as one-tap buttons (DESIGN rule 10:
admins edit both afterwards)."""

from __future__ import annotations

from django.db import migrations

FOLLOW_UP_KINDS = [
    ("call-back", "Call back"),
    ("court-date", "Court date"),
    ("safety-plan-review", "Safety-plan review"),
    ("appointment", "Appointment"),
    ("check-in", "Check-in"),
    ("other", "Other"),
]
QUICK_SERVICES = ["counselling", "shelter", "legal", "medical", "accompaniment"]


def seed(apps, schema_editor):
    FollowUpKind = apps.get_model("cases", "FollowUpKind")
    for position, (code, label) in enumerate(FOLLOW_UP_KINDS, start=1):
        FollowUpKind.objects.get_or_create(
            code=code, defaults={"label": label, "position": position * 10}
        )
    apps.get_model("cases", "ServiceType").objects.filter(code__in=QUICK_SERVICES).update(
        quick=True
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_casework")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
