"""The day's calls and bookings, counted by the database.

Each figure is an aggregate over an indexed range of today (calls by ``started_at``, bookings
by ``created_at`` and ``cancelled_at``), never today's rows loaded into Python. On PostgreSQL
the calls' and the bookings' figures are each one scan with ``GROUPING SETS`` (per agent, per
hour, per disposition or service); SQLite, without grouping sets, runs the same groups as one
``UNION ALL``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row

from console.server.floor.day import Day
from console.server.floor.statements import as_hour, cached_statement, hour_sql


@dataclass
class Figures:
    """Counts and sums of one group (an agent, an hour, a disposition or a service)."""

    calls: int = 0
    wrapped: int = 0
    talk: float = 0.0  # seconds, over wrapped calls
    acw: float = 0.0  # seconds of after-call work, over wrapped calls
    acw_n: int = 0  # wrapped calls that say how long their after-call work took
    booked: int = 0
    rescheduled: int = 0
    cancelled: int = 0

    def add_calls(self, row: Row) -> None:
        self.calls += row.calls
        self.wrapped += row.wrapped
        talk = row.talk
        self.talk += talk.total_seconds() if isinstance(talk, timedelta) else float(talk or 0)
        self.acw += float(row.acw or 0)
        self.acw_n += row.acw_n

    @property
    def avg_handle(self) -> float | None:
        """Talk plus after-call work (none said: none), per wrapped call."""
        return round((self.talk + self.acw) / self.wrapped, 1) if self.wrapped else None

    @property
    def avg_acw(self) -> float | None:
        return round(self.acw / self.acw_n, 1) if self.acw_n else None


@dataclass
class DayFigures:
    agents: dict[int, Figures] = field(default_factory=dict)
    hours: dict[datetime, Figures] = field(default_factory=dict)
    dispositions: dict[str | None, Figures] = field(default_factory=dict)
    services: dict[int, Figures] = field(default_factory=dict)
    total: Figures = field(default_factory=Figures)

    def agent(self, agent_id: int) -> Figures:
        return self.agents.setdefault(agent_id, Figures())

    def plus(self, other: DayFigures) -> DayFigures:
        """A new sum of both (neither is changed)."""
        out = DayFigures()
        for mine, theirs, into in (
            (self.agents, other.agents, out.agents),
            (self.hours, other.hours, out.hours),
            (self.dispositions, other.dispositions, out.dispositions),
            (self.services, other.services, out.services),
        ):
            for key in mine.keys() | theirs.keys():
                into[key] = _sum(mine.get(key), theirs.get(key))  # type: ignore[index, arg-type]
        out.total = _sum(self.total, other.total)
        return out


def _sum(a: Figures | None, b: Figures | None) -> Figures:
    out = Figures()
    for part in (a, b):
        if part is not None:
            out.calls += part.calls
            out.wrapped += part.wrapped
            out.talk += part.talk
            out.acw += part.acw
            out.acw_n += part.acw_n
            out.booked += part.booked
            out.rescheduled += part.rescheduled
            out.cancelled += part.cancelled
    return out


# Which of today's calls a statement counts: every one ("day"); those wrapped up in [:lo, :hi)
# ("settled"); or those still open or wrapped up at or after :lo ("recent").
_CALL_ROWS = {
    "day": "calls WHERE {day}",
    "settled": "calls WHERE {day} AND wrapped_at >= :lo AND wrapped_at < :hi",
    "recent": "(SELECT * FROM calls {open_index} WHERE {day} AND wrapped_at IS NULL UNION ALL "
    "SELECT * FROM calls WHERE {day_by_wrap} AND wrapped_at >= :lo) c",
}
_DAY = "started_at >= :start AND started_at < :end"
# SQLite, without statistics on calls, would find the recently wrapped calls through the day's
# range of started_at rather than through wrapped_at (a unary + keeps it off that index), and
# the open ones through every call ever left open rather than today's (the partial index).
_DAY_BY_WRAP = {"sqlite": "+started_at >= :start AND +started_at < :end"}
_OPEN_INDEX = {"sqlite": "INDEXED BY ix_calls_open_started"}


def call_sql(connection: Connection, rows: str = "day") -> str:
    """Today's calls by agent (counts and sums), by hour and by disposition (counts).

    PostgreSQL sums the talk as intervals (one conversion per group, not per call)."""
    wrapped = "FILTER (WHERE wrapped_at IS NOT NULL)"
    if connection.dialect.name == "postgresql":
        talk = f"sum(ended_at - started_at) {wrapped}"
    else:
        talk = f"sum((julianday(ended_at) - julianday(started_at)) * 86400.0) {wrapped}"
    sums = (
        f"{talk} AS talk, sum(after_call_work_seconds) {wrapped} AS acw, "
        f"count(after_call_work_seconds) {wrapped} AS acw_n"
    )
    counts = "count(*) AS calls, count(wrapped_at) AS wrapped"
    day_by_wrap = _DAY_BY_WRAP.get(connection.dialect.name, _DAY)
    open_index = _OPEN_INDEX.get(connection.dialect.name, "")
    where = "FROM " + _CALL_ROWS[rows].format(
        day=_DAY, day_by_wrap=day_by_wrap, open_index=open_index
    )
    hour = hour_sql(connection, "started_at")
    if connection.dialect.name == "postgresql":
        return (
            f"SELECT GROUPING(agent_id) AS ga, GROUPING({hour}) AS gh, agent_id, "
            f"{hour} AS hour, disposition, {counts}, {sums} {where} "
            f"GROUP BY GROUPING SETS ((agent_id), ({hour}), (disposition))"
        )
    none = "NULL AS talk, NULL AS acw, 0 AS acw_n"
    return (
        f"SELECT 0 AS ga, 1 AS gh, agent_id, NULL AS hour, NULL AS disposition, {counts}, "
        f"{sums} {where} GROUP BY agent_id UNION ALL "
        f"SELECT 1, 0, NULL, {hour}, NULL, {counts}, {none} {where} GROUP BY {hour} UNION ALL "
        f"SELECT 1, 1, NULL, NULL, disposition, {counts}, {none} {where} GROUP BY disposition"
    )


def booking_sql(connection: Connection) -> str:
    """Bookings made in [:lo, :hi) by who made them, by hour and by service (new ones and
    reschedules), and cancellations in [:lo, :hi) by who cancelled."""
    aggregates = (
        "sum(CASE WHEN replaces IS NULL THEN 1 ELSE 0 END) AS booked, "
        "sum(CASE WHEN replaces IS NOT NULL THEN 1 ELSE 0 END) AS rescheduled"
    )
    where = "FROM bookings WHERE created_at >= :lo AND created_at < :hi"
    cancelled = (
        "SELECT 2 AS ga, 2 AS gh, cancelled_by AS who, NULL AS hour, NULL AS service_id, "
        "count(*) AS booked, 0 AS rescheduled FROM bookings WHERE cancelled_at >= :lo "
        "AND cancelled_at < :hi AND status = 'cancelled' GROUP BY cancelled_by"
    )
    hour = hour_sql(connection, "created_at")
    if connection.dialect.name == "postgresql":
        made = (
            f"SELECT GROUPING(created_by) AS ga, GROUPING({hour}) AS gh, created_by AS who, "
            f"{hour} AS hour, service_id, {aggregates} {where} "
            f"GROUP BY GROUPING SETS ((created_by), ({hour}), (service_id))"
        )
    else:
        made = (
            f"SELECT 0 AS ga, 1 AS gh, created_by AS who, NULL AS hour, NULL AS service_id, "
            f"{aggregates} {where} GROUP BY created_by UNION ALL "
            f"SELECT 1, 0, NULL, {hour}, NULL, {aggregates} {where} GROUP BY {hour} UNION ALL "
            f"SELECT 1, 1, NULL, NULL, service_id, {aggregates} {where} GROUP BY service_id"
        )
    return f"{made} UNION ALL {cancelled}"


def _call_params(rows: str) -> tuple[str, ...]:
    return {"day": ("start", "end"), "settled": ("start", "end", "lo", "hi")}.get(
        rows, ("start", "end", "lo")
    )


def day_figures(
    connection: Connection,
    day: Day,
    rows: str = "day",
    lo: datetime | None = None,
    hi: datetime | None = None,
) -> DayFigures:
    """Today's calls and bookings by agent, by hour, by disposition and by service: all of
    them (``rows="day"``), those settled in [lo, hi), or those recent from ``lo`` on."""
    found = DayFigures()
    bounds = {"start": day.start, "end": day.end, "lo": lo, "hi": hi}
    names = _call_params(rows)
    statement = cached_statement(connection, f"calls-{rows}", lambda c: call_sql(c, rows), *names)
    for row in connection.execute(statement, {name: bounds[name] for name in names}):
        if row.ga == 0:
            found.agent(row.agent_id).add_calls(row)
            found.total.add_calls(row)
        elif row.gh == 0:
            found.hours.setdefault(as_hour(row.hour), Figures()).add_calls(row)
        else:
            found.dispositions.setdefault(row.disposition, Figures()).add_calls(row)
    made = {
        "day": (day.start, day.end),
        "settled": (lo, hi),
        "recent": (lo, day.end),
    }[rows]
    statement = cached_statement(connection, "bookings", booking_sql, "lo", "hi")
    for row in connection.execute(statement, {"lo": made[0], "hi": made[1]}):
        if row.ga == 2:  # cancellations, by who cancelled
            if row.who is not None:
                found.agent(row.who).cancelled += row.booked
            found.total.cancelled += row.booked
        elif row.ga == 0:
            figures = found.agent(row.who)
            figures.booked += row.booked
            figures.rescheduled += row.rescheduled
            found.total.booked += row.booked
            found.total.rescheduled += row.rescheduled
        elif row.gh == 0:
            figures = found.hours.setdefault(as_hour(row.hour), Figures())
            figures.booked += row.booked
            figures.rescheduled += row.rescheduled
        else:
            figures = found.services.setdefault(row.service_id, Figures())
            figures.booked += row.booked
            figures.rescheduled += row.rescheduled
    return found
