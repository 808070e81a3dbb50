"""How full the next working days are, per service.

The number of slots a service has in a window changes only when slots are made, so that total
is counted (free and taken slots over the partial indexes) at most every ``slot_totals_seconds``
and whenever a newer slot exists (``max(slots.id)``); booked and blocked slots are counted on
every read from a partial index that holds only them, and free = total - booked - blocked.
"""

from __future__ import annotations

import threading
import time as monotonic_time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, func, select

from console.domain.calendar import working_days
from console.domain.floor import SlotWindow
from console.server.floor.day import Day, local_midnight
from console.server.floor.statements import cached_statement
from console.server.schema import slots


@dataclass(frozen=True)
class Windows:
    """The next working days from tomorrow: for each configured size, its last day and the
    stored time it ends at."""

    start: datetime
    sizes: tuple[int, ...]
    last_days: tuple[date, ...]
    ends: tuple[datetime, ...]

    @classmethod
    def after(cls, day: Day, sizes: Iterable[int]) -> Windows:
        sizes = tuple(sizes)
        days = working_days(day.date + timedelta(days=1), max(sizes))
        last = tuple(days[n - 1] for n in sizes)
        return cls(day.end, sizes, last, tuple(local_midnight(d + timedelta(days=1)) for d in last))

    def params(self) -> dict[str, datetime]:
        return {"start": self.start} | {f"e{i}": end for i, end in enumerate(self.ends)}

    def names(self) -> list[str]:
        return ["start", *(f"e{i}" for i in range(len(self.ends)))]


def taken_sql(windows: Windows) -> str:
    columns = ", ".join(
        f"sum(CASE WHEN starts_at < :e{i} THEN 1 ELSE 0 END) AS w{i}"
        for i in range(len(windows.ends))
    )
    last = len(windows.ends) - 1
    return (
        f"SELECT service_id, status, {columns} FROM slots WHERE status <> 'free' "
        f"AND starts_at >= :start AND starts_at < :e{last} GROUP BY service_id, status"
    )


def free_sql(windows: Windows) -> str:
    columns = ", ".join(
        f"(SELECT count(*) FROM slots s WHERE s.service_id = v.id AND s.status = 'free' "
        f"AND s.starts_at >= :start AND s.starts_at < :e{i}) AS w{i}"
        for i in range(len(windows.ends))
    )
    return f"SELECT v.id AS service_id, {columns} FROM services v"


Counts = dict[int, list[int]]  # service id -> a count per window
_NEWEST_SLOT = select(func.max(slots.c.id))


class SlotTotals:
    """Each service's number of slots (any status) per window, counted again when the windows
    move, when a newer slot exists, or after ``max_age`` seconds (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._at = 0.0
        self._totals: Counts = {}

    def get(
        self, connection: Connection, windows: Windows, taken: dict[str, Counts], max_age: float
    ) -> Counts:
        newest = connection.execute(_NEWEST_SLOT).scalar()
        key = (windows, newest)
        with self._lock:
            if key == self._key and monotonic_time.monotonic() - self._at < max_age:
                return self._totals
        statement = cached_statement(
            connection, "free", lambda _c: free_sql(windows), *windows.names()
        )
        totals: Counts = {}
        size = len(windows.ends)
        for row in connection.execute(statement, windows.params()):
            counts = [int(row._mapping[f"w{i}"] or 0) for i in range(size)]
            for by_service in taken.values():  # booked and blocked
                for i, count in enumerate(by_service.get(row.service_id, [0] * size)):
                    counts[i] += count
            totals[row.service_id] = counts
        with self._lock:
            self._key, self._at, self._totals = key, monotonic_time.monotonic(), totals
        return totals


def slot_windows(
    connection: Connection, windows: Windows, cache: SlotTotals | None, max_age: float
) -> dict[int, list[SlotWindow]]:
    statement = cached_statement(
        connection, "taken", lambda _c: taken_sql(windows), *windows.names()
    )
    taken: dict[str, Counts] = {"booked": {}, "blocked": {}}
    for row in connection.execute(statement, windows.params()):
        counts = [int(row._mapping[f"w{i}"] or 0) for i in range(len(windows.ends))]
        taken.setdefault(row.status, {})[row.service_id] = counts
    totals = (cache or SlotTotals()).get(connection, windows, taken, max_age)
    found: dict[int, list[SlotWindow]] = {}
    for service_id, all_slots in totals.items():
        booked = taken["booked"].get(service_id, [0] * len(all_slots))
        blocked = taken["blocked"].get(service_id, [0] * len(all_slots))
        found[service_id] = []
        for i, size in enumerate(windows.sizes):
            total = max(all_slots[i] - blocked[i], 0)
            free = max(total - booked[i], 0)
            found[service_id].append(
                SlotWindow(
                    working_days=size,
                    until=windows.last_days[i],
                    free=free,
                    booked=booked[i],
                    total=total,
                    fill=round(booked[i] / total, 4) if total else None,
                )
            )
    return found
