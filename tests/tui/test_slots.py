"""Slot search, holding and booking (F3), through the real console on the seeded demo data."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from harness import settle
from sqlalchemy import update
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select
from textual.widgets.data_table import ColumnKey

from console.client.api import CentralApi
from console.domain.calendar import format_date
from console.domain.models import BookingStatus, Role
from console.screens.booking_dialogs import BookedDialog, HoldDialog
from console.screens.slot_query import DateError, match_services, parse_day
from console.screens.slots import SlotsScreen
from console.server.agents import create_agent
from console.server.db import Database
from console.server.schema import holds
from widgets.hold_countdown import HoldCountdown
from widgets.reference_code import ReferenceCode
from widgets.slot_overview import SlotOverview
from widgets.slot_table import SlotTable, column_widths, short_place

TODAY = date(2030, 3, 4)
SIZE = (120, 36)


@pytest.fixture
def make_app(make_app):  # type: ignore[no-untyped-def]
    """The tests poll the change feed themselves (``poll_feed``), when they mean to: the
    desk's own polls come at most every 300 s."""
    return functools.partial(make_app, sync_seconds=300)


# -- helpers ----------------------------------------------------------------------------------


async def poll_feed(pilot: Pilot) -> None:
    """The desk polls the change feed now; the screens that follow it have what it read."""
    await pilot.app.store.sync_once()  # type: ignore[attr-defined]
    await settle(pilot)


async def open_janez(app) -> int:
    found = await app.desk.search("kova jan")
    janez = next(c for c in found.callers if c.first_name == "Janez")
    await app.desk.open_caller(janez.id)
    return janez.id


async def search(pilot: Pilot, text: str) -> SlotsScreen:
    await pilot.press("f3")
    await pilot.pause()
    await pilot.press(*text)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SlotsScreen)
    return screen


def text_of(widget) -> str:
    """What a widget shows, as plain text."""
    size = widget.size
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, *size)))


def summary(screen: SlotsScreen) -> str:
    return str(screen.query_one("#slot-summary").render())


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


@asynccontextmanager
async def other_agent(app) -> AsyncIterator[CentralApi]:
    """A second agent on the same central database, through the same ASGI app."""
    database = Database.open(Path(app.config.data_dir) / "central.db")
    with database.write() as connection:
        _, token = create_agent(connection, "Other desk", Role.AGENT)
    database.dispose()
    asgi = app.store.api._client._transport.app  # the Store wraps the CentralApi
    api = CentralApi("http://embedded", token, transport=httpx.ASGITransport(app=asgi))
    try:
        yield api
    finally:
        await api.aclose()


def expire_hold(app) -> None:
    """Let the desk's hold run out now, on the server and on the desk."""
    past = datetime.now(UTC) - timedelta(minutes=1)
    database = Database.open(Path(app.config.data_dir) / "central.db")
    with database.write() as connection:
        connection.execute(
            update(holds)
            .where(holds.c.id == app.desk.hold.id)
            .values(
                created_at=(past - timedelta(minutes=3)).replace(tzinfo=None),
                expires_at=past.replace(tzinfo=None),
            )
        )
    database.dispose()
    app.desk.hold = app.desk.hold.model_copy(update={"expires_at": past})


# -- the form, without the app ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["4. 3. 2030", "4.3.2030", "04. 03. 2030", "2030-03-04", "4. 3.", "4.3", " 4. 3. 2030. "],
)
def test_dates_are_read_as_slovenians_write_them(text: str) -> None:
    assert parse_day(text, TODAY) == TODAY


@pytest.mark.parametrize("text", ["", "3/4/2030", "31. 2. 2030", "4. 13. 2030", "jutri"])
def test_unreadable_dates_say_how_to_write_them(text: str) -> None:
    with pytest.raises(DateError):
        parse_day(text, TODAY)


def test_services_match_on_words_codes_and_without_diacritics() -> None:
    from console import i18n
    from console.domain.models import Service

    i18n.set_language("sl")

    def service(code: str, name: str, name_en: str) -> Service:
        return Service(
            id=len(code),
            code=code,
            name=name,
            name_en=name_en,
            category="health",
            duration_minutes=20,
        )

    gp = service("health-gp", "Družinski zdravnik – prvi pregled", "Family doctor – first visit")
    den = service("health-den", "Zobozdravnik za odrasle", "Dentist for adults")
    services = [gp, den]
    assert match_services(services, "druz") == [gp]
    assert match_services(services, "zdrav") == [gp, den]  # a word's start before the middle
    assert match_services(services, "zobo") == [den]
    assert match_services(services, "dru prv") == [gp]
    assert match_services(services, "health-d") == [den]
    assert match_services(services, "family") == [gp]  # the other language still finds it
    assert match_services(services, "xyz") == []


# -- searching --------------------------------------------------------------------------------


async def test_a_service_lists_the_earliest_free_slots_but_holding_needs_a_caller(
    make_app, ready
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await search(pilot, "passp")
        table = screen.query_one(SlotTable)
        assert screen.query_one("#service", Input).value == "Passport"
        slots = table.slots
        assert len(slots) == 200 and table.row_count == 200
        assert [s.starts_at for s in slots] == sorted(s.starts_at for s in slots)
        assert slots[0].starts_at.date() == TODAY
        assert len({s.location_id for s in slots}) > 3
        assert "Passport — the first 200 free slots, from Mon 4. 3. 2030 at" in summary(screen)
        assert app.focused is table

        await pilot.press("enter")  # no caller yet: nothing is held
        await settle(pilot)
        assert app.desk.hold is None and app.screen is screen
        assert "Find the caller first (F2)" in notifications(app)


async def test_type_ahead_completes_in_slovenian_and_a_code_searches_on_enter(
    make_app, ready
) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press(*"druz")
        await pilot.pause()
        field = app.screen.query_one("#service", Input)
        assert field._suggestion == "Družinski zdravnik – prvi pregled"
        matches = app.screen.query_one("#service-matches")
        assert matches.has_class("-visible") and matches.option_count == 1
        await pilot.press("ctrl+a", "ctrl+k", *"ue-id-card")  # a code: listed first ...
        await settle(pilot)
        assert field.value == "ue-id-card" and app.screen.service is None
        assert first_match(app.screen) == "Osebna izkaznica"
        await pilot.press("enter")  # ... and chosen on enter
        await settle(pilot)
        assert field.value == "Osebna izkaznica"
        assert app.screen.service.code == "ue-id-card"
        assert app.screen.query_one(SlotTable).row_count > 0
        assert not matches.has_class("-visible")


def first_match(screen: SlotsScreen) -> str:
    """The first service the list under the service field offers."""
    matches = screen.query_one("#service-matches", OptionList)
    assert matches.has_class("-visible") and matches.option_count
    label = matches.get_option_at_index(0).prompt
    return str(label).rsplit("  ", 1)[0]  # the name, without its dim code


async def type_slowly(pilot, text: str, field: Input, pause: float = 0.12) -> None:  # type: ignore[no-untyped-def]
    """Type key by key at a person's pace, after what the field holds; after every key it
    holds exactly what was typed so far (nothing chosen, replaced or completed under it)."""
    before = field.value
    for count, key in enumerate(text, 1):
        await pilot.press(key)
        await pilot.pause(pause)
        typed = before + text[:count]
        assert field.value == typed, f"after {typed!r} the field says {field.value!r}"


@pytest.mark.parametrize("language", ["sl", "en"])
async def test_a_code_that_begins_another_is_typed_key_by_key(make_app, ready, language) -> None:
    """``health-den`` (the dentist for adults) is the beginning of ``health-den-y`` (for
    children and young people): typed at a person's pace, the longer code is never cut short,
    each exact code is the first match while typing, and enter chooses it."""
    app = make_app(language=language)
    young = {
        "sl": "Zobozdravnik za otroke in mladino – prvi pregled",
        "en": "Dentist for children and young people – first visit",
    }[language]
    adults = {
        "sl": "Zobozdravnik za odrasle – prvi pregled",
        "en": "Dentist for adults – first visit",
    }[language]
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        field = screen.query_one("#service", Input)
        await type_slowly(pilot, "health-den", field)
        assert screen.service is None
        assert first_match(screen) == adults  # exact: first, but not chosen yet
        await type_slowly(pilot, "-y", field)
        assert field.value == "health-den-y" and screen.service is None
        assert first_match(screen) == young
        await pilot.press("enter")
        await settle(pilot)
        assert screen.service.code == "health-den-y"
        assert field.value == young
        assert app.focused is screen.table
        assert screen.table.slots and all(
            slot.service_id == screen.service.id for slot in screen.table.slots
        )


async def test_leaving_the_field_chooses_an_exact_code(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        field = screen.query_one("#service", Input)
        await type_slowly(pilot, "health-den", field)
        await pilot.press("tab")  # into the list of matches: still the service field
        await settle(pilot)
        assert app.focused is screen.query_one("#service-matches") and screen.service is None
        await pilot.press("tab")  # on to the region
        await settle(pilot)
        assert app.focused is screen.query_one("#region")
        assert screen.service.code == "health-den"
        assert field.value == "Dentist for adults – first visit"
        # Something that is not a code or a name waits for enter or the list.
        field.focus()
        await pilot.press("ctrl+a", "ctrl+k")
        await type_slowly(pilot, "dentist for", field)
        screen.query_one("#from", Input).focus()
        await settle(pilot)
        assert screen.service.code == "health-den"
        assert field.value == "dentist for"


async def test_region_location_and_dates_narrow_the_search(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await search(pilot, "family doctor")
        region = screen.query_one("#region", Select)
        region.value = "Podravska"
        await settle(pilot)
        table = screen.query_one(SlotTable)
        assert table.row_count > 0 and {s.region for s in table.slots} == {"Podravska"}
        location = screen.query_one("#location", Select)
        options = [value for _label, value in location._options if value != Select.NULL]
        podravska = {loc.id for loc in app.desk.locations if loc.region == "Podravska"}
        assert set(options) <= podravska and options  # only clinics of that region
        location.value = options[0]
        await settle(pilot)
        assert {s.location_id for s in table.slots} == {options[0]}

        dates = screen.query_one("#from", Input)
        dates.value = "6. 3. 2030"
        await settle(pilot)
        assert min(s.starts_at for s in table.slots).date() == date(2030, 3, 6)
        dates.value = "6. 3."  # still a date: this year
        await settle(pilot)
        dates.value = "6. marec"
        await settle(pilot)
        assert "Write the date as 4. 3. 2030" in summary(screen)
        assert dates.has_class("-invalid")
        assert table.row_count > 0  # the last good results stay

        dates.value = "20. 3. 2030"
        screen.query_one("#to", Input).value = "10. 3. 2030"
        await settle(pilot)
        assert "The range ends before it starts." in summary(screen)

        dates.value = "1. 6. 2030"  # after the seeded slots
        screen.query_one("#to", Input).value = "3. 6. 2030"
        await settle(pilot)
        assert table.row_count == 0
        assert "No free slots in this range — try a wider range or another region." in summary(
            screen
        )


@pytest.mark.parametrize(
    ("language", "first", "said"),
    [
        (
            "en",
            "25. 2. 2030",
            "The range starts in the past (Mon 25. 2. 2030): free slots start today, "
            "Mon 4. 3. 2030.",
        ),
        (
            "sl",
            "1. 1. 2020",
            "Obdobje se začne v preteklosti (sre 1. 1. 2020): prosti termini so od danes, "
            "pon 4. 3. 2030, naprej.",
        ),
    ],
)
async def test_a_past_from_date_is_said_and_keeps_no_stale_results(
    make_app, ready, language: str, first: str, said: str
) -> None:
    """Issue 12 item 12: not "choose at most 120 days", not silently today, and the results
    of the range before do not stay under the message."""
    app = make_app(language=language)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await search(pilot, "passp" if language == "en" else "potni")
        table = screen.query_one(SlotTable)
        assert table.row_count > 0
        field = screen.query_one("#from", Input)
        field.value = first
        await settle(pilot)
        assert summary(screen) == said
        assert field.has_class("-invalid")
        assert table.row_count == 0 and table.slots == []
        field.value = format_date(TODAY)  # today again: the search runs
        await settle(pilot)
        assert not field.has_class("-invalid") and table.row_count > 0


async def test_the_overview_counts_every_free_slot_and_a_cell_filters_the_list(
    make_app, ready
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await search(pilot, "ue-passport")
        await pilot.press("ctrl+o")
        await settle(pilot)
        overview = screen.query_one(SlotOverview)
        assert screen.overview_shown and app.focused is overview
        service = app.desk.service(screen.service.id)
        every = await app.desk.find_slots(
            service.id,
            start=datetime(2030, 3, 4, tzinfo=UTC),
            end=datetime(2030, 3, 19, tzinfo=UTC),
            limit=500,
        )
        assert len(every) == 500  # one page is not enough: the overview reads them all
        assert overview.total > 1000
        assert overview.days[0] == TODAY and all(d.weekday() < 5 for d in overview.days)
        first_location = overview.location_ids()[0]
        expected = sum(
            1 for s in every if s.location_id == first_location and s.starts_at.date() == TODAY
        )
        assert overview.count(first_location, TODAY) == expected > 0

        await pilot.press("enter")  # the cursor starts on the first location, first day
        await settle(pilot)
        table = screen.query_one(SlotTable)
        assert not screen.overview_shown and app.focused is table
        assert table.row_count == expected
        assert {(s.location_id, s.starts_at.date()) for s in table.slots} == {
            (first_location, TODAY)
        }
        assert "Escape shows them all." in summary(screen)
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == 200 and screen.cell is None
        await pilot.press("ctrl+o")  # from the list
        await settle(pilot)
        assert screen.overview_shown
        await pilot.press("ctrl+o")  # and back from the overview
        assert not screen.overview_shown


async def test_a_new_caller_starts_a_clean_search_in_the_service_field(make_app, ready) -> None:
    """Issue 12 item 11: the previous caller's service, results and form do not carry over to
    the next call; the focus is in the service field, so typing goes there."""
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_janez(app)
        screen = await search(pilot, "passp")
        screen.query_one("#region", Select).value = screen.table.slots[0].region
        await settle(pilot)
        assert screen.table.row_count > 0 and app.focused is screen.table
        # The same caller, back from another screen: the search is as it was.
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert screen.query_one("#service", Input).value == "Passport"
        # The call is wrapped up; the next call's caller wants something else.
        await app.desk.wrap_up("information", "")
        await pilot.press("f2")
        await settle(pilot)
        found = await app.desk.search("cesnik")
        await app.desk.open_caller(found.callers[0].id)
        await pilot.press("f3")
        await settle(pilot)
        assert app.screen is screen
        service = screen.query_one("#service", Input)
        assert service.value == "" and screen.service is None
        assert screen.table.row_count == 0 and not screen.overview_shown
        assert screen.query_one("#region", Select).value == Select.NULL
        assert app.focused is service
        await pilot.press(*"osebna")
        await settle(pilot)
        assert service.value.lower().startswith("osebna") or screen.service is not None
        assert not screen.overview_shown


async def test_typing_on_the_slot_list_never_toggles_the_overview(make_app, ready) -> None:
    """Issue 12 item 11: no letter is a key on the list or the overview (ctrl+o is)."""
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await search(pilot, "passp")
        assert app.focused is screen.table
        await pilot.press(*"osebna")
        await settle(pilot)
        assert not screen.overview_shown
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert screen.overview_shown and app.focused is screen.overview
        await pilot.press(*"o o")
        await settle(pilot)
        assert screen.overview_shown


# -- holding and booking ----------------------------------------------------------------------


async def test_hold_confirm_and_the_reference_read_aloud(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        janez = await open_janez(app)
        screen = await search(pilot, "passp")
        slot = screen.query_one(SlotTable).highlighted_slot()
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, HoldDialog)
        assert app.desk.hold is not None and app.desk.hold.slot_id == slot.id
        countdown = dialog.query_one(HoldCountdown)
        assert "Held for you: 03:00" in str(countdown.render())
        facts = text_of(dialog.query_one("#hold-facts"))
        assert "Janez Kovač" in facts and "Passport" in facts and "your current passport" in facts
        await pilot.press(*"needs a ramp")
        await pilot.press("ctrl+s")
        await settle(pilot)

        booked = app.screen
        assert isinstance(booked, BookedDialog)
        booking = booked.booking
        assert booking.slot.id == slot.id and booking.caller_id == janez
        assert booked.query_one(ReferenceCode).grouped == booking.reference_display
        assert "Read the reference to the caller:" in str(booked.query_one("#booked-hint").render())
        await pilot.press("c")
        assert app.clipboard == booking.reference_display
        assert app.desk.hold is None and app.desk.last_booking == booking

        stored = await app.desk.api.booking(booking.reference)
        assert stored.status is BookingStatus.CONFIRMED and stored.notes == "needs a ramp"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert screen.query_one(SlotTable).taken(slot.id) == "booked"
        assert f"Booked {booking.reference_display}" in summary(screen)


async def test_escape_lets_the_slot_go_and_an_expired_hold_can_be_held_again(
    make_app, ready
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_janez(app)
        screen = await search(pilot, "passp")
        slot = screen.query_one(SlotTable).highlighted_slot()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"morning")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and app.desk.hold is None
        free = await app.desk.find_slots(slot.service_id, start=slot.starts_at, limit=50)
        assert slot.id in {s.id for s in free}

        await pilot.press("enter")  # the same slot again: the notes typed are still there
        await settle(pilot)
        dialog = app.screen
        assert dialog.query_one("#hold-notes", Input).value == "morning"
        expire_hold(app)
        dialog.query_one(HoldCountdown).tick()
        await pilot.pause()
        assert dialog.expired
        assert "The hold has expired" in str(dialog.query_one("#hold-message").render())
        await pilot.press("enter")  # in the notes field: hold again
        await settle(pilot)
        assert not dialog.expired and app.desk.hold_seconds_left() > 100
        assert "Held again." in str(dialog.query_one("#hold-message").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BookedDialog)
        assert app.screen.booking.notes == "morning"


async def test_slots_other_agents_take_are_marked_and_refused(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_janez(app)
        # The other desk books for another caller, some slots at one time (said so: else 409
        # caller_has_booking); this agent's caller has none to be asked about.
        marija = (await app.desk.search("01 234 56 78")).callers[0].id
        screen = await search(pilot, "passp")
        table = screen.query_one(SlotTable)
        first, second, third, fourth = table.slots[1:5]
        async with other_agent(app) as other:
            # Taken while we look: struck through after the next poll of the change feed.
            await other.book(marija, slot_id=first.id, allow_overlap=True)
            held = await other.hold(second.id)
            await poll_feed(pilot)
            assert table.taken(first.id) == "booked" and table.taken(second.id) == "held"
            shown = text_of(table)
            assert "✗ taken" in shown and "✗ held" in shown
            table.move_cursor(row=table.get_row_index(str(first.id)))
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is screen and app.desk.hold is None
            assert "This slot was taken meanwhile; pick another." in summary(screen)

            # A hold let go comes back.
            await other.release(held.id)
            await poll_feed(pilot)
            assert table.taken(second.id) is None

            # Taken before the poll: holding it is refused with the server's reason.
            await other.book(marija, slot_id=third.id, allow_overlap=True)
            table.move_cursor(row=table.get_row_index(str(third.id)))
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is screen and app.desk.hold is None
            assert "This slot was just booked by someone else; pick another." in summary(screen)
            assert table.taken(third.id) == "booked"

            # Taken while our hold ran out, with the dialog open: the confirm is refused.
            table.move_cursor(row=table.get_row_index(str(fourth.id)))
            await pilot.press("enter")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, HoldDialog)
            expire_hold(app)
            await other.book(marija, slot_id=fourth.id, allow_overlap=True)
            await pilot.press("ctrl+s")
            await settle(pilot)
            message = str(dialog.query_one("#hold-message").render())
            assert dialog.expired  # the booking consumed our lapsed hold: "released"
            assert "This hold was released; hold the slot again." in message
            assert "Press F5 or enter to hold it again." in message
            await pilot.press("f5")
            await settle(pilot)
            message = str(dialog.query_one("#hold-message").render())
            assert "This slot was just booked by someone else; pick another." in message
            assert table.taken(fourth.id) == "booked"
            await pilot.press("escape")
            await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#service", Input).value == "Passport"  # the form is intact
        assert all(b.created_by != app.desk.agent.id for b in await app.desk.bookings())


async def test_a_slot_freed_elsewhere_comes_back_into_the_list(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        janez = await open_janez(app)
        async with other_agent(app) as other:
            service = next(s for s in app.desk.services if s.code == "ue-foreigner-permit")
            start = datetime(2030, 3, 4, tzinfo=UTC)
            earliest = (await app.desk.find_slots(service.id, start=start, limit=1))[0]
            booking = await other.book(janez, slot_id=earliest.id)
            screen = await search(pilot, service.code)
            table = screen.query_one(SlotTable)
            assert earliest.id not in {s.id for s in table.slots}
            await other.cancel(booking.reference, "")
            await poll_feed(pilot)
            assert table.slots[0].id == earliest.id


async def test_a_supervisor_searches_but_cannot_hold(make_app, ready) -> None:
    app = make_app(language="en", role="supervisor")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_janez(app)
        screen = await search(pilot, "passp")
        assert screen.query_one(SlotTable).row_count > 0
        assert "Read-only: supervisors cannot book" in summary(screen)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and app.desk.hold is None
        assert "Read-only: supervisors cannot book" in notifications(app)


# -- the width ----------------------------------------------------------------------------


def test_the_narrow_form_abbreviates_institutions_and_fits_the_room() -> None:
    assert short_place("ZDRAVSTVENI DOM DR. FRANCA AMBROŽIČA, POSTOJNA") == (
        "ZD DR. FRANCA AMBROŽIČA, POSTOJNA"
    )
    assert short_place("Zdravstvena postaja Ig") == "ZP Ig"
    assert short_place("DOKTOR M, ZDRAVSTVENE STORITVE D.O.O.") == "DOKTOR M, ZDRAVSTVENE STORITVE"
    assert short_place("UE Ljubljana, Izpostava Center") == "UE Ljubljana, Izpostava Center"
    natural = {"day": 10, "time": 5, "location": 47, "provider": 30, "state": 10}
    widths = column_widths(74, natural)
    assert sum(widths.values()) + 2 * len(widths) == 74  # every cell of the room, no more
    assert widths["provider"] == 39 // 2 and widths["day"] == 10 and widths["state"] == 10
    roomy = column_widths(200, natural)
    assert roomy == natural  # room for all: each column its own


@pytest.mark.parametrize("service", ["passp", "druz"])
async def test_at_80_columns_every_column_ends_within_the_screen(
    make_app, ready, service: str
) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = await search(pilot, service)
        table = screen.query_one(SlotTable)
        assert table.row_count > 0 and not table.full_form
        assert [str(column.label) for column in table.ordered_columns][:4] == [
            "Dan",
            "Ura",
            "Lokacija",
            "Izvajalec",
        ]
        right = table.region.right
        assert right <= 80
        lines = text_of(table).splitlines()
        assert len(lines) >= 4  # the header and rows
        for row, line in enumerate(lines[1:4]):
            slot = table.slots[row]
            # What each row says ends inside the table: the provider's name whole, or its
            # beginning and "…" (and the year is left out: the summary says it).
            start = table.region.x
            shown = line.rstrip()
            assert start + len(shown) <= right, shown
            assert f"{slot.starts_at.year}" not in shown
            provider = slot.provider_name
            assert provider in shown or any(
                provider[:cut] + "…" in shown for cut in range(8, len(provider))
            ), (provider, shown)
        # A slot taken meanwhile says so inside the screen too.
        first = table.slots[0]
        table.mark_taken(first.id, "held")
        await settle(pilot)
        line = text_of(table).splitlines()[1].rstrip()
        assert line.endswith("✗ zadržan") and table.region.x + len(line) <= right, line

        # The overview (ctrl+o) names each place within its column: abbreviated, or "…".
        await pilot.press("ctrl+o")
        await settle(pilot)
        overview = screen.query_one(SlotOverview)
        width = overview.columns[ColumnKey("location")].width
        for line in text_of(overview).splitlines()[2:5]:
            name = line[1 : 1 + width].rstrip()
            assert len(name) <= width, (name, width)
            assert not name.upper().startswith("ZDRAVSTVENI DOM"), name
        await pilot.press("ctrl+o")
        await settle(pilot)

        await pilot.resize_terminal(200, 50)
        await settle(pilot)
        assert table.full_form
        labels = [str(column.label) for column in table.ordered_columns]
        assert labels[:5] == ["Dan", "Ura", "Lokacija", "Izvajalec", "Regija"]
        lines = text_of(table).splitlines()
        for row, line in enumerate(lines[2:6], start=1):  # the first row is marked taken
            slot = table.slots[row]
            for said in (slot.location_name, slot.provider_name, slot.region):
                assert said in line, (said, line)
            assert f"{slot.starts_at.year}" in line and "…" not in line
