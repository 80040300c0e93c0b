"""The erasure pages: officers only, the effect shown before approval, four eyes, step-up."""

from __future__ import annotations

import pytest

from accounts.step_up import SESSION_KEY
from cases.models import AccessLog, Person
from privacy.models import ErasureRequest
from tests.factories import CaseFactory, CasePersonFactory
from tests.privacy.canary import find
from tests.privacy.erasure_helpers import OTHERS, VICTIM, plant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ledger(settings, tmp_path):
    settings.ERASURE_LEDGER = tmp_path / "erasures.jsonl"


def _ask(client, person_id: int):
    return client.post(
        "/privacy/erasure/new/",
        {"person_id": person_id, "ground": "withdrawn", "reasons": "Asked on the phone"},
    )


@pytest.mark.parametrize("who", ["operator", "supervisor", "cso_rep", "monitor"])
def test_only_officers_reach_the_pages(who, request, helpline, operator, otp_client, dpo):
    # given
    person = plant(helpline, operator).victim
    item = ErasureRequest.objects.create(
        person_id=person.pk, ground="withdrawn", reasons="x", requested_by=dpo
    )
    client = otp_client(request.getfixturevalue(who))

    # when / then
    for url in ("/privacy/erasure/", "/privacy/erasure/new/", f"/privacy/erasure/{item.pk}/"):
        assert client.get(url).status_code == 403, url
    assert _ask(client, person.pk).status_code == 403
    response = client.post(f"/privacy/erasure/{item.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 403
    assert find(VICTIM["name"])


def test_asking_then_another_officer_approving_after_seeing_the_effect(
    helpline, operator, dpo, second_dpo, stepped_up_client
):
    # given
    planted = plant(helpline, operator)
    asker, decider = stepped_up_client(dpo), stepped_up_client(second_dpo)

    # when: the first asks
    response = _ask(asker, planted.victim.pk)

    # then
    item = ErasureRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/privacy/erasure/{item.pk}/"
    page = asker.get(response["Location"]).content.decode()
    assert "another data protection officer decides it" in page
    assert 'name="decision"' not in page
    assert "CANARY" not in asker.get("/privacy/erasure/").content.decode()

    # when: the second reads the effect
    page = decider.get(f"/privacy/erasure/{item.pk}/").content.decode()

    # then: each case, the person's part, what goes and stays, and no value of anyone
    assert page.count('id="effect-') == 2
    assert page.count(": victim</h3>") == 2
    assert "1 perpetrator and their details" in page
    assert "1 victim and their details" in page
    assert "2 reports they sent" in page
    assert "CANARY" not in page
    assert AccessLog.objects.filter(user=second_dpo, detail=f"person {planted.victim.pk}").exists()

    # when: the second approves
    response = decider.post(
        f"/privacy/erasure/{item.pk}/decide/", {"decision": "approve", "note": "Checked"}
    )

    # then
    assert response.status_code == 302
    assert Person.objects.get(pk=planted.victim.pk).erased_at is not None
    assert find(*VICTIM.values()) == []
    assert find(OTHERS["perpetrator"])
    assert "erased" in decider.get(f"/privacy/erasure/{item.pk}/").content.decode()


def test_the_asker_is_refused_with_a_clear_message(helpline, operator, dpo, stepped_up_client):
    # given
    person = plant(helpline, operator).victim
    client = stepped_up_client(dpo)
    _ask(client, person.pk)
    item = ErasureRequest.objects.get()

    # when
    response = client.post(f"/privacy/erasure/{item.pk}/decide/", {"decision": "approve"})

    # then
    assert response.status_code == 400
    assert "you cannot decide it" in response.content.decode()
    assert Person.objects.get(pk=person.pk).erased_at is None


def test_deciding_needs_a_fresh_step_up(helpline, operator, dpo, second_dpo, stepped_up_client):
    # given
    person = plant(helpline, operator).victim
    _ask(stepped_up_client(dpo), person.pk)
    item = ErasureRequest.objects.get()
    client = stepped_up_client(second_dpo)
    session = client.session
    del session[SESSION_KEY]
    session.save()

    # when
    page = client.get(f"/privacy/erasure/{item.pk}/")
    decided = client.post(f"/privacy/erasure/{item.pk}/decide/", {"decision": "approve"})

    # then
    assert page.status_code == decided.status_code == 302
    assert page["Location"].startswith("/accounts/step-up/")
    assert decided["Location"].startswith("/accounts/step-up/")
    assert Person.objects.get(pk=person.pk).erased_at is None


def test_refusing_needs_a_reason_and_errors_are_tied_to_fields(
    helpline, operator, dpo, second_dpo, stepped_up_client
):
    # given
    person = plant(helpline, operator).victim
    _ask(stepped_up_client(dpo), person.pk)
    item = ErasureRequest.objects.get()
    client = stepped_up_client(second_dpo)

    # when
    response = client.post(f"/privacy/erasure/{item.pk}/decide/", {"decision": "refuse"})

    # then
    page = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_note">Say why you refuse.</a>' in page
    assert 'id="id_note_error"' in page
    item.refresh_from_db()
    assert item.status == ErasureRequest.Status.PENDING


def test_asking_for_someone_the_officer_cannot_see(
    helpline, other_helpline, dpo, stepped_up_client
):
    # given
    elsewhere = CasePersonFactory(case=CaseFactory(helpline=other_helpline)).person

    # when
    response = _ask(stepped_up_client(dpo), elsewhere.pk)

    # then
    assert response.status_code == 400
    assert "No person with that number" in response.content.decode()
    assert not ErasureRequest.objects.exists()
