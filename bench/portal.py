"""Where victims wait: the portal's home page (progress in plain words), their messages and the
help library's search, on PostgreSQL, against a hello-world view through the same middleware in the
same run.

    python bench/portal.py [--rounds 200] [--articles 300] [--messages 100]

A victim whose case has a long portal history (messages both ways, updates, appointments) opens
home and messages; a second victim with a short history shows whether the pages' query counts grow
with the history (they must not). The library holds `--articles` published articles (the 30 seeded
ones and made-up others), designed for 300+. Needs PostgreSQL on 127.0.0.1 (`lantern_bench`)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.production import ensure_database  # noqa: E402 - once the checkout is on the path

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lantern_bench")
os.environ.update(DATABASE_URL=DATABASE_URL, DJANGO_SETTINGS_MODULE="bench.settings")
os.environ.pop("REDIS_URL", None)  # pages only: the in-memory layer, tasks in-process
os.environ.setdefault("LOG_LEVEL", "WARNING")


def prepare(articles: int, messages: int) -> tuple[object, object]:
    import django

    ensure_database(DATABASE_URL)
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from accounts.models import Organisation, User
    from accounts.services import set_role
    from cases.models import Case, CasePerson, FollowUpKind, Person
    from cases.numbering import allocate_case_number
    from cases.services import IncomingReport, add_report
    from portal import session
    from portal.messages import reply_in_portal
    from portal.models import Article, ArticleTag, ArticleText, PortalAccess, UpdateType
    from portal.updates import send_staff_update
    from referrals.models import FollowUp

    call_command("migrate", verbosity=0)
    helpline, _ = Organisation.objects.update_or_create(
        slug="bench-portal-helpline",
        defaults={"name": "Bench Portal Helpline", "kind": "helpline", "is_active": True},
    )
    operator, created = User.objects.get_or_create(
        username="bench-portal-operator", defaults={"organisation": helpline}
    )
    if created:
        set_role(user=operator, role="operator")
    prefs = {"contact": "allowed", "channels": ["email"], "email": "bench@example.org",
             "updates": True, "portal": True}  # fmt: skip

    def victim_case(history: int) -> Case:
        case = Case.objects.create(
            number=allocate_case_number(timezone.now()),
            helpline=helpline,
            channel="web",
            status=Case.Status.VERIFIED,
            claimed_by=operator,
        )
        person = Person.objects.create(name="Bench Victim", contact_preferences=prefs)
        CasePerson.objects.create(case=case, person=person, role="victim")
        PortalAccess.objects.create(case=case)
        staff_type = UpdateType.objects.filter(trigger="staff", is_active=True).first()
        kind = FollowUpKind.objects.filter(is_active=True).first()
        for i in range(history):
            add_report(
                case=case,
                report=IncomingReport(
                    channel="portal", source_id=f"bench-{case.number}-{i}", body="Made-up words."
                ),
            )
            reply_in_portal(case=case, actor=operator, text="A made-up reply.")
            if staff_type is not None and i % 2 == 0:
                send_staff_update(case=case, update_type=staff_type, actor=operator)
            if kind is not None and i % 5 == 0:
                FollowUp.objects.create(
                    case=case, organisation=helpline, kind=kind, assignee=operator,
                    due_at=timezone.now() + timedelta(days=i + 1), for_victim=True,
                )  # fmt: skip
        return case

    long_case, short_case = victim_case(messages), victim_case(2)
    topic = ArticleTag.objects.filter(kind="topic").first()
    for i in range(max(0, articles - Article.objects.filter(is_published=True).count())):
        article = Article.objects.create(slug=f"bench-article-{Article.objects.count()}-{i}")
        if topic is not None:
            article.tags.add(topic)
        ArticleText.objects.create(
            article=article,
            title=f"Made-up article {i}",
            summary="A made-up article for the benchmark.",
            body="Plain made-up words about staying safe, support and what happens next. " * 20,
        )

    def signed_in(case: Case) -> object:
        client = Client(HTTP_HOST="127.0.0.1")
        store = client.session
        store[session.KEY] = {"access": case.portal_access.pk, "decoy": False, "seen": time.time()}
        store.set_expiry(0)
        store.save()
        return client

    return signed_in(long_case), signed_in(short_case)


def main() -> None:
    # the same timing and query counting as the case pages' benchmark
    from bench.casework import measure, queries

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--messages", type=int, default=100)
    args = parser.parse_args()
    client, short_client = prepare(args.articles, args.messages)

    def get(path: str, who: object = client) -> Callable[[], object]:
        def fetch() -> object:
            answer = who.get(path)  # type: ignore[attr-defined]
            assert answer.status_code == 200, (path, answer.status_code)
            return answer

        return fetch

    runs = {
        "hello": measure("hello", get("/bench/hello/"), args.rounds),
        "home": measure("portal home", get("/portal/"), args.rounds),
        "messages": measure("portal messages", get("/portal/messages/"), args.rounds),
        "search": measure("library search", get("/help/?q=safe+support"), args.rounds),
        "library": measure("library", get("/help/"), args.rounds),
    }
    p50 = {key: statistics.median(values) for key, values in runs.items()}
    counts = {
        "home_queries_long": queries(client, "/portal/"),
        "home_queries_short": queries(short_client, "/portal/"),
        "messages_queries_long": queries(client, "/portal/messages/"),
        "messages_queries_short": queries(short_client, "/portal/messages/"),
        "search_queries": queries(client, "/help/?q=safe+support"),
    }
    figures = " ".join(f"{key}_p50_ms={p50[key]:.1f}" for key in runs)
    ratios = " ".join(
        f"{key}_ratio={p50['hello'] / p50[key]:.3f}" for key in runs if key != "hello"
    )
    print(
        f"RESULT articles={args.articles} messages={args.messages} {figures} {ratios} "
        + " ".join(f"{key}={value}" for key, value in counts.items())
    )


if __name__ == "__main__":
    main()
