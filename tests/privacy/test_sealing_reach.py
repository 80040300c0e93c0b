"""A sealed case reaches no further than its page: its people's pages, the shape of the 404 and the
lists' one query; naming and taking off from the case page."""

from __future__ import annotations

import pytest

from accounts.models import User
from cases import sealing
from cases.models import Case, CaseSeal
from cases.policy import visible_cases
from tests.factories import CaseFactory, CasePersonFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(helpline, supervisor, operator) -> Case:
    case = CaseFactory(helpline=helpline)
    return sealing.seal(case=case, named_users=[operator], by=supervisor, reason="Staff member")


@pytest.fixture
def colleague(helpline) -> User:
    return StaffFactory(username="colleague", organisation=helpline, role=User.Role.OPERATOR)


def test_the_people_on_it_are_404_to_the_unnamed(sealed, operator, colleague, otp_client) -> None:
    person = CasePersonFactory(case=sealed).person
    assert otp_client(operator).get(f"/people/{person.pk}/").status_code == 200
    assert otp_client(colleague).get(f"/people/{person.pk}/").status_code == 404


def test_its_404_is_the_same_as_for_a_case_that_does_not_exist(
    sealed, colleague, otp_client
) -> None:
    client = otp_client(colleague)
    hidden = client.get(f"/cases/{sealed.number}/")
    missing = client.get("/cases/LNT-2026-999999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    api_hidden = client.get(f"/api/v1/cases/{sealed.number}/")
    api_missing = client.get("/api/v1/cases/LNT-2026-999999/")
    assert api_hidden.status_code == api_missing.status_code == 404
    assert api_hidden.content == api_missing.content


def test_a_list_stays_one_query(helpline, sealed, colleague, django_assert_num_queries) -> None:
    CaseFactory.create_batch(3, helpline=helpline)
    colleague = User.objects.get(pk=colleague.pk)  # permissions not cached yet
    list(visible_cases(colleague))  # warms the permission cache
    with django_assert_num_queries(1):
        numbers = {case.number for case in visible_cases(colleague)}
    assert len(numbers) == 3
    assert sealed.number not in numbers


def test_naming_and_taking_off_from_the_case_page(
    sealed, supervisor, operator, colleague, otp_client
) -> None:
    client = otp_client(supervisor)
    assert (
        client.post(
            f"/cases/{sealed.number}/sealed-names/", {"name-user": colleague.pk, "name-reason": ""}
        ).status_code
        == 400
    )
    named = client.post(
        f"/cases/{sealed.number}/sealed-names/",
        {"name-user": colleague.pk, "name-reason": "Covers the night shift"},
    )
    assert named.status_code == 302
    assert otp_client(colleague).get(f"/cases/{sealed.number}/").status_code == 200

    off = client.post(
        f"/cases/{sealed.number}/sealed-names/{colleague.pk}/remove/",
        {"unname-reason": "Shift over"},
    )
    assert off.status_code == 302
    assert not CaseSeal.objects.filter(case=sealed, user=colleague).exists()
    assert otp_client(colleague).get(f"/cases/{sealed.number}/").status_code == 404
    # a named operator may read it but not manage the seal
    assert (
        otp_client(operator)
        .post(
            f"/cases/{sealed.number}/sealed-names/", {"name-user": colleague.pk, "name-reason": "x"}
        )
        .status_code
        == 403
    )
