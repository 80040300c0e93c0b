"""The "update from the police" milestone (feeds.partners: a crime system's event on a case whose
type sends the victim an update) and its neutral starting words in English, for SMS and email: no
organisation, no police, nothing about the case, since the phone may not be the victim's alone.
Admins edit them and add languages (DESIGN rule 10); other languages fall back to these."""

from __future__ import annotations

from django.db import migrations, models

MILESTONES = [
    ("report_received", "Report received"),
    ("case_taken_on", "Case taken on"),
    ("referral_accepted", "Referred and accepted"),
    ("appointment", "Appointment"),
    ("case_closed", "Case closed"),
    ("crime_update", "Update from the police"),
]
SUBJECT = "Update"
TEXT = "There is an update on your report. Reply or call us when it is safe for you."


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for channel in ("sms", "email"):
        MessageTemplate.objects.get_or_create(
            milestone="crime_update",
            language="en",
            channel=channel,
            defaults={"subject": SUBJECT if channel == "email" else "", "text": TEXT},
        )


def unseed(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    MessageTemplate.objects.filter(milestone="crime_update").delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_history_reasons_kept_whole")]

    operations = [
        migrations.AlterField(
            model_name="historicalmessagetemplate",
            name="milestone",
            field=models.CharField(choices=MILESTONES, max_length=32),
        ),
        migrations.AlterField(
            model_name="messagetemplate",
            name="milestone",
            field=models.CharField(choices=MILESTONES, max_length=32),
        ),
        migrations.RunPython(seed, unseed),
    ]
