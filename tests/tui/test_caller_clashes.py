"""Issue 12, item 2, in the console: before a hold the agent is told the caller's active
bookings of that service and any at an overlapping time; booking anyway takes an explicit
override (ctrl+s or the button), and a service that allows one booking per caller offers none."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from harness import settle
from sqlalchemy import update
from textual.geometry import Region
from tui_shared import open_janez, slots_for

from console.screens.booking_dialogs import BookedDialog, ClashDialog, HoldDialog
from console.server.db import Database
from console.server.schema import services
from widgets.slot_table import SlotTable

SIZE = (120, 36)


@pytest.fixture
def make_app(make_app):  # type: ignore[no-untyped-def]
    return functools.partial(make_app, sync_seconds=300)


def text_of(widget) -> str:  # type: ignore[no-untyped-def]
    """What a widget shows, as plain text."""
    return "\n".join(s.text for s in widget.render_lines(Region(0, 0, *widget.size)))


async def test_an_overlapping_booking_is_told_and_takes_an_explicit_override(
    make_app, ready
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        janez = await open_janez(app)
        screen = await slots_for(pilot, "passp")
        wanted = screen.query_one(SlotTable).highlighted_slot()
        id_card = next(s for s in app.desk.services if s.code == "ue-id-card")
        near = await app.desk.find_slots(
            id_card.id, start=wanted.starts_at - timedelta(hours=1), end=wanted.ends_at, limit=200
        )
        other = next(
            s for s in near if s.starts_at < wanted.ends_at and s.ends_at > wanted.starts_at
        )
        before = await app.desk.api.book(janez, slot_id=other.id)
        await pilot.press("enter")  # hold the passport slot: first the question
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ClashDialog) and app.desk.hold is None
        facts = text_of(dialog.query_one("#clash-facts"))
        assert before.reference_display in facts
        # A centred, framed panel over the slot list, like the hold dialog; not bare text.
        panel = dialog.query_one("#clash-dialog").region
        assert panel.x > 0 and panel.right < SIZE[0] and panel.y > 0
        assert dialog.query_one("#clash-dialog").styles.border_top[0] != ""
        await pilot.press("enter")  # the focus is on Back: enter does not book anyway
        await settle(pilot)
        assert app.screen is screen and app.desk.hold is None
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClashDialog)
        await pilot.press("ctrl+s")  # book anyway: the explicit override
        await settle(pilot)
        assert isinstance(app.screen, HoldDialog) and app.desk.hold is not None
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BookedDialog)
        assert app.screen.booking.slot.id == wanted.id


async def test_a_one_booking_per_caller_service_offers_no_override(
    make_app, ready, data_dir
) -> None:  # type: ignore[no-untyped-def]
    database = Database.open(data_dir / "central.db")
    with database.write() as connection:  # as `agent-console service-rule ue-passport on`
        connection.execute(
            update(services)
            .where(services.c.code == "ue-passport")
            .values(one_booking_per_caller=True)
        )
    database.dispose()
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_janez(app)
        screen = await slots_for(pilot, "potni")
        passport = next(s for s in app.desk.services if s.code == "ue-passport")
        assert passport.one_booking_per_caller
        first = screen.query_one(SlotTable).highlighted_slot()
        await app.desk.hold_slot(first.id)
        made = await app.desk.confirm()
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ClashDialog) and dialog.clashes.refused
        assert made.reference_display in text_of(dialog.query_one("#clash-facts"))
        assert not dialog.query("#clash-anyway")  # no override
        assert "prestavite" in text_of(dialog.query_one("#clash-hint"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog and app.desk.hold is None
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and app.desk.hold is None
