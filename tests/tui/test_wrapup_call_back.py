"""The wrap-up's call back as a new agent meets it (a trial at 120x36 in English and 80x24 in
Slovenian): the suggested time is a real value (kept, it saves; typed over, it goes); a call
back that a disposition ticked goes with it; a refusal says which key goes back to the list;
the summary says what became of each booking of the call."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from harness import settle
from test_days import just_before_midnight, until
from textual.pilot import Pilot
from textual.widgets import Static

from console.clock import Clock
from console.domain.calendar import TZ
from console.domain.models import Booking
from console.screens.wrapup import WrapUpScreen
from widgets.disposition_list import DispositionList
from widgets.footer import KeysFooter

SIZE = (120, 36)
JANEZ_PHONE = "+38641234567"  # Janez Kovač's first phone: the call back's number


async def wrap_up_janez(pilot: Pilot) -> WrapUpScreen:
    """Janez Kovač picked (that starts the call), then F9."""
    app = pilot.app
    await pilot.press("f2")
    await settle(pilot)
    if app.desk.call is None:
        found = await app.desk.search("0101990500003")
        await app.desk.open_caller(found.callers[0].id)
    await pilot.press("f9")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, WrapUpScreen)
    return screen


def message(screen: WrapUpScreen) -> str:
    return str(screen.query_one("#wrapup-message", Static).render())


async def callbacks_to_janez(app) -> list:  # type: ignore[no-untyped-def]
    return list((await app.desk.api.callbacks(number=JANEZ_PHONE)).callbacks)


# -- 1. the suggested call back is a value ----------------------------------------------------


@pytest.mark.parametrize(("language", "size"), [("en", (120, 36)), ("sl", (80, 24))])
async def test_call_back_later_suggests_a_time_that_saves_as_it_is(
    make_app, ready, language: str, size: tuple[int, int]
) -> None:
    app = make_app(language=language)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        screen = await wrap_up_janez(pilot)
        await pilot.press("7")  # Call back later
        await settle(pilot)
        assert screen.follow_up.value
        # The next working day at 10:00 is in the field, not only its grey example.
        assert screen.follow_up_at.text == "5. 3. 2030 10:00"  # the tests' day is 4. 3. 2030
        assert screen.follow_up_at.error is None
        assert isinstance(screen.focused, DispositionList)  # the digits still choose
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.desk.call is None, message(screen)  # saved at once
        [callback] = await callbacks_to_janez(app)
        assert callback.due_at == datetime(2030, 3, 5, 10, 0, tzinfo=TZ)


async def test_typing_in_when_replaces_the_suggestion(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await wrap_up_janez(pilot)
        await pilot.press("7", "tab", "tab", "tab")  # the notes, "Call back", When
        await settle(pilot)
        assert screen.focused is screen.follow_up_at.input
        await pilot.press(*"6. 3. 2030 14:30")
        assert screen.follow_up_at.text == "6. 3. 2030 14:30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.desk.call is None, message(screen)
        [callback] = await callbacks_to_janez(app)
        assert callback.due_at == datetime(2030, 3, 6, 14, 30, tzinfo=TZ)


async def test_a_call_back_ticked_by_hand_suggests_the_time_too(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await wrap_up_janez(pilot)
        await pilot.press("4", "tab", "tab", "space")  # Information only; "Call back" by hand
        await settle(pilot)
        assert screen.focused is screen.follow_up_at.input  # the time: kept or typed over
        assert screen.follow_up_at.text == "5. 3. 2030 10:00"
        await pilot.press(*"9. 3. 2030 9:00")
        assert screen.follow_up_at.text == "9. 3. 2030 9:00"


async def test_the_untouched_suggestion_follows_the_day_a_typed_time_stays(make_app, ready) -> None:
    desk_time = just_before_midnight(date(2030, 3, 5))  # Monday night
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await wrap_up_janez(pilot)
        await pilot.press("7")
        await settle(pilot)
        follow_up = screen.follow_up_at
        assert follow_up.text == "5. 3. 2030 10:00"
        desk_time.run()
        await until(pilot, lambda: follow_up.text == "6. 3. 2030 10:00", "the suggestion to move")
        assert follow_up.error is None
        assert follow_up.input.placeholder == "6. 3. 2030 10:00"

    desk_time = just_before_midnight(date(2030, 3, 5))
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await wrap_up_janez(pilot)
        await pilot.press("7", "tab", "tab", "tab", *"5. 3. 2030 10:00")  # typed: the same text
        follow_up = screen.follow_up_at
        await pilot.press("backspace", "5")
        assert follow_up.text == "5. 3. 2030 10:05"
        desk_time.run()
        await until(pilot, lambda: app._day == date(2030, 3, 5), "the new day")
        await settle(pilot)
        assert follow_up.text == "5. 3. 2030 10:05"  # as typed


# -- 2. a call back the disposition ticked goes with it ---------------------------------------


@pytest.mark.parametrize(("language", "size"), [("en", (120, 36)), ("sl", (80, 24))])
async def test_choosing_another_disposition_unticks_the_call_back_it_ticked(
    make_app, ready, language: str, size: tuple[int, int]
) -> None:
    app = make_app(language=language)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        screen = await wrap_up_janez(pilot)
        await pilot.press("7")
        await settle(pilot)
        assert screen.follow_up.value
        await pilot.press("1")  # Appointment booked
        await settle(pilot)
        assert not screen.follow_up.value
        assert not screen.query_one("#wrapup-follow-up-fields").display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.desk.call is None, message(screen)
        assert await callbacks_to_janez(app) == []
        saved = (await app.desk.api.calls(mine=True))[0]
        assert saved.disposition == "booked"


async def test_a_call_back_ticked_by_hand_stays_whatever_the_disposition(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await wrap_up_janez(pilot)
        await pilot.press("tab", "tab", "space")  # "Call back" by hand
        await settle(pilot)
        screen.dispositions.focus()
        await pilot.press("7", "1")
        await settle(pilot)
        assert screen.follow_up.value and screen.follow_up_at.text == "5. 3. 2030 10:00"

        # Ticked by the disposition, then unticked and ticked again by hand: the agent's.
        screen.follow_up.focus()
        await pilot.press("space")
        await settle(pilot)
        assert not screen.follow_up.value
        screen.dispositions.focus()
        await pilot.press("7")
        await settle(pilot)
        screen.follow_up.focus()
        await pilot.press("space", "space")
        await settle(pilot)
        screen.dispositions.focus()
        await pilot.press("1")
        await settle(pilot)
        assert screen.follow_up.value


async def test_a_call_back_the_agent_wrote_in_stays_with_another_disposition(
    make_app, ready
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await wrap_up_janez(pilot)
        await pilot.press("7")
        await settle(pilot)
        screen.follow_up_note.focus()
        await pilot.press(*"Lab results")
        screen.dispositions.focus()
        await pilot.press("1")
        await settle(pilot)
        assert screen.follow_up.value  # what was typed for the call back is not hidden
        assert screen.follow_up_note.value == "Lab results"


# -- 3. a refusal and the digits ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "size", "said"),
    [
        ("en", (120, 36), "escape: back to the dispositions"),
        ("sl", (80, 24), "escape: nazaj na izide klica"),
    ],
)
async def test_a_refused_time_takes_the_focus_and_names_the_key_back_to_the_list(
    make_app, ready, language: str, size: tuple[int, int], said: str
) -> None:
    app = make_app(language=language)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        screen = await wrap_up_janez(pilot)
        await pilot.press("7", "tab", "tab", "tab", *"8. 3.")  # the time not finished
        screen.dispositions.focus()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.desk.call is not None  # not saved
        # The agent must type there: the focus goes to When, and the message says the way back.
        assert screen.focused is screen.follow_up_at.input
        assert said in " ".join(message(screen).split())
        shown = screen.query_one("#wrapup-message", Static).region
        footer_top = screen.query_one(KeysFooter).region.y
        assert shown.height >= 1 and shown.bottom <= footer_top and shown.right <= size[0]
        footer = {b.binding.key for b in screen.active_bindings.values() if b.enabled}
        assert "escape" in footer  # shown in the footer too
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(screen.focused, DispositionList)
        footer = {
            b.binding.key
            for b in screen.active_bindings.values()
            if b.enabled and b.binding.id == "wrapup.dispositions"
        }
        assert footer == set()  # in the list, no key to go back to it
        await pilot.press("4")  # the digits choose again
        await settle(pilot)
        assert screen.dispositions.chosen.code == "information"
        assert screen.follow_up_at.text == "8. 3."


async def test_a_refusal_for_the_disposition_keeps_the_focus_in_the_list(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await wrap_up_janez(pilot)
        screen.follow_up.value = True
        await settle(pilot)
        screen.follow_up_at.text = "31. 2. 2030 10:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(screen.focused, DispositionList)
        assert "escape" not in message(screen)
        await pilot.press("4")
        await settle(pilot)
        assert screen.follow_up_at.text == "31. 2. 2030 10:00"  # no digit typed into it


# -- 4. the summary: what became of each booking ----------------------------------------------


async def free_slots(app, count: int) -> list:  # type: ignore[no-untyped-def]
    """``count`` free slots, each at another time (one caller is not booked twice at once)."""
    desk = app.desk
    service = next(s for s in desk.services if s.code == "ue-id-card")
    start = datetime.combine(desk.today(), time(0, 0), TZ)
    found = await desk.find_slots(service.id, start=start, end=start + timedelta(days=14))
    by_time = {slot.starts_at: slot for slot in reversed(found)}
    return sorted(by_time.values(), key=lambda slot: slot.starts_at)[:count]


async def four_things(app) -> dict[str, Booking]:
    """A booking made before the call; in the call two bookings, one of them cancelled, and
    the earlier booking moved."""
    desk = app.desk
    found = await desk.search("0101990500003")
    slots = await free_slots(app, 4)
    earlier = await desk.api.book(found.callers[0].id, slot_id=slots[0].id)
    await desk.open_caller(found.callers[0].id)  # the call starts
    await desk.hold_slot(slots[1].id)
    first = await desk.confirm()
    await desk.hold_slot(slots[2].id)
    second = await desk.confirm()
    await desk.cancel(first, "changed plans")
    desk.start_reschedule(earlier)
    await desk.hold_slot(slots[3].id)
    moved = await desk.confirm()
    return {"earlier": earlier, "first": first, "second": second, "moved": moved}


@pytest.mark.parametrize(
    ("language", "size", "booked", "moved", "cancelled"),
    [
        ("en", (120, 36), "Booked: {}", "Moved to: {}", "Cancelled: {}"),
        ("sl", (80, 24), "Rezervirano: {}", "Prestavljeno na: {}", "Odpovedano: {}"),
        ("en", (80, 24), "Booked: {}", "Moved to: {}", "Cancelled: {}"),
    ],
)
async def test_the_summary_says_what_became_of_each_booking(
    make_app, ready, language: str, size: tuple[int, int], booked: str, moved: str, cancelled: str
) -> None:
    app = make_app(language=language)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await settle(pilot)
        done = await four_things(app)
        screen = await wrap_up_janez(pilot)
        summary = screen.query_one("#wrapup-summary", Static)
        lines = [strip.text.rstrip() for strip in summary.render_lines(summary.region.reset_offset)]
        text = "\n".join(lines)
        for part in (
            booked.format(done["second"].reference_display),
            moved.format(done["moved"].reference_display),
            cancelled.format(done["first"].reference_display),
        ):
            assert any(part in line for line in lines), (part, lines)  # never split
        # The replaced reference is no booking any more: not listed.
        assert done["earlier"].reference_display not in text
        assert "Booking:" not in text and "Rezervacija:" not in text
        assert all(len(line) <= size[0] - 2 for line in lines), lines
