"""Update message types take over from the five fixed milestone templates (issue 14.5).

Each old milestone (report received, case taken on, referral accepted, appointment, case closed)
becomes a type set off by the case event of the same code. The words admins had in
notifications.MessageTemplate become what the victim reads in the portal (the body, per
language; the SMS words, else the email's), and the message that tells them is neutral: "You have
a new update. Sign in to see it: {link}". The starting words Lantern seeded ("You have a new
update.") said nothing a victim could read in the portal, so an English text still equal to them
gets plain words of its own; words an admin changed are kept as they wrote them.

The old "update from the police" (crime_update) was one template for every crime-system event
whose type had `sends_update`. An update type has one event, and the portal can now say *what*
happened, so each such partner event type gets a type of its own (`partner_<code>`, titled with
the event type's label); feeds 0004 then drops `sends_update`: whether a partner event tells the
victim is decided by whether an active update type has that event.

A few more types show that admins add as many as they need: the case resolved, and three sent by
staff from the case page.

`seed` also runs against the live app registry (tests seed again after a flush), where neither
MessageTemplate nor `sends_update` exists any more: then the defaults are used."""

from django.db import migrations

NOTICE = {
    "en": ("Update", "You have a new update. Sign in to see it: {link}"),
    "cy": ("Diweddariad", "Mae gennych ddiweddariad newydd. Mewngofnodwch i'w weld: {link}"),
    "pl": ("Aktualizacja", "Masz nową aktualizację. Zaloguj się, aby ją zobaczyć: {link}"),
}
# What the old templates were seeded with (notifications 0003, 0006): left unchanged, an English
# text is replaced by the plain body below.
SEEDED_WORDS = {
    "You have a new update.",
    "Reminder: {when}.",
    "There is an update on your report. Reply or call us when it is safe for you.",
}

# (code, name, trigger, event, English title, English body)
CASE_TYPES = [
    (
        "report_received",
        "Report received",
        "We have your report",
        "We have your report. Someone will look at it soon.",
    ),
    (
        "case_taken_on",
        "Case taken on",
        "We are looking after your case",
        "Someone on our team has read your report and is now looking after your case.",
    ),
    (
        "referral_accepted",
        "Referred and accepted",
        "More help is on the way",
        "A support service has said yes to helping you. They will be in touch.",
    ),
    (
        "appointment",
        "Appointment",
        "You have an appointment",
        "You have an appointment on {when}. If you cannot make it, send us a message.",
    ),
    (
        "case_closed",
        "Case closed",
        "Your case is closed",
        "We have closed your case. If you need us again, you can always get in touch.",
    ),
]
EXTRA_TYPES = [
    (
        "case_resolved",
        "Case resolved",
        "case_event",
        "case_resolved",
        "Your case is nearly finished",
        "We think we have done what we can for now. Send us a message if you still need help.",
    ),
    (
        "appointment_changed",
        "Your appointment has changed",
        "staff",
        "",
        "Your appointment has changed",
        "The time or place of your appointment has changed. Send us a message if you are not sure "
        "when it is.",
    ),
    (
        "please_contact_us",
        "Please contact us",
        "staff",
        "",
        "Please get in touch",
        "We would like to talk to you. Send us a message here, or call us when it is safe.",
    ),
    (
        "court_date_set",
        "Court date set",
        "staff",
        "",
        "There is a court date",
        "A date has been set for court. Send us a message and we will tell you what happens next.",
    ),
]
PARTNER_BODY = "There is news about your report from the police. Send us a message if you want to talk about it."
CHANNELS = ["sms", "email"]


def _old_words(apps, milestone):
    """{language: (words, subject)} of the old templates for a milestone, SMS first; none when
    the model is gone (seeding again after a flush)."""
    try:
        MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    except LookupError:
        return {}
    words, subjects = {}, {}
    found = MessageTemplate.objects.filter(milestone=milestone, is_active=True)
    for template in found.order_by("-channel"):  # "sms" before "email"
        words.setdefault(template.language, template.text)
        subjects[template.language] = subjects.get(template.language) or template.subject
    return {language: (text, subjects.get(language, "")) for language, text in words.items()}


def _texts(kind, UpdateText, title, body, old):
    languages = {"en", *old}
    for language in sorted(languages):
        words, subject = old.get(language, ("", ""))
        if language == "en" and (not words or words in SEEDED_WORDS):
            language_title, language_body = title, body
        else:
            language_title, language_body = (subject or title), (words or body)
        notice_subject, notice = NOTICE.get(language, NOTICE["en"])
        UpdateText.objects.get_or_create(
            update_type=kind,
            language=language,
            defaults={
                "title": language_title[:200],
                "body": language_body,
                "subject": notice_subject,
                "notice": notice,
            },
        )


def _partner_event_types(apps):
    PartnerEventType = apps.get_model("feeds", "PartnerEventType")
    found = PartnerEventType.objects.filter(is_active=True)
    if any(f.name == "sends_update" for f in PartnerEventType._meta.get_fields()):
        found = found.filter(sends_update=True)
    return found.order_by("position", "code")


def seed(apps, schema_editor):
    UpdateType = apps.get_model("portal", "UpdateType")
    UpdateText = apps.get_model("portal", "UpdateText")
    position = 10
    for code, name, title, body in CASE_TYPES:
        old = _old_words(apps, code)
        _make(UpdateType, UpdateText, position, code, name, "case_event", code, title, body, old)
        position += 10
    for code, name, trigger, event, title, body in EXTRA_TYPES:
        _make(UpdateType, UpdateText, position, code, name, trigger, event, title, body, {})
        position += 10
    crime = _old_words(apps, "crime_update")
    for kind in _partner_event_types(apps):
        _make(
            UpdateType,
            UpdateText,
            position,
            f"partner_{kind.code}"[:64],
            f"Police: {kind.label}"[:200],
            "partner_event",
            kind.code,
            kind.label,
            PARTNER_BODY,
            crime,
        )
        position += 10


def _make(UpdateType, UpdateText, position, code, name, trigger, event, title, body, old):
    kind, _ = UpdateType.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "trigger": trigger,
            "event": event,
            "channels": CHANNELS,
            "position": position,
        },
    )
    _texts(kind, UpdateText, title, body, old)


def unseed(apps, schema_editor):
    UpdateType = apps.get_model("portal", "UpdateType")
    codes = [row[0] for row in CASE_TYPES] + [row[0] for row in EXTRA_TYPES]
    # Types nobody has been sent yet go; one that is on a victim's timeline stays (PROTECT).
    used = apps.get_model("portal", "PortalUpdate").objects.values("update_type")
    UpdateType.objects.filter(code__in=codes).exclude(pk__in=used).delete()
    UpdateType.objects.filter(code__startswith="partner_", trigger="partner_event").exclude(
        pk__in=used
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_system_messages"),
        ("notifications", "0007_portal_channel"),
        ("feeds", "0003_bulk_written_keys_unconstrained"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
