"""Every screen at 80x24, the classic terminal (issue 12, item 20), in Slovenian: the lookup with
a caller open, the new caller form, the slot search, the caller's bookings, the directory and a
doctor's details, reports, the wrap-up, sync issues, help, the hold dialog, the report dialog
and the command palette. (The floor, the callbacks screen and the booked dialog have their
80x24 snapshots beside their 120x36 ones.)

Each screen is reached with its key from the lookup, with Janez Kovač open, as an agent would.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Awaitable, Callable

import pytest
from harness import settle
from textual.pilot import Pilot
from textual.widgets import Input

from console.domain.reference import new_reference
from console.server import bookings as server_bookings

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def _steady(monkeypatch: pytest.MonkeyPatch) -> None:
    draw = random.Random(2030)
    monkeypatch.setattr(server_bookings, "new_reference", lambda: new_reference(draw))
    monkeypatch.setenv("USER", "mojca")


@pytest.fixture
def make_app(make_app):  # type: ignore[no-untyped-def]
    return functools.partial(make_app, sync_seconds=300)


async def _janez(pilot: Pilot, ready) -> None:  # type: ignore[no-untyped-def]
    await ready(pilot)
    app = pilot.app
    found = await app.desk.search("kova jan")
    janez = next(c for c in found.callers if c.first_name == "Janez")
    await app.desk.open_caller(janez.id)
    # As the lookup does when it opens a card (DeskChanged): the status bar shows the caller
    # now, not at its next tick (which a loaded machine let the snapshot beat).
    app.screen.refresh_status()
    await settle(pilot)


def _keys(*keys: str) -> Callable[[Pilot, object], Awaitable[None]]:
    async def run(pilot: Pilot, ready) -> None:  # type: ignore[no-untyped-def]
        await _janez(pilot, ready)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run


async def _details(pilot: Pilot, ready) -> None:  # type: ignore[no-untyped-def]
    """F7, then enter on the first doctor of the list: the details."""
    await _janez(pilot, ready)
    await pilot.press("f7")
    await settle(pilot)
    pilot.app.screen.table.focus()
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def _report(pilot: Pilot, ready) -> None:  # type: ignore[no-untyped-def]
    """F7, then p on the first doctor of the list: the report dialog."""
    await _janez(pilot, ready)
    await pilot.press("f7")
    await settle(pilot)
    pilot.app.screen.table.focus()
    await settle(pilot)
    await pilot.press("p")
    await settle(pilot)


SCREENS = {
    "lookup": _keys(),
    "new_caller": _keys("ctrl+n"),
    "slots": _keys("f3", *"potni", "enter"),
    "bookings": _keys("f4"),
    "directory": _keys("f7"),
    "directory_details": _details,
    "reports": _keys("f8"),
    "wrapup": _keys("f9"),
    "wrapup_call_back": _keys("f9", "7"),  # the call back's fields above the footer
    "sync_issues": _keys("f6"),
    "help": _keys("f1"),
    "hold_dialog": _keys("f3", *"potni", "enter", "enter"),
    "report_dialog": _report,
    "palette": _keys("ctrl+p"),
}


@pytest.mark.parametrize("screen", list(SCREENS))
def test_at_80x24(snap_compare, make_app, ready, screen: str) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await SCREENS[screen](pilot, ready)
        # A steady cursor: a blink timer late on a loaded machine must not decide whether the
        # focused field's cursor is in the picture.
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(language="sl"), run_before=run_before, terminal_size=SIZE)
