"""Keys in the order typed (``widgets/keys_in_order.py``): a key reaches the widget the order of
the keystrokes implies, however many keys the App finds in its queue at once.

Each test types the same keys twice: one by one (``pilot.press`` waits until each is handled:
the order is never in doubt) and all at once, as a terminal's keys reach a busy App. Both must
end the same; with Textual's own App the second put everything in the first field.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Input

from widgets import keys_in_order
from widgets.keys_in_order import KeysInOrderApp

NAMES = [*"Janez", "tab", *"Novak"]
# enter in the second field moves on to the third (the form's handler focuses it).
MOVING_ON = [*"Jan", "tab", *"Nov", "enter", *"041", "shift+tab", "end", *"ak"]


class Dialog(ModalScreen[None]):
    """A dialog that focuses its box once shown (as the new-caller form does)."""

    BINDINGS = [Binding("escape", "dismiss(None)")]

    def compose(self) -> ComposeResult:
        yield Input(id="note")

    def on_mount(self) -> None:
        self.query_one("#note", Input).focus()


class PlainForm(App):
    """Three boxes (enter moves on to the phone), and ctrl+n opens a dialog: Textual's own App."""

    BINDINGS = [Binding("ctrl+n", "open_dialog")]

    def compose(self) -> ComposeResult:
        yield Input(id="first")
        yield Input(id="last")
        yield Input(id="phone")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#phone", Input).focus()

    def action_open_dialog(self) -> None:
        self.push_screen(Dialog())

    def values(self) -> list[str]:
        return [box.value for box in self.query(Input)]


class Form(KeysInOrderApp, PlainForm):
    """The same form, its keys in order."""


def type_ahead(pilot: Pilot, keys: list[str]) -> None:
    """Every key in the App's queue at once (``pilot.press`` waits after each)."""
    for key in keys:
        pilot.app.post_message(events.Key(key, key if len(key) == 1 else None))


async def settled(pilot: Pilot, done: Callable[[], bool]) -> None:
    for _ in range(300):
        if done():
            break
        await pilot.pause(0.01)
    await pilot.pause()


async def one_by_one(keys: list[str]) -> list[str]:
    app = Form()
    async with app.run_test() as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        assert app.keys_in_order.waited == 0, "one key at a time: nothing waits"
        return app.values()


async def all_at_once(app: PlainForm, keys: list[str], last: str) -> list[str]:
    async with app.run_test() as pilot:
        await pilot.pause()
        type_ahead(pilot, keys)
        await settled(pilot, lambda: any(value.endswith(last) for value in app.values()))
        return app.values()


async def test_textuals_own_app_puts_keys_typed_ahead_in_the_first_field() -> None:
    """Why this exists: if this starts failing, Textual reads keys in order itself."""
    assert await all_at_once(PlainForm(), NAMES, "k") == ["JanezNovak", "", ""]


async def test_names_typed_ahead_with_tab_each_land_in_their_field() -> None:
    expected = await one_by_one(NAMES)
    assert expected == ["Janez", "Novak", ""]
    assert await all_at_once(Form(), NAMES, "k") == expected


async def test_enter_that_moves_on_and_shift_tab_keep_the_order() -> None:
    expected = await one_by_one(MOVING_ON)
    assert expected == ["Jan", "Novak", "041"]
    assert await all_at_once(Form(), MOVING_ON, "ak") == expected


async def test_a_key_that_opens_a_dialog_then_typing_types_into_the_dialog() -> None:
    app = Form()
    async with app.run_test() as pilot:
        await pilot.pause()
        type_ahead(pilot, [*"ab", "ctrl+n", *"note", "escape", *"cd"])
        await settled(pilot, lambda: app.query_one("#first", Input).value == "abcd")
        assert app.query_one("#first", Input).value == "abcd"
        assert app.keys_in_order.waited > 0


async def test_a_paste_after_tab_lands_in_the_next_field() -> None:
    app = Form()
    async with app.run_test() as pilot:
        await pilot.pause()
        type_ahead(pilot, [*"Ana", "tab"])
        app.post_message(events.Paste("Zupan"))
        await settled(pilot, lambda: app.query_one("#last", Input).value == "Zupan")
        assert app.values() == ["Ana", "Zupan", ""]


class Chatter(Message):
    pass


class Chatty(Input):
    """A box that is never quiet: it is always handling a message, which posts it the next."""

    def on_mount(self) -> None:
        self.post_message(Chatter())

    async def on_chatter(self, message: Chatter) -> None:
        message.stop()
        await asyncio.sleep(0)  # the others get their turn (the App too), while it is busy
        self.post_message(Chatter())


class ChattyForm(KeysInOrderApp):
    def compose(self) -> ComposeResult:
        yield Chatty(id="first")
        yield Input(id="last")


async def test_a_widget_that_never_goes_quiet_still_gets_its_keys_in_order() -> None:
    """The wait is bounded (MAX_ROUNDS): keys are handed out anyway, in order."""
    app = ChattyForm()
    async with app.run_test() as pilot:
        await pilot.pause()
        type_ahead(pilot, [*"abc", "tab", *"def"])
        first, last = app.query_one("#first", Input), app.query_one("#last", Input)
        # Not pilot.pause: it waits for the CPU to go idle, which it never does here.
        for _ in range(500):
            if last.value == "def":
                break
            await asyncio.sleep(0.01)
        assert (first.value, last.value) == ("abc", "def")
        assert keys_in_order.MAX_ROUNDS > 1


class Vanishing(Input):
    """A box that goes away on "x" (its queue closes with whatever it held)."""

    async def on_key(self, event: events.Key) -> None:
        if event.key == "x":
            event.stop()
            self.screen.query_one("#last", Input).focus()
            self.remove()


class VanishingForm(KeysInOrderApp):
    def compose(self) -> ComposeResult:
        yield Vanishing(id="first")
        yield Input(id="last")


async def test_a_key_waiting_on_a_widget_that_went_away_is_still_handed_out() -> None:
    app = VanishingForm()
    async with app.run_test() as pilot:
        await pilot.pause()
        type_ahead(pilot, [*"ab", "x", *"cd"])
        last = app.query_one("#last", Input)
        await settled(pilot, lambda: last.value == "cd")
        assert last.value == "cd"
        assert not app.query("#first")
