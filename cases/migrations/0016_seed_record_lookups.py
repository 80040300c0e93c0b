"""Starting lists for issue 12 (DESIGN rule 10: admins edit them afterwards), and the fuzzy-search
tokens of everyone already on record (cases.tokens)."""

from __future__ import annotations

from django.db import migrations

FLAGS = [
    ("high_risk", "High risk", "exclamation-octagon"),
    ("child_involved", "Child involved", "people"),
    ("interpreter", "Interpreter needed", "translate"),
    ("disability_access", "Disability access", "universal-access"),
    ("no_phone_contact", "No contact by phone", "telephone-x"),
    ("pregnant", "Pregnant", "heart-pulse"),
    ("weapon", "Weapon mentioned", "exclamation-triangle"),
]
CONTACT_TYPES = [
    ("mobile", "Mobile phone", "phone"),
    ("landline", "Landline", "phone"),
    ("email", "Email", "email"),
    ("address", "Address", "address"),
    ("other", "Other", "other"),
]
REFERENCE_TYPES = [
    ("crime_number", "Crime number", "both", "Force"),
    ("officer_in_charge", "Officer in charge", "case", "Force"),
    ("housing_reference", "Housing reference", "both", "Council or landlord"),
    ("marac_reference", "MARAC reference", "case", "Area"),
    ("social_care", "Social care reference", "person", "Local authority"),
]
LANGUAGES = [
    ("en", "English"),
    ("cy", "Welsh"),
    ("pl", "Polish"),
    ("ro", "Romanian"),
    ("ur", "Urdu"),
    ("pa", "Punjabi"),
    ("bn", "Bengali"),
    ("ar", "Arabic"),
    ("so", "Somali"),
    ("pt", "Portuguese"),
    ("es", "Spanish"),
    ("uk", "Ukrainian"),
    ("bsl", "British Sign Language"),
]
# who else contacts a helpline for a victim (the reporter's relationship to them)
REPORTER_RELATIONSHIPS = [
    ("friend", "Friend or neighbour"),
    ("professional", "A professional (teacher, GP, social worker)"),
]


def seed(apps, schema_editor):
    def fill(model, rows, **extra):
        Model = apps.get_model("cases", model)
        for position, row in enumerate(rows, start=1):
            code, label, *rest = row
            defaults = {"label": label, "position": position * 10}
            defaults.update({key: value for key, value in zip(extra, rest, strict=False)})
            Model.objects.get_or_create(code=code, defaults=defaults)

    fill("Flag", FLAGS, icon=None)
    fill("ContactType", CONTACT_TYPES, shape=None)
    fill("ReferenceType", REFERENCE_TYPES, applies_to=None, issuer_label=None)
    fill("Language", LANGUAGES)
    Relationship = apps.get_model("cases", "Relationship")
    last = Relationship.objects.order_by("-position").values_list("position", flat=True).first()
    for offset, (code, label) in enumerate(REPORTER_RELATIONSHIPS, start=1):
        Relationship.objects.get_or_create(
            code=code, defaults={"label": label, "position": (last or 0) + offset * 10}
        )


def index_names(apps, schema_editor):
    from cases.tokens import name_tokens

    Person = apps.get_model("cases", "Person")
    PersonToken = apps.get_model("cases", "PersonToken")
    for person in Person.objects.exclude(name="").iterator(chunk_size=500):
        if person.name:
            PersonToken.objects.bulk_create(
                [PersonToken(person=person, token=t) for t in name_tokens(person.name)],
                ignore_conflicts=True,
            )


class Migration(migrations.Migration):
    dependencies = [("cases", "0015_record_people_flags_merge")]
    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(index_names, migrations.RunPython.noop),
    ]
