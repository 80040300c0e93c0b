"""A partner event type no longer says whether the victim is told (`sends_update`): an update
message type with its event does (portal 0003 made one for each type that sent an update, before
this runs). Going back, a type sends an update again where an active update type has its event."""

from django.db import migrations, models


def restore_sends_update(apps, schema_editor):
    PartnerEventType = apps.get_model("feeds", "PartnerEventType")
    UpdateType = apps.get_model("portal", "UpdateType")
    told = set(
        UpdateType.objects.filter(trigger="partner_event", is_active=True).values_list(
            "event", flat=True
        )
    )
    PartnerEventType.objects.exclude(code__in=told).update(sends_update=False)


class Migration(migrations.Migration):
    dependencies = [
        ("feeds", "0003_bulk_written_keys_unconstrained"),
        ("portal", "0003_update_types"),
    ]

    operations = [
        # reversed last: the field is back (true for all) before it is set from the update types
        migrations.RunPython(migrations.RunPython.noop, restore_sends_update),
        migrations.RemoveField(model_name="historicalpartnereventtype", name="sends_update"),
        migrations.RemoveField(model_name="partnereventtype", name="sends_update"),
    ]
