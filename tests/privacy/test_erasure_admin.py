"""Erasure requests in the admin: a list of ids and status, never the officers' words."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from privacy.models import ErasureRequest
from tests.factories import PersonFactory
from tests.privacy.canary import canary

pytestmark = pytest.mark.django_db


def test_the_list_shows_no_reasons_and_nothing_can_be_changed(otp_client, dpo):
    # given
    root = User.objects.create_superuser("root", "root@lantern.invalid", "a made-up root")
    TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    item = ErasureRequest.objects.create(
        person_id=PersonFactory().pk,
        ground="withdrawn",
        reasons=canary("erasurereason"),
        decision_note=canary("erasurenote"),
        requested_by=dpo,
    )
    client = otp_client(root)

    # when
    listing = client.get("/admin/privacy/erasurerequest/")

    # then
    assert listing.status_code == 200
    assert f">{item.person_id}<" in listing.content.decode()
    assert "CANARY" not in listing.content.decode()
    assert client.get(f"/admin/privacy/erasurerequest/{item.pk}/change/").status_code == 403
    assert client.get("/admin/privacy/erasurerequest/add/").status_code == 403
