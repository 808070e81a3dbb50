"""Snapshots of the supervisor's floor (F10), in Slovenian and English, at 120x36 and 80x24;
an agent's day and the away dialog.

The floor is a known morning (``floor_world``) read with the service's clock held at 11:00 and
the console's timers off, so every timer and the chart are stable.
"""

from __future__ import annotations

import random

import pytest
from floor_clock import FakeClock
from floor_world import FLOOR_SECTION, build_floor
from harness import settle, until
from textual.pilot import Pilot
from tui_shared import TODAY, wait_floor

from console.domain import reference
from console.screens.floor_dialogs import AgentDayScreen
from console.server import bookings


@pytest.fixture
def world(data_dir, monkeypatch):  # type: ignore[no-untyped-def]
    clock = FakeClock(FakeClock.local(TODAY, 8)).install(monkeypatch)
    # The morning's booking gets the same reference every run (the service draws it at random).
    draws = random.Random(14)
    monkeypatch.setattr(bookings, "new_reference", lambda: reference.new_reference(draws))
    return build_floor(data_dir, clock, TODAY)


async def _floor(pilot: Pilot) -> None:
    await wait_floor(pilot)
    await settle(pilot)


async def _agent_day(pilot: Pilot) -> None:
    await _floor(pilot)
    await pilot.press("enter")  # the first agent: Ana Kos
    await until(
        pilot, lambda: isinstance(pilot.app.screen, AgentDayScreen) and pilot.app.screen.day
    )
    await settle(pilot)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
@pytest.mark.parametrize("language", ["sl", "en"])
def test_floor(snap_compare, make_app, world, language, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app(language=language, role="supervisor", floor=FLOOR_SECTION)
    assert snap_compare(app, run_before=_floor, terminal_size=size)


@pytest.mark.parametrize("language", ["sl", "en"])
def test_agent_day(snap_compare, make_app, world, language) -> None:  # type: ignore[no-untyped-def]
    app = make_app(language=language, role="supervisor", floor=FLOOR_SECTION)
    assert snap_compare(app, run_before=_agent_day, terminal_size=(120, 36))


@pytest.mark.parametrize("language", ["sl", "en"])
def test_away_dialog(snap_compare, make_app, ready, language) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await until(pilot, lambda: pilot.app.desk.presence.away_reasons != [])
        await pilot.press("f12")
        await settle(pilot)

    assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=(80, 24))
