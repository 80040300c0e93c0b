"""Sensible starting lists; admins edit, add and retire entries afterwards (DESIGN rule 10)."""

from __future__ import annotations

from django.db import migrations

LISTS = {
    "Category": [
        ("physical", "Physical violence"),
        ("sexual", "Sexual violence"),
        ("psychological", "Psychological or emotional abuse"),
        ("economic", "Economic abuse"),
        ("coercive-control", "Coercive control"),
        ("stalking", "Stalking or harassment"),
        ("online", "Online or tech-facilitated abuse"),
        ("forced-marriage", "Forced marriage"),
        ("fgm", "Female genital mutilation"),
        ("honour-based", "So-called honour-based abuse"),
        ("trafficking", "Trafficking or sexual exploitation"),
        ("other", "Other"),
    ],
    "ServiceType": [
        ("counselling", "Counselling"),
        ("shelter", "Emergency shelter or refuge"),
        ("legal", "Legal advice or representation"),
        ("medical", "Medical care"),
        ("accompaniment", "Accompaniment (court, police, hospital)"),
        ("safety-planning", "Safety planning"),
        ("financial", "Financial or housing support"),
        ("follow-up", "Follow-up contact"),
    ],
    "DiscardReason": [
        ("prank", "Prank or joke"),
        ("wrong-number", "Wrong number"),
        ("silent", "Silent contact"),
        ("test", "Test message"),
        ("abusive", "Abusive contact"),
        ("duplicate", "Duplicate of another case"),
        ("out-of-scope", "Outside the helpline's scope"),
    ],
    "Relationship": [
        ("partner", "Current partner or spouse"),
        ("ex-partner", "Former partner or spouse"),
        ("family", "Family member"),
        ("acquaintance", "Acquaintance"),
        ("colleague", "Colleague or employer"),
        ("stranger", "Stranger"),
        ("other", "Other"),
    ],
}


def seed(apps, schema_editor):
    for model_name, entries in LISTS.items():
        model = apps.get_model("cases", model_name)
        for position, (code, label) in enumerate(entries, start=1):
            model.objects.get_or_create(
                code=code, defaults={"label": label, "position": position * 10}
            )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
