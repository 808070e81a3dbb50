"""A Ljubljana day as the stored (naive UTC) times that bound it.

"Today" is Europe/Ljubljana's day around the service's clock at the moment of the read (never
computed once); its hours are whole UTC hours too (Ljubljana's offset is whole hours), so an
hour is ``date_trunc('hour', …)`` of the stored UTC time, and the day has 23 or 25 of them when
the clocks change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from console.domain.calendar import TZ


@dataclass(frozen=True)
class Day:
    """A Ljubljana day as the stored (naive UTC) times that bound it: [start, end)."""

    date: dt.date
    start: datetime
    end: datetime

    @classmethod
    def of(cls, day: dt.date) -> Day:
        return cls(day, local_midnight(day), local_midnight(day + timedelta(days=1)))

    @classmethod
    def around(cls, now: datetime) -> Day:
        """The Ljubljana day that holds ``now`` (naive UTC)."""
        return cls.of(now.replace(tzinfo=UTC).astimezone(TZ).date())

    def hours(self) -> list[datetime]:
        """The stored (naive UTC) start of each hour of the day."""
        out, moment = [], self.start
        while moment < self.end:
            out.append(moment)
            moment += timedelta(hours=1)
        return out


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), TZ).astimezone(UTC).replace(tzinfo=None)
