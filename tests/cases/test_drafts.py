"""Long forms keep a server-side draft as they are typed (cases.drafts): saved and read back by its
writer only, encrypted, size-limited, CSRF-protected, gone when the form is sent, purged after
DRAFT_KEEP_DAYS."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.drafts import DRAFT_KEEP_DAYS, DRAFT_MAX_BYTES, purge_old_drafts
from cases.models import Case, Draft
from cases.tasks import archive_closed_cases
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

URL = "/cases/drafts/verify/"


@pytest.fixture
def case(helpline) -> Case:
    return CaseFactory(helpline=helpline, status=Case.Status.IN_TRIAGE)


def _save(client: Client, fields: dict, case_number: str = "", url: str = URL):
    return client.post(
        url, json.dumps({"case": case_number, "fields": fields}), content_type="application/json"
    )


def test_a_draft_is_saved_and_read_back(case, operator, otp_client) -> None:
    client = otp_client(operator)
    answer = _save(
        client, {"victim_name": "Testperson Drafted", "channels": ["sms", "call"]}, case.number
    )

    assert answer.status_code == 200
    assert re.fullmatch(r"\d\d:\d\d", answer.json()["saved_at_label"])
    draft = client.get(URL, {"case": case.number}).json()["draft"]
    assert draft["fields"] == {"victim_name": "Testperson Drafted", "channels": ["sms", "call"]}
    assert draft["saved_at"] == answer.json()["saved_at"]
    # a second save replaces the first: one draft per form and case
    _save(client, {"victim_name": "Testperson Changed"}, case.number)
    assert Draft.objects.get().data == {"victim_name": "Testperson Changed"}
    # the same form of another case, or with no case (a new case), is another draft
    assert client.get(URL).json() == {"draft": None}


def test_a_form_encoded_draft_keeps_the_fields_and_never_secrets(
    case, operator, otp_client
) -> None:
    client = otp_client(operator)
    answer = client.post(
        "/cases/drafts/new-case/",
        {
            "victim_name": "Testperson Posted",
            "channels": ["sms", "email"],
            "csrfmiddlewaretoken": "x",
            "password": "hunter2",
            "otp_token": "123456",
        },
    )
    assert answer.status_code == 200
    assert Draft.objects.get(form="new-case", case=None).data == {
        "victim_name": "Testperson Posted",
        "channels": ["sms", "email"],
    }


def test_drafts_are_encrypted_at_rest(case, operator, otp_client) -> None:
    _save(otp_client(operator), {"victim_name": "CANARY-DRAFTED"}, case.number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM cases_draft")
        (stored,) = cursor.fetchone()
    assert "CANARY-DRAFTED" not in str(stored)


def test_a_draft_is_its_writers_alone(
    case, operator, supervisor, other_operator, otp_client
) -> None:
    _save(otp_client(operator), {"victim_name": "Testperson Mine"}, case.number)

    # a colleague on the same case has a draft of their own, not this one
    assert otp_client(supervisor).get(URL, {"case": case.number}).json() == {"draft": None}
    # someone who cannot see the case cannot draft on it or ask for it: 404, nothing stored
    stranger = otp_client(other_operator)
    assert stranger.get(URL, {"case": case.number}).status_code == 404
    assert _save(stranger, {"victim_name": "x"}, case.number).status_code == 404
    assert stranger.delete(f"{URL}?case={case.number}").status_code == 404
    assert Draft.objects.count() == 1


def test_only_forms_one_may_send_are_drafted(case, operator, monitor, otp_client) -> None:
    # a monitor reads the case but sends none of its forms
    watcher = otp_client(monitor)
    assert watcher.get(URL, {"case": case.number}).json() == {"draft": None}
    for form in ("verify", "change", "risk"):
        assert (
            _save(watcher, {"a": "b"}, case.number, url=f"/cases/drafts/{form}/").status_code == 403
        )
    assert _save(watcher, {"a": "b"}, url="/cases/drafts/new-case/").status_code == 403
    # a case's form needs its case; a new case has none
    client = otp_client(operator)
    assert _save(client, {"a": "b"}).status_code == 403
    assert _save(client, {"a": "b"}, case.number, url="/cases/drafts/new-case/").status_code == 403
    assert not Draft.objects.exists()


def test_bad_drafts_are_refused_and_store_nothing(case, operator, otp_client) -> None:
    client = otp_client(operator)
    too_big = _save(client, {"notes": "x" * DRAFT_MAX_BYTES}, case.number)
    assert too_big.status_code == 413
    assert "at most 32 KB" in too_big.json()["detail"]
    refused = [
        _save(client, {"age": 34}, case.number),  # text only
        _save(client, {"nested": {"a": "b"}}, case.number),
        _save(client, ["not", "fields"], case.number),
        client.post(URL, "{not json", content_type="application/json"),
        client.post(URL, json.dumps(["a"]), content_type="application/json"),
        _save(client, {f"field{n}": "x" for n in range(201)}, case.number),
    ]
    assert [answer.status_code for answer in refused] == [400] * len(refused)
    assert _save(client, {"a": "b"}, url="/cases/drafts/password-reset/").status_code == 404
    assert _save(client, {"a": "b"}, "NO-SUCH-CASE").status_code == 404
    assert client.put(URL).status_code == 405
    assert not Draft.objects.exists()


def test_saving_a_draft_needs_the_csrf_token(case, operator) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=operator).persistent_id
    session.save()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/cases/").content.decode()).group(1)

    assert _save(client, {"a": "b"}, case.number).status_code == 403
    assert not Draft.objects.exists()
    saved = client.post(
        URL,
        json.dumps({"case": case.number, "fields": {"a": "b"}}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert saved.status_code == 200
    assert client.delete(f"{URL}?case={case.number}").status_code == 403
    assert Draft.objects.count() == 1


def test_drafts_need_a_signed_in_user(case) -> None:
    answer = _save(Client(), {"a": "b"}, case.number)
    assert answer.status_code == 302
    assert not Draft.objects.exists()


def test_discarding_a_draft(case, operator, otp_client) -> None:
    client = otp_client(operator)
    _save(client, {"a": "b"}, case.number)
    assert client.delete(f"{URL}?case={case.number}").status_code == 204
    assert not Draft.objects.exists()


def test_verifying_discards_the_verify_draft(operator, otp_client) -> None:
    from tests.helpline.test_console_views import VERIFY_FORM, claimed

    case = claimed(CaseFactory(helpline=operator.organisation), operator)
    client = otp_client(operator)
    page = client.get(f"/console/{case.number}/verify/").content.decode()
    assert f'data-draft="verify" data-draft-case="{case.number}"' in page
    _save(client, {"victim_name": "Testperson Half-typed"}, case.number)

    # a form sent back with errors keeps its draft
    assert client.post(f"/console/{case.number}/verify/", {"category": ""}).status_code == 400
    assert Draft.objects.filter(form="verify", case=case).exists()
    assert client.post(f"/console/{case.number}/verify/", VERIFY_FORM).status_code == 302
    assert not Draft.objects.filter(form="verify", case=case).exists()


def test_old_drafts_are_purged_in_the_daily_job(case, operator) -> None:
    now = timezone.now()
    kept = Draft.objects.create(user=operator, form="verify", case=case, data={"a": "b"})
    Draft.objects.create(
        user=operator,
        form="risk",
        case=case,
        data={"a": "b"},
        saved_at=now - timedelta(days=DRAFT_KEEP_DAYS, minutes=1),
    )
    assert purge_old_drafts(now=now) == 1
    assert list(Draft.objects.all()) == [kept]
    Draft.objects.filter(pk=kept.pk).update(saved_at=now - timedelta(days=DRAFT_KEEP_DAYS + 1))
    archive_closed_cases()
    assert not Draft.objects.exists()


def test_changing_details_discards_the_change_draft(helpline, operator, otp_client) -> None:
    from tests.cases.test_changes import _page_data
    from tests.factories import category

    case = CaseFactory(helpline=helpline, status=Case.Status.VERIFIED, category=category())
    client = otp_client(operator)
    _save(client, {"priority": "high"}, case.number, url="/cases/drafts/change/")

    url = f"/cases/{case.number}/change/"
    assert (
        client.post(url, _page_data(case, operator, priority="high", reason="")).status_code == 400
    )
    assert Draft.objects.filter(form="change", case=case).exists()
    answer = client.post(url, _page_data(case, operator, priority="high", reason="Rang back"))
    assert answer.status_code == 302
    assert not Draft.objects.filter(form="change", case=case).exists()


def test_opening_a_case_discards_the_new_case_draft(operator, otp_client) -> None:
    from tests.cases.test_manual import _form, _token

    client = otp_client(operator)
    _save(client, {"victim_name": "Testvictim Halfway"}, url="/cases/drafts/new-case/")
    token = _token(client.get("/cases/new/").content.decode())

    assert client.post("/cases/new/", _form(token, channel="")).status_code == 400
    assert Draft.objects.filter(form="new-case", case=None).exists()
    assert client.post("/cases/new/", _form(token)).status_code == 302
    assert not Draft.objects.exists()
