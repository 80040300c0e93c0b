"""`python manage.py sar_export ID --out FILE.zip` (CONTRACT): the ZIP written decrypted to FILE,
the request recorded (received today, by the command-line account) and each case audited."""

from __future__ import annotations

import io
import json
import stat
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.models import AccessLog
from privacy.models import SubjectAccessRequest
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory
from tests.privacy.canary import canary

pytestmark = pytest.mark.django_db


def test_writes_the_zip_records_the_request_and_audits(helpline, tmp_path) -> None:
    # given
    person = PersonFactory(name=canary("Commandline Victim"))
    case = CaseFactory(helpline=helpline)
    CasePersonFactory(case=case, person=person)
    out = tmp_path / "export.zip"
    output = io.StringIO()
    # when
    call_command("sar_export", str(person.pk), "--out", str(out), stdout=output)
    # then
    request = SubjectAccessRequest.objects.get()
    with zipfile.ZipFile(out) as archive:
        data = json.loads(archive.read("data.json"))
    assert data["person"]["name"] == person.name
    assert [c["number"] for c in data["cases"]] == [case.number]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert (request.person_id, request.received_on) == (person.pk, timezone.localdate())
    assert request.status == SubjectAccessRequest.Status.EXPORTED
    log = AccessLog.objects.get(action=AccessLog.Action.SUBJECT_ACCESS)
    assert (log.case_id, log.via, log.user.username) == (case.pk, "command", "command-line")
    assert f"Subject access request {request.pk}" in output.getvalue()
    assert person.name not in output.getvalue()


def test_an_unknown_person_is_a_clear_error(tmp_path) -> None:
    # when
    with pytest.raises(CommandError, match="no person"):
        call_command("sar_export", "999999", "--out", str(tmp_path / "x.zip"))
    # then
    assert not (tmp_path / "x.zip").exists()
    assert not SubjectAccessRequest.objects.exists()
