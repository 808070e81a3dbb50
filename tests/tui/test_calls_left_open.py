"""Issue 12 item 4: calls are not left open.

F2 alone starts no call (tests/tui/test_startup.py); quitting with a call not wrapped up or a
slot held asks what to do (wrap up, release and quit, quit anyway); the next start offers the
agent's calls left open for wrap-up.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

from directory_world import database_of
from harness import settle, until
from sqlalchemy import select
from textual.widgets import OptionList

from console.domain.calendar import TZ
from console.screens.open_calls import OpenCallsDialog
from console.screens.quit import QuitConfirmation
from console.screens.wrapup import WrapUpScreen
from console.server.schema import calls, holds
from widgets.footer import KeysFooter
from widgets.textual_internals import FooterKey

SIZE = (120, 36)


async def open_janez(app) -> None:
    found = await app.desk.search("0101990500003")
    await app.desk.open_caller(found.callers[0].id)


async def hold_for_janez(app):
    desk = app.desk
    await open_janez(app)
    service = next(s for s in desk.services if s.code == "ue-id-card")
    start = datetime.combine(desk.today(), time(0, 0), TZ)
    [slot] = await desk.find_slots(service.id, start=start, end=start + timedelta(days=14), limit=1)
    return await desk.hold_slot(slot.id)


async def quit_leaving_the_call_open(pilot) -> None:  # type: ignore[no-untyped-def]
    """ctrl+q, then q (quit anyway): the call stays open."""
    await pilot.press("ctrl+q")
    await settle(pilot)
    await pilot.press("q")
    await pilot.pause()


async def offered(pilot, count: int | None = None) -> OpenCallsDialog:  # type: ignore[no-untyped-def]
    """Wait for the start's dialog of calls left open, with its list (of ``count`` calls)."""
    app = pilot.app

    def shown() -> bool:
        screen = app.screen
        if not isinstance(screen, OpenCallsDialog) or not screen.query("#open-calls-list"):
            return False
        listed = screen.query_one("#open-calls-list", OptionList)
        return count is None or listed.option_count == count

    await until(pilot, shown, timeout=30)
    return app.screen


def dialog_text(dialog: QuitConfirmation) -> str:
    return str(dialog.query_one("#quit-text").render())


def footer_keys(screen) -> set[str]:
    """The keys the screen's footer shows (not only those bound)."""
    return {key.key for key in screen.query_one(KeysFooter).query(FooterKey) if key.display}


def rows(data_dir: Path, statement) -> list:
    database = database_of(data_dir)
    try:
        with database.read() as connection:
            return list(connection.execute(statement).all())
    finally:
        database.dispose()


async def test_quitting_with_a_call_and_a_hold_asks_wrap_up_release_or_quit(
    make_app, ready, data_dir: Path
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        hold = await hold_for_janez(app)
        await pilot.press("ctrl+q")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, QuitConfirmation) and app.is_running
        text = dialog_text(dialog)
        assert "A call is not wrapped up" in text and "Janez Kovač" in text
        assert "A slot is held for the caller" in text and hold.slot.location_name in text
        assert {"w", "r", "q", "escape"} <= footer_keys(dialog)  # the keys are shown
        assert "s" not in footer_keys(dialog)  # nothing queued to send
        panel = dialog.query_one(".dialog")  # a centred, framed panel, not bare text
        assert panel.region.x > 0 and panel.region.right < SIZE[0] and panel.region.y > 0
        assert panel.styles.border_top[0] != ""

        await pilot.press("w")  # wrap up: to the wrap-up of the call
        await settle(pilot)
        assert isinstance(app.screen, WrapUpScreen) and app.is_running
        call_id = app.desk.call.id

        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, QuitConfirmation)
        await pilot.press("r")  # release and quit
        await pilot.pause()
    assert app.return_code == 0
    [held] = rows(data_dir, select(holds).where(holds.c.id == hold.id))
    assert held.released_at is not None  # let go at once, not left to expire
    [call] = rows(data_dir, select(calls).where(calls.c.id == call_id))
    assert call.wrapped_at is None  # the call stays open for later


async def test_the_palettes_quit_asks_too_and_in_slovenian(make_app, ready) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f2", "ctrl+g")  # an anonymous call
        await settle(pilot)
        assert app.desk.call is not None
        await app.action_quit()  # what the palette's Quit runs
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, QuitConfirmation)
        text = dialog_text(dialog)
        assert "Klic ni zaključen" in text and "anonimni klicatelj" in text
        assert "Termin je zadržan" not in text  # no slot held
        # The key it names is the dialog's own (w), and with no slot held nothing is offered
        # to release: r is neither shown nor bound.
        assert "w ga zaključi" in text and "F9" not in text, text
        assert "w" in footer_keys(dialog) and "r" not in footer_keys(dialog)
        assert not dialog.query_one("#quit-release").display
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is dialog and app.is_running
        await pilot.press("escape")  # stay
        await settle(pilot)
        assert app.is_running and app.desk.call is not None


async def test_without_a_call_or_a_hold_quitting_asks_nothing(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f2")  # F2 alone: no call
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_the_next_start_offers_the_calls_left_open_for_wrap_up(
    make_app, ready, data_dir: Path
) -> None:
    first = make_app(language="en")
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_janez(first)  # picking the caller starts the call
        left_id = first.desk.call.id
        await quit_leaving_the_call_open(pilot)
    [row] = rows(data_dir, select(calls).where(calls.c.id == left_id))
    assert row.wrapped_at is None and row.disposition is None

    again = make_app(language="en")
    async with again.run_test(size=SIZE) as pilot:
        await offered(pilot)
        dialog = again.screen
        assert "1 call of yours is not wrapped up" in str(
            dialog.query_one(".dialog-title").render()
        )
        listed = dialog.query_one("#open-calls-list", OptionList)
        assert listed.option_count == 1 and "Janez Kovač" in str(
            listed.get_option_at_index(0).prompt
        )
        # The footer is composed after the dialog's bindings: wait for it to show both keys.
        await until(
            pilot,
            lambda: {"enter", "escape"} <= footer_keys(dialog),
            timeout=10,
            what=lambda: str(sorted(footer_keys(dialog))),
        )
        await pilot.press("enter")  # wrap it up
        await until(pilot, lambda: isinstance(again.screen, WrapUpScreen))
        wrapup = again.screen
        assert again.desk.call is not None and again.desk.call.id == left_id
        assert "Janez Kovač" in str(wrapup.query_one("#wrapup-summary").render())
        await pilot.press("4")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: again.desk.call is None)
    [row] = rows(data_dir, select(calls).where(calls.c.id == left_id))
    assert row.wrapped_at is not None and row.disposition is not None
    assert row.ended_at == row.started_at  # when it really ended is unknown: no talk time


async def test_a_call_left_open_is_wrapped_up_with_what_it_did(
    make_app, ready, data_dir: Path
) -> None:
    """The console was closed mid-call after a booking, a move and a cancel: taken up at the
    next start, the wrap-up's pre-fill says what the call did, read from the service, and
    chooses the disposition it comes to, as it would have in that call."""
    first = make_app(language="en")
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot)
        desk = first.desk
        hold = await hold_for_janez(first)
        booked = await desk.confirm()
        left_id = desk.call.id
        service = next(s for s in desk.services if s.code == "ue-id-card")
        start = datetime.combine(desk.today(), time(0, 0), TZ)
        slots = await desk.find_slots(service.id, start=start, end=start + timedelta(days=14))
        other = next(s for s in slots if s.starts_at != hold.slot.starts_at)
        desk.start_reschedule(booked)
        await desk.hold_slot(other.id)
        moved = await desk.confirm()
        await quit_leaving_the_call_open(pilot)

    again = make_app(language="en")
    async with again.run_test(size=SIZE) as pilot:
        await offered(pilot)
        await pilot.press("enter")  # wrap it up
        await until(pilot, lambda: isinstance(again.screen, WrapUpScreen))
        wrapup = again.screen
        await settle(pilot)
        assert again.desk.call is not None and again.desk.call.id == left_id
        assert wrapup.dispositions.chosen is not None
        assert wrapup.dispositions.chosen.code == "booked"  # booked and moved in one call
        lines = wrapup.notes.text.split("\n")
        assert lines[1].startswith(f"Booked {booked.reference_display}: "), lines
        assert lines[2].startswith(
            f"Rescheduled to {moved.reference_display} (was {booked.reference_display}): "
        ), lines
        await pilot.press("ctrl+s")
        await until(pilot, lambda: again.desk.call is None)
    [row] = rows(data_dir, select(calls).where(calls.c.id == left_id))
    assert row.disposition == "booked" and moved.reference_display in row.notes


async def test_a_cancel_in_a_call_left_open_is_in_its_wrap_up(make_app, ready) -> None:
    first = make_app(language="en")
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await hold_for_janez(first)
        booked = await first.desk.confirm()
        await quit_leaving_the_call_open(pilot)

    second = make_app(language="en")
    async with second.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(second.screen, OpenCallsDialog), timeout=30)
        await pilot.press("escape")  # later: a new call, in which the booking is cancelled
        await until(pilot, lambda: second.desk is not None and second.desk.call is None)
        await settle(pilot)
        await open_janez(second)
        await second.desk.cancel(booked, "cannot come")
        await quit_leaving_the_call_open(pilot)

    third = make_app(language="en")
    async with third.run_test(size=SIZE) as pilot:
        await offered(pilot, count=2)
        await pilot.press("down", "enter")  # the newer call: the one the cancel was made in
        await until(pilot, lambda: isinstance(third.screen, WrapUpScreen))
        await settle(pilot)
        wrapup = third.screen
        assert wrapup.dispositions.chosen is not None
        assert wrapup.dispositions.chosen.code == "cancelled"
        assert f"Cancelled {booked.reference_display}: " in wrapup.notes.text
        assert f"Booked {booked.reference_display}" not in wrapup.notes.text  # another call's


async def test_calls_left_for_later_are_not_offered_again_until_the_next_start(
    make_app, ready
) -> None:
    first = make_app(language="en")
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f2", "ctrl+g")  # an anonymous call, left open
        await settle(pilot)
        await quit_leaving_the_call_open(pilot)

    again = make_app(language="sl")
    async with again.run_test(size=SIZE) as pilot:
        await offered(pilot)
        listed = again.screen.query_one("#open-calls-list", OptionList)
        assert "anonimni klicatelj" in str(listed.get_option_at_index(0).prompt)
        await pilot.press("escape")  # later
        await settle(pilot)
        assert not isinstance(again.screen, OpenCallsDialog)
        assert again.desk.call is None
        again._back_online()  # back online: the calls left for later are not offered again
        await settle(pilot)
        assert not isinstance(again.screen, OpenCallsDialog)
