"""The real console (Pilot) on a desk that was away longer than the central service keeps things,
on SQLite and PostgreSQL (the service under uvicorn on loopback):

- its place in the change feed was pruned meanwhile: the feed answers ``410 resync``; the console
  reloads its cache from scratch, says so on screen (in both languages: the catalogs), keeps its
  outbox, and goes on;
- a booking it queued a month ago is not sent (it could be applied twice): F6 lists it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import support
from served import Central
from sqlalchemy import select

from console.app import AgentConsole
from console.client.replay import ReplayLock
from console.clock import Clock
from console.config import Config, ServerSection, UiSection
from console.domain.models import Agent, BookingIn, CallerIn, Role
from console.screens.lookup import LookupScreen
from console.screens.sync_issues import SyncIssuesScreen
from console.server import bookings as server_bookings
from console.server import callers as server_callers
from console.server import clock as server_clock
from console.server.db import Database
from console.server.retention import prune
from console.server.schema import bookings
from console.server.settings import RetentionSettings

SIZE = (120, 36)

# The defaults, but for past free slots: the prune runs "45 days later" on the service while
# the desk's own clock (and its offline booking of a slot a few days ahead) stays today. In
# real time that slot is not past when the desk replays; kept here as it would be (the past
# slots' own retention: tests/api/test_retention_more.py).
LATER = RetentionSettings(past_slots_days=60)


@dataclass
class Rig:
    central: Central
    database: Database
    world: support.World
    data_dir: Path

    def console(self, clock: Clock | None = None) -> AgentConsole:
        config = Config(
            server=ServerSection(
                url=self.central.url, token=support.TOKENS["agent"], timeout_seconds=3.0
            ),
            data_dir=str(self.data_dir),
            ui=UiSection(timers=False, search_delay_ms=0, language="en"),
        )
        return AgentConsole(config, clock=clock)


@pytest.fixture
def rig(database_url_param: str, tmp_path: Path) -> Iterator[Rig]:
    database = Database.open(database_url_param)
    world = support.build_world(database, days=3, slots_per_day=6)
    central = Central(database, database_url_param)
    central.start()
    try:
        yield Rig(central, database, world, tmp_path / "desk")
    finally:
        central.stop()
        database.dispose()


async def until(pilot, predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def ready_and_synced(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, LookupScreen), "the lookup")
    await until(pilot, lambda: app.store.last_sync is not None, "the first sync")


def notifications(app: AgentConsole) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def book_offline(app: AgentConsole, rig: Rig) -> tuple[int, str]:
    """Janez (opened online before), the earliest ID-card slot: booked while offline."""
    desk = app.desk
    offered = await desk.find_slots(rig.world.services["ue-id-card"])
    await desk.hold_slot(offered[0].id)
    booking = await desk.confirm()
    assert booking.reference.startswith("P-")
    return offered[0].id, booking.reference


async def test_a_console_behind_the_pruned_feed_resyncs_and_goes_on(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await ready_and_synced(pilot)
        store = app.store
        janez = rig.world.callers["janez"]
        await app.desk.open_caller(janez)
        rig.central.stop()
        await until(pilot, lambda: app.connection_state == "offline", "offline")
        slot_id, provisional = await book_offline(app, rig)
        queued = [(e.seq, e.kind, e.idempotency_key) for e in store.outbox.pending()]
        # The service goes on without the desk: another agent books, then a prune 45 days on.
        other = Agent(id=rig.world.agents["agent2"], name="Test agent2", role=Role.AGENT)
        service = rig.world.services["ue-id-card"]
        taken = next(s.id for s in store.cache.free_slots(service, limit=50) if s.id != slot_id)
        with rig.database.write() as connection:
            server_bookings.create(
                connection,
                other,
                BookingIn(caller_id=rig.world.callers["marija"], slot_id=taken),  # another caller
                None,
            )
            server_callers.create(connection, other, CallerIn(first_name="Eva", last_name="Zupan"))
        prune(rig.database, LATER, now=server_clock.now() + timedelta(days=45))

        elsewhere = ReplayLock(Path(f"{store.cache.path}.lock"))  # `agent-console sync` has it
        assert elsewhere.acquire()
        try:
            rig.central.start()
            app.store.wake()
            await until(pilot, lambda: store.sync.resyncs == 1, "the resync")
            await pilot.pause()
            assert any(
                text.startswith("Local copy reloaded: This desk was away longer")
                for text in notifications(app)
            )
            assert store.cache.slot(taken) is None  # the window reloaded from the service
            assert [(e.seq, e.kind, e.idempotency_key) for e in store.outbox.pending()] == queued
        finally:
            elsewhere.release()

        # ... and goes on: the queued booking is sent, the feed followed from its head.
        store.wake()
        await until(pilot, lambda: store.outbox_size() == 0, "the outbox to be sent")
        await until(pilot, lambda: app.connection_state == "online", "online")
        real = store.resolve_reference(provisional)
        with rig.database.read() as connection:
            made = connection.execute(select(bookings).where(bookings.c.slot_id == slot_id)).one()
        assert made.reference == real and made.idempotency_key == queued[0][2]
        latest = await store.latest_change()  # the replayed writes' changes included
        await until(pilot, lambda: (store.cache.last_seq or 0) >= latest, "the feed's head")
        assert store.cache.last_seq == latest
        assert store.sync.resyncs == 1


class MovableTime:
    def __init__(self) -> None:
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead


async def test_a_booking_queued_a_month_ago_is_not_sent_and_waits_under_f6(rig: Rig) -> None:
    desk_time = MovableTime()
    app = rig.console(clock=Clock(desk_time))
    async with app.run_test(size=SIZE) as pilot:
        await ready_and_synced(pilot)
        await app.desk.open_caller(rig.world.callers["janez"])
        rig.central.stop()
        await until(pilot, lambda: app.connection_state == "offline", "offline")
        slot_id, _provisional = await book_offline(app, rig)
        desk_time.ahead = timedelta(days=31)  # the desk stayed off for a month
        rig.central.start()
        app.store.wake()
        await until(pilot, lambda: app.sync_status.issues == 1, "the sync issue")
        await pilot.press("f6")
        await until(pilot, lambda: isinstance(app.screen, SyncIssuesScreen), "F6")
        await pilot.pause(0.2)
        shown = app.screen.query_one("IssueTable")
        row = [str(cell) for cell in shown.get_row_at(0)]
        assert any("queued too long ago" in cell for cell in row), row
        with rig.database.read() as connection:
            assert not connection.execute(
                select(bookings).where(bookings.c.slot_id == slot_id)
            ).all()
