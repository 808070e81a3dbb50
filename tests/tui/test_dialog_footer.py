"""A dialog's footer covers the footer of the screen beneath it: the agent in the hold dialog
sees only the dialog's keys (ctrl+s Confirm, esc Back), never the slot list's "enter Hold slot"
on a line of the screen's footer that the dialog's one-line footer left showing."""

from __future__ import annotations

import functools

import pytest
from tui_shared import open_janez, slots_for

from console.screens.booking_dialogs import HoldDialog
from widgets.footer import KeysFooter

SIZES = [(120, 36), (80, 24), (200, 50)]


@pytest.fixture
def make_app(make_app):  # type: ignore[no-untyped-def]
    return functools.partial(make_app, sync_seconds=300)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_hold_dialogs_footer_covers_the_slot_lists(make_app, ready, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app(language="en")
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await open_janez(app)
        slots = await slots_for(pilot, "passp")
        await pilot.press("enter")  # hold the highlighted slot
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, HoldDialog)
        beneath = slots.query_one(KeysFooter).region
        own = dialog.query_one(KeysFooter).region
        assert own.y <= beneath.y and own.bottom >= beneath.bottom, (own, beneath)
