"""Screenshots of the slot search (F3): the list, the overview, the hold and booked dialogs.

Each in Slovenian and English. Booking references come from a seeded generator and the desk's
agent has a fixed name, so every run draws the same picture.
"""

from __future__ import annotations

import functools
import random

import pytest
from harness import settle
from textual.pilot import Pilot

from console.domain.reference import new_reference
from console.server import bookings as server_bookings

SIZE = (120, 36)
LANGUAGES = ["sl", "en"]
SERVICE = {"sl": "potni", "en": "passp"}


@pytest.fixture(autouse=True)
def _steady(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same references and the same agent name."""
    draw = random.Random(2030)
    monkeypatch.setattr(server_bookings, "new_reference", lambda: new_reference(draw))
    monkeypatch.setenv("USER", "mojca")


@pytest.fixture
def make_app(make_app):  # type: ignore[no-untyped-def]
    """No poll of the change feed in the middle: the desk's own polls come every 300 s."""
    return functools.partial(make_app, sync_seconds=300)


async def slot_list(pilot: Pilot, ready, language: str) -> None:
    """The caller Janez Kovač, F3, the passport service: the earliest free slots."""
    await ready(pilot)
    app = pilot.app
    found = await app.desk.search("kova jan")
    janez = next(c for c in found.callers if c.first_name == "Janez")
    await app.desk.open_caller(janez.id)
    await pilot.press("f3")
    await pilot.pause()
    await pilot.press(*SERVICE[language], "enter")
    await settle(pilot)


class TestSlotSearch:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_earliest_free_slots(self, snap_compare, make_app, ready, language: str) -> None:
        async def run_before(pilot: Pilot) -> None:
            await slot_list(pilot, ready, language)
            await pilot.press("down", "down")

        assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=SIZE)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_day_by_location_overview(
        self, snap_compare, make_app, ready, language: str
    ) -> None:
        async def run_before(pilot: Pilot) -> None:
            await slot_list(pilot, ready, language)
            await pilot.press("ctrl+o")
            await settle(pilot)
            await pilot.press("down", "right")

        assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=SIZE)


class TestBooking:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_hold_dialog_with_its_countdown(
        self, snap_compare, make_app, ready, language: str
    ) -> None:
        async def run_before(pilot: Pilot) -> None:
            await slot_list(pilot, ready, language)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press(*"invalidski voziček")

        assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=SIZE)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_booked_dialog_with_the_reference(
        self, snap_compare, make_app, ready, language: str
    ) -> None:
        async def run_before(pilot: Pilot) -> None:
            await slot_list(pilot, ready, language)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)

        assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=SIZE)
