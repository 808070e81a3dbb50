"""The console's dates follow the desk's clock across midnight, without a restart.

The real console on the seeded demo world (``conftest.py``), with its clock injected
(``console.clock.Clock``): a time that stands still just before midnight until the test lets it
run. The app's one timer at the next local midnight then shows the new day on the screens that
are open, and a screen shown again later shows it too; what the agent typed stays. Across the
last Sundays of March and October as well: a slot at 02:30 on the spring change does not exist,
and the two 02:30s of the autumn one are both listed, each with its zone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import callback_world
import pytest
from sqlalchemy import insert, select
from test_bookings_screen import book_for, other_agent
from textual.geometry import Region
from textual.widgets import Input, Static

from console.clock import Clock
from console.domain.calendar import TZ
from console.screens.bookings import BookingsScreen
from console.screens.callbacks import CallbacksScreen
from console.screens.lookup import LookupScreen
from console.screens.slots import SlotsScreen
from console.screens.wrapup import WrapUpScreen
from console.server.db import Database
from console.server.schema import provider_services, providers, services, slots
from widgets.caller_card import CallerCardView
from widgets.slot_table import SlotTable

SIZE = (120, 36)


class HeldTime:
    """The desk's time for a test: it stands at ``start`` (Ljubljana) until :meth:`run`, then
    runs at the real pace from there."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.since: float | None = None

    def __call__(self) -> datetime:
        if self.since is None:
            return self.start
        return self.start + timedelta(seconds=time.monotonic() - self.since)

    def run(self) -> None:
        self.since = time.monotonic()


def just_before_midnight(day: date) -> HeldTime:
    return HeldTime(datetime.combine(day, datetime.min.time(), TZ) - timedelta(seconds=1.5))


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    quiet = 0
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause(0.02)
        quiet = 0 if any(worker.is_running for worker in app.workers) else quiet + 1
        if quiet == 3:
            return
    raise AssertionError("the console did not settle")


async def until(pilot, predicate: Callable[[], bool], what: str, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def field(screen: SlotsScreen, field_id: str) -> str:
    return screen.query_one(f"#{field_id}", Input).value


async def slot_search(pilot, service: str) -> SlotsScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SlotsScreen)
    screen.query_one("#service", Input).focus()
    await pilot.press(*service, "enter")
    await settle(pilot)
    return screen


# -- the slot search --------------------------------------------------------------------------


async def test_a_console_started_before_midnight_searches_from_the_new_day_after_it(
    make_app, ready
) -> None:
    """The issue's check: the slot search open at midnight shows the new day, From and To,
    and searches it again, without a restart."""
    desk_time = just_before_midnight(date(2030, 3, 5))  # Monday 4. 3. 2030, 23:59:58.5
    app = make_app(today=None, clock=Clock(desk_time))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await slot_search(pilot, "ue-id-card")
        assert (field(screen, "from"), field(screen, "to")) == ("4. 3. 2030", "18. 3. 2030")
        searched = screen._last_query
        assert searched is not None and searched.first_day == date(2030, 3, 4)
        assert screen.table.slots[0].starts_at.astimezone(TZ).date() == date(2030, 3, 4)

        desk_time.run()  # ... and midnight comes
        await until(pilot, lambda: field(screen, "from") == "5. 3. 2030", "From to move on")
        assert field(screen, "to") == "19. 3. 2030"
        await settle(pilot)
        assert screen._last_query is not None and screen._last_query.first_day == date(2030, 3, 5)
        first = screen.table.slots[0].starts_at.astimezone(TZ).date()
        assert first == date(2030, 3, 5)  # the search ran again for the new range
        assert app.desk.today() == date(2030, 3, 5)


async def test_the_cached_slot_window_rolls_on_to_the_new_day_at_midnight(make_app, ready) -> None:
    """The desk's copy of the slots (what it searches offline, from today) is fetched again
    for the new day after midnight, not up to an hour later when its refresh would be due."""
    desk_time = just_before_midnight(date(2030, 3, 5))
    app = make_app(today=None, clock=Clock(desk_time), sync_seconds=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await until(pilot, lambda: app.store.sync.refreshes > 0, "the first window")
        before = app.store.sync.refreshes
        desk_time.run()
        await until(pilot, lambda: app._day == date(2030, 3, 5), "the app's day to change")
        await until(pilot, lambda: app.store.sync.refreshes > before, "the window to roll on")


async def test_dates_the_agent_typed_stay_as_typed(make_app, ready) -> None:
    desk_time = just_before_midnight(date(2030, 3, 5))
    app = make_app(today=None, clock=Clock(desk_time))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await slot_search(pilot, "ue-id-card")
        to = screen.query_one("#to", Input)
        to.value = "8. 3. 2030"  # as the agent types it
        await settle(pilot)
        desk_time.run()
        await until(pilot, lambda: field(screen, "from") == "5. 3. 2030", "From to move on")
        await settle(pilot)
        assert field(screen, "to") == "8. 3. 2030"
        assert screen._last_query is not None
        assert (screen._last_query.first_day, screen._last_query.last_day) == (
            date(2030, 3, 5),
            date(2030, 3, 8),
        )


async def test_a_screen_away_at_midnight_shows_the_new_day_when_it_is_shown_again(
    make_app, ready
) -> None:
    desk_time = just_before_midnight(date(2030, 3, 5))
    app = make_app(today=None, clock=Clock(desk_time))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await slot_search(pilot, "ue-id-card")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        desk_time.run()
        await until(pilot, lambda: app._day == date(2030, 3, 5), "the app's day to change")
        assert field(screen, "from") == "4. 3. 2030"  # not shown: nothing to redraw yet
        await pilot.press("f3")
        await settle(pilot)
        assert app.screen is screen
        assert (field(screen, "from"), field(screen, "to")) == ("5. 3. 2030", "19. 3. 2030")


async def test_a_pretended_date_moves_on_at_midnight_too(make_app, ready) -> None:
    """``[ui] today`` (a demo's date) goes through the same clock: it changes at midnight."""
    desk_time = just_before_midnight(date(2026, 12, 4))
    app = make_app(today=None, clock=Clock(desk_time, today=date(2030, 3, 4)))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await slot_search(pilot, "ue-id-card")
        assert field(screen, "from") == "4. 3. 2030"
        desk_time.run()
        await until(pilot, lambda: field(screen, "from") == "5. 3. 2030", "From to move on")


@pytest.mark.parametrize(
    ("sunday", "hours"),
    [(date(2030, 3, 31), 23), (date(2030, 10, 27), 25)],
    ids=["spring-forward", "fall-back"],
)
async def test_midnight_before_a_summer_time_change(
    make_app, ready, sunday: date, hours: int
) -> None:
    """Into the last Sunday of March and of October: the day changes at midnight, and the
    timer for the next one waits the day's 23 or 25 hours."""
    desk_time = just_before_midnight(sunday)
    clock = Clock(desk_time)
    app = make_app(today=None, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await slot_search(pilot, "ue-id-card")
        saturday = sunday - timedelta(days=1)
        assert field(screen, "from") == f"{saturday.day}. {saturday.month}. {saturday.year}"
        desk_time.run()
        shown = f"{sunday.day}. {sunday.month}. {sunday.year}"
        await until(pilot, lambda: field(screen, "from") == shown, "From to move on")
        left = clock.seconds_to_midnight()
        assert hours * 3600 - 60 < left <= hours * 3600


def add_slots(data_dir: Path, code: str, moments: list[datetime]) -> None:
    """Free slots of service ``code`` at these moments, with one of its providers."""
    database = Database.open(data_dir / "central.db")
    try:
        with database.write() as connection:
            service_id = connection.execute(
                select(services.c.id).where(services.c.code == code)
            ).scalar_one()
            provider = connection.execute(
                select(providers.c.id, providers.c.location_id)
                .join(provider_services, provider_services.c.provider_id == providers.c.id)
                .where(provider_services.c.service_id == service_id)
                .limit(1)
            ).one()
            for moment in moments:
                start = moment.astimezone(UTC).replace(tzinfo=None)
                connection.execute(
                    insert(slots).values(
                        provider_id=provider.id,
                        location_id=provider.location_id,
                        service_id=service_id,
                        starts_at=start,
                        ends_at=start + timedelta(minutes=15),
                        status="free",
                    )
                )
    finally:
        database.dispose()


def times_listed(table: SlotTable) -> list[str]:
    return [str(table.get_row_at(row)[1]) for row in range(table.row_count)]


async def test_slots_on_the_summer_time_changes_are_shown_at_their_real_times(
    make_app, ready, data_dir: Path
) -> None:
    """Spring: the hour from 02:00 does not exist, a slot at 01:30 UTC is at 03:30. Autumn:
    02:30 happens twice, both slots are listed, in order, each with its zone."""
    add_slots(
        data_dir,
        "ue-passport",
        [
            datetime(2030, 3, 31, 0, 30, tzinfo=UTC),  # 01:30 CET
            datetime(2030, 3, 31, 1, 30, tzinfo=UTC),  # 03:30 CEST (02:30 never comes)
            datetime(2030, 10, 27, 0, 30, tzinfo=UTC),  # 02:30 CEST
            datetime(2030, 10, 27, 1, 30, tzinfo=UTC),  # 02:30 CET, an hour later
            datetime(2030, 10, 27, 2, 30, tzinfo=UTC),  # 03:30 CET
        ],
    )
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await slot_search(pilot, "ue-passport")
        for sunday, expected in (
            ("31. 3. 2030", ["01:30", "03:30"]),
            ("27. 10. 2030", ["02:30 CEST", "02:30 CET", "03:30"]),
        ):
            screen.query_one("#from", Input).value = sunday
            screen.query_one("#to", Input).value = sunday
            await settle(pilot)
            assert times_listed(screen.table) == expected


# -- the other screens' "today" ---------------------------------------------------------------


async def test_the_call_back_the_wrap_up_suggests_follows_the_day(make_app, ready) -> None:
    """The wrap-up's example call back is the next working day at 10:00, by the desk's clock:
    on Friday evening it is Monday; after midnight too (a weekend day is no working day)."""
    desk_time = just_before_midnight(date(2030, 3, 5))  # Monday night
    app = make_app(today=None, clock=Clock(desk_time))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, WrapUpScreen)
        follow_up = screen.follow_up_at
        assert follow_up.input.placeholder == "5. 3. 2030 10:00"
        desk_time.run()
        await until(
            pilot, lambda: follow_up.input.placeholder == "6. 3. 2030 10:00", "the example to move"
        )

    desk_time = just_before_midnight(date(2030, 3, 9))  # Friday night
    app = make_app(today=None, clock=Clock(desk_time))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f9")
        await settle(pilot)
        follow_up = app.screen.follow_up_at
        assert follow_up.input.placeholder == "11. 3. 2030 10:00"
        desk_time.run()
        await until(pilot, lambda: app._day == date(2030, 3, 9), "Saturday")
        assert follow_up.input.placeholder == "11. 3. 2030 10:00"


async def test_a_follow_up_typed_for_today_is_checked_against_the_new_day(make_app, ready) -> None:
    desk_time = just_before_midnight(date(2030, 3, 5))
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f9")
        await settle(pilot)
        follow_up = app.screen.follow_up_at
        follow_up.text = "4. 3. 2030"  # today, the time still to come
        await settle(pilot)
        assert follow_up.error is None
        desk_time.run()
        await until(pilot, lambda: follow_up.error is not None, "the day to have passed")
        assert follow_up.text == "4. 3. 2030"  # as typed
        assert "passed" in follow_up.error


class SleptTime(HeldTime):
    """The desk's time jumps on, as when the machine slept through the night: the monotonic
    clock the midnight timer counts on stood still meanwhile, so the timer is hours away."""

    def sleep_until(self, moment: datetime) -> None:
        self.start, self.since = moment, time.monotonic()


async def test_a_desk_woken_from_a_night_asleep_shows_the_new_day_at_the_first_key(
    make_app, ready
) -> None:
    desk_time = SleptTime(datetime(2030, 3, 4, 17, 0, tzinfo=TZ))  # Monday 4. 3., 17:00
    app = make_app(today=None, clock=Clock(desk_time))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await slot_search(pilot, "ue-id-card")
        assert field(screen, "from") == "4. 3. 2030"
        desk_time.sleep_until(datetime(2030, 3, 5, 7, 30, tzinfo=TZ))  # woken next morning
        await pilot.pause(0.3)
        assert field(screen, "from") == "4. 3. 2030"  # the timer is 7 hours away still
        await pilot.press("down")  # the agent's first key
        await until(pilot, lambda: field(screen, "from") == "5. 3. 2030", "From to move on")
        assert field(screen, "to") == "19. 3. 2030"
        assert app._day == date(2030, 3, 5)


# -- the caller's card, the bookings and the callbacks ----------------------------------------


def card_text(app) -> str:  # type: ignore[no-untyped-def]
    """What the caller card on the screen shows, as plain text."""
    card = app.screen.query_one(CallerCardView)
    return "\n".join(
        strip.text
        for widget in card.query(Static)
        for strip in widget.render_lines(Region(0, 0, *widget.size))
    )


async def open_janez_card(pilot) -> LookupScreen:  # type: ignore[no-untyped-def]
    """Janez Kovač (born 1. 1. 1990) found by his EMŠO and opened: the call starts with him."""
    screen = pilot.app.screen
    assert isinstance(screen, LookupScreen)
    screen.search_box.focus()
    screen.search_box.value = "0101990500003"
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert pilot.app.desk.caller is not None and pilot.app.desk.caller.first_name == "Janez"
    return screen


NEW_YEAR = date(2030, 1, 1)  # Janez's 40th birthday: the desk stands on New Year's Eve


async def test_the_card_open_at_midnight_counts_the_callers_age_from_the_new_day(
    make_app, ready
) -> None:
    desk_time = just_before_midnight(NEW_YEAR)
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_janez_card(pilot)
        assert "1. 1. 1990 (age 39)" in card_text(app)
        desk_time.run()
        await until(pilot, lambda: "1. 1. 1990 (age 40)" in card_text(app), "the birthday")
        assert app.desk.caller is not None and app.desk.caller.first_name == "Janez"


async def test_the_card_away_at_midnight_counts_the_age_from_the_new_day_when_shown_again(
    make_app, ready
) -> None:
    desk_time = just_before_midnight(NEW_YEAR)
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_janez_card(pilot)
        assert "1. 1. 1990 (age 39)" in card_text(app)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, BookingsScreen)
        desk_time.run()
        await until(pilot, lambda: app._day == NEW_YEAR, "the app's day to change")
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is screen
        assert "1. 1. 1990 (age 40)" in card_text(app)


def listed_references(screen: BookingsScreen) -> list[str]:
    return [booking.reference for booking in screen.table.bookings]


async def test_the_bookings_open_at_midnight_are_read_again(make_app, ready) -> None:
    """Nothing in the bookings list is said relative to today (each row has its date), but
    which bookings are upcoming is: the list open at midnight is read again. A booking another
    desk made meanwhile (the list does not follow the change feed) shows then."""
    desk_time = just_before_midnight(date(2030, 3, 5))
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_janez_card(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BookingsScreen)
        assert listed_references(screen) == []
        async with other_agent(app) as api:
            made = await book_for(app, api, app.desk.caller.id, "ue-id-card")
        await settle(pilot)
        assert listed_references(screen) == []  # not read again before midnight
        desk_time.run()
        await until(
            pilot, lambda: listed_references(screen) == [made.reference], "the list read again"
        )


async def test_the_bookings_away_at_midnight_are_read_again_when_shown(make_app, ready) -> None:
    desk_time = just_before_midnight(date(2030, 3, 5))
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_janez_card(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BookingsScreen)
        await pilot.press("f2")
        await settle(pilot)
        async with other_agent(app) as api:
            made = await book_for(app, api, app.desk.caller.id, "ue-id-card")
        desk_time.run()
        await until(pilot, lambda: app._day == date(2030, 3, 5), "the app's day to change")
        await pilot.press("f4")
        await settle(pilot)
        assert app.screen is screen
        assert listed_references(screen) == [made.reference]


def callbacks_follow(monkeypatch: pytest.MonkeyPatch, desk_time: HeldTime) -> None:
    """The service's clock, and the time the desk stamps its queued callback writes with, run
    with the desk's (injected: ``Clock(desk_time)``), as ``callback_world.freeze`` sets them,
    but running."""

    from console.client.writes import callbacks as callback_writes
    from console.server import clock as service_clock

    monkeypatch.setattr(
        service_clock, "now", lambda: desk_time().astimezone(UTC).replace(tzinfo=None)
    )
    monkeypatch.setattr(callback_writes, "utcnow", desk_time)


def missed_calls(data_dir: Path) -> None:
    """Numbers that did not get through in the last hour, by the service's clock (late on
    Tuesday 5. 3. 2030, the callback hours closed: each may be called from Wednesday 08:00)."""
    database = callback_world.open_central(data_dir)
    try:
        callback_world.fill_queue(database)
    finally:
        database.dispose()


def callable_column(screen: CallbacksScreen) -> list[str]:
    table = screen.queue
    return [str(table.get_row_at(row)[3]) for row in range(table.row_count)]


async def open_callbacks(pilot) -> CallbacksScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f5")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CallbacksScreen)
    await until(pilot, lambda: screen.page is not None, "the queue")
    await settle(pilot)
    return screen


async def test_the_callbacks_open_at_midnight_say_today_of_the_new_day(
    make_app, ready, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before midnight a callback callable on Wednesday at 08:00 says its day; after it, on
    Wednesday, the time alone (today's), at midnight: not at the screen's next redraw."""
    desk_time = just_before_midnight(date(2030, 3, 6))  # Tuesday 5. 3. 2030, 23:59:58.5
    callbacks_follow(monkeypatch, desk_time)
    missed_calls(data_dir)
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_callbacks(pilot)
        shown = callable_column(screen)
        assert shown and set(shown) == {"6. 3. 2030 08:00"}
        desk_time.run()
        await until(pilot, lambda: set(callable_column(screen)) == {"08:00"}, "today's time")
        assert len(callable_column(screen)) == len(shown)


async def test_the_callbacks_away_at_midnight_say_today_of_the_new_day_when_shown_again(
    make_app, ready, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk_time = just_before_midnight(date(2030, 3, 6))
    callbacks_follow(monkeypatch, desk_time)
    missed_calls(data_dir)
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_callbacks(pilot)
        assert set(callable_column(screen)) == {"6. 3. 2030 08:00"}
        await pilot.press("f2")
        await settle(pilot)
        desk_time.run()
        await until(pilot, lambda: app._day == date(2030, 3, 6), "the app's day to change")
        await pilot.press("f5")
        await settle(pilot)
        assert app.screen is screen
        assert set(callable_column(screen)) == {"08:00"}


# -- the callback hours open at 08:00 and close at 16:00 (Mon-Fri, the default) -------------------


def callbacks_title(screen: CallbacksScreen) -> str:
    return str(screen.query_one("#callbacks-title", Static).render())


def standing_before(hour: int) -> HeldTime:
    """Wednesday 6. 3. 2030 in Ljubljana, 1.5 s before ``hour``:00."""
    return HeldTime(datetime(2030, 3, 6, hour, 0, tzinfo=TZ) - timedelta(seconds=1.5))


async def test_the_callback_hours_say_open_at_eight_without_a_reload(
    make_app, ready, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Missed calls early on Wednesday wait for the opening: at 08:00 the screen says the
    hours are open and the callbacks callable now, by itself (not at the next 30 s redraw)."""
    desk_time = standing_before(8)
    callbacks_follow(monkeypatch, desk_time)
    missed_calls(data_dir)  # before 07:59: the hours are not open yet
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_callbacks(pilot)
        assert "closed; they open 6. 3. 2030 at 08:00" in callbacks_title(screen)
        shown = callable_column(screen)
        assert shown and set(shown) == {"08:00"}
        desk_time.run()
        await until(pilot, lambda: "open now" in callbacks_title(screen), "the hours open")
        await until(pilot, lambda: set(callable_column(screen)) == {"now"}, "callable now")
        assert "closed" not in callbacks_title(screen)
        assert len(callable_column(screen)) == len(shown)


async def test_the_callback_hours_say_closed_at_four_without_a_reload(
    make_app, ready, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 16:00 the screen says the hours are closed until Thursday 08:00, and each callback
    callable then."""
    desk_time = standing_before(16)
    callbacks_follow(monkeypatch, desk_time)
    missed_calls(data_dir)  # before 15:59: inside the hours
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_callbacks(pilot)
        assert "open now" in callbacks_title(screen)
        shown = callable_column(screen)
        assert shown and set(shown) == {"now"}
        desk_time.run()
        await until(
            pilot,
            lambda: "closed; they open 7. 3. 2030 at 08:00" in callbacks_title(screen),
            "the hours close",
        )
        await until(
            pilot, lambda: set(callable_column(screen)) == {"7. 3. 2030 08:00"}, "callable tomorrow"
        )
        assert "open now" not in callbacks_title(screen)
        assert len(callable_column(screen)) == len(shown)


async def test_the_callback_hours_away_at_four_say_closed_when_shown_again(
    make_app, ready, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk_time = standing_before(16)
    callbacks_follow(monkeypatch, desk_time)
    missed_calls(data_dir)
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_callbacks(pilot)
        assert "open now" in callbacks_title(screen)
        await pilot.press("f2")
        await settle(pilot)
        desk_time.run()
        await until(pilot, lambda: desk_time() > datetime(2030, 3, 6, 16, 0, tzinfo=TZ), "16:00")
        await pilot.press("f5")
        await settle(pilot)
        assert app.screen is screen
        assert "closed; they open 7. 3. 2030 at 08:00" in callbacks_title(screen)
        assert set(callable_column(screen)) == {"7. 3. 2030 08:00"}
