"""FrameTimer: a frame as soon as one is wanted, never more than one a period."""

from __future__ import annotations

import asyncio
import itertools

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
    """The frames the timer starts (not when they reach the terminal: drawing one takes its
    own time) are at least a period apart, however often the screen changes."""
    app = FramesApp()
    async with app.run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        screen = app.screen
        timer = screen._update_timer
        assert isinstance(timer, FrameTimer)
        started: list[float] = []
        tick = timer._tick

        async def recording(*, next_timer: float, count: int) -> None:
            started.append(next_timer)  # FrameTimer passes when it started the frame
            await tick(next_timer=next_timer, count=count)

        timer._tick = recording  # type: ignore[method-assign]
        label = screen.query_one("#count", Static)
        for number in range(60):  # a change every ~2 ms for ~120 ms
            label.update(str(number))
            await asyncio.sleep(0.002)
        await pilot.pause(0.1)
        assert str(label.render()) == "59", "the last change was drawn"
        assert len(started) >= 2, "the changes were drawn as they came"
        gaps = [later - earlier for earlier, later in itertools.pairwise(started)]
        # Textual's sleep ends up to 0.5 ms early by design (it compensates asyncio's lateness)
        assert all(gap >= UPDATE_PERIOD - 0.0006 for gap in gaps), gaps
