"""WhatsApp is a channel of its own where staff look: the queue says "WhatsApp" in words beside its
icon (and "Web chat" for the public chat), and the reports and the live dashboard count it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from dashboards.live import live_figures
from dashboards.reports import snapshot
from tests.factories import CaseFactory, ReportFactory
from tests.twilio import post_signed, sms_params

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def helpline_line(helpline):
    helpline.phone_number = "+447700900000"
    helpline.save()


def whatsapp_message(client, sid: str, sender: str) -> Case:
    params = sms_params(sid, sender=f"whatsapp:{sender}", To="whatsapp:+447700900000",
                        body="Made-up WhatsApp message")  # fmt: skip
    assert post_signed(client, "/intake/twilio/sms/", params).status_code == 200
    return Case.objects.get(reports__source_id=sid)


def channel_cells(html: str) -> list[str]:
    cells = html.split('data-label="Channel"')[1:]
    return [cell.split("</td>")[0].rsplit("</svg>", 1)[-1].strip() for cell in cells]


def test_the_queue_names_whatsapp_and_web_chat_in_words(
    client, helpline, operator, otp_client
) -> None:
    whatsapp_message(client, "SMwa-q1", "+447700900321")
    post_signed(client, "/intake/twilio/sms/", sms_params("SMtext-q1", sender="+447700900654"))
    chat = CaseFactory(helpline=helpline, channel=Case.Channel.CHAT)
    ReportFactory(case=chat, sender="")

    html = otp_client(operator).get("/console/").content.decode()

    assert sorted(channel_cells(html)) == ["SMS", "Web chat", "WhatsApp"]


def test_reports_and_the_live_dashboard_count_whatsapp(client, supervisor) -> None:
    whatsapp_message(client, "SMwa-f1", "+447700900321")
    whatsapp_message(client, "SMwa-f2", "+447700900322")
    whatsapp_message(client, "SMwa-f3", "+447700900321")  # joins the first case
    post_signed(client, "/intake/twilio/sms/", sms_params("SMtext-f1", sender="+447700900654"))

    today = timezone.localdate(Case.objects.first().created_at)
    period = {
        "created_after": today.isoformat(),
        "created_before": (today + timedelta(days=1)).isoformat(),
    }  # the end is excluded
    figures = snapshot(supervisor, period, rollup=False)  # fmt: skip
    by_channel = {row["code"]: row["count"] for row in figures["incoming"]["by_channel"]}
    assert (by_channel["whatsapp"], by_channel["sms"], by_channel["chat"]) == (2, 1, 0)
    labels = {row["code"]: row["label"] for row in figures["incoming"]["by_channel"]}
    assert (labels["whatsapp"], labels["chat"]) == ("WhatsApp", "Web chat")

    live = live_figures(User.objects.get(pk=supervisor.pk))
    rows = {row["label"]: row["today"] for row in live["reports"]["by_channel"]}
    assert (rows["WhatsApp"], rows["SMS"]) == (3, 1)  # reports, not cases: the joining one too
