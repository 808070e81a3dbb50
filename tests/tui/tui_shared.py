"""What the console's tests share beside their fixtures (importable by name: ``conftest`` is
ambiguous when several test folders run in one session)."""

from __future__ import annotations

from datetime import date

from textual.pilot import Pilot

TODAY = date(2030, 3, 4)  # a Monday


async def wait_floor(pilot: Pilot) -> None:
    """Wait until a supervisor's console shows the floor, read at least once."""
    from console.screens.floor import FloorScreen

    app = pilot.app
    for _ in range(400):
        screen = app.screen
        if isinstance(screen, FloorScreen) and screen.loads:
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the floor was never shown; screen is {app.screen!r}")
