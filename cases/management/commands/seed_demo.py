"""Demo organisations, staff and cases for `make run` (idempotent: a second run changes nothing).
Everything here is made up; phone numbers are from Ofcom's drama range (07700 900xxx)."""

from __future__ import annotations

import base64
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organisation, User
from accounts.services import create_organisation, create_staff
from cases.models import Case, Category, Language
from cases.services import IncomingReport, move_case, open_case
from notifications.models import CannedReply
from referrals.services import ReferralRequest, refer_case
from triage.services import Verification, verify_case

DEMO_PASSWORD = "lantern-demo-pass"  # noqa: S105 - a published demo login, never production

ORGANISATIONS = [
    ("demo-helpline", "Lantern Demo Helpline", Organisation.Kind.HELPLINE),
    ("safe-haven", "Safe Haven Refuge", Organisation.Kind.CSO),
    ("legal-aid", "Legal Aid Trust", Organisation.Kind.CSO),
    ("oversight", "Oversight Board", Organisation.Kind.MONITOR),
]
STAFF = [
    ("operator", "demo-helpline", User.Role.OPERATOR),
    ("supervisor", "demo-helpline", User.Role.SUPERVISOR),
    ("cso", "safe-haven", User.Role.CSO_REP),
    ("monitor", "oversight", User.Role.MONITOR),
    ("admin", "demo-helpline", User.Role.ADMIN),
]
REPORTS = [
    (
        "sms",
        "+447700900101",
        "He took my phone again last night. I am at my sister's. Please text only after 6pm.",
    ),
    (
        "sms",
        "+447700900102",
        "My neighbour is being hurt, I can hear shouting every night. Flat 3.",
    ),
    ("web", "", "I want to know what help there is. I am not ready to leave yet."),
    ("voice", "+447700900103", ""),
    ("sms", "+447700900101", "Is anyone there?"),
]
# Canned replies (UX.md 10): (helpline slug or None for every helpline, language code or None for
# the default wording, shortcut, title, text). Neutral words, safe on a shared phone; "who" names
# the helpline, so it is not offered for a victim who asked us not to name the organisation.
CANNED_REPLIES = [
    (None, None, "welcome", "Welcome",
     "Hello, my name is {operator_first_name}. Thank you for getting in touch. Are you safe to "
     "talk right now?"),
    (None, "es", "welcome", "Bienvenida",
     "Hola, me llamo {operator_first_name}. Gracias por escribirnos. ¿Puede hablar con "
     "seguridad ahora?"),
    (None, None, "safe", "Safe to talk?",
     "If it is not safe to talk, reply STOP and we will not write again until you do."),
    (None, None, "ref", "Your reference",
     "Your reference is {case_ref}. Quote it if you contact us again."),
    (None, "es", "ref", "Su referencia",
     "Su referencia es {case_ref}. Indíquela si vuelve a contactarnos."),
    (None, None, "emergency", "Emergency",
     "If you are in danger now, call 999. If you cannot speak, press 55 when asked."),
    ("demo-helpline", None, "who", "Who we are",
     "This is Lantern Demo Helpline. We are open every day, 8am to 10pm."),
]  # fmt: skip


class Command(BaseCommand):
    help = "Load demo organisations, staff and cases (idempotent) and print the demo logins."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        for slug, name, kind in ORGANISATIONS:
            if not Organisation.objects.filter(slug=slug).exists():
                create_organisation(slug=slug, name=name, kind=kind)
        for username, org, role in STAFF:
            if not User.objects.filter(username=username).exists():
                create_staff(
                    username=username,
                    organisation=Organisation.objects.get(slug=org),
                    role=role,
                    password=DEMO_PASSWORD,
                    email=f"{username}@lantern.invalid",
                )
        self._seed_cases()
        self._seed_canned_replies()
        self._print_logins()

    def _seed_cases(self) -> None:
        helpline = Organisation.objects.get(slug="demo-helpline")
        operator = User.objects.get(username="operator")
        now = timezone.now()
        for i, (channel, sender, body) in enumerate(REPORTS):
            case, created = open_case(
                helpline=helpline,
                report=IncomingReport(
                    channel=channel,
                    source_id=f"demo-{i}",
                    received_at=now - timedelta(minutes=15 * (len(REPORTS) - i)),
                    sender=sender,
                    body=body,
                ),
            )
            if created and i == 1:
                move_case(case=case, to=Case.Status.IN_TRIAGE, actor=operator, reason="Claimed")
            if created and i == 0:
                self._refer(case, operator)

    def _refer(self, case: Case, operator: User) -> None:
        """One case already with Safe Haven, so the CSO login has a referral to answer."""
        move_case(case=case, to=Case.Status.IN_TRIAGE, actor=operator, reason="Claimed")
        verify_case(
            case=case,
            actor=operator,
            verification=Verification(
                category=Category.objects.get(code="physical"), priority=Case.Priority.HIGH
            ),
        )
        refer_case(
            case=case,
            actor=operator,
            request=ReferralRequest(
                organisation=Organisation.objects.get(slug="safe-haven"),
                reason="She asked for counselling and help with a safety plan.",
                consent=True,
            ),
        )

    def _seed_canned_replies(self) -> None:
        for slug, language, shortcut, title, text in CANNED_REPLIES:
            CannedReply.objects.get_or_create(
                helpline=Organisation.objects.get(slug=slug) if slug else None,
                language=Language.objects.get(code=language) if language else None,
                shortcut=shortcut,
                defaults={"title": title, "text": text},
            )

    def _print_logins(self) -> None:
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        self.stdout.write(
            "Add the TOTP secret to an authenticator app, or: oathtool --totp -b SECRET"
        )
        for username, org, role in STAFF:
            device = TOTPDevice.objects.filter(user__username=username).first()
            secret = base64.b32encode(device.bin_key).decode() if device else "(no device)"
            self.stdout.write(f"  {username:<11} {role:<11} {org:<14} TOTP secret {secret}")
