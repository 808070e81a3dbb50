"""KeysFooter: the keys of Textual's Footer, without keeping every FooterKey it ever built
alive (Textual 8.2.8 binds each to the footer's ``compact`` and never lets go), and without
rebuilding itself when the keys shown did not change."""

from __future__ import annotations

import gc
from dataclasses import replace

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Footer, Input

from widgets.footer import MAX_HIDDEN, KeysFooter
from widgets.textual_internals import FooterKey

SIZE = (100, 10)


class KeysApp(App[None]):
    BINDINGS = [
        Binding("ctrl+n", "new", "New", tooltip="Add one"),
        Binding("escape", "clear", "Clear"),
        Binding("f3", "slots", "Slots"),
    ]

    def __init__(self, footer: type[Footer] = KeysFooter, compact: bool = True) -> None:
        super().__init__()
        self.footer_class = footer
        self.compact = compact
        self.clear_state: bool | None = True  # check_action's answer for "clear"

    def compose(self) -> ComposeResult:
        yield Input()
        yield self.footer_class(compact=self.compact)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.clear_state if action == "clear" else True

    @property
    def new_label(self) -> str:
        return self._bindings.key_to_bindings["ctrl+n"][0].description

    @new_label.setter
    def new_label(self, label: str) -> None:
        bindings = self._bindings.key_to_bindings
        bindings["ctrl+n"] = [replace(bindings["ctrl+n"][0], description=label)]

    @property
    def footer(self) -> Footer:
        return self.query_one(Footer)


def alive_footer_keys() -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, FooterKey))


def shown(app: KeysApp) -> list[tuple[str, bool]]:
    return [
        (key.description, key.has_class("-disabled")) for key in app.query(FooterKey) if key.display
    ]


async def started(pilot: Pilot) -> tuple[KeysFooter, int, list[FooterKey]]:
    """Once the app is up: its footer, how often the footer has rebuilt, and its keys."""
    await pilot.pause()
    footer = pilot.app.footer
    assert isinstance(footer, KeysFooter)
    return footer, footer.rebuilds, list(pilot.app.query(FooterKey))


async def test_many_binding_refreshes_free_the_old_keys() -> None:
    app = KeysApp()
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await pilot.pause()
        before = alive_footer_keys()
        for turn in range(200):
            app.new_label = f"New {turn}"  # a key never shown before: a rebuild each time
            app.refresh_bindings()
            await pilot.pause()
        assert isinstance(app.footer, KeysFooter)
        assert app.footer.rebuilds >= 200  # it did rebuild every time...
        live = len(app.query(FooterKey))
        assert live <= 4 + MAX_HIDDEN  # the keys shown, and a few hidden ones kept
        assert alive_footer_keys() <= before + live  # ...and no key of the old ones is kept


async def test_refreshes_that_change_nothing_do_not_rebuild() -> None:
    app = KeysApp()
    async with app.run_test(headless=True, size=SIZE) as pilot:
        footer, rebuilds, keys = await started(pilot)
        for _ in range(20):
            app.refresh_bindings()
            await pilot.pause()
        assert footer.rebuilds == rebuilds
        assert list(app.query(FooterKey)) == keys


async def test_refreshes_together_rebuild_once() -> None:
    app = KeysApp()
    async with app.run_test(headless=True, size=SIZE) as pilot:
        footer, rebuilds, _keys = await started(pilot)
        app.new_label = "Add"
        for _ in range(5):
            app.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert footer.rebuilds == rebuilds + 1
        assert [text for text, _ in shown(app)] == ["Add", "Clear", "Slots", "palette"]


async def test_a_key_disabled_is_restyled_in_place() -> None:
    app = KeysApp()
    async with app.run_test(headless=True, size=SIZE) as pilot:
        footer, rebuilds, keys = await started(pilot)
        assert ("Clear", False) in shown(app)
        app.clear_state = None  # shown, greyed out
        app.refresh_bindings()
        await pilot.pause()
        assert ("Clear", True) in shown(app)
        assert list(app.query(FooterKey)) == keys
        assert footer.rebuilds == rebuilds
        clear = next(key for key in keys if key.description == "Clear")
        assert clear._disabled  # a click on it rings the bell instead of pressing escape
        app.clear_state = True
        app.refresh_bindings()
        await pilot.pause()
        assert ("Clear", False) in shown(app)
        assert not clear._disabled
        assert footer.rebuilds == rebuilds


async def test_a_key_hidden_and_shown_again_is_not_rebuilt() -> None:
    app = KeysApp()
    async with app.run_test(headless=True, size=SIZE) as pilot:
        footer, rebuilds, keys = await started(pilot)
        for _ in range(10):
            app.clear_state = False  # hidden
            app.refresh_bindings()
            await pilot.pause()
            assert [text for text, _ in shown(app)] == ["New", "Slots", "palette"]
            app.clear_state = True  # shown again, in its place
            app.refresh_bindings()
            await pilot.pause()
            assert [text for text, _ in shown(app)] == ["New", "Clear", "Slots", "palette"]
        assert footer.rebuilds == rebuilds
        assert list(app.query(FooterKey)) == keys


async def test_a_key_first_hidden_then_shown_is_kept_after_one_rebuild() -> None:
    app = KeysApp()
    app.clear_state = False
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await pilot.pause()
        footer = app.footer
        assert isinstance(footer, KeysFooter)
        assert [text for text, _ in shown(app)] == ["New", "Slots", "palette"]
        rebuilds = footer.rebuilds
        app.clear_state = True  # never shown yet: one rebuild
        app.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert [text for text, _ in shown(app)] == ["New", "Clear", "Slots", "palette"]
        assert footer.rebuilds == rebuilds + 1
        app.clear_state = False
        app.refresh_bindings()
        await pilot.pause()
        app.clear_state = None
        app.refresh_bindings()
        await pilot.pause()
        assert shown(app) == [("New", False), ("Clear", True), ("Slots", False), ("palette", False)]
        assert footer.rebuilds == rebuilds + 1


async def test_it_looks_like_textuals_footer() -> None:
    for compact in (True, False):
        for state in (True, None, False):
            screens = []
            for footer in (Footer, KeysFooter):
                app = KeysApp(footer, compact=compact)
                app.clear_state = state
                async with app.run_test(headless=True, size=SIZE) as pilot:
                    await pilot.pause()
                    app.refresh_bindings()
                    await pilot.pause()
                    await pilot.pause()
                    screens.append(
                        (
                            [
                                (key.description, sorted(key.classes), key.compact)
                                for key in app.query(FooterKey)
                                if key.display
                            ],
                            app.export_screenshot(simplify=True).replace("KeysFooter", "Footer"),
                        )
                    )
            assert screens[0] == screens[1], (compact, state)


async def test_compact_reaches_the_keys() -> None:
    app = KeysApp(compact=False)
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await pilot.pause()
        keys = [key for key in app.query(FooterKey) if not key.has_class("-command-palette")]
        assert keys and not any(key.compact or key.has_class("-compact") for key in keys)
        app.footer.compact = True
        await pilot.pause()
        assert all(key.compact and key.has_class("-compact") for key in keys)
