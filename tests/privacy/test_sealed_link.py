"""Sealed cases are in no list, so the case list says where to open one given by its number."""

from __future__ import annotations


def test_the_case_list_points_to_opening_a_sealed_case_by_number(operator, monitor, otp_client):
    assert "/privacy/break-glass/open/" in otp_client(operator).get("/cases/").content.decode()
    # monitors read no case file: nothing behind the glass for them
    assert "/privacy/break-glass/open/" not in otp_client(monitor).get("/cases/").content.decode()
