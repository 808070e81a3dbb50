"""The caller's bookings (F4): list, details, cancel, reschedule; read-only for supervisors."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from harness import settle
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Input, Select

from console.client.api import CentralApi
from console.domain.models import Booking, BookingStatus, Role
from console.screens.booking_dialogs import BookedDialog, CancelDialog, HoldDialog
from console.screens.bookings import BookingsScreen
from console.screens.slots import SlotsScreen
from console.server.agents import create_agent
from console.server.db import Database
from widgets.bookings_table import BookingsTable
from widgets.reference_code import ReferenceCode
from widgets.slot_table import SlotTable

SIZE = (120, 36)
START = datetime(2030, 3, 4, tzinfo=UTC)


@pytest.fixture
def make_app(make_app):  # type: ignore[no-untyped-def]
    """The tests poll the change feed themselves (``poll_feed``), when they mean to: the
    desk's own polls come at most every 300 s."""
    return functools.partial(make_app, sync_seconds=300)


def text_of(widget) -> str:
    return "\n".join(s.text for s in widget.render_lines(Region(0, 0, *widget.size)))


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


async def open_janez(app) -> int:
    found = await app.desk.search("kova jan")
    janez = next(c for c in found.callers if c.first_name == "Janez")
    await app.desk.open_caller(janez.id)
    return janez.id


async def book_for(app, api: CentralApi, caller_id: int, code: str, days: int = 0) -> Booking:
    """Book the earliest free slot of a service ``days`` after the demo's first day."""
    service = next(s for s in app.desk.services if s.code == code)
    slots = await app.desk.find_slots(service.id, start=START + timedelta(days=days), limit=1)
    return await api.book(caller_id, slot_id=slots[0].id)


@asynccontextmanager
async def other_agent(app) -> AsyncIterator[CentralApi]:
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


async def show_bookings(pilot: Pilot) -> BookingsScreen:
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BookingsScreen)
    return screen


async def test_without_a_caller_it_says_to_find_one(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await show_bookings(pilot)
        assert "No caller yet — F2 to find one." in text_of(screen.query_one("#bookings-title"))
        await pilot.press("c")
        await settle(pilot)
        assert app.screen is screen
        assert "No caller yet — F2 to find one." in notifications(app)


async def test_lists_the_callers_bookings_and_shows_details(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        janez = await open_janez(app)
        later = await book_for(app, app.desk.api, janez, "health-gp", days=2)
        sooner = await book_for(app, app.desk.api, janez, "ue-passport")
        screen = await show_bookings(pilot)
        table = screen.query_one(BookingsTable)
        assert [b.reference for b in table.bookings] == [sooner.reference, later.reference]
        assert "Upcoming bookings of Janez Kovač" in text_of(screen.query_one("#bookings-title"))
        row = text_of(table)
        assert sooner.reference_display in row and "confirmed" in row and "Passport" in row

        await pilot.press("enter")
        await settle(pilot)
        details = app.screen
        assert isinstance(details, BookedDialog) and details.details
        assert details.query_one(ReferenceCode).grouped == sooner.reference_display
        assert "your current passport" in text_of(details.query_one("#booked-facts"))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen

        await pilot.press("p")  # past ones too: none in the demo, the same two
        await settle(pilot)
        assert len(table.bookings) == 2
        assert "past ones too" in text_of(screen.query_one("#bookings-title"))


async def test_cancel_asks_for_a_reason_and_frees_the_slot(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        janez = await open_janez(app)
        booking = await book_for(app, app.desk.api, janez, "ue-passport")
        screen = await show_bookings(pilot)

        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CancelDialog)
        await pilot.press("escape")  # keep it after all
        await settle(pilot)
        assert app.screen is screen
        assert (await app.desk.api.booking(booking.reference)).status is BookingStatus.CONFIRMED

        await pilot.press("c")
        await settle(pilot)
        await pilot.press(*"moving abroad")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        stored = await app.desk.api.booking(booking.reference)
        assert stored.status is BookingStatus.CANCELLED
        free = await app.desk.find_slots(booking.service.id, start=START, limit=5)
        assert booking.slot.id in {s.id for s in free}
        assert "cancelled" in text_of(screen.query_one(BookingsTable))
        assert any("is cancelled; the slot is free again" in n for n in notifications(app))

        await pilot.press("c")  # a cancelled booking cannot be cancelled again
        await settle(pilot)
        assert app.screen is screen
        assert any("no longer active" in n for n in notifications(app))


async def test_reschedule_picks_a_new_slot_and_retires_the_old_booking(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        janez = await open_janez(app)
        old = await book_for(app, app.desk.api, janez, "ue-id-card")
        await show_bookings(pilot)
        await pilot.press("r")
        await settle(pilot)

        slots = app.screen
        assert isinstance(slots, SlotsScreen)
        assert app.desk.rescheduling == old
        banner = text_of(slots.query_one("#reschedule-banner"))
        assert f"Rescheduling {old.reference_display}" in banner
        assert "pick the new slot" in banner
        assert slots.query_one("#service", Input).value == "Identity card"
        # It searches where the booking was: its region (the agent widens it from there).
        assert slots.query_one("#region", Select).value == old.location.region
        table = slots.query_one(SlotTable)
        assert table.row_count > 0 and old.slot.id not in {s.id for s in table.slots}
        assert {s.region for s in table.slots} == {old.location.region}
        new_slot = table.slots[3]
        table.move_cursor(row=3)
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, HoldDialog)
        title = text_of(dialog.query_one(".dialog-title"))
        assert f"Move booking {old.reference_display} to this slot?" in title
        await pilot.press("ctrl+s")
        await settle(pilot)

        booked = app.screen
        assert isinstance(booked, BookedDialog)
        new = booked.booking
        title = text_of(booked.query_one(".dialog-title"))
        assert f"Rescheduled: {old.reference_display} → {new.reference_display}" in title
        assert new.slot.id == new_slot.id and new.replaces == old.reference
        retired = await app.desk.api.booking(old.reference)
        assert retired.status is BookingStatus.RESCHEDULED
        assert retired.superseded_by == new.reference
        assert (await app.desk.api.booking(new.reference)).status is BookingStatus.CONFIRMED
        free = await app.desk.find_slots(old.service.id, start=START, limit=10)
        assert old.slot.id in {s.id for s in free}  # the old slot is free again
        assert app.desk.rescheduling is None
        await pilot.press("enter")
        await pilot.pause()
        assert not slots.query_one("#reschedule-banner").has_class("-visible")

        screen = await show_bookings(pilot)
        statuses = {b.reference: b.status for b in screen.query_one(BookingsTable).bookings}
        assert statuses == {
            old.reference: BookingStatus.RESCHEDULED,
            new.reference: BookingStatus.CONFIRMED,
        }
        assert f"rescheduled → {new.reference_display}" in text_of(screen.query_one(BookingsTable))


async def test_a_reschedule_can_be_stopped(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        janez = await open_janez(app)
        await book_for(app, app.desk.api, janez, "ue-id-card")
        await show_bookings(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("ctrl+x")
        await settle(pilot)
        assert app.desk.rescheduling is None
        assert not app.screen.query_one("#reschedule-banner").has_class("-visible")


async def test_a_supervisor_sees_bookings_but_cannot_change_them(make_app, ready) -> None:
    app = make_app(language="en", role="supervisor")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        janez = await open_janez(app)
        async with other_agent(app) as other:
            booking = await book_for(app, other, janez, "ue-passport")
        screen = await show_bookings(pilot)
        assert [b.reference for b in screen.query_one(BookingsTable).bookings] == [
            booking.reference
        ]
        for key in ("c", "r"):
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is screen
        assert notifications(app).count("Read-only: supervisors cannot book") == 2
        assert app.desk.rescheduling is None
        stored = await app.desk.api.booking(booking.reference)
        assert stored.status is BookingStatus.CONFIRMED


async def test_at_80_columns_every_column_ends_within_the_screen(make_app, ready) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        janez = await open_janez(app)
        async with other_agent(app) as api:
            # A long service name and a long location: more than 80 columns hold.
            booked = await book_for(app, api, janez, "ue-dl-replacement")
        screen = await show_bookings(pilot)
        table = screen.query_one(BookingsTable)
        await settle(pilot)
        line = text_of(table).splitlines()[1].rstrip()
        assert table.region.x + len(line) <= table.region.right, line
        for word in (booked.reference_display, "potrjena", "Vozniško"):
            assert word in line, (word, line)
        # The location's cut keeps the part that tells the unit's places apart: it comes
        # first ("Izpostava Center (UE Ljubljana)"), not after a prefix every row shares.
        name = booked.location.name
        assert name.startswith("UE Ljubljana, "), name
        place = name.removeprefix("UE Ljubljana, ")
        shown = line.split("  ")[-1].strip()
        assert shown.startswith(place[: min(len(place), 8)]), (shown, line)
        await pilot.resize_terminal(200, 50)
        await settle(pilot)
        line = text_of(table).splitlines()[1]
        assert booked.location.name in line and "…" not in line, line
