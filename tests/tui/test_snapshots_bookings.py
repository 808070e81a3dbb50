"""Screenshots of the caller's bookings (F4) and the cancel dialog, in Slovenian and English."""

from __future__ import annotations

import functools
import random
from datetime import UTC, datetime, timedelta

import pytest
from harness import settle
from textual.pilot import Pilot

from console.domain.reference import new_reference
from console.server import bookings as server_bookings

SIZE = (120, 36)
LANGUAGES = ["sl", "en"]
START = datetime(2030, 3, 4, tzinfo=UTC)


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


async def janez_with_bookings(pilot: Pilot, ready) -> None:
    """Janez Kovač with three bookings (one of them cancelled), then F4."""
    await ready(pilot)
    desk = pilot.app.desk
    found = await desk.search("kova jan")
    janez = next(c for c in found.callers if c.first_name == "Janez")
    await desk.open_caller(janez.id)
    made = []
    for code, days in (("ue-passport", 0), ("health-gp", 2), ("ue-id-card", 3)):
        service = next(s for s in desk.services if s.code == code)
        slot = (await desk.find_slots(service.id, start=START + timedelta(days=days), limit=1))[0]
        made.append(await desk.api.book(janez.id, slot_id=slot.id))
    await desk.cancel(made[2], "double booking")
    await pilot.press("f4")
    await settle(pilot)


class TestBookings:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_callers_bookings(self, snap_compare, make_app, ready, language: str) -> None:
        async def run_before(pilot: Pilot) -> None:
            await janez_with_bookings(pilot, ready)

        assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=SIZE)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_cancel_dialog(self, snap_compare, make_app, ready, language: str) -> None:
        async def run_before(pilot: Pilot) -> None:
            await janez_with_bookings(pilot, ready)
            await pilot.press("down", "c")
            await settle(pilot)
            await pilot.press(*"selitev")

        assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=SIZE)
