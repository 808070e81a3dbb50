"""Issue 12, item 1: enter never books. A booking takes an explicit confirm (ctrl+s or the
Confirm button); enter in a date field of the slot search searches and the focus stays there."""

from __future__ import annotations

import functools

import pytest
from harness import settle
from textual.widgets import Input
from tui_shared import open_janez, slots_for

from console.screens.booking_dialogs import BookedDialog, HoldDialog
from widgets.slot_table import SlotTable

SIZE = (120, 36)


@pytest.fixture
def make_app(make_app):  # type: ignore[no-untyped-def]
    return functools.partial(make_app, sync_seconds=300)


async def test_enter_in_the_notes_never_books(make_app, ready) -> None:  # type: ignore[no-untyped-def]
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_janez(app)
        await slots_for(pilot, "passp")
        await pilot.press("enter")  # hold the highlighted slot
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, HoldDialog)
        assert app.focused is dialog.query_one("#hold-notes", Input)
        await pilot.press(*"HCP", "enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog and app.desk.last_booking is None  # nothing booked
        assert app.desk.hold is not None
        message = str(dialog.query_one("#hold-message").render())
        assert "To book, press ctrl+s or the Confirm button." in message
        await pilot.click("#hold-confirm")  # the button is an explicit confirm
        await settle(pilot)
        assert isinstance(app.screen, BookedDialog)
        assert app.screen.booking.notes == "HCP"


async def test_enter_in_a_date_field_searches_and_the_focus_stays(make_app, ready) -> None:  # type: ignore[no-untyped-def]
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_janez(app)
        screen = await slots_for(pilot, "passp")
        field = screen.query_one("#from", Input)
        field.focus()
        await pilot.pause()
        field.value = "6. 3. 2030"
        await pilot.press("enter")
        await settle(pilot)
        table = screen.query_one(SlotTable)
        assert app.focused is field
        assert table.row_count > 0
        assert min(s.starts_at for s in table.slots).date().isoformat() == "2030-03-06"
        await pilot.press("enter")  # again: a search again, still in the field, no hold
        await settle(pilot)
        assert app.screen is screen and app.focused is field and app.desk.hold is None
        await pilot.press("enter", *"HCP", "enter")
        await settle(pilot)
        assert app.screen is screen and app.desk.hold is None and app.desk.last_booking is None
