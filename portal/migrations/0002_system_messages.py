"""The portal's own messages, as update types admins can reword (DESIGN rule 10): the invitation,
the sign-in code and "you have a new message". Neutral words: no organisation, nothing about the
case but the reference the victim needs to sign in."""

from django.db import migrations

SYSTEM = [
    (
        "portal_invitation",
        "Invitation to the portal",
        "Your reference",
        # what a lock screen shows says no more than any update (UX.md 45): no "report"
        "You have a new update. To see it, go to {link} and use reference {reference}. We "
        "will send you a code each time.",
    ),
    (
        "sign_in_code",
        "Sign-in code",
        "Your code",
        "Your code is {code}. It works for {minutes} minutes. Do not share it with anyone.",
    ),
    (
        "new_message",
        "New message in the portal",
        "New message",
        "You have a new message. Sign in to read it: {link}",
    ),
]


def seed(apps, schema_editor):
    UpdateType = apps.get_model("portal", "UpdateType")
    UpdateText = apps.get_model("portal", "UpdateText")
    for position, (code, name, subject, notice) in enumerate(SYSTEM, start=1):
        kind, _ = UpdateType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "trigger": "system",
                "channels": ["sms", "email"],
                "position": position,
            },
        )
        UpdateText.objects.get_or_create(
            update_type=kind, language="en", defaults={"subject": subject, "notice": notice}
        )


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
