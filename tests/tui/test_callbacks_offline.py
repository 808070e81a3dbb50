"""Callbacks through an outage: the console against a real central service over HTTP (uvicorn
on a loopback port, stopped and started mid-test).

A callback claimed before the outage is worked offline, even after the console is restarted:
its outcome is queued with the time it was made and replayed when the service is back (the
attempt is recorded at that time, not at the replay's). A replay the service refuses because
another agent claimed the callback meanwhile, or because it was closed meanwhile (the caller
called in), becomes a sync issue (F6) that says so, and what was not recorded.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import callback_world
import pytest
from harness import served_world, settle, until
from offline_rig import desk_console, ready_and_synced
from served import Central
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Static

from console.app import AgentConsole
from console.clock import Clock as DeskClock
from console.domain.calendar import TZ
from console.domain.callbacks import AnsweredEvent, RingingEvent
from console.domain.models import Role
from console.screens.callbacks import CallbacksScreen
from console.screens.lookup import LookupScreen
from console.screens.sync_issues import IssueTable, SyncIssuesScreen
from console.screens.wrapup import WrapUpScreen
from console.server import callback_claims as service_callbacks
from console.server import clock, telephony
from console.server.agents import create_agent
from console.server.db import Database
from console.server.schema import callback_attempts, callbacks
from console.server.settings import CallbackSettings
from widgets.caller_card import CallerCardView

SIZE = (120, 36)
TIMEOUT = 3.0


@dataclass
class Rig:
    central: Central
    database: Database
    data_dir: Path
    clock: callback_world.Clock

    def console(self, language: str = "en") -> AgentConsole:
        return desk_console(self.central.url, self.data_dir, timeout=TIMEOUT, language=language)

    def callback(self, number: str):  # type: ignore[no-untyped-def]
        with self.database.read() as connection:
            return connection.execute(select(callbacks).where(callbacks.c.number == number)).one()

    def attempts(self) -> list:
        with self.database.read() as connection:
            return list(connection.execute(select(callback_attempts)))


@pytest.fixture
def rig(tmp_path: Path, _sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    frozen = callback_world.freeze(monkeypatch)
    with served_world(_sqlite_template, tmp_path, days=2, slots_per_day=4) as served:
        central, database, _world = served
        callback_world.fill_queue(database)
        yield Rig(central, database, tmp_path / "desk", frozen)


async def online(pilot: Pilot) -> AgentConsole:
    return await ready_and_synced(pilot)


async def callbacks_screen(pilot: Pilot) -> CallbacksScreen:
    await pilot.press("f5")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CallbacksScreen)
    await until(pilot, lambda: screen.page is not None)
    return screen


async def claimed_then_outage(pilot: Pilot, rig: Rig) -> CallbacksScreen:
    """Online: the callbacks screen, the next due callback claimed; then the service stops."""
    await online(pilot)
    screen = await callbacks_screen(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert screen.held is not None and screen.held.number == callback_world.UNKNOWN
    rig.central.stop()
    return screen


async def record_offline(pilot: Pilot, key: str) -> None:
    app = pilot.app
    await pilot.press(key)
    await settle(pilot)
    await until(pilot, lambda: app.desk.offline and app.store.outbox_size() == 1)


async def test_a_callback_claimed_before_the_outage_is_worked_and_replayed_with_its_time(
    rig: Rig,
) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await claimed_then_outage(pilot, rig)

    # The console is restarted during the outage: the claimed callback is still its own.
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.desk is not None and isinstance(app.screen, LookupScreen))
        screen = await callbacks_screen(pilot)
        assert app.desk.offline
        assert screen.held is not None and screen.held.number == callback_world.UNKNOWN
        title = str(screen.query_one("#callbacks-title", Static).render())
        assert "Offline: the queue as last seen at 10:00." in title
        rig.clock.advance(minutes=1)  # the agent calls at 10:01: nobody answers
        await record_offline(pilot, "n")
        message = str(screen.query_one("#callbacks-message", Static).render())
        assert "queued offline" in message
        assert screen.held is None and app.desk.callbacks.resume() is None
        # The queue as last seen, with what this desk did: still waiting, now 1 attempt.
        await until(pilot, lambda: screen.page is not None and screen.page.from_cache)
        [unknown] = [c for c in screen.page.callbacks if c.number == callback_world.UNKNOWN]
        assert (unknown.status, unknown.attempt_count) == ("open", 1)

        rig.clock.advance(minutes=4)  # back at 10:05
        rig.central.start()
        await until(pilot, lambda: app.store.outbox_size() == 0, timeout=30)
        await settle(pilot)
        assert app.desk.sync_issues() == []

    row = rig.callback(callback_world.UNKNOWN)
    assert (row.status, row.attempt_count) == ("open", 1)
    [attempt] = rig.attempts()
    assert attempt.outcome == "no_answer"
    assert clock.from_db(attempt.at) == callback_world.NOW + timedelta(minutes=1)


async def test_a_replay_refused_because_another_agent_claimed_it_is_a_sync_issue(
    rig: Rig,
) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await claimed_then_outage(pilot, rig)
        rig.clock.advance(minutes=1)
        await record_offline(pilot, "b")
        # The outage outlasts the lease: another agent claims the callback meanwhile.
        rig.clock.advance(minutes=15)
        with rig.database.write() as connection:
            other, _ = create_agent(connection, "Other agent", Role.AGENT)
            callback_id = rig.callback(callback_world.UNKNOWN).id
            taken = service_callbacks.claim(
                connection, other, CallbackSettings(), clock.now(), callback_id
            )
            assert taken is not None
        rig.central.start()
        await until(pilot, lambda: app.store.outbox_size() == 0, timeout=30)
        await until(pilot, lambda: len(app.desk.sync_issues()) == 1)
        [issue] = app.desk.sync_issues()
        assert issue.kind == "callback_claimed" and issue.caller_phone == callback_world.UNKNOWN

        await pilot.press("f6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SyncIssuesScreen)
        row = [str(cell) for cell in screen.query_one(IssueTable).get_row_at(0)]
        assert row[1] == "040 111 222" and row[2] == "callback outcome"
        assert row[5] == (
            "another agent claimed this callback meanwhile: your outcome “busy” (10:01) was "
            "not recorded"
        )
    assert rig.attempts() == []  # nothing was recorded over the other agent's claim
    assert rig.callback(callback_world.UNKNOWN).claimed_by == other.id


async def test_a_replay_refused_because_the_caller_called_in_meanwhile_is_a_sync_issue(
    rig: Rig,
) -> None:
    app = rig.console(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await claimed_then_outage(pilot, rig)
        rig.clock.advance(minutes=2)
        await record_offline(pilot, "d")
        # Meanwhile the caller called in, and another desk answered.
        rig.clock.advance(minutes=1)
        settings = CallbackSettings()
        with rig.database.write() as connection:
            for event in (
                RingingEvent(
                    event="ringing", call_id="in-1", extension="102", number="040 111 222"
                ),
                AnsweredEvent(event="answered", call_id="in-1", extension="102"),
            ):
                telephony.record_event(connection, event, settings, clock.now())
        assert rig.callback(callback_world.UNKNOWN).result == "reached_us"
        rig.central.start()
        await until(pilot, lambda: len(app.desk.sync_issues()) == 1, timeout=30)
        [issue] = app.desk.sync_issues()
        assert issue.kind == "callback_closed" and issue.details["result"] == "reached_us"

        await pilot.press("f6")
        await settle(pilot)
        row = [str(cell) for cell in app.screen.query_one(IssueTable).get_row_at(0)]
        assert row[2] == "izid povratnega klica"
        assert row[5] == (
            "povratni klic je bil medtem zaključen (klicatelj je poklical sam): "
            "vaš izid »klicatelj ne želi« (10:02) ni zapisan"
        )
    assert rig.attempts() == []


async def test_a_callback_reached_offline_goes_on_as_a_call_whose_wrap_up_closes_it(
    rig: Rig,
) -> None:
    """Reached offline: the call starts on the desk (provisional), the outcome and then the
    wrap-up queue, and they replay in that order: the outcome keeps the callback with this
    agent in the call, the wrap-up closes it (done, reached, the call linked)."""
    began = time.monotonic()  # the desk's clock runs on from the frozen moment
    desk_clock = DeskClock(lambda: rig.clock.at + timedelta(seconds=time.monotonic() - began))
    app = AgentConsole(rig.console().config, clock=desk_clock)
    async with app.run_test(size=SIZE) as pilot:
        await online(pilot)
        screen = await callbacks_screen(pilot)
        await pilot.press("enter")  # the number nobody has: a wrong number
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.held is not None and screen.held.number == callback_world.JANEZ
        card = screen.query_one("#callbacks-card", CallerCardView)
        await until(pilot, lambda: card.display and card.caller_id is not None)
        rig.central.stop()

        rig.clock.advance(minutes=1)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen))
        await settle(pilot)
        assert app.desk.offline and app.desk.call is not None and app.desk.call.id < 0
        # The queue as this desk sees it: Janez's callback is its own, in the call.
        page = await app.desk.callbacks.queue()
        [janez] = [c for c in page.callbacks if c.number == callback_world.JANEZ]
        assert (janez.status, janez.call_id) == ("claimed", app.desk.call.id)

        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, WrapUpScreen)
        await pilot.press("4", "ctrl+s")
        await until(pilot, lambda: app.desk.call is None)
        kinds = [e.kind for e in app.store.outbox.entries()]
        assert kinds[-3:] == ["start_call", "callback_attempt", "wrap_up"]
        page = await app.desk.callbacks.queue()  # the wrap-up queued: done, out of the queue
        assert callback_world.JANEZ not in [c.number for c in page.callbacks]
        assert rig.callback(callback_world.JANEZ).status == "claimed"  # nothing replayed yet

        rig.clock.advance(minutes=4)
        rig.central.start()
        await until(pilot, lambda: app.store.outbox_size() == 0, timeout=30)
        await settle(pilot)
        assert app.desk.sync_issues() == []

    row = rig.callback(callback_world.JANEZ)
    assert (row.status, row.result) == ("done", "reached") and row.call_id is not None
    [reached] = [a for a in rig.attempts() if a.outcome == "reached"]
    assert reached.call_id == row.call_id
    assert clock.from_db(reached.at) == callback_world.NOW + timedelta(minutes=1)


async def test_offline_the_callback_hours_close_at_four_by_the_desks_clock(rig: Rig) -> None:
    """The service's answer is read before 16:00 (open now, every callback callable now); the
    service then stops. At 16:00 the desk says, from the hours it was given and its own clock,
    that they are closed until Thursday 08:00, and so is each callback: no service to ask."""
    from test_days import HeldTime

    rig.clock.at = datetime(2030, 3, 6, 16, 0, tzinfo=TZ) - timedelta(seconds=1.5)
    desk_time = HeldTime(rig.clock.at)
    app = AgentConsole(rig.console().config, clock=DeskClock(desk_time))
    async with app.run_test(size=SIZE) as pilot:
        await online(pilot)
        screen = await callbacks_screen(pilot)
        await settle(pilot)

        def title() -> str:
            return str(screen.query_one("#callbacks-title", Static).render())

        def callable_column() -> set[str]:
            table = screen.queue
            return {str(table.get_row_at(row)[3]) for row in range(table.row_count)}

        assert "open now" in title() and callable_column() == {"now"}
        rig.central.stop()
        desk_time.run()
        await until(
            pilot,
            lambda: (
                "closed; they open 7. 3. 2030 at 08:00" in title()
                and callable_column() == {"7. 3. 2030 08:00"}
            ),
        )
        await until(pilot, lambda: app.desk.offline)
        await settle(pilot)
        assert "closed; they open 7. 3. 2030 at 08:00" in title() and "Offline" in title()
        assert callable_column() == {"7. 3. 2030 08:00"}
