"""When a screen draws its next frame: as soon as something changed, at most once a period.

Textual 8.2.8 draws a screen from a repeating timer (60 times a second) that is paused while
nothing changes. When it is resumed after a pause, it draws at once, but then re-aligns to its
old schedule by skipping one tick too many: the next frame comes 17-33 ms later instead of at
most 17. On the lookup screen that is the frame with the answer. The key press draws the typed
character at once; the answer, ready ~10 ms later, waited for a tick ~25 ms away on average, as
long as the search and the drawing together.

:class:`FrameTimer` keeps the rule and not the schedule: a frame as soon as one is wanted, but
never sooner than one period after the last. Screens take it with :class:`PromptFrames`.
"""

from __future__ import annotations

import math

from textual.screen import UPDATE_PERIOD
from textual.timer import EventTargetGone, Timer

from widgets.textual_internals import timer_clock, timer_sleep


def next_frame_at(last_frame: float, now: float, period: float) -> float:
    """When to draw a frame wanted at ``now``: at once, unless the last one was drawn less
    than ``period`` ago, then one period after it."""
    return max(now, last_frame + period)


class FrameTimer(Timer):
    """A screen's update timer: one frame each time it is resumed, spaced by its interval.

    Overrides and uses Timer's and Screen's private parts (listed in
    :data:`widgets.textual_internals.LEANS_ON`)."""

    async def _run(self) -> None:
        last_frame = -math.inf
        while True:
            await self._active.wait()  # the screen wants a frame (it pauses us after each)
            now = timer_clock()
            wait = next_frame_at(last_frame, now, self._interval) - now
            if wait > 0:
                await timer_sleep(wait)
            last_frame = timer_clock()
            try:
                await self._tick(next_timer=last_frame, count=0)
            except EventTargetGone:
                break


class PromptFrames:
    """Mixin for a :class:`textual.screen.Screen` or ``ModalScreen``: its frames come from a
    :class:`FrameTimer`. (A mixin, not a Screen subclass: as one, Screen's default CSS would
    come after ModalScreen's and make a dialog's backdrop opaque.)"""

    _frame_timer: FrameTimer | None = None

    @property
    def _update_timer(self) -> Timer:  # replaces Screen's, which makes a plain Timer
        timer = self._frame_timer
        if timer is None:
            timer = FrameTimer(
                self,  # type: ignore[arg-type]
                UPDATE_PERIOD,
                name="screen_update",
                callback=self._on_timer_update,  # type: ignore[attr-defined]
                pause=True,
            )
            timer._start()
            self._timers.add(timer)  # type: ignore[attr-defined]  # stopped with the screen
            self._frame_timer = timer
        return timer
