"""Where caseworkers wait: the case page, the CSO workspace and the printed case file, on
PostgreSQL, against a hello-world view through the same middleware in the same run.

    python bench/casework.py [--rounds 200] [--cases 300]

A CSO representative with `--cases` live referrals opens the workspace, then a case whose timeline
has grown long (services, follow-ups, notes); a second, short case shows whether the page's query
count grows with the timeline (it must not). Every case page read is audited, as in production.
Needs PostgreSQL on 127.0.0.1 (the `lantern_bench` database, or DATABASE_URL). The RESULT line
gives each p50, its ratio to hello-world in the same run, the query counts (the long case's must
equal the short one's) and whether each goal of issue 16 was met."""

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


def prepare(cases: int) -> tuple[object, str, str]:
    import django

    ensure_database(DATABASE_URL)
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Organisation, User
    from accounts.services import set_role
    from cases.models import Case, FollowUpKind, ServiceType
    from cases.numbering import allocate_case_number
    from cases.services import add_note
    from referrals import services
    from referrals.models import Referral
    from referrals.services import FollowUpEntry, ReferralRequest, ServiceEntry

    call_command("migrate", verbosity=0)
    # update_or_create: bench/intake.py shares this database and switches other helplines off
    helpline, _ = Organisation.objects.update_or_create(
        slug="bench-casework-helpline",
        defaults={"name": "Bench Helpline", "kind": "helpline", "is_active": True},
    )
    cso, _ = Organisation.objects.get_or_create(
        slug="bench-casework-cso", defaults={"name": "Bench CSO", "kind": "cso"}
    )

    def staff(username: str, organisation: Organisation, role: str) -> User:
        user, created = User.objects.get_or_create(
            username=username, defaults={"organisation": organisation}
        )
        if created:
            set_role(user=user, role=role)
            TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        return user

    operator = staff("bench-operator", helpline, "operator")
    rep = staff("bench-rep", cso, "cso_rep")
    counselling = ServiceType.objects.get(code="counselling")
    court = FollowUpKind.objects.get(code="court-date")

    def referred_case() -> Case:
        case = Case.objects.create(
            number=allocate_case_number(timezone.now()),
            helpline=helpline,
            channel="sms",
            status="verified",
            claimed_by=operator,
        )
        referral = services.refer_case(
            case=case, actor=operator, request=ReferralRequest(organisation=cso, consent=True)
        )
        services.accept_referral(referral=referral, actor=rep)
        return case

    live = Referral.objects.filter(organisation=cso, status="accepted").count()
    for _ in range(max(0, cases - live)):
        referred_case()
    long_case = referred_case()
    for i in range(40):
        services.log_service(
            case=long_case,
            actor=rep,
            entry=ServiceEntry(counselling, timezone.now() - timedelta(days=i), 45, "Made up"),
        )
        services.add_follow_up(
            case=long_case, actor=rep, entry=FollowUpEntry(court, timezone.now() + timedelta(i))
        )
        add_note(case=long_case, actor=rep, text=f"Made-up note {i}")
    short_case = referred_case()

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(rep)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=rep).persistent_id
    session.save()
    return client, long_case.number, short_case.number


# issue 16's goals, p50 in ms (set on an idle two-core machine where hello-world took 1.7 ms)
GOALS = (("case_page", "case", 25.0), ("workspace", "ws", 15.0), ("pdf", "pdf", 500.0))


def measure(label: str, get: Callable[[], object], rounds: int) -> list[float]:
    get()  # warm: templates compiled, connection open
    latencies = []
    for _ in range(rounds):
        start = time.perf_counter()
        get()
        latencies.append((time.perf_counter() - start) * 1000)
    p50 = statistics.median(latencies)
    p99 = statistics.quantiles(latencies, n=100)[98]
    print(f"{label:<14} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
    return latencies


def queries(client: object, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # type: ignore[attr-defined]  # warm, as the timed rounds were
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(path)  # type: ignore[attr-defined]
    assert answer.status_code == 200, (path, answer.status_code)
    return len(captured)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    client, long_number, short_number = prepare(args.cases)

    def get(path: str) -> Callable[[], object]:
        def fetch() -> object:
            answer = client.get(path)  # type: ignore[attr-defined]
            assert answer.status_code == 200, (path, answer.status_code)
            return answer

        return fetch

    hello = measure("hello", get("/bench/hello/"), args.rounds)
    case_page = measure("case page", get(f"/cases/{long_number}/"), args.rounds)
    # the whole timeline on request (?timeline=all): every entry laid out, as before it was bounded
    whole = measure(
        "whole timeline", get(f"/cases/{long_number}/?timeline=all"), max(args.rounds // 4, 5)
    )
    workspace = measure("workspace", get("/casework/?view=organisation"), args.rounds)
    printed = measure(
        "case file pdf", get(f"/cases/{long_number}/print/"), max(args.rounds // 10, 5)
    )

    p50 = {
        k: statistics.median(v)
        for k, v in (
            ("hello", hello),
            ("case", case_page),
            ("whole", whole),
            ("ws", workspace),
            ("pdf", printed),
        )
    }
    long_q = queries(client, f"/cases/{long_number}/")
    short_q = queries(client, f"/cases/{short_number}/")
    met = {name: p50[key] <= goal for name, key, goal in GOALS}
    print(
        f"RESULT case_page_p50_ms={p50['case']:.1f} workspace_p50_ms={p50['ws']:.1f} "
        f"whole_timeline_p50_ms={p50['whole']:.1f} pdf_p50_ms={p50['pdf']:.1f} hello_p50_ms={p50['hello']:.2f} "
        f"case_page_ratio={p50['hello'] / p50['case']:.3f} workspace_ratio={p50['hello'] / p50['ws']:.3f} "
        f"pdf_ratio={p50['hello'] / p50['pdf']:.4f} "
        f"case_queries_long={long_q} case_queries_short={short_q} "
        f"case_queries_flat={'yes' if long_q == short_q else 'no'} "
        f"workspace_queries={queries(client, '/casework/?view=organisation')} "
        + " ".join(f"{name}_goal_met={'yes' if ok else 'no'}" for name, ok in met.items())
    )


if __name__ == "__main__":
    main()
