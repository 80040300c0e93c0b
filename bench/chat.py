"""How long does a web chat message take from the visitor's socket to the operator's?

    python bench/chat.py [--messages 200] [--warmup 20]

The production layout's socket server: one bin/serve-ws (daphne) process holds both sockets, the
visitor's /ws/chat/ and the operator's /ws/helpline/ (a 2FA-verified session), with PostgreSQL and
Redis (DATABASE_URL and REDIS_URL; default the `lantern_h3_bench` database and Redis db 3). The
visitor starts a chat, the operator takes it (chat.services.take_chat), then the visitor sends
messages one at a time; each is timed from the visitor's send to the operator's socket receiving
it (stored, encrypted, its id through Redis, read back and decrypted for the operator after the
consumer's access re-check). In the same run and through the same Redis, the baseline is a bare
channel-layer broadcast: a group_send of a small JSON to one channel, timed to its receive.

Made-up data only. `ratio` = chat p99 / bare p99; `lost` = messages the operator never heard."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.production import ensure_database, production_env  # noqa: E402 - once the checkout is on the path

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lantern_h3_bench")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3")
HELPLINE_SLUG = "bench-chat-helpline"
OPERATOR_USERNAME = "bench-chat-operator"
WORDS = "Made-up bench chat message number {n}."
TIMEOUT = 5.0  # seconds a message may take before it counts as lost
SERVER_ENV = production_env(
    DATABASE_URL=DATABASE_URL,
    REDIS_URL=REDIS_URL,
    INTAKE_DEFAULT_HELPLINE=HELPLINE_SLUG,
    CHAT_STARTS_PER_ADDRESS="1000000",
    CHAT_MESSAGES_PER_MINUTE="1000000",
    DB_POOL_MIN="1",
    DB_POOL_MAX="4",
)


def prepare() -> tuple[str, str]:
    """The bench database, migrated, with its helpline and an available, verified operator.
    Returns the operator's session cookie (name, value)."""
    import django

    os.environ.update(SERVER_ENV, DJANGO_SETTINGS_MODULE="bench.settings")
    ensure_database(DATABASE_URL)
    django.setup()
    from django.core.management import call_command
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Organisation, User
    from accounts.services import set_role
    from bench.alerts import verified_session
    from chat.models import Conversation
    from live.presence import set_state

    call_command("migrate", verbosity=0)
    helpline, _ = Organisation.objects.update_or_create(
        slug=HELPLINE_SLUG, defaults={"name": "Bench chat", "kind": "helpline", "is_active": True}
    )
    operator, _ = User.objects.update_or_create(
        username=OPERATOR_USERNAME,
        defaults={"organisation": helpline, "is_active": True, "on_duty": True,
                  "email": "chat-op@lantern.invalid"},
    )  # fmt: skip
    operator.set_unusable_password()
    operator.save(update_fields=["password"])
    set_role(user=operator, role=User.Role.OPERATOR)
    TOTPDevice.objects.get_or_create(user=operator, name="bench", defaults={"confirmed": True})
    # earlier runs' chats end, so the operator is free to take this one
    for pk in Conversation.objects.exclude(status="closed").values_list("pk", flat=True):
        from chat.services import close_chat

        close_chat(conversation_id=pk, by="operator")
    set_state(user=operator, state="available")
    return verified_session(operator)


def take_the_chat() -> None:
    from accounts.models import User
    from chat.models import Conversation
    from chat.services import take_chat

    conversation = Conversation.objects.select_related("case").get(status="waiting")
    take_chat(case=conversation.case, actor=User.objects.get(username=OPERATOR_USERNAME))


async def next_of(socket, kind: str, timeout: float = TIMEOUT) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        message = await socket.receive(timeout=max(deadline - time.monotonic(), 0.001))
        frame = json.loads(message.data)
        if frame["type"] == kind:
            return frame


async def measure_chat(base_url: str, cookie: tuple[str, str], messages: int, warmup: int):  # type: ignore[no-untyped-def]
    import aiohttp

    ws = base_url.replace("http", "ws", 1)
    origin = {"Origin": base_url}
    async with aiohttp.ClientSession() as session:
        operator = await session.ws_connect(
            ws + "/ws/helpline/", headers={**origin, "Cookie": f"{cookie[0]}={cookie[1]}"}
        )
        await next_of(operator, "queue.snapshot")
        visitor = await session.ws_connect(ws + "/ws/chat/", headers=origin)
        await visitor.send_json(
            {"type": "chat.start", "secret": secrets.token_hex(32), "text": WORDS.format(n=0),
             "client_id": secrets.token_hex(16)}
        )  # fmt: skip
        await next_of(visitor, "chat.started")
        await asyncio.to_thread(take_the_chat)
        await next_of(visitor, "chat.joined")
        latencies, lost = [], 0
        for n in range(1, warmup + messages + 1):
            client_id = secrets.token_hex(16)
            began = time.perf_counter()
            await visitor.send_json(
                {"type": "chat.send", "text": WORDS.format(n=n), "client_id": client_id}
            )
            try:
                while True:
                    frame = await next_of(operator, "chat.message")
                    if frame["message"]["client_id"] == client_id:
                        break
            except TimeoutError:
                lost += n > warmup
                continue
            if n > warmup:
                latencies.append((time.perf_counter() - began) * 1000)
        await visitor.send_json({"type": "chat.leave"})
        await visitor.close()
        await operator.close()
    return latencies, lost


async def measure_bare(messages: int, warmup: int) -> list[float]:
    """A group_send of a small JSON to one channel in a group, to its receive, through Redis."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = f"bench.chat.{secrets.token_hex(4)}"
    await layer.group_add(group, channel)
    latencies = []
    for n in range(warmup + messages):
        began = time.perf_counter()
        await layer.group_send(group, {"type": "lantern.event", "event": {"n": n}})
        await asyncio.wait_for(layer.receive(channel), TIMEOUT)
        if n >= warmup:
            latencies.append((time.perf_counter() - began) * 1000)
    await layer.group_discard(group, channel)
    return latencies


def p(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    cookie = prepare()
    from tests.servers import ServeWs, running

    server = ServeWs(env=SERVER_ENV, settings_module="bench.settings")
    server.env["PUBLIC_BASE_URL"] = server.base_url  # the only origin its sockets accept
    with running(server) as (ws,):
        chat, lost = asyncio.run(measure_chat(ws.base_url, cookie, args.messages, args.warmup))
    bare = asyncio.run(measure_bare(args.messages, args.warmup))
    print(f"layout: bin/serve-ws (daphne), PostgreSQL, Redis; {os.cpu_count()} cores", flush=True)
    print(
        f"RESULT chat_p50_ms={p(chat, 50):.1f} chat_p99_ms={p(chat, 99):.1f} "
        f"bare_p50_ms={p(bare, 50):.2f} bare_p99_ms={p(bare, 99):.2f} "
        f"ratio={p(chat, 99) / p(bare, 99):.1f} lost={lost} messages={len(chat)}"
    )


if __name__ == "__main__":
    main()
