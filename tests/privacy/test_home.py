"""The data-protection home: each role sees the sections it may use and what waits in them; the
rest of staff are refused, and the header links to it only for those who may use it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from privacy.models import ErasureRequest, SubjectAccessRequest

URL = "/privacy/"


def test_a_dpo_sees_every_section_with_what_waits(dpo, otp_client) -> None:
    ErasureRequest.objects.create(person_id=1, ground="withdrawn", reasons="r", requested_by=dpo)
    today = timezone.localdate()
    SubjectAccessRequest.objects.create(
        person_id=1, received_on=today, due_on=today + timedelta(days=3), requested_by=dpo
    )
    page = otp_client(dpo).get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    for title in ("Break-glass reviews", "Unusual access", "Retention", "Erasure requests",
                  "Subject access requests"):  # fmt: skip
        assert title in text
    assert "1 waits for approval" in text
    assert "1 is due within a week" in text
    assert 'href="/privacy/"' in text  # the header's "Data protection"


def test_a_supervisor_sees_reviews_and_retention_but_no_erasure_or_subject_access(
    supervisor, otp_client
) -> None:
    text = otp_client(supervisor).get(URL).content.decode()
    assert "Break-glass reviews" in text
    assert "Retention" in text
    assert "Erasure requests" not in text
    assert "Subject access requests" not in text


@pytest.mark.parametrize("who", ["operator", "cso_rep", "monitor", "admin_user"])
def test_everyone_else_is_refused_and_has_no_link(who, request, otp_client) -> None:
    client = otp_client(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert 'href="/privacy/"' not in client.get("/").content.decode()
