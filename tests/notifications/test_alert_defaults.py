"""Alerts reach staff as seed 003 promises without anyone setting them up (issue 11.9): operators
on duty get new reports by text and email, CSO representatives get referrals by email on duty or
not, supervisors get reports past their target and failed messages by email. Each person may
change their own (/notifications/settings/) and an admin their organisation's defaults per role
(admin); a person's own choice wins. A message from a victim reaches the case's holder and the
people working its live referrals."""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.models import Organisation, User
from cases.models import Case
from cases.services import IncomingReport, receive_message
from notifications.models import AlertDefault, AlertPreference, Notification
from notifications.services import notify_staff
from referrals.models import Referral
from tests.factories import (
    CaseFactory,
    OrganisationFactory,
    ReferralFactory,
    ReportFactory,
    StaffFactory,
)
from tests.notifications.test_views import checkbox

pytestmark = pytest.mark.django_db

PHONE = "+447700900321"
VICTIM_PHONE = "+447700900456"


def channels(rows: list[Notification], user: User) -> list[str]:
    return sorted(row.channel for row in rows if row.recipient_id == user.pk)


def staff(organisation, role: str, *, on_duty: bool, phone: str = PHONE) -> User:
    user = StaffFactory(organisation=organisation, role=role)
    user.on_duty, user.phone = on_duty, phone
    user.save()
    return user


# The defaults, for people who never chose ---------------------------------------------------------

DEFAULTS = [
    # role, on duty, has a phone, kind, channels
    ("operator", True, True, "case.new", ["email", "in_app", "sms"]),
    ("operator", True, False, "case.new", ["email", "in_app"]),  # by SMS where they have a phone
    ("operator", False, True, "case.new", ["in_app"]),  # on duty only
    ("operator", True, True, "case.assigned", ["in_app"]),  # no default beyond the app
    ("cso_rep", True, True, "referral.received", ["email", "in_app"]),
    ("cso_rep", False, True, "referral.received", ["email", "in_app"]),  # on duty or not
    ("supervisor", False, True, "queue.sla_breach", ["email", "in_app"]),
    ("supervisor", False, True, "outbox.failed", ["email", "in_app"]),
    ("supervisor", True, True, "case.new", ["in_app"]),
]


@pytest.mark.parametrize(("role", "on_duty", "has_phone", "kind", "expected"), DEFAULTS)
def test_staff_who_never_chose_get_their_roles_defaults(
    role, on_duty, has_phone, kind, expected, helpline, cso
) -> None:
    organisation = cso if role == "cso_rep" else helpline
    user = staff(organisation, role, on_duty=on_duty, phone=PHONE if has_phone else "")

    rows = notify_staff(users=[user], kind=kind, case_number="LNT-2026-000001", text="Alert")

    assert channels(rows, user) == expected
    email = next((row for row in rows if row.channel == "email"), None)
    if email is not None:
        assert email.destination == user.email
        assert email.text.endswith("/cases/LNT-2026-000001/")


def test_a_new_report_emails_and_texts_the_operators_on_duty(helpline) -> None:
    on = staff(helpline, "operator", on_duty=True)
    off = staff(helpline, "operator", on_duty=False)
    report = IncomingReport(
        channel=Case.Channel.SMS, source_id="SM" + "1" * 32, sender=VICTIM_PHONE
    )

    case, _ = receive_message(helpline=helpline, report=report)

    rows = list(Notification.objects.filter(kind="case.new", case_number=case.number))
    assert channels(rows, on) == ["email", "in_app", "sms"]
    assert channels(rows, off) == []


def test_a_persons_own_choice_beats_every_default(helpline) -> None:
    user = staff(helpline, "operator", on_duty=True)
    AlertDefault.objects.create(organisation=helpline, role="operator", kind="case.new", sms=True)
    AlertPreference.objects.create(user=user, kind="case.new", email=False, sms=False)

    rows = notify_staff(users=[user], kind="case.new", case_number="LNT-1", text="New")

    assert channels(rows, user) == ["in_app"]


def test_the_settings_page_shows_the_default_until_the_person_chooses(helpline, otp_client) -> None:
    user = staff(helpline, "operator", on_duty=True)
    client = otp_client(user)

    page = client.get("/notifications/settings/").content.decode()

    assert "checked" in checkbox(page, "case-new-email")
    assert "checked" in checkbox(page, "case-new-sms")
    assert "checked" not in checkbox(page, "case-assigned-email")
    assert "Default for your role" in page
    client.post("/notifications/settings/", {"case-new-only_on_duty": "on"})
    assert AlertPreference.objects.get(user=user, kind="case.new").email is False
    assert "Default for your role" not in client.get("/notifications/settings/").content.decode()


# An admin sets their organisation's defaults -----------------------------------------------------

ADD = "/admin/notifications/alertdefault/add/"


def test_an_admin_sets_a_default_for_a_role_of_their_organisation(
    helpline, admin_user, otp_client
) -> None:
    operator = staff(helpline, "operator", on_duty=True)
    client = otp_client(admin_user)
    assert client.get(ADD).status_code == 200

    response = client.post(
        ADD,
        {"organisation": helpline.pk, "role": "operator", "kind": "case.new", "sms": "on",
         "only_on_duty": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    rows = notify_staff(users=[operator], kind="case.new", case_number="LNT-1", text="New")
    assert channels(rows, operator) == ["in_app", "sms"]  # no longer email: the admin said so


def test_an_admin_cannot_set_or_see_another_organisations_defaults(
    helpline, other_helpline, admin_user, otp_client
) -> None:
    theirs = AlertDefault.objects.create(
        organisation=other_helpline, role="operator", kind="case.new", email=False
    )
    client = otp_client(admin_user)

    response = client.post(
        ADD, {"organisation": other_helpline.pk, "role": "operator", "kind": "case.new"}
    )

    assert response.status_code == 200  # the form again
    assert "Select a valid choice" in response.content.decode()
    assert AlertDefault.objects.count() == 1
    listing = client.get("/admin/notifications/alertdefault/").content.decode()
    assert other_helpline.name not in listing
    assert client.get(f"/admin/notifications/alertdefault/{theirs.pk}/change/").status_code == 302
    # nor through its history, which simple_history would show for an object out of reach
    history = f"/admin/notifications/alertdefault/{theirs.pk}/history/"
    assert client.get(history).status_code == 404
    version = theirs.history.first().history_id
    assert client.get(f"{history}{version}/").status_code == 404
    ours = AlertDefault.objects.create(organisation=helpline, role="operator", kind="case.new")
    assert client.get(f"/admin/notifications/alertdefault/{ours.pk}/history/").status_code == 200


def test_a_role_the_organisation_does_not_have_is_refused(helpline, admin_user, otp_client) -> None:
    response = otp_client(admin_user).post(
        ADD, {"organisation": helpline.pk, "role": "cso_rep", "kind": "referral.received"}
    )

    assert response.status_code == 200
    assert "A helpline has no cso_reps." in response.content.decode()
    assert not AlertDefault.objects.exists()


# A message from the victim ------------------------------------------------------------------------


def test_a_message_from_the_victim_alerts_the_holder_and_everyone_working_its_live_referrals(
    helpline, operator, cso, cso_rep, other_cso, other_cso_rep
) -> None:
    # given: a case held by Amina, referred to Safe Haven (pending, nobody assigned) and to Legal
    # Aid (accepted, assigned to Dana); a third organisation declined it
    second_rep = staff(cso, "cso_rep", on_duty=False)
    legal_colleague = staff(other_cso, "cso_rep", on_duty=True)
    declined = OrganisationFactory(slug="declined", name="Declined Org", kind=Organisation.Kind.CSO)
    declined_rep = staff(declined, "cso_rep", on_duty=True)
    case = CaseFactory(helpline=helpline, status=Case.Status.IN_SERVICE, claimed_by=operator)
    ReportFactory(case=case, sender=VICTIM_PHONE)
    ReferralFactory(case=case, organisation=cso, status=Referral.Status.PENDING)
    ReferralFactory(
        case=case, organisation=other_cso, status=Referral.Status.ACCEPTED, assignee=other_cso_rep
    )
    ReferralFactory(case=case, organisation=declined, status=Referral.Status.DECLINED)

    # when: she texts again
    with transaction.atomic():
        receive_message(
            helpline=helpline,
            report=IncomingReport(
                channel=Case.Channel.SMS, source_id="SM" + "2" * 32, sender=VICTIM_PHONE,
                body="Made-up: he is back. CANARY-77",
            ),
        )  # fmt: skip

    # then
    told = Notification.objects.filter(
        kind="case.message_received", case_number=case.number, channel="in_app"
    )
    assert sorted(told.values_list("recipient__username", flat=True)) == sorted(
        [operator.username, cso_rep.username, second_rep.username, other_cso_rep.username]
    )
    assert legal_colleague.pk not in told.values_list("recipient_id", flat=True)
    assert declined_rep.pk not in told.values_list("recipient_id", flat=True)
    for row in Notification.objects.filter(kind="case.message_received"):
        assert "CANARY" not in row.text
        assert VICTIM_PHONE not in row.text


def test_only_on_duty_is_refused_for_a_role_that_is_never_on_duty(cso, otp_client) -> None:
    cso_admin = StaffFactory(organisation=cso, role=User.Role.ADMIN)
    client = otp_client(cso_admin)
    form = {"organisation": cso.pk, "role": "cso_rep", "kind": "referral.received", "email": "on"}

    refused = client.post(ADD, {**form, "only_on_duty": "on"})
    saved = client.post(ADD, form)

    assert "CSO representatives are never on duty: untick this." in refused.content.decode()
    assert saved.status_code == 302
    rep = staff(cso, "cso_rep", on_duty=False)
    rows = notify_staff(users=[rep], kind="referral.received", case_number="LNT-1", text="New")
    assert channels(rows, rep) == ["email", "in_app"]
