"""Snapshots of the callbacks screen (F5) at 80x24 and 120x36, in Slovenian and in English: the
queue, and a claimed callback with the number to dial and the caller's card.

The clocks of the service and the desk stand at a working Wednesday, 10:00 (``callback_world``),
so the waits and the callback hours read the same on every run.
"""

from __future__ import annotations

import callback_world
import pytest
from harness import settle, until
from textual.pilot import Pilot

from console.screens.callbacks import CallbacksScreen
from widgets.caller_card import CallerCardView


@pytest.fixture
def queue(data_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    callback_world.freeze(monkeypatch)
    database = callback_world.open_central(data_dir)
    callback_world.fill_queue(database)
    database.dispose()


async def _queue(pilot: Pilot) -> None:
    await pilot.press("f5")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CallbacksScreen)
    await until(pilot, lambda: screen.page is not None)
    await settle(pilot)


async def _claimed(pilot: Pilot) -> None:
    """The number nobody has was a wrong number; the next one, Janez, is being called."""
    await _queue(pilot)
    screen = pilot.app.screen
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("w")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    card = screen.query_one("#callbacks-card", CallerCardView)
    await until(pilot, lambda: card.display and card.caller_id is not None)
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
@pytest.mark.parametrize("language", ["sl", "en"])
class TestCallbacks:
    def test_the_queue(self, snap_compare, make_app, ready, queue, language, size) -> None:
        async def run_before(pilot: Pilot) -> None:
            await ready(pilot)
            await _queue(pilot)

        assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=size)

    def test_a_claimed_callback_with_the_card(
        self, snap_compare, make_app, ready, queue, language, size
    ) -> None:
        async def run_before(pilot: Pilot) -> None:
            await ready(pilot)
            await _claimed(pilot)

        assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=size)
