"""The desk's clock: the one place every date and time the console shows or defaults comes from.

:class:`Clock` reads the operating system's wall clock (``datetime.now``) on every call and
remembers nothing, so a console left open runs into the next day with it, and a faked system
clock (libfaketime) moves it. Dates are Ljubljana's (Europe/Ljubljana, summer time included).

- ``utcnow()``: the moment (aware, UTC): ages, countdowns, what is stamped on queued writes;
- ``now()`` and ``today()``: the desk's local time and day: every date the console shows or
  offers as a default (the slot search's range, "N days ago", the suggested call back);
- ``seconds_to_midnight()``: when the desk's day next changes, for the one timer that tells
  open screens (``console.app``): a timer at midnight, not a poll.

``[ui] today`` (demos and tests) pretends a date: the desk's day is shifted by whole days from
the real one, and still changes at each local midnight. Tests inject the time itself
(``Clock(source=...)``); a benchmark may run it faster than real time (``rate``).

No Textual here.
"""

from __future__ import annotations

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
        self, source: Source | None = None, *, today: date | None = None, rate: float = 1.0
    ) -> None:
        """``source``: where the moment comes from (default: the system's clock, read on each
        call); ``today``: a date to pretend (the desk's day is shifted by whole days to it);
        ``rate``: seconds of ``source`` time per real second (1 unless a test or a benchmark
        runs the time faster), for timers that wait on real time."""
        if rate <= 0:
            raise ValueError("a clock's rate must be positive")
        self._source = source
        self.rate = rate
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
        """Real seconds until the desk's day changes (``rate`` taken into account)."""
        return max(0.0, (self.next_midnight() - self.utcnow()).total_seconds() / self.rate)


def scaled_time(start: datetime, rate: float, monotonic: Callable[[], float]) -> Source:
    """A source that starts at ``start`` and runs ``rate`` times faster than ``monotonic``
    (for a benchmark that lives a shift in minutes)."""
    began = monotonic()

    def now() -> datetime:
        return start + timedelta(seconds=(monotonic() - began) * rate)

    return now
