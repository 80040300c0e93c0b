"""`create_partner` prints the secret once; `rotate_partner_secret` prints a new one and keeps the
old one valid for PARTNER_SECRET_OVERLAP_HOURS, so the partner switches without downtime."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from feeds.models import Partner
from tests.feeds.partner_helpers import case_with_victim, event_body, post_event

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def printed_secret(output: str) -> str:
    return output.strip().splitlines()[-1]


def test_create_partner_prints_a_secret_that_signs_events(client, helpline):
    output = run(
        "create_partner", "city-police", "--name", "City Police crime system",
        "--url", "https://crime.example.invalid/lantern/", "--helpline", helpline.slug,
    )  # fmt: skip

    secret = printed_secret(output)
    partner = Partner.objects.get(slug="city-police")
    assert partner.secret == secret
    assert len(secret) >= 43  # 32 random bytes
    assert (partner.name, partner.url, partner.helpline) == (
        "City Police crime system",
        "https://crime.example.invalid/lantern/",
        helpline,
    )
    case_with_victim(helpline)
    assert post_event(client, event_body(), secret=secret).status_code == 202


def test_each_partner_gets_its_own_secret(helpline):
    first = printed_secret(run("create_partner", "a", "--name", "A", "--url", "https://a.invalid/"))
    second = printed_secret(
        run("create_partner", "b", "--name", "B", "--url", "https://b.invalid/")
    )
    assert first != second


def test_creating_an_existing_slug_changes_nothing(helpline):
    run("create_partner", "city-police", "--name", "City", "--url", "https://a.invalid/")
    before = Partner.objects.values().get()

    with pytest.raises(CommandError, match="exists already"):
        run("create_partner", "city-police", "--name", "Other", "--url", "https://b.invalid/")

    assert Partner.objects.values().get() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "http://crime.example.invalid/"], "https://"),
        (["--url", "ftp://crime.example.invalid/"], "https://"),
        (["--url", "https://a.invalid/", "--helpline", "no-such-helpline"], "No helpline"),
    ],
)
def test_a_bad_address_or_helpline_is_refused(args, message):
    with pytest.raises(CommandError, match=message):
        run("create_partner", "city-police", "--name", "City", *args)
    assert not Partner.objects.exists()


def test_without_helpline_the_default_one_is_taken(helpline):
    run("create_partner", "city-police", "--name", "City", "--url", "https://a.invalid/")
    assert Partner.objects.get().helpline == helpline


def test_with_several_helplines_one_must_be_named(helpline, other_helpline, settings):
    settings.INTAKE_DEFAULT_HELPLINE = ""
    with pytest.raises(CommandError, match="works with one helpline"):
        run("create_partner", "city-police", "--name", "City", "--url", "https://a.invalid/")
    assert not Partner.objects.exists()


def test_a_partner_needs_a_name_and_url():
    with pytest.raises(CommandError):
        run("create_partner", "city-police")
    assert not Partner.objects.exists()


def test_rotation_keeps_both_secrets_valid_for_the_overlap_then_only_the_new(
    client, helpline, settings
):
    settings.PARTNER_SECRET_OVERLAP_HOURS = 24
    old = printed_secret(
        run("create_partner", "city-police", "--name", "City", "--url", "https://a.invalid/",
            "--helpline", helpline.slug)
    )  # fmt: skip
    case_with_victim(helpline)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        output = run("rotate_partner_secret", "city-police")
        new = printed_secret(output)
        assert new != old
        assert "24 more hours" in output
        assert post_event(client, event_body("e1"), secret=old).status_code == 202
        assert post_event(client, event_body("e2"), secret=new).status_code == 202

        traveller.shift(timedelta(hours=24, seconds=1))
        assert post_event(client, event_body("e3"), secret=old).status_code == 403
        assert post_event(client, event_body("e4"), secret=new).status_code == 202


def test_a_second_rotation_ends_the_first_ones_overlap(client, helpline):
    first = printed_secret(
        run("create_partner", "city-police", "--name", "City", "--url", "https://a.invalid/",
            "--helpline", helpline.slug)
    )  # fmt: skip
    case_with_victim(helpline)
    second = printed_secret(run("rotate_partner_secret", "city-police"))
    third = printed_secret(run("rotate_partner_secret", "city-police"))
    assert post_event(client, event_body("e1"), secret=first).status_code == 403
    assert post_event(client, event_body("e2"), secret=second).status_code == 202
    assert post_event(client, event_body("e3"), secret=third).status_code == 202


def test_rotating_an_unknown_partner_is_an_error():
    with pytest.raises(CommandError, match="No partner"):
        run("rotate_partner_secret", "nobody")


def test_secrets_are_not_kept_in_history(helpline):
    run("create_partner", "city-police", "--name", "City", "--url", "https://a.invalid/")
    run("rotate_partner_secret", "city-police")
    history = Partner.history.filter(slug="city-police")
    assert history.count() == 2
    assert [row.history_change_reason for row in history.order_by("history_id")] == [
        "Partner created",
        "Secret rotated",
    ]
    assert not hasattr(history.first(), "secret")
