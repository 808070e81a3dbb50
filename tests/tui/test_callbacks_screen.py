"""Callbacks (F5) on the embedded service: the queue, a claim, the number to dial with the
matched caller's card (the callers to choose from; the new-caller form for a number nobody
has), and each outcome as the central database records it.

The queue (``callback_world``): a number nobody has that tried three times (first: its tries
moved it ahead), Janez, a landline two callers share, Špela. The service's and the desk's
clocks stand at a working Wednesday, 10:00.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import callback_world
import pytest
from harness import settle, until
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Static

from console.app import AgentConsole
from console.clock import Clock as DeskClock
from console.domain.callbacks import AttemptOutcome
from console.domain.models import CallDirection, Role
from console.screens.callbacks import CallbacksScreen
from console.screens.lookup import LookupScreen
from console.screens.new_caller import NewCallerForm
from console.screens.wrapup import WrapUpScreen
from console.server import callback_claims as service_callbacks
from console.server import clock as service_clock
from console.server.agents import create_agent
from console.server.schema import callback_attempts, callbacks, calls
from console.server.settings import CallbackSettings
from widgets.callback_queue import CallbackQueue
from widgets.caller_card import CallerCardView
from widgets.matched_callers import MatchedCallers

SIZE = (120, 36)


@pytest.fixture
def queue(data_dir, monkeypatch) -> callback_world.Queue:  # type: ignore[no-untyped-def]
    callback_world.freeze(monkeypatch)
    database = callback_world.open_central(data_dir)
    try:
        return callback_world.fill_queue(database)
    finally:
        database.dispose()


def rows(data_dir, query) -> list:  # type: ignore[no-untyped-def]
    database = callback_world.open_central(data_dir)
    try:
        with database.read() as connection:
            return list(connection.execute(query))
    finally:
        database.dispose()


def callback_of(data_dir, number: str):  # type: ignore[no-untyped-def]
    [row] = rows(data_dir, select(callbacks).where(callbacks.c.number == number))
    return row


async def open_callbacks(pilot: Pilot, ready: Callable) -> CallbacksScreen:
    await ready(pilot)
    await pilot.press("f5")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CallbacksScreen)
    await until(pilot, lambda: screen.page is not None)
    return screen


async def claim(pilot: Pilot) -> CallbacksScreen:
    screen = pilot.app.screen
    assert isinstance(screen, CallbacksScreen)
    await pilot.press("enter")
    await settle(pilot)
    assert screen.held is not None
    return screen


def said(screen: CallbacksScreen) -> str:
    return str(screen.query_one("#callbacks-message", Static).render())


async def test_the_queue_oldest_first_with_waits_attempts_and_the_caller(
    make_app, ready, queue
) -> None:
    app: AgentConsole = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_callbacks(pilot, ready)
        table = screen.query_one(CallbackQueue)
        assert [c.number for c in table.callbacks] == [
            callback_world.UNKNOWN,  # three tries moved it ahead
            callback_world.JANEZ,
            callback_world.FAMILY,
            callback_world.SPELA,
        ]
        cells = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert cells[0][:5] == ["040 111 222", "new caller", "31 min", "now", "0/3"]
        assert cells[1][:3] == ["041 234 567", "Janez Kovač", "51 min"]
        assert cells[2][1] == "Ana Zupan +1"
        assert cells[0][5] == "3"  # its calls that did not get through
        title = str(screen.query_one("#callbacks-title", Static).render())
        assert "4 in the queue" in title and "open now" in title


async def test_enter_claims_the_next_due_and_no_answer_puts_it_back(
    make_app, ready, queue, data_dir
) -> None:
    app: AgentConsole = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await open_callbacks(pilot, ready)
        screen = await claim(pilot)
        assert screen.held.number == callback_world.UNKNOWN
        row = callback_of(data_dir, callback_world.UNKNOWN)
        assert row.status == "claimed" and row.claimed_by == app.desk.agent.id
        dial = str(screen.query_one("#callbacks-dial", Static).render())
        assert "040 111 222" in dial and "missed calls: 3" in dial
        hint = str(screen.query_one("#callbacks-new", Static).render())
        assert "nobody's in the register" in hint

        await pilot.press("n")
        await settle(pilot)
        assert screen.held is None and "back in the queue at 10:30" in said(screen)
        row = callback_of(data_dir, callback_world.UNKNOWN)
        assert (row.status, row.attempt_count) == ("open", 1)
        [attempt] = rows(data_dir, select(callback_attempts.c.outcome))
        assert attempt.outcome == "no_answer"
        assert app.desk.call is None  # no call for a callback nobody answered


async def test_reached_starts_an_outbound_call_with_the_card_and_its_wrap_up_closes_it(
    make_app, ready, queue, data_dir
) -> None:
    started = time.monotonic()  # the desk's clock runs from NOW (the call ends after it began)
    desk_clock = DeskClock(
        lambda: callback_world.NOW + timedelta(seconds=time.monotonic() - started)
    )
    app: AgentConsole = make_app(language="en", clock=desk_clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_callbacks(pilot, ready)
        await claim(pilot)
        await pilot.press("w")  # the number nobody has: a wrong number
        await settle(pilot)
        screen = await claim(pilot)
        assert screen.held.number == callback_world.JANEZ
        card = screen.query_one("#callbacks-card", CallerCardView)
        await until(pilot, lambda: card.display and card.caller_id is not None)
        janez = card.caller_id

        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen))
        await settle(pilot)
        desk = app.desk
        assert desk.call is not None and desk.call.direction == CallDirection.OUTBOUND
        assert desk.caller is not None and desk.caller.id == janez
        assert app.screen.query_one(CallerCardView).caller_id == janez
        row = callback_of(data_dir, callback_world.JANEZ)  # this agent's while the call goes on
        assert (row.status, row.result, row.call_id) == ("claimed", None, desk.call.id)
        assert row.claimed_by == desk.agent.id
        [(call_id,)] = rows(
            data_dir,
            select(callback_attempts.c.call_id).where(callback_attempts.c.outcome == "reached"),
        )
        assert call_id == desk.call.id
        [(direction, caller_id)] = rows(
            data_dir, select(calls.c.direction, calls.c.caller_id).where(calls.c.id == call_id)
        )
        assert (direction, caller_id) == ("outbound", janez)
        assert callback_of(data_dir, callback_world.UNKNOWN).status == "failed"

        # The call goes on like any other: the wrap-up ends it, and closes the callback.
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, WrapUpScreen)
        await pilot.press("4", "ctrl+s")
        await until(pilot, lambda: desk.call is None)
        row = callback_of(data_dir, callback_world.JANEZ)
        assert (row.status, row.result, row.call_id) == ("done", "reached", call_id)


async def test_several_callers_of_one_number_are_listed_and_reached_takes_the_chosen(
    make_app, ready, queue, data_dir
) -> None:
    app: AgentConsole = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await open_callbacks(pilot, ready)
        for outcome in ("b", "d"):  # the unknown number busy, Janez declined
            await claim(pilot)
            await pilot.press(outcome)
            await settle(pilot)
        screen = await claim(pilot)
        assert screen.held.number == callback_world.FAMILY
        table = screen.query_one(MatchedCallers)
        await until(pilot, lambda: table.display and table.row_count == 2)
        assert sorted(c.id for c in table.callers) == sorted(queue.family)
        await pilot.press("down")
        chosen = table.highlighted_id
        assert chosen == table.callers[1].id
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen))
        await settle(pilot)
        assert app.desk.caller is not None and app.desk.caller.id == chosen
        family = callback_of(data_dir, callback_world.FAMILY)
        assert (family.status, family.call_id) == ("claimed", app.desk.call.id)
        assert callback_of(data_dir, callback_world.JANEZ).result == "declined"
        unknown = callback_of(data_dir, callback_world.UNKNOWN)
        assert (unknown.status, unknown.attempt_count) == ("open", 1)


async def test_a_number_nobody_has_reached_opens_the_new_caller_form_with_it(
    make_app, ready, queue, data_dir
) -> None:
    app: AgentConsole = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await open_callbacks(pilot, ready)
        screen = await claim(pilot)
        assert screen.held.number == callback_world.UNKNOWN
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, NewCallerForm))
        await settle(pilot)
        form = app.screen
        assert form.field("phones").value == "040 111 222"
        assert app.desk.call is not None and app.desk.call.direction == CallDirection.OUTBOUND
        form.field("first_name").value = "Nova"
        form.field("last_name").value = "Klicateljica"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen))
        await settle(pilot)
        caller = app.desk.caller
        assert caller is not None and [p.number for p in caller.phones] == [callback_world.UNKNOWN]
        [(caller_id,)] = rows(
            data_dir, select(calls.c.caller_id).where(calls.c.id == app.desk.call.id)
        )
        assert caller_id == caller.id
        assert callback_of(data_dir, callback_world.UNKNOWN).call_id == app.desk.call.id


async def test_give_back_and_a_call_in_progress(make_app, ready, queue, data_dir) -> None:
    app: AgentConsole = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await open_callbacks(pilot, ready)
        screen = await claim(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert screen.held is None and "back in the queue" in said(screen)
        row = callback_of(data_dir, callback_world.UNKNOWN)
        assert (row.status, row.lease_expires_at, row.attempt_count) == ("open", None, 0)

        await pilot.press("f2", "ctrl+g")  # a call starts: no callback until it is wrapped up
        await settle(pilot)
        assert app.desk.call is not None
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.held is None and "wrap it up first (F9)" in said(app.screen)


async def test_outside_the_callback_hours_nothing_is_claimed_and_the_screen_says_when(
    make_app, ready, data_dir, monkeypatch
) -> None:
    evening = callback_world.NOW.replace(hour=17)  # 18:00 in Ljubljana
    callback_world.freeze(monkeypatch, evening)
    database = callback_world.open_central(data_dir)
    callback_world.fill_queue(database)
    database.dispose()
    app: AgentConsole = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_callbacks(pilot, ready)
        title = str(screen.query_one("#callbacks-title", Static).render())
        assert "closed; they open 7. 3. 2030 at 08:00" in title
        await pilot.press("enter")
        await settle(pilot)
        assert screen.held is None
        assert "the callback hours open 7. 3. 2030 at 08:00" in said(screen)


async def test_another_desks_claim_shows_in_the_queue_at_once(
    make_app, ready, queue, data_dir
) -> None:
    """The screen follows the change feed: a claim made elsewhere reloads the queue."""
    app: AgentConsole = make_app(language="en", sync_seconds=0.2)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_callbacks(pilot, ready)
        database = callback_world.open_central(data_dir)
        with database.write() as connection:
            other, _token = create_agent(connection, "Other agent", Role.AGENT)
            service_callbacks.claim(connection, other, CallbackSettings(), service_clock.now())
        database.dispose()
        table = screen.query_one(CallbackQueue)
        await until(pilot, lambda: str(table.get_row_at(0)[3]) == "claimed", timeout=15)


def test_the_outcomes_have_their_keys() -> None:
    from console.screens.callbacks import OUTCOMES

    assert set(OUTCOMES.values()) == set(AttemptOutcome) - {AttemptOutcome.REACHED}
