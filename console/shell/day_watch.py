"""The desk's day: one timer at the next local midnight, and the screens told of the new day.

The timer counts on the monotonic clock, which stands still while the machine sleeps: a desk
suspended in the evening and woken the next morning would wait hours more for it. So the day is
also checked, at no cost, whenever the agent presses a key and when the terminal gets the focus
back: the first key after a night asleep shows the new day (not a poll).
"""

from __future__ import annotations

import logging
from datetime import date

from textual import events
from textual.timer import Timer

from console.messages import DayChanged
from console.shell.base import Shell

log = logging.getLogger(__name__)

MIDNIGHT_MARGIN = 0.05  # seconds after midnight the day's timer fires


class DayWatchPart(Shell):
    """Rolls the desk on to a new day at midnight (not a poll), and whenever asked."""

    _day: date  # the desk's day, as the open screens last heard it (set on start)
    _midnight: Timer | None = None

    async def on_event(self, event: events.Event) -> None:
        woke = isinstance(event, events.Key | events.AppFocus) and not self._unmounting
        if woke and getattr(self, "_day", None) and self.clock.today() != self._day:
            self.check_day()
            self._watch_midnight()  # the timer, too, counts from now
        await super().on_event(event)

    def _watch_midnight(self) -> None:
        """Wake at the next local midnight (not a poll): the open screens then show the new
        day. Set again each time it fires (a timer that fired a moment early finds the same
        day and waits the rest)."""
        if self._midnight is not None:
            self._midnight.stop()
        self._midnight = self.set_timer(
            self.clock.seconds_to_midnight() + MIDNIGHT_MARGIN, self._midnight_passed
        )

    def _midnight_passed(self) -> None:
        self._midnight = None
        if self._unmounting:
            return
        self.check_day()
        self._watch_midnight()

    def check_day(self) -> None:
        """If the desk's day changed, roll the cached slot window on to it and tell the
        screens on the stack (the others check when they are shown again): each shows the new
        day where it showed today's."""
        today = self.clock.today()
        if today == self._day:
            return
        log.info("the desk's day is now %s", today)
        self._day = today
        if self.store is not None:  # the cached slot window starts today: roll it on now
            self.store.sync.refresh_soon()
            self.store.wake()
        for screen in self.screen_stack:
            screen.post_message(DayChanged(today))

    def stop_day_watch(self) -> None:
        """The app closes: no timer at midnight."""
        if self._midnight is not None:
            self._midnight.stop()
