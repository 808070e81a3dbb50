"""SteadyInput: typing repaints the box without laying out the whole screen, and long text
still scrolls to the cursor."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from widgets.steady_input import SteadyInput


class BoxApp(App):
    CSS = "Input { margin: 1 1 0 1; }"

    def __init__(self, box_class: type[Input]) -> None:
        super().__init__()
        self.box_class = box_class

    def compose(self) -> ComposeResult:
        yield self.box_class(id="box")
        yield Static("below")


async def layouts_while_typing(box_class: type[Input], text: str) -> tuple[int, Input]:
    app = BoxApp(box_class)
    async with app.run_test(size=(40, 8)) as pilot:
        box = app.query_one(Input)
        box.focus()
        await pilot.pause()
        screen = app.screen
        count = 0
        layout = screen._refresh_layout

        def counting(*args, **kwargs):
            nonlocal count
            count += 1
            return layout(*args, **kwargs)

        screen._refresh_layout = counting
        await pilot.press(*text)
        await pilot.pause()
        return count, box


async def test_typing_lays_nothing_out() -> None:
    count, box = await layouts_while_typing(SteadyInput, "novak")
    assert box.value == "novak"
    assert count == 0


async def test_textuals_input_lays_the_screen_out_on_every_key() -> None:
    """Why SteadyInput exists: if this starts failing, Textual fixed it and it can go."""
    count, _box = await layouts_while_typing(Input, "novak")
    assert count >= 5


async def test_long_text_still_scrolls_to_the_cursor() -> None:
    text = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"  # the box is 32 wide
    app = BoxApp(SteadyInput)
    async with app.run_test(size=(40, 8)) as pilot:
        box = app.query_one(SteadyInput)
        box.focus()
        await pilot.press(*text)
        await pilot.pause()
        assert box.value == text
        assert box.scroll_x > 0
        shown = box.render_line(0).text
        assert "6789" in shown and "abc" not in shown
        await pilot.press("home")
        await pilot.pause()
        assert box.scroll_x == 0
        assert "abc" in box.render_line(0).text
