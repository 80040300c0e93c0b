"""The five fixed milestone templates go: their words were copied into update message types by
portal 0003 (which runs first), and what a victim is sent is now the portal's neutral notice of
an update. Going back, the tables come back and are filled from those update types again (SMS and
email each get the type's portal words; the email its neutral subject)."""

from django.db import migrations

MILESTONES = ["report_received", "case_taken_on", "referral_accepted", "appointment", "case_closed"]


def restore_templates(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    UpdateText = apps.get_model("portal", "UpdateText")
    sources = [(m, UpdateText.objects.filter(update_type__code=m)) for m in MILESTONES]
    # the one "update from the police" template: the words of the first partner-event type
    first = (
        apps.get_model("portal", "UpdateType")
        .objects.filter(trigger="partner_event")
        .order_by("position", "pk")
        .first()
    )
    if first is not None:
        sources.append(("crime_update", UpdateText.objects.filter(update_type=first)))
    for milestone, texts in sources:
        for text in texts:
            for channel in ("sms", "email"):
                MessageTemplate.objects.get_or_create(
                    milestone=milestone,
                    language=text.language,
                    channel=channel,
                    defaults={
                        "subject": text.subject if channel == "email" else "",
                        "text": text.body or text.title,
                    },
                )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0007_portal_channel"),
        ("portal", "0003_update_types"),
    ]

    operations = [
        # reversed last: the tables are back before they are filled
        migrations.RunPython(migrations.RunPython.noop, restore_templates),
        migrations.RemoveField(model_name="historicalmessagetemplate", name="history_user"),
        migrations.DeleteModel(name="MessageTemplate"),
        migrations.DeleteModel(name="HistoricalMessageTemplate"),
    ]
