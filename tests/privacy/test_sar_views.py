"""The subject access pages (SECURITY DP-10): data-protection officers only (403 for everyone else,
stepped up or not); exporting and downloading need a fresh step-up; the download is the decrypted
ZIP, never cached, audited each time."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog
from privacy.models import SubjectAccessRequest
from privacy.sar import open_subject_access_request
from privacy.sar_dates import due_date
from project import protected_files
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory

pytestmark = pytest.mark.django_db

NOT_DPO = ["operator", "supervisor", "cso_rep", "monitor", "admin_user"]


@pytest.fixture
def victim(helpline):
    person = PersonFactory()
    CasePersonFactory(case=CaseFactory(helpline=helpline), person=person)
    CasePersonFactory(case=CaseFactory(helpline=helpline), person=person)
    return person


@pytest.fixture
def request_(victim, dpo) -> SubjectAccessRequest:
    return open_subject_access_request(
        person_id=victim.pk, received_on=timezone.localdate(), actor=dpo
    )


def urls(pk: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("privacy:sar-list")),
        ("get", reverse("privacy:sar-new")),
        ("post", reverse("privacy:sar-new")),
        ("get", reverse("privacy:sar-detail", args=[pk])),
        ("post", reverse("privacy:sar-export", args=[pk])),
        ("get", reverse("privacy:sar-download", args=[pk])),
    ]


@pytest.mark.parametrize("who", NOT_DPO)
def test_anyone_but_a_dpo_is_refused(request, who, request_, stepped_up_client) -> None:
    # given
    client = stepped_up_client(request.getfixturevalue(who))
    # when
    answers = [getattr(client, method)(url).status_code for method, url in urls(request_.pk)]
    # then
    assert answers == [403] * len(answers)
    request_.refresh_from_db()
    assert request_.export_file == ""
    assert not AccessLog.objects.filter(action=AccessLog.Action.SUBJECT_ACCESS).exists()


def test_list_shows_due_dates_and_says_overdue_in_words(dpo, victim, otp_client) -> None:
    # given
    late = open_subject_access_request(
        person_id=victim.pk, received_on=timezone.localdate() - timedelta(days=60), actor=dpo
    )
    fresh = open_subject_access_request(
        person_id=victim.pk, received_on=timezone.localdate(), actor=dpo
    )
    # when
    page = otp_client(dpo).get(reverse("privacy:sar-list")).content.decode()
    # then
    assert page.count("Overdue") == 1
    assert page.index("Overdue") < page.index(f"Request {fresh.pk}")  # soonest due first
    assert late.due_on.strftime("%-d %b %Y") in page
    assert victim.name not in page


def test_a_dpo_records_a_request_with_its_due_date(dpo, victim, otp_client) -> None:
    # when
    answer = otp_client(dpo).post(
        reverse("privacy:sar-new"), {"person_id": victim.pk, "received_on": "2026-01-31"}
    )
    # then
    request = SubjectAccessRequest.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("privacy:sar-detail", args=[request.pk])
    assert (request.person_id, request.received_on) == (victim.pk, date(2026, 1, 31))
    assert request.due_on == due_date(date(2026, 1, 31)) == date(2026, 3, 2)
    assert request.history.latest().history_user == dpo


def test_the_form_ties_its_errors_to_the_fields(dpo, otp_client) -> None:
    # when
    answer = otp_client(dpo).post(reverse("privacy:sar-new"), {"person_id": "", "received_on": "x"})
    # then
    page = answer.content.decode()
    assert answer.status_code == 400
    assert 'aria-describedby="id_person_id_error"' in page
    assert 'id="id_received_on_error"' in page
    assert not SubjectAccessRequest.objects.exists()


def test_an_unknown_person_is_refused_in_words(dpo, otp_client) -> None:
    # when
    answer = otp_client(dpo).post(
        reverse("privacy:sar-new"), {"person_id": 999999, "received_on": "2026-01-31"}
    )
    # then
    assert answer.status_code == 400
    assert "There is no person with that number." in answer.content.decode()


def test_export_asks_for_a_step_up_first(dpo, request_, otp_client) -> None:
    # when
    answer = otp_client(dpo).post(reverse("privacy:sar-export", args=[request_.pk]))
    # then
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("step_up"))
    request_.refresh_from_db()
    assert request_.export_file == ""


def test_export_then_download_the_decrypted_zip(dpo, victim, request_, stepped_up_client) -> None:
    # given
    client = stepped_up_client(dpo)
    # when
    exported = client.post(reverse("privacy:sar-export", args=[request_.pk]))
    first = client.get(reverse("privacy:sar-download", args=[request_.pk]))
    payload = b"".join(first.streaming_content)
    client.get(reverse("privacy:sar-download", args=[request_.pk]))
    # then
    assert exported.status_code == 302
    request_.refresh_from_db()
    assert payload == b"".join(protected_files.open_decrypted(request_.export_file))
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        assert "data.json" in archive.namelist()
    assert first["Content-Type"] == "application/zip"
    assert (
        first["Content-Disposition"] == f'attachment; filename="subject-access-{request_.pk}.zip"'
    )
    assert "no-store" in first["Cache-Control"]
    details = list(
        AccessLog.objects.filter(action=AccessLog.Action.SUBJECT_ACCESS).values_list(
            "detail", flat=True
        )
    )
    # two cases: the export and each of the two downloads are one row per case
    assert sorted(details) == sorted(
        [f"subject access {request_.pk} export"] * 2
        + [f"subject access {request_.pk} download"] * 4
    )


def test_download_before_any_export_says_so(dpo, request_, stepped_up_client) -> None:
    # when
    answer = stepped_up_client(dpo).get(
        reverse("privacy:sar-download", args=[request_.pk]), follow=True
    )
    # then
    assert "There is no export to download" in answer.content.decode()
    assert not AccessLog.objects.filter(action=AccessLog.Action.SUBJECT_ACCESS).exists()


def test_a_missing_file_is_said_not_a_server_error(dpo, request_, stepped_up_client) -> None:
    # given
    client = stepped_up_client(dpo)
    client.post(reverse("privacy:sar-export", args=[request_.pk]))
    request_.refresh_from_db()
    protected_files.delete(request_.export_file)
    # when
    answer = client.get(reverse("privacy:sar-download", args=[request_.pk]), follow=True)
    # then
    assert "The export&#x27;s file is missing" in answer.content.decode()
    assert not AccessLog.objects.filter(detail__endswith="download").exists()
