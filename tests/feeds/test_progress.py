"""Live progress of an import: feeds.progress sends counts after commit (never for a chunk that
rolled back, never a row), and the batch's socket (/ws/feeds/imports/<id>/) lets in only those who
may manage its source, tells them where the batch is on joining, passes on its events and closes
(4403) once they may no longer read it. Through the whole ASGI application, as the other socket
tests (origin check, cookie and session middleware, the real channel layer)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from accounts.models import Organisation, User
from feeds import progress
from feeds.models import FeedSource, ImportBatch
from project.asgi import application
from tests.factories import StaffFactory
from tests.sockets import FORBIDDEN, LOSING_ACCESS, OUR_ORIGIN, closed_with, session_cookie

CANARY = "Ottoline Brackenridge"  # made up; must never reach an event


def make_batch(helpline: Organisation | None, *, kind: str = FeedSource.Kind.CRIMES) -> ImportBatch:
    source = FeedSource.objects.create(
        slug=f"{kind}-{FeedSource.objects.count()}", name="Made-up Constabulary", kind=kind,
        helpline=helpline,
    )  # fmt: skip
    return ImportBatch.objects.create(
        source=source, origin=ImportBatch.Origin.UPLOAD, checksum="0" * 64, file_name="street.csv"
    )


# feeds.progress ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_group_is_the_batchs_own() -> None:
    assert progress.import_group(7) == "feeds.import.7"
    assert progress.import_group(7) != progress.import_group(71)


@pytest.mark.django_db(transaction=True)
def test_an_event_is_sent_after_commit_with_counts_only(helpline, captured_broadcasts) -> None:
    batch = make_batch(helpline)
    batch.status, batch.rows, batch.rows_done = ImportBatch.Status.RUNNING, 10, 4
    batch.new, batch.updated, batch.unchanged, batch.rejected = 2, 1, 0, 1
    batch.failure = CANARY  # whatever else the object holds stays out of the event

    with transaction.atomic():
        progress.publish(batch)
        assert captured_broadcasts == []  # not before the chunk is committed
        batch.rows_done = 9  # the engine goes on changing the object: the event is as it was

    assert captured_broadcasts == [
        (
            [f"feeds.import.{batch.pk}"],
            {
                "type": "import.progress",
                "id": batch.pk,
                "status": "running",
                "rows_done": 4,
                "counts": {"rows": 10, "new": 2, "updated": 1, "unchanged": 0, "rejected": 1},
            },
        )
    ]
    assert CANARY not in repr(captured_broadcasts)


@pytest.mark.django_db(transaction=True)
def test_no_event_for_a_chunk_that_rolled_back(helpline, captured_broadcasts) -> None:
    batch = make_batch(helpline)

    class ChunkFailedError(Exception):
        pass

    def chunk() -> None:
        with transaction.atomic():
            progress.publish(batch)
            raise ChunkFailedError

    with pytest.raises(ChunkFailedError):
        chunk()

    assert captured_broadcasts == []


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_is_sent_at_once(helpline, captured_broadcasts) -> None:
    batch = make_batch(helpline)

    progress.publish(batch)

    assert [groups for groups, _ in captured_broadcasts] == [[f"feeds.import.{batch.pk}"]]


# The socket ----------------------------------------------------------------------------------------

socket_db = pytest.mark.django_db(transaction=True)


def communicator(batch_id: int, *headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/feeds/imports/{batch_id}/", list(headers))


@pytest.fixture
def cookie_of(otp_client: Callable[[User], Client]) -> Callable[[User], tuple[bytes, bytes]]:
    return lambda user: session_cookie(otp_client(user))


async def joined(batch_id: int, user: User, cookie_of) -> WebsocketCommunicator:  # type: ignore[no-untyped-def]
    socket = communicator(batch_id, await database_sync_to_async(cookie_of)(user), OUR_ORIGIN)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    return socket


async def refused(batch_id: int, user: User | None, cookie_of) -> bool:  # type: ignore[no-untyped-def]
    headers = [OUR_ORIGIN]
    if user is not None:
        headers.append(await database_sync_to_async(cookie_of)(user))
    socket = communicator(batch_id, *headers)
    outcome = await socket.connect(timeout=5)
    await socket.disconnect()
    return outcome == (False, FORBIDDEN)


@pytest.fixture(params=["supervisor", "admin_user"])
def manager(request: pytest.FixtureRequest) -> User:
    return request.getfixturevalue(request.param)


@socket_db
async def test_the_helplines_managers_join_and_hear_where_it_is(manager, cookie_of) -> None:  # type: ignore[no-untyped-def]
    user = manager
    batch = await database_sync_to_async(make_batch)(user.organisation)

    socket = await joined(batch.pk, user, cookie_of)

    assert await socket.receive_json_from(timeout=5) == {
        "type": "import.progress",
        "id": batch.pk,
        "status": "queued",
        "rows_done": 0,
        "counts": {"rows": 0, "new": 0, "updated": 0, "unchanged": 0, "rejected": 0},
    }
    await socket.disconnect()


@socket_db
async def test_each_committed_chunk_reaches_the_page(supervisor, cookie_of) -> None:  # type: ignore[no-untyped-def]
    batch = await database_sync_to_async(make_batch)(supervisor.organisation)
    socket = await joined(batch.pk, supervisor, cookie_of)
    await socket.receive_json_from(timeout=5)

    @database_sync_to_async
    def chunk_committed(rows_done: int, status: str) -> None:
        with transaction.atomic():
            ImportBatch.objects.filter(pk=batch.pk).update(rows_done=rows_done, status=status)
            progress.publish(ImportBatch.objects.get(pk=batch.pk))

    await chunk_committed(2000, ImportBatch.Status.RUNNING)
    await chunk_committed(3100, ImportBatch.Status.DONE)

    first = await socket.receive_json_from(timeout=5)
    last = await socket.receive_json_from(timeout=5)
    assert (first["rows_done"], first["status"]) == (2000, "running")
    assert (last["rows_done"], last["status"]) == (3100, "done")
    await socket.disconnect()


@socket_db
async def test_another_batchs_events_are_not_passed_on(supervisor, cookie_of) -> None:  # type: ignore[no-untyped-def]
    mine = await database_sync_to_async(make_batch)(supervisor.organisation)
    other = await database_sync_to_async(make_batch)(supervisor.organisation)
    socket = await joined(mine.pk, supervisor, cookie_of)
    await socket.receive_json_from(timeout=5)
    send = database_sync_to_async(progress.realtime.broadcast)

    # an event of another batch sent to this group by mistake, and another kind of event
    await send([progress.import_group(mine.pk)], progress.progress_event(other))  # type: ignore[arg-type]
    await send([progress.import_group(mine.pk)], {"type": "case.updated", "case": {}})  # type: ignore[arg-type]

    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


@socket_db
async def test_those_who_may_not_manage_the_source_are_refused(
    operator, cso_rep, monitor, other_helpline, cookie_of
) -> None:  # type: ignore[no-untyped-def]
    batch = await database_sync_to_async(make_batch)(operator.organisation)
    other_supervisor = await database_sync_to_async(StaffFactory)(
        username="sam", organisation=other_helpline, role=User.Role.SUPERVISOR
    )

    for user in (operator, cso_rep, monitor, other_supervisor, None):
        assert await refused(batch.pk, user, cookie_of), user


@socket_db
async def test_an_unknown_batch_is_refused(supervisor, cookie_of) -> None:  # type: ignore[no-untyped-def]
    assert await refused(999_999, supervisor, cookie_of)


@socket_db
async def test_a_places_import_is_open_to_every_helplines_supervisors(
    supervisor, other_helpline, cookie_of
) -> None:  # type: ignore[no-untyped-def]
    batch = await database_sync_to_async(make_batch)(None, kind=FeedSource.Kind.PLACES)
    other_supervisor = await database_sync_to_async(StaffFactory)(
        username="sam", organisation=other_helpline, role=User.Role.SUPERVISOR
    )

    for user in (supervisor, other_supervisor):
        socket = await joined(batch.pk, user, cookie_of)
        await socket.disconnect()


@socket_db
async def test_a_password_only_session_is_refused(supervisor, password_only_client) -> None:  # type: ignore[no-untyped-def]
    batch = await database_sync_to_async(make_batch)(supervisor.organisation)
    client = await database_sync_to_async(password_only_client)(supervisor)
    socket = communicator(batch.pk, session_cookie(client), OUR_ORIGIN)

    assert await socket.connect(timeout=5) == (False, FORBIDDEN)


def demote(user: User) -> None:
    from accounts.services import set_role

    set_role(user=User.objects.get(pk=user.pk), role=User.Role.OPERATOR)


@socket_db
@pytest.mark.parametrize("revoke", [*LOSING_ACCESS, demote], ids=lambda f: f.__name__)
async def test_losing_the_right_closes_the_socket(revoke, supervisor, cookie_of, settings) -> None:  # type: ignore[no-untyped-def]
    settings.WS_RECHECK_SECONDS = 0.2
    batch = await database_sync_to_async(make_batch)(supervisor.organisation)
    socket = await joined(batch.pk, supervisor, cookie_of)
    await socket.receive_json_from(timeout=5)

    await database_sync_to_async(revoke)(supervisor)

    assert await closed_with(socket) == FORBIDDEN
    await socket.disconnect()


@socket_db
async def test_the_next_event_is_not_sent_once_the_right_is_lost(supervisor, cookie_of) -> None:  # type: ignore[no-untyped-def]
    batch = await database_sync_to_async(make_batch)(supervisor.organisation)
    socket = await joined(batch.pk, supervisor, cookie_of)
    await socket.receive_json_from(timeout=5)
    await database_sync_to_async(demote)(supervisor)

    await database_sync_to_async(progress.publish)(batch)

    assert await closed_with(socket) == FORBIDDEN
    await socket.disconnect()
