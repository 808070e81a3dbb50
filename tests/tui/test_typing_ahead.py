"""Issue 12 item 21: every key lands where the order of the keystrokes says, however far the
console is behind the typist.

Textual hands each key to the widget focused when the App reads it; a key that moves the focus
(tab, enter that moves on, a key that opens a form or a screen) does so only once the widgets
have handled it. The console reads the keys behind it only then (``widgets/keys_in_order.py``).
These tests put every key in the App's queue at once, as a terminal does when the console is
busy (type-ahead, or a loaded machine), so the race is there on every run.
"""

from __future__ import annotations

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from console.screens.lookup import LookupScreen
from console.screens.new_caller import NewCallerForm

SIZE = (120, 36)


def type_ahead(pilot: Pilot, *keys: str) -> None:
    """Put the keys in the App's queue all at once, as the terminal driver does with what was
    typed while the console was busy (``pilot.press`` waits for each key to be handled)."""
    for key in keys:
        character = key if len(key) == 1 else None
        pilot.app.post_message(events.Key(key, character))


async def until(pilot: Pilot, condition, what: str) -> None:
    for _ in range(200):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never: {what}")


async def test_21_names_typed_ahead_with_tab_land_each_in_its_field(make_app, ready) -> None:
    """ctrl+n, "Janez", tab, "Novak" typed faster than the console handles them: the form opens,
    and each name is in its own field (was: "Janez" in the search box, or "JanezN" / "ovak")."""
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        lookup = app.screen
        assert isinstance(lookup, LookupScreen)
        type_ahead(pilot, "ctrl+n", *"Janez", "tab", *"Novak", "tab", *"041")
        await until(pilot, lambda: isinstance(app.screen, NewCallerForm), "the form opens")
        form = app.screen
        assert isinstance(form, NewCallerForm)
        await until(
            pilot,
            lambda: bool(form.query("#phones")) and form.field("phones").value == "041",
            "the phone is typed",
        )
        await pilot.pause()
        assert form.field("first_name").value == "Janez"
        assert form.field("last_name").value == "Novak"
        assert form.field("phones").value == "041"
        assert lookup.search_box.value == ""


async def test_21_shift_tab_and_back_again_keep_the_order(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, NewCallerForm), "the form opens")
        form = app.screen
        assert isinstance(form, NewCallerForm)
        await until(
            pilot,
            lambda: (
                bool(form.query("#first_name")) and form.focused is form.field("first_name").input
            ),
            "focus",
        )
        type_ahead(pilot, *"Ana", "tab", *"Zupan", "shift+tab", "end", *"marija")
        await until(pilot, lambda: form.field("first_name").value.endswith("ja"), "typed")
        await pilot.pause(0.2)
        assert form.field("first_name").value == "Anamarija"
        assert form.field("last_name").value == "Zupan"


async def test_21_a_screen_key_then_typing_types_into_that_screen(make_app, ready) -> None:
    """F7 (the directory) and the letters right behind it are the directory's search; F2 and
    the letters behind it the caller search's. (This held before too: the function keys are
    the App's own, handled before it reads the next key; it must still hold.)"""
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        lookup = app.screen
        assert isinstance(lookup, LookupScreen)
        type_ahead(pilot, "f7", *"kova")
        await until(pilot, lambda: type(app.screen).__name__ == "DirectoryScreen", "directory")
        directory = app.screen
        box = directory.query_one("#directory-q", Input)
        await until(pilot, lambda: box.value.endswith("a"), "typed on the directory")
        type_ahead(pilot, "f2", *"nov")
        await until(pilot, lambda: app.screen is lookup, "back on the lookup")
        await until(pilot, lambda: lookup.search_box.value.endswith("v"), "typed on the lookup")
        await pilot.pause(0.2)
        assert box.value == "kova"
        assert lookup.search_box.value == "nov"
