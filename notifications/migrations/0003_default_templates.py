"""Neutral starting words for the messages to victims (UX 45): "You have a new update", naming no
organisation and nothing about the case. Admins edit them and add languages (DESIGN rule 10)."""

from __future__ import annotations

from django.db import migrations

UPDATE = {
    "en": ("Update", "You have a new update."),
    "cy": ("Diweddariad", "Mae gennych ddiweddariad newydd."),
    "pl": ("Aktualizacja", "Masz nową aktualizację."),
}
REMINDER = {
    "en": ("Reminder", "Reminder: {when}."),
    "cy": ("Nodyn atgoffa", "Nodyn atgoffa: {when}."),
    "pl": ("Przypomnienie", "Przypomnienie: {when}."),
}
MILESTONES = {
    "report_received": UPDATE,
    "case_taken_on": UPDATE,
    "referral_accepted": UPDATE,
    "appointment": REMINDER,
    "case_closed": UPDATE,
}


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for milestone, words in MILESTONES.items():
        for language, (subject, text) in words.items():
            for channel in ("sms", "email"):
                MessageTemplate.objects.get_or_create(
                    milestone=milestone,
                    language=language,
                    channel=channel,
                    defaults={"subject": subject if channel == "email" else "", "text": text},
                )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_outbox")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
