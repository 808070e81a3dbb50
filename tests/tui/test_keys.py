"""Keys remapped in config.toml's [keys], by binding id: the new key works, the old one is free."""

from __future__ import annotations

from harness import settle

from console.screens.lookup import LookupScreen
from console.screens.slots import SlotsScreen

SIZE = (120, 36)


async def test_an_app_key_and_a_screen_key_remapped_by_id(make_app, ready) -> None:
    app = make_app(language="en", keys={"slots": "f11", "lookup.new_caller": "ctrl+y"})
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = app.screen
        assert isinstance(screen, LookupScreen)
        bound = screen.active_bindings
        assert bound["ctrl+y"].binding.action == "new_caller"
        assert "ctrl+n" not in bound
        assert bound["f11"].binding.action == "show_slots" and "f3" not in bound
        await pilot.press(*"qwxzyq")
        await settle(pilot)
        info = str(screen.query_one("#lookup-info").render())
        assert info.endswith("No caller found — press ctrl+y to add a new one")
        await pilot.press("f3")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("f11")
        await pilot.pause()
        assert isinstance(app.screen, SlotsScreen)


async def test_a_key_moved_away_leaves_the_other_bindings_on_its_old_key(make_app, ready) -> None:
    """Escape is the lookup's back and its clear: moving back to ctrl+b keeps clear on escape."""
    app = make_app(language="en", keys={"lookup.back": "ctrl+b"})
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = app.screen
        assert isinstance(screen, LookupScreen)
        await pilot.press(*"kova")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert screen.search_box.value == ""
        await pilot.press(*"kova")
        await settle(pilot)
        await pilot.press("down")
        await pilot.pause()
        assert screen.focused is screen.results
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert screen.focused is screen.search_box
