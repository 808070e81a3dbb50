"""Wrap-up (F9): the call ends, the form is filled by keyboard, the save reaches the server and
the desk is ready for the next call; nothing typed is lost when the save is refused."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import httpx
import pytest
from harness import settle
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from console import i18n
from console.domain.calendar import TZ
from console.domain.errors import InvalidValue
from console.screens.wrapup import WrapUpScreen, joined_in_lines
from widgets.disposition_list import DispositionList
from widgets.follow_up_input import FollowUpInput, check_partial, parse_follow_up

SIZE = (120, 36)


async def start_call_and_wrap_up(pilot: Pilot) -> WrapUpScreen:
    """F9 on the call in progress; without one, an anonymous call is started first (F2 alone
    starts none: issue 12 item 4)."""
    before = pilot.app.desk.call
    await pilot.press("f2")
    await settle(pilot)
    assert pilot.app.desk.call is before
    if before is None:
        await pilot.press("ctrl+g")
        await settle(pilot)
    assert pilot.app.desk.call is not None
    await pilot.press("f9")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, WrapUpScreen)
    return screen


async def open_janez(app) -> None:
    found = await app.desk.search("0101990500003")
    await app.desk.open_caller(found.callers[0].id)


async def book_for_janez(app):
    desk = app.desk
    await open_janez(app)
    service = next(s for s in desk.services if s.code == "ue-id-card")
    start = datetime.combine(desk.today(), time(0, 0), TZ)
    slots = await desk.find_slots(service.id, start=start, end=start + timedelta(days=14), limit=1)
    slot = slots[0]
    await desk.hold_slot(slot.id)
    return await desk.confirm()


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


# -- the follow-up parser -------------------------------------------------------------------

NOW = datetime(2030, 3, 4, 11, 0, tzinfo=TZ)


@pytest.fixture
def english():
    before = i18n.language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


def test_a_slovenian_date_and_time_is_read_in_ljubljana() -> None:
    value = parse_follow_up("5. 3. 2030 14:30", NOW)
    assert value == datetime(2030, 3, 5, 14, 30, tzinfo=TZ)
    assert parse_follow_up("05.03.2030 9.05", NOW) == datetime(2030, 3, 5, 9, 5, tzinfo=TZ)
    assert parse_follow_up("1. 1. 2031 0:00", NOW).year == 2031  # within a year
    # The hour repeated when the clocks go back exists (the first of the two is meant).
    assert parse_follow_up("27. 10. 2030 02:30", NOW).utcoffset().total_seconds() == 7200


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("31. 2. 2030 10:00", "does not exist"),
        ("5. 3. 2030 24:00", "not a time of day"),
        ("31. 3. 2030 02:30", "clocks go forward"),  # the DST gap in Ljubljana
        ("4. 3. 2030 10:59", "has passed"),
        ("5. 3. 2032 10:00", "year ahead"),
        ("tomorrow", "Write the date"),
        ("", "Enter the date"),
    ],
)
def test_an_impossible_follow_up_is_explained(text: str, problem: str, english) -> None:
    with pytest.raises(InvalidValue, match=problem):
        parse_follow_up(text, NOW)


def test_typing_is_only_faulted_once_it_cannot_become_valid(english) -> None:
    for prefix in ("2", "22", "22.", "22. 1", "22. 11. 20", "22. 11. 2026 1", "22. 11. 2026 14:3"):
        assert check_partial(prefix) is None, prefix
    assert "day 32" in check_partial("32")
    assert "month 13" in check_partial("5. 13")
    assert "hour 25" in check_partial("5. 3. 2030 25")
    assert "Minutes" in check_partial("5. 3. 2030 10:7")
    assert "Write" in check_partial("5/3/2030")
    # The date is checked as soon as the year is complete, before the time is typed.
    assert "does not exist" in check_partial("29. 2. 2031")
    assert check_partial("29. 2. 2032 1") is None  # a leap year
    assert "has passed" in check_partial("3. 3. 2030 1", today=NOW.date())
    assert check_partial("4. 3. 2030 1", today=NOW.date()) is None  # today: the time decides


# -- the screen -----------------------------------------------------------------------------


async def test_f9_ends_the_call_and_shows_the_form_with_after_call_work(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await start_call_and_wrap_up(pilot)
        assert app.desk.call_ended is not None  # after-call work runs
        assert "After-call work" in str(screen.query_one("StatusBar").render())
        assert screen.query_one("#wrapup-form").display
        assert not screen.query_one("#wrapup-notice").display
        assert isinstance(screen.focused, DispositionList)
        assert len(screen.dispositions.options) == len(app.desk.dispositions)
        assert "Call duration" in text_of(screen, "#wrapup-summary")


async def test_without_a_call_there_is_nothing_to_save(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.desk.call is None
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert "No call in progress" in text_of(screen, "#wrapup-notice")
        assert not screen.query_one("#wrapup-form").display
        assert screen.check_action("save", ()) is False
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert await app.desk.api.calls(mine=True) == []


async def test_number_keys_choose_and_notes_take_several_lines(make_app, ready) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await start_call_and_wrap_up(pilot)
        await pilot.press("4")
        assert screen.dispositions.chosen.code == app.desk.dispositions[3].code
        await pilot.press("down")
        assert screen.dispositions.chosen.code == app.desk.dispositions[4].code
        await pilot.press("enter")  # confirms and moves on to the notes
        assert isinstance(screen.focused, TextArea)
        await pilot.press("a", "enter", "b")
        assert screen.notes.text == "a\nb"
        # In the notes, digits are text, not disposition keys.
        await pilot.press("1")
        assert screen.dispositions.chosen.code == app.desk.dispositions[4].code


async def test_saving_without_a_disposition_or_with_a_bad_date_is_refused(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await start_call_and_wrap_up(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Choose a disposition" in text_of(screen, "#wrapup-disposition-error")
        assert "Not saved" in text_of(screen, "#wrapup-message")

        await pilot.press("7")  # Call back later: ticks "Call back" by itself
        assert screen.follow_up.value
        assert screen.query_one("#wrapup-follow-up-fields").display
        screen.query_one("#wrapup-follow-up-at Input", Input).focus()
        await pilot.press(*"31. 2. 2030 10:00")
        follow_up = screen.query_one(FollowUpInput)
        assert "does not exist" in (follow_up.error or "")  # shown while typing
        await pilot.press("f10")
        await settle(pilot)
        assert app.screen is screen
        assert app.desk.call is not None and app.desk.call.disposition is None
        assert "Not saved" in text_of(screen, "#wrapup-message")
        assert follow_up.text == "31. 2. 2030 10:00"  # kept for correcting
        calls = await app.desk.api.calls(mine=True)
        assert calls[0].wrapped_at is None


async def test_a_valid_save_wraps_the_call_and_readies_the_desk(make_app, ready) -> None:
    from console.screens.lookup import LookupScreen

    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await open_janez(app)
        screen = await start_call_and_wrap_up(pilot)
        assert "Janez Kovač" in text_of(screen, "#wrapup-summary")
        await pilot.press("4", "tab", *"Ena", "enter", *"dva")
        fields = screen.query_one("#wrapup-follow-up-fields")
        assert not fields.display
        await pilot.press("tab", "space")  # the "Call back" checkbox reveals the time
        assert screen.follow_up.value and fields.display
        assert isinstance(screen.focused, Input)  # straight into the date
        await pilot.press(*"5. 3. 2030 10:00")
        hint = str(screen.query_one(".follow-up--hint", Static).render())
        assert hint == "torek, 5. 3. 2030 ob 10:00"  # to read back to the caller
        await pilot.press("enter", *"Obvesti")
        call_id = app.desk.call.id
        await pilot.press("ctrl+s")
        await settle(pilot)

        calls = {c.id: c for c in await app.desk.api.calls(mine=True)}
        saved = calls[call_id]
        assert saved.disposition == app.desk.dispositions[3].code
        assert saved.notes == "Ena\ndva"
        assert saved.follow_up_at == datetime(2030, 3, 5, 10, 0, tzinfo=TZ)
        assert saved.follow_up_note == "Obvesti"
        assert saved.after_call_work_seconds is not None
        assert saved.ended_at is not None and saved.wrapped_at is not None

        assert app.desk.call is None and app.desk.caller is None
        assert isinstance(app.screen, LookupScreen)
        # The form is empty for the next call.
        assert screen.dispositions.chosen is None
        assert screen.notes.text == ""
        assert not screen.follow_up.value


async def test_a_refusal_by_the_server_is_shown_inline_and_keeps_the_form(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await start_call_and_wrap_up(pilot)
        # A disposition the server no longer accepts (the config changed under the desk).
        screen.dispositions.set_dispositions(
            [*app.desk.dispositions, app.desk.dispositions[0].model_copy(update={"code": "gone"})]
        )
        screen.dispositions.choose("gone")
        screen.notes.load_text("Typed notes")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert "Unknown disposition" in text_of(screen, "#wrapup-message")
        assert "Unknown disposition" in text_of(screen, "#wrapup-disposition-error")
        assert screen.notes.text == "Typed notes"
        assert app.desk.call is not None


async def test_a_booking_in_the_call_preselects_booked_and_notes_the_reference(
    make_app, ready
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await settle(pilot)
        booking = await book_for_janez(app)
        screen = await start_call_and_wrap_up(pilot)
        assert screen.dispositions.chosen.code == "booked"
        # The generated part: the outcome as the disposition says it, then the booking.
        # One booking: the line under the outcome names it, the outcome does not again.
        first, second = screen.notes.text.split("\n")[:2]
        assert first == "Appointment booked."
        assert second.startswith(f"Booked {booking.reference_display}: ")
        assert screen.notes.text.count(booking.reference_display) == 1
        assert booking.reference_display in text_of(screen, "#wrapup-summary")
        # Leaving and coming back does not add the lines twice.
        before = screen.notes.text
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert screen.notes.text == before
        assert screen.notes.text.count(f"Booked {booking.reference_display}") == 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = (await app.desk.api.calls(mine=True))[0]
        assert saved.disposition == "booked"
        assert booking.reference_display in saved.notes


async def test_a_supervisor_has_no_wrap_up_key(make_app, ready) -> None:
    """Issue 12 item 18: wrap-up is not a supervisor's: F9 (and alt+9) is not in the footer,
    the help or the palette, and pressing it shows nothing."""
    app = make_app(language="en", role="supervisor")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        before = app.screen
        footer = {b.binding.key for b in before.active_bindings.values() if b.enabled}
        assert "f9" not in footer and "alt+9" not in footer
        for key in ("f9", "alt+9"):
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is before and not isinstance(app.screen, WrapUpScreen)


def test_the_summary_goes_on_a_new_line_between_parts_never_inside_one() -> None:
    parts = ["Klicatelj: Janez Kovač", "Trajanje klica: 00:21", "Rezervacija: PK4 MRF T"]
    assert joined_in_lines(parts, 0) == "   ·   ".join(parts)
    assert joined_in_lines(parts, 78) == (
        "Klicatelj: Janez Kovač   ·   Trajanje klica: 00:21\nRezervacija: PK4 MRF T"
    )
    assert joined_in_lines(parts, 200) == "   ·   ".join(parts)


async def test_at_80_columns_the_summary_keeps_the_reference_on_one_line(make_app, ready) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await settle(pilot)
        booking = await book_for_janez(app)
        screen = await start_call_and_wrap_up(pilot)
        summary = screen.query_one("#wrapup-summary", Static)
        lines = [strip.text.rstrip() for strip in summary.render_lines(summary.region.reset_offset)]
        assert any(booking.reference_display in line for line in lines), lines
        assert all(len(line) <= 78 for line in lines), lines
        await pilot.resize_terminal(200, 50)
        await settle(pilot)
        assert summary.region.height == 1  # the room for one line: one line


async def test_the_status_bar_counts_after_call_work_not_the_call(make_app, ready) -> None:
    import time

    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await start_call_and_wrap_up(pilot)
        ui = app.config.ui.model_copy(update={"timers": True})
        app.config = app.config.model_copy(update={"ui": ui})
        now = time.monotonic()
        app.desk.call_started, app.desk.call_ended = now - 100, now - 30
        bar = screen.query_one("StatusBar")
        bar.timers = True  # the bar was given [ui] timers when it was made
        bar.refresh_status()
        assert "After-call work 00:30" in str(bar.render())
        assert "01:10" in " ".join(screen._summary_parts())  # the call itself lasted 70 seconds


class _Unplugged(httpx.AsyncBaseTransport):
    """The network cable pulled: every request fails to connect."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("unplugged", request=request)


async def test_an_outage_queues_the_wrap_up_and_the_replay_saves_it(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await start_call_and_wrap_up(pilot)
        call_id = app.desk.call.id
        await pilot.press("4", "enter", "a", "enter", "b")
        client = app.store.api._client  # the Store wraps the CentralApi
        working, client._transport = client._transport, _Unplugged()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.connection_state == "offline"  # the Store failed over at once
        assert app.desk.call is None, "the wrap-up is queued: the desk is ready for the next call"
        assert app.store.outbox_size() == 1

        client._transport = working  # back online: the Store replays the queued wrap-up
        app.store.wake()
        for _ in range(200):
            if app.connection_state == "online" and not app.store.outbox_size():
                break
            await pilot.pause(0.05)
        saved = next(c for c in await app.desk.api.calls(mine=True) if c.id == call_id)
        assert saved.notes == "a\nb" and saved.wrapped_at is not None


# -- the follow-up becomes a callback ---------------------------------------------------------


async def test_a_follow_up_is_a_callback_to_the_callers_phone_kept_for_this_agent(
    make_app, ready
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await open_janez(app)
        screen = await start_call_and_wrap_up(pilot)
        await pilot.press("4", "tab", *"Notes", "tab", "space")  # "Call back"
        await pilot.press(*"5. 3. 2030 10:00", "enter", *"Results")
        # The number to call back is the caller's first phone, until another is typed.
        assert screen.follow_up_number.value == "041 234 567"
        assert not screen.follow_up_pool.value
        call_id = app.desk.call.id
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.desk.call is None

        me = await app.desk.api.me()
        [callback] = (await app.desk.api.callbacks(number="+38641234567")).callbacks
        assert (callback.source, callback.status) == ("agent_follow_up", "open")
        assert callback.assigned_to == me.id and callback.origin_call_id == call_id
        assert callback.due_at == datetime(2030, 3, 5, 10, 0, tzinfo=TZ)
        assert callback.note == "Results"


async def test_a_follow_up_to_another_number_for_anyone_and_a_bad_number_refused(
    make_app, ready
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await start_call_and_wrap_up(pilot)  # nobody opened: no number to prefill
        await pilot.press("4", "tab", "tab", "space", *"5. 3. 2030 10:00")
        assert screen.follow_up_number.value == ""
        screen.follow_up_number.focus()
        await pilot.press(*"12")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and app.desk.call is not None  # not saved
        assert screen.follow_up_number.has_class("-invalid")
        assert "The number to call back" in text_of(screen, "#wrapup-message")

        screen.follow_up_number.value = "040 111 222"
        screen.follow_up_pool.value = True  # anyone may call back
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.desk.call is None
        [callback] = (await app.desk.api.callbacks(number="+38640111222")).callbacks
        assert callback.source == "agent_follow_up" and callback.assigned_to is None


# -- issue 12 item 5: the pre-fill says everything the call did -------------------------------


async def test_the_pre_fill_says_every_action_and_follows_the_disposition(make_app, ready) -> None:
    """A reschedule and then a cancel in one call: the pre-fill mentions both and chooses
    "cancelled", not "rescheduled"; changing the disposition rewrites the generated part of
    the notes and keeps what the agent typed."""
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        desk = app.desk
        booked = await book_for_janez(app)  # picking Janez started the call
        service = next(s for s in desk.services if s.code == "ue-id-card")
        start = datetime.combine(desk.today(), time(0, 0), TZ)
        slots = await desk.find_slots(service.id, start=start, end=start + timedelta(days=14))
        other = next(s for s in slots if s.starts_at != booked.slot.starts_at)
        desk.start_reschedule(booked)
        await desk.hold_slot(other.id)
        moved = await desk.confirm()
        assert moved.replaces == booked.reference
        await desk.cancel(moved, "changed plans")

        screen = await start_call_and_wrap_up(pilot)
        assert screen.dispositions.chosen.code == "cancelled"
        lines = screen.notes.text.split("\n")
        assert lines[0] == f"Appointment cancelled: {moved.reference_display}."
        assert lines[1].startswith(f"Booked {booked.reference_display}: ")
        assert lines[2].startswith(
            f"Rescheduled to {moved.reference_display} (was {booked.reference_display}): "
        )  # both references grouped for reading aloud
        assert lines[3].startswith(f"Cancelled {moved.reference_display}: ")
        # The summary says what became of the call's bookings: the first one was moved, so it
        # is no booking any more; the one it was moved to was cancelled.
        summary = text_of(screen, "#wrapup-summary")
        assert f"Cancelled: {moved.reference_display}" in summary
        assert booked.reference_display not in summary

        screen.notes.focus()
        screen.notes.move_cursor(screen.notes.document.end)  # below the generated lines
        await pilot.press(*"Caller moved abroad.")
        assert screen.notes.text.endswith("\nCaller moved abroad.")
        screen.dispositions.focus()
        await pilot.press("4")  # "Information only": the generated part follows it
        await settle(pilot)
        assert screen.dispositions.chosen.code == "information"
        lines = screen.notes.text.split("\n")
        assert lines[0] == "Information only."
        assert "Appointment cancelled" not in screen.notes.text
        assert lines[-1] == "Caller moved abroad."  # typed text kept, once
        assert screen.notes.text.count("Caller moved abroad.") == 1
        assert screen.notes.text.count(f"Cancelled {moved.reference_display}") == 1
        await pilot.press("3")  # back to "cancelled"
        await settle(pilot)
        assert screen.notes.text.split("\n")[0] == (
            f"Appointment cancelled: {moved.reference_display}."
        )

        # Leaving and coming back writes nothing twice, and keeps the agent's choice.
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert screen.notes.text.count(f"Booked {booked.reference_display}") == 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.desk.call is None
        saved = (await app.desk.api.calls(mine=True))[0]
    assert saved.disposition == "cancelled"
    assert f"Cancelled {moved.reference_display}" in saved.notes
    assert "Caller moved abroad." in saved.notes


@pytest.mark.parametrize("language", ["sl", "en"])
async def test_at_80x24_every_call_back_field_is_above_the_footer(
    make_app, ready, language: str
) -> None:
    """Issue 12: at 80x24 the call back's fields fell below the footer."""
    from widgets.footer import KeysFooter

    app = make_app(language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await open_janez(app)
        screen = await start_call_and_wrap_up(pilot)
        await pilot.press("7")  # call back later: the fields appear
        await settle(pilot)
        footer_top = screen.query_one(KeysFooter).region.y
        fields = [
            screen.follow_up,
            screen.follow_up_at.input,
            screen.follow_up_note,
            screen.follow_up_number,
            screen.follow_up_pool,
        ]
        for field in fields:
            region = field.region
            assert region.height >= 1 and region.bottom <= footer_top, field
            assert region.right <= 80, field
        # Every field is reached from the keyboard, and what is typed lands in it.
        screen.follow_up_number.focus()
        screen.follow_up_number.value = ""
        await pilot.press(*"040 111 222")
        assert screen.follow_up_number.value == "040 111 222"
