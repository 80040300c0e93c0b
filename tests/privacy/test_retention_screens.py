"""The retention page and the case panel (SECURITY DP-08): supervisors and DPOs see what goes in
the next 30 days and place and lift legal holds; operators, CSOs and monitors are refused (403);
a case of another helpline is 404. The command prints one line per category and a total."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog, Case
from privacy.models import Category, LegalHold, RetentionRule
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

PAGE = "/privacy/retention/"


def closed_case(helpline, days_ago: int) -> Case:
    return CaseFactory(
        helpline=helpline,
        status=Case.Status.CLOSED,
        closed_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.mark.parametrize("who", ["operator", "cso_rep", "monitor"])
def test_others_may_not_see_the_page_or_place_holds(request, who, otp_client, supervisor) -> None:
    client = otp_client(request.getfixturevalue(who))
    case = closed_case(supervisor.organisation, 10)
    assert client.get(PAGE).status_code == 403
    response = client.post(reverse("privacy:hold-place"), {"case_number": case.number})
    assert response.status_code == 403
    assert not LegalHold.objects.exists()


def test_the_page_lists_what_goes_in_30_days_with_dates(otp_client, supervisor) -> None:
    content_days = RetentionRule.objects.get(category=Category.CASE_CONTENT).days
    soon = closed_case(supervisor.organisation, content_days - 10)
    later = closed_case(supervisor.organisation, content_days - 40)
    elsewhere = closed_case(CaseFactory().helpline, content_days - 10)

    response = otp_client(supervisor).get(PAGE)

    assert response.status_code == 200
    page = response.content.decode()
    assert soon.number in page
    assert later.number not in page
    assert elsewhere.number not in page  # other helplines' cases are not listed
    expected = (soon.closed_at + timedelta(days=content_days)).astimezone().date()
    assert expected.isoformat() in page
    counts = {row[0]: row[2] for row in response.context["counts"]}
    assert counts[Category.CASE_CONTENT] == 2
    assert AccessLog.objects.filter(user=supervisor, action=AccessLog.Action.LIST).exists()


def test_a_dpo_places_and_lifts_a_hold_with_a_reason(otp_client, dpo) -> None:
    case = closed_case(dpo.organisation, 10)
    client = otp_client(dpo)

    refused = client.post(reverse("privacy:hold-place"), {"case_number": case.number})
    assert refused.status_code == 400
    assert "This field is required" in refused.content.decode()

    client.post(
        reverse("privacy:hold-place"), {"case_number": case.number, "reason": "Made-up order"}
    )
    hold = LegalHold.objects.get(case=case)
    assert hold.placed_by == dpo
    assert case.number in client.get(PAGE).content.decode()

    client.post(reverse("privacy:hold-lift", args=[hold.pk]), {"reason": "Made-up: ended"})
    hold.refresh_from_db()
    assert hold.lifted_by == dpo
    assert hold.history.count() == 2


def test_a_case_of_another_helpline_cannot_be_held(otp_client, supervisor) -> None:
    other = closed_case(CaseFactory().helpline, 10)
    client = otp_client(supervisor)
    response = client.post(
        reverse("privacy:hold-place"), {"case_number": other.number, "reason": "Made-up"}
    )
    assert response.status_code == 400
    assert "No case you can see" in response.content.decode()
    panel_post = client.post(
        reverse("privacy:case-hold-place", args=[other.number]), {"reason": "Made-up"}
    )
    assert panel_post.status_code == 404
    assert not LegalHold.objects.exists()


def test_the_case_panel_says_how_long_and_offers_the_hold(otp_client, supervisor) -> None:
    case = closed_case(supervisor.organisation, 10)
    client = otp_client(supervisor)

    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "Its content is kept until" in page
    assert "Place a legal hold" in page

    client.post(reverse("privacy:case-hold-place", args=[case.number]), {"reason": "Made-up"})
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "On legal hold" in page
    assert "Lift the legal hold" in page


def test_an_operator_sees_the_panel_without_the_forms(otp_client, operator) -> None:
    case = closed_case(operator.organisation, 10)
    page = otp_client(operator).get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "Its content is kept until" in page
    assert "Place a legal hold" not in page
    response = otp_client(operator).post(
        reverse("privacy:case-hold-place", args=[case.number]), {"reason": "Made-up"}
    )
    assert response.status_code == 403


def test_the_command_prints_each_category_and_a_total(capsys, supervisor) -> None:
    content_days = RetentionRule.objects.get(category=Category.CASE_CONTENT).days
    closed_case(supervisor.organisation, content_days + 1)

    call_command("retention_sweep", "--dry-run")
    dry = capsys.readouterr().out.splitlines()
    call_command("retention_sweep")
    real = capsys.readouterr().out.splitlines()

    assert [line.split("=")[0] for line in real] == [*Category.values, "total"]
    assert "case_content=1" in real
    assert dry[:-1] == real
    assert dry[-1] == "Dry run: nothing was changed."


def test_the_nightly_task_runs_the_sweep(supervisor) -> None:
    from privacy.retention_tasks import run_retention_sweep

    content_days = RetentionRule.objects.get(category=Category.CASE_CONTENT).days
    case = closed_case(supervisor.organisation, content_days + 1)
    assert run_retention_sweep.apply().get() == 1
    case.refresh_from_db()
    assert case.anonymised_at is not None
    assert run_retention_sweep.apply().get() == 0
