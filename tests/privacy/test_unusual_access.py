"""Unusual access (SECURITY AU-06): many cases in a window, cases outside one's queue, reads at odd
hours off duty and mass exports each raise exactly one alert and one staff alert per reviewer,
however often the scan runs; reviewers list and mark them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from cases.models import AccessLog, Team
from dashboards.models import ExportKind, ExportLog
from notifications.models import Notification
from privacy.audit_tasks import scan_unusual_access
from privacy.models import AccessAlert
from privacy.unusual import ALERT_KIND, scan, window_of
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

# a window that starts on the hour, in the afternoon (not odd hours), in winter (London is UTC)
AFTERNOON = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
LATE = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)


def _read(user, cases, at: datetime) -> None:
    for case in cases:
        AccessLog.objects.create(user=user, case=case, action="view", via="web", at=at)


def _alerts_told(user) -> int:
    return Notification.objects.filter(recipient=user, kind=ALERT_KIND, channel="in_app").count()


def test_61_distinct_cases_in_ten_minutes_raise_one_alert_and_one_notification(
    helpline, operator, supervisor, dpo
) -> None:
    cases = [CaseFactory(helpline=helpline) for _ in range(61)]
    _read(operator, cases, AFTERNOON + timedelta(minutes=2))
    _read(operator, cases[:5], AFTERNOON + timedelta(minutes=3))  # the same cases again

    with time_machine.travel(AFTERNOON + timedelta(minutes=8), tick=False):
        assert scan_unusual_access() == 1
        assert scan_unusual_access() == 0
    with time_machine.travel(AFTERNOON + timedelta(minutes=13), tick=False):
        assert scan() == []  # the next scan still sees that window, and raises nothing new

    alert = AccessAlert.objects.get()
    assert (alert.user, alert.kind, alert.window_start, alert.reads) == (
        operator,
        AccessAlert.Kind.VOLUME,
        AFTERNOON,
        61,
    )
    assert _alerts_told(dpo) == 1
    assert _alerts_told(supervisor) == 1
    assert _alerts_told(operator) == 0
    text = Notification.objects.filter(kind=ALERT_KIND).values_list("text", flat=True).first()
    assert cases[0].number not in text


def test_60_cases_are_not_unusual(helpline, operator, dpo) -> None:
    _read(operator, [CaseFactory(helpline=helpline) for _ in range(60)], AFTERNOON)
    with time_machine.travel(AFTERNOON + timedelta(minutes=5), tick=False):
        assert scan() == []
    assert not Notification.objects.filter(kind=ALERT_KIND).exists()


def test_windows_are_fixed_so_each_burst_has_one() -> None:
    assert window_of(AFTERNOON + timedelta(minutes=9, seconds=59)) == AFTERNOON
    assert window_of(AFTERNOON + timedelta(minutes=10)) == AFTERNOON + timedelta(minutes=10)


def test_a_read_at_odd_hours_off_duty_raises_one_alert(helpline, operator, dpo) -> None:
    case = CaseFactory(helpline=helpline)
    _read(operator, [case, case], LATE)
    _read(operator, [case], LATE + timedelta(minutes=1))
    with time_machine.travel(LATE + timedelta(minutes=5), tick=False):
        (alert,) = scan()
        assert scan() == []
    assert (alert.kind, alert.reads) == (AccessAlert.Kind.ODD_HOURS, 1)
    assert _alerts_told(dpo) == 1


def test_on_duty_at_night_or_off_duty_by_day_is_usual(helpline, operator, supervisor) -> None:
    case = CaseFactory(helpline=helpline)
    operator.on_duty = True
    operator.save(update_fields=["on_duty"])
    _read(operator, [case], LATE)
    _read(supervisor, [case], AFTERNOON)
    for now in (LATE, AFTERNOON):
        with time_machine.travel(now + timedelta(minutes=1), tick=False):
            assert scan() == []


def test_summer_time_is_local_time(helpline, operator) -> None:
    """21:30 UTC in July is 22:30 in London: odd hours."""
    july = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)
    _read(operator, [CaseFactory(helpline=helpline)], july)
    with time_machine.travel(july + timedelta(minutes=1), tick=False):
        assert [alert.kind for alert in scan()] == [AccessAlert.Kind.ODD_HOURS]


def test_reading_another_teams_cases_is_outside_the_queue(
    helpline, operator, supervisor, dpo
) -> None:
    north = Team.objects.create(helpline=helpline, name="North")
    south = Team.objects.create(helpline=helpline, name="South")
    north.members.add(operator, supervisor)
    own, shared = CaseFactory(helpline=helpline, team=north), CaseFactory(helpline=helpline)
    others = [CaseFactory(helpline=helpline, team=south) for _ in range(2)]
    held = CaseFactory(helpline=helpline, team=south, claimed_by=operator)  # theirs, moved
    _read(operator, [own, shared, held, *others], AFTERNOON)
    _read(supervisor, others, AFTERNOON)  # every queue is a supervisor's work
    with time_machine.travel(AFTERNOON + timedelta(minutes=1), tick=False):
        (alert,) = scan()
    assert (alert.user, alert.kind, alert.reads) == (operator, AccessAlert.Kind.OUTSIDE_QUEUE, 2)


def test_someone_in_no_team_reads_any_queue(helpline, operator) -> None:
    south = Team.objects.create(helpline=helpline, name="South")
    _read(operator, [CaseFactory(helpline=helpline, team=south)], AFTERNOON)
    with time_machine.travel(AFTERNOON + timedelta(minutes=1), tick=False):
        assert scan() == []


def test_a_mass_export_raises_one_alert(helpline, supervisor, dpo) -> None:
    for rows in (150, 51):
        ExportLog.objects.create(
            user=supervisor, kind=ExportKind.CASES_CSV, row_count=rows, at=AFTERNOON
        )
    with time_machine.travel(AFTERNOON + timedelta(minutes=1), tick=False):
        (alert,) = scan()
        assert scan() == []
    assert (alert.user, alert.kind, alert.reads) == (supervisor, AccessAlert.Kind.MASS_EXPORT, 201)
    assert _alerts_told(dpo) == 1
    assert _alerts_told(supervisor) == 0  # never told about themselves


def test_reviewers_list_and_mark_alerts(operator, dpo, supervisor, otp_client) -> None:
    alert = AccessAlert.objects.create(
        user=operator, kind=AccessAlert.Kind.VOLUME, window_start=AFTERNOON, reads=70
    )
    client = otp_client(dpo)
    page = client.get("/privacy/access/")
    assert page.status_code == 200
    assert operator.get_username() in page.content.decode()
    assert "Not yet" in page.content.decode()

    response = client.post(f"/privacy/access/{alert.pk}/reviewed/")
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.reviewed_by, alert.reviewed_at is not None) == (dpo, True)
    # a second reviewer does not overwrite the first
    otp_client(supervisor).post(f"/privacy/access/{alert.pk}/reviewed/")
    alert.refresh_from_db()
    assert alert.reviewed_by == dpo


def test_nobody_reviews_an_alert_about_themselves(dpo, otp_client) -> None:
    alert = AccessAlert.objects.create(
        user=dpo, kind=AccessAlert.Kind.ODD_HOURS, window_start=LATE, reads=1
    )
    client = otp_client(dpo)
    assert "No unusual access" in client.get("/privacy/access/").content.decode()
    assert client.post(f"/privacy/access/{alert.pk}/reviewed/").status_code == 404


@pytest.mark.parametrize("who", ["operator", "cso_rep", "monitor"])
def test_non_reviewers_are_refused(who, request, otp_client) -> None:
    client = otp_client(request.getfixturevalue(who))
    assert client.get("/privacy/access/").status_code == 403
    assert client.post("/privacy/access/1/reviewed/").status_code == 403
