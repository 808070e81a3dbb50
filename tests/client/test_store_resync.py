"""A desk away longer than the service keeps things, on SQLite and PostgreSQL (the central service
under uvicorn, ``store_rig``):

- its place in the change feed was pruned: the feed answers ``410 resync`` and the Store reloads
  its cache from scratch (reference data, the slot window, its callers), keeps its outbox,
  follows the feed from its head, tells its subscribers, and goes on;
- a write queued longer ago than the service keeps idempotency keys is never sent (its key may
  be gone: it could be applied twice): it becomes a ``too_old`` sync issue; younger ones go.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import support
from sqlalchemy import select
from store_rig import Rig, serving

from console.client.feed import ChangeBatch
from console.client.replay import ReplayLock
from console.clock import Clock
from console.desk import Desk
from console.domain.models import Agent, BookingIn, CallerIn, Role
from console.server import bookings as server_bookings
from console.server import callers as server_callers
from console.server import clock as server_clock
from console.server.db import Database
from console.server.retention import prune
from console.server.schema import bookings, callers
from console.server.settings import RetentionSettings

# The defaults, but for past free slots: the prune runs "45 days later" on the service while
# the desk's own clock (and its offline booking of a slot a few days ahead) stays today. In
# real time that slot is not past when the desk replays; kept here as it would be (the past
# slots' own retention: tests/api/test_retention_more.py).
LATER = RetentionSettings(past_slots_days=60)


@pytest.fixture
async def rig(database_url_param: str, tmp_path: Path) -> AsyncIterator[Rig]:
    database = Database.open(database_url_param)
    world = support.build_world(database, days=3, slots_per_day=6)
    try:
        async with serving(database, database_url_param, world, tmp_path / "desk.db") as served:
            yield served
    finally:
        database.dispose()


class MovableTime:
    """The desk's clock for a test: the real time, plus however far the test moved it."""

    def __init__(self) -> None:
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead


def other_agent(rig: Rig) -> Agent:
    return Agent(id=rig.world.agents["agent2"], name="Test agent2", role=Role.AGENT)


async def book_offline(desk: Desk, service_id: int) -> tuple[int, str]:
    """Hold and book the earliest slot the desk's cache offers: (slot id, P- reference)."""
    offered = await desk.find_slots(service_id)
    await desk.hold_slot(offered[0].id)
    booking = await desk.confirm()
    assert booking.reference.startswith("P-")
    return offered[0].id, booking.reference


async def test_a_desk_behind_the_pruned_feed_reloads_from_scratch_and_keeps_its_outbox(
    rig: Rig,
) -> None:
    store = rig.store()
    seen: list[ChangeBatch] = []
    store.subscribe(seen.append)
    assert await store.sync_once(), store.last_error
    desk = Desk(store)
    await desk.connect()
    janez = rig.world.callers["janez"]
    await desk.open_caller(janez)
    service = rig.world.services["ue-id-card"]

    rig.central.stop()
    mine, provisional = await book_offline(desk, service)
    queued = [(e.seq, e.kind, e.idempotency_key) for e in store.outbox.pending()]
    assert queued and store.state == "offline"
    # Meanwhile, on the service: another agent books a slot this desk has as free, a new
    # caller comes, and 45 days later a prune takes every change this desk did not see.
    at = store.cache.slot(mine).starts_at  # the caller's booking: another time (else 409)
    taken = next(
        s.id
        for s in store.cache.free_slots(service, limit=50)
        if s.id != mine and s.starts_at != at
    )
    with rig.database.write() as connection:
        server_bookings.create(
            connection, other_agent(rig), BookingIn(caller_id=janez, slot_id=taken), None
        )
        server_callers.create(
            connection, other_agent(rig), CallerIn(first_name="Eva", last_name="Zupan")
        )
    report = prune(rig.database, LATER, now=server_clock.now() + timedelta(days=45))
    assert report.removed["changes"] > 0 and report.feed_starts_after > (store.cache.last_seq or 0)
    assert store.cache.slot(taken) is not None  # still free, as far as the desk knows

    # The outbox waits (another process on the desk holds the replay, as `agent-console sync`
    # would): the resync must not need it, nor touch it.
    elsewhere = ReplayLock(Path(f"{store.cache.path}.lock"))
    assert elsewhere.acquire()
    try:
        rig.central.start()
        assert await store.sync_once(), store.last_error
    finally:
        elsewhere.release()
    head = await store.latest_change()
    assert store.sync.resyncs == 1
    assert store.cache.last_seq == head
    assert seen[-1].resynced and seen[-1].fell_behind and not seen[-1].changes
    assert store.cache.slot(taken) is None  # the window as the service has it now
    assert store.cache.is_stale(janez)  # read afresh when next opened
    assert [(e.seq, e.kind, e.idempotency_key) for e in store.outbox.pending()] == queued
    assert provisional in [b.reference for b in await desk.bookings()]

    # ... and it goes on: the outbox is sent, the feed followed without another resync.
    assert await store.sync_once(), store.last_error
    assert store.outbox_size() == 0
    real = store.resolve_reference(provisional)
    assert real is not None and not real.startswith("P-")
    with rig.database.read() as connection:
        made = connection.execute(select(bookings).where(bookings.c.slot_id == mine)).one()
    assert (made.reference, made.idempotency_key) == (real, queued[0][2])
    with rig.other_agent() as other:
        other.post("/v1/callers", json={"first_name": "Ana", "last_name": "Kos"}).raise_for_status()
    assert await store.sync_once(), store.last_error
    assert store.sync.resyncs == 1
    assert any(c.entity == "caller" for batch in seen[-1:] for c in batch.changes)


async def test_a_write_queued_longer_ago_than_the_service_keeps_keys_is_not_sent(
    rig: Rig,
) -> None:
    """With the service's 30 days (less a day's margin): a booking queued 30 days ago is not
    sent and becomes an issue; a new caller queued 28 days ago is sent."""
    time = MovableTime()
    store = rig.store(clock=Clock(time))
    assert await store.sync_once(), store.last_error
    desk = Desk(store, clock=store.clock)
    await desk.connect()
    janez = rig.world.callers["janez"]
    await desk.open_caller(janez)

    rig.central.stop()
    slot_id, provisional = await book_offline(desk, rig.world.services["ue-id-card"])
    time.ahead = timedelta(days=2)
    await store.create_caller(CallerIn(first_name="Mojca", last_name="Zorko"))
    assert store.outbox_size() == 2
    time.ahead = timedelta(days=30)  # the desk was away a month

    rig.central.start()
    assert await store.sync_once(), store.last_error
    assert store.outbox_size() == 0
    [issue] = desk.sync_issues()
    assert (issue.kind, issue.action, issue.caller_id) == ("too_old", "book", janez)
    assert issue.reference == provisional
    assert "30 days ago" in issue.message and "apply it twice" in issue.message
    with rig.database.read() as connection:
        assert connection.execute(select(bookings).where(bookings.c.slot_id == slot_id)).all() == []
        assert connection.execute(select(callers).where(callers.c.last_name == "Zorko")).all()
    assert provisional not in [b.reference for b in await desk.bookings()]  # not pretended
    assert store.cache.get_meta("idempotency_key_days") == "30"
