"""The desk's clock: the one place every date and time the console shows or defaults comes from.

:class:`Clock` reads the operating system's wall clock (``datetime.now``) on every call and
remembers nothing, so a console left open runs into the next day with it, and a faked system
clock (libfaketime) moves it. Dates are Ljubljana's (Europe/Ljubljana, summer time included).

- ``utcnow()``: the moment (aware, UTC): ages, countdowns, what is stamped on queued writes;
- ``now()`` and ``today()``: the desk's local time and day: every date the console shows or
  offers as a default (the slot search's range, "N days ago", the suggested call back);
- ``seconds_to_midnight()``: when the desk's day next changes, for the one timer that tells
  open screens (``console.shell.day_watch``): a timer at midnight, not a poll;
- ``ticks()``: seconds on a monotonic clock, for the intervals the desk keeps itself (the slot
  window's hourly refresh): unmoved when the wall clock is set.

``[ui] today`` (demos and tests) pretends a date: the desk's day is shifted by whole days from
the real one, and still changes at each local midnight. Tests inject the time itself
(``Clock(source=...)``); a benchmark that lives a shift in minutes injects faster ``ticks``
(the moment stays real: it is compared with the service's).

No Textual here.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from console.domain.calendar import TZ

Source = Callable[[], datetime]  # an aware datetime: the moment now


def system_time() -> datetime:
    """The operating system's wall clock, now (aware, UTC)."""
    return datetime.now(UTC)


class Clock:
    """The desk's clock (see the module docstring)."""

    def __init__(
        self,
        source: Source | None = None,
        *,
        today: date | None = None,
        ticks: Callable[[], float] | None = None,
    ) -> None:
        """``source``: where the moment comes from (default: the system's clock, read on each
        call); ``today``: a date to pretend (the desk's day is shifted by whole days to it);
        ``ticks``: the monotonic seconds the desk's own intervals are measured in (default:
        ``time.monotonic``)."""
        self._source = source
        self._ticks = ticks
        self.shift = timedelta(0)
        if today is not None:
            self.shift = timedelta(days=(today - self._local().date()).days)

    @property
    def pretending(self) -> bool:
        """True when ``[ui] today`` shifts the desk's day from the real one."""
        return bool(self.shift)

    def utcnow(self) -> datetime:
        """The moment now, aware UTC (never shifted: it is compared with the service's times)."""
        moment = (self._source or system_time)()
        if moment.tzinfo is None:
            raise ValueError("a clock's source must give aware datetimes")
        return moment.astimezone(UTC)

    def _local(self) -> datetime:
        return self.utcnow().astimezone(TZ)

    def now(self) -> datetime:
        """The desk's local time (Europe/Ljubljana) on the desk's day."""
        local = self._local()
        if not self.shift:
            return local
        wall = datetime.combine(local.date() + self.shift, local.time())
        # Through UTC and back: a wall time the shifted day skips (spring forward) moves on.
        return wall.replace(tzinfo=TZ).astimezone(UTC).astimezone(TZ)

    def today(self) -> date:
        """The desk's date in Ljubljana."""
        return self._local().date() + self.shift

    def next_midnight(self) -> datetime:
        """The moment (aware UTC) of the next local midnight, when the desk's day changes: 23
        hours after the one before on the last Sunday of March, 25 on the last of October."""
        tomorrow = self._local().date() + timedelta(days=1)
        return datetime.combine(tomorrow, time(0), tzinfo=TZ).astimezone(UTC)

    def seconds_to_midnight(self) -> float:
        """Seconds until the desk's day changes."""
        return max(0.0, (self.next_midnight() - self.utcnow()).total_seconds())

    def ticks(self) -> float:
        """Monotonic seconds, for the intervals the desk keeps itself (not the wall clock:
        setting that does not make a refresh come early or late)."""
        return (self._ticks or _time.monotonic)()
