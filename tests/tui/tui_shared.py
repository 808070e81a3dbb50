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


async def open_janez(app) -> int:  # type: ignore[no-untyped-def]
    """Open the demo's Janez Kovač on the desk (the call starts with him); his id."""
    found = await app.desk.search("kova jan")
    janez = next(c for c in found.callers if c.first_name == "Janez")
    await app.desk.open_caller(janez.id)
    return janez.id


async def slots_for(pilot: Pilot, service: str):  # type: ignore[no-untyped-def]
    """F3, the service typed and chosen: the slot search with its results."""
    from harness import settle

    from console.screens.slots import SlotsScreen

    await pilot.press("f3")
    await pilot.pause()
    await pilot.press(*service, "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SlotsScreen)
    return screen
