"""FrameTimer: a frame as soon as one is wanted, never more than one a period."""

from __future__ import annotations

import asyncio
import itertools
import time

from textual.app import App, ComposeResult
from textual.screen import UPDATE_PERIOD, Screen
from textual.widgets import Static

from console.screens.base import DeskScreen
from console.screens.frames import FrameTimer, PromptFrames, next_frame_at

PERIOD = 1 / 60


def test_a_frame_wanted_after_a_pause_is_drawn_at_once() -> None:
    assert next_frame_at(last_frame=10.0, now=12.0, period=PERIOD) == 12.0


def test_a_frame_wanted_soon_after_the_last_waits_one_period_after_it() -> None:
    """Textual's own timer waited up to two periods here (its schedule skipped a tick)."""
    assert next_frame_at(last_frame=10.0, now=10.003, period=PERIOD) == 10.0 + PERIOD


def test_desk_screens_draw_with_the_frame_timer() -> None:
    assert issubclass(DeskScreen, PromptFrames)


class Ticking(PromptFrames, Screen):
    def compose(self) -> ComposeResult:
        yield Static("0", id="count")


class FramesApp(App):
    def on_mount(self) -> None:
        self.push_screen(Ticking())


async def test_frames_follow_changes_at_most_once_a_period() -> None:
    app = FramesApp()
    async with app.run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen._update_timer, FrameTimer)
        drawn: list[float] = []
        display = app._display

        def recording(screen, renderable) -> None:  # type: ignore[no-untyped-def]
            drawn.append(time.monotonic())
            display(screen, renderable)

        app._display = recording
        label = screen.query_one("#count", Static)
        began = time.monotonic()
        for number in range(60):  # a change every ~2 ms for ~120 ms
            label.update(str(number))
            await asyncio.sleep(0.002)
        spent = time.monotonic() - began
        await pilot.pause(0.1)
        assert str(label.render()) == "59"
        assert drawn, "the changes were drawn"
        assert len(drawn) <= spent / UPDATE_PERIOD + 3, "no more than one frame a period"
        gaps = [later - earlier for earlier, later in itertools.pairwise(drawn)]
        assert all(gap >= UPDATE_PERIOD - 0.001 for gap in gaps)
