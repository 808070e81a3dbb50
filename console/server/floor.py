"""The supervisor's floor: every agent's state and day, the services' slots, the day's figures.

Everything is counted by the database: each figure is an aggregate over an indexed range of
today (calls by ``started_at``, bookings by ``created_at`` and ``cancelled_at``) or a small set
(one presence row per agent; booked and blocked slots), never today's rows loaded into Python.
On PostgreSQL the calls' and the bookings' figures are each one scan with ``GROUPING SETS``
(per agent, per hour, per disposition or service); SQLite, without grouping sets, runs the
same groups as one ``UNION ALL``.

"Today" is Europe/Ljubljana's day around the service's clock at the moment of the read (never
computed once); its hours are whole UTC hours too (Ljubljana's offset is whole hours), so an
hour is ``date_trunc('hour', …)`` of the stored UTC time, and the day has 23 or 25 of them when
the clocks change.

A wrapped-up call, a booking made and a cancellation never change again. So each process keeps
today's *settled* figures (calls wrapped up, bookings made and cancellations until ``SETTLE``
ago: :class:`DayCache`) and each read counts only what settled since its last read and what is
recent (calls still open or wrapped up since, bookings and cancellations since), over indexes on
``wrapped_at``, open calls, ``created_at`` and ``cancelled_at``: the cost of a read follows the
last minutes, not the length of the day. The first read of a day counts the whole day.

How full the next working days are: the number of slots a service has in a window changes only
when slots are made, so that total is counted (free and taken slots over the partial indexes)
at most every ``slot_totals_seconds`` and whenever a newer slot exists (``max(slots.id)``);
booked and blocked slots are counted on every read from a partial index that holds only them,
and free = total - booked - blocked.
"""

from __future__ import annotations

import datetime as dt
import threading
import time as monotonic_time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, or_, select, text
from sqlalchemy.types import DateTime

from console.domain.calendar import TZ, working_days
from console.domain.floor import (
    CALL_STATES,
    AgentState,
    AlertKind,
    DispositionCount,
    Floor,
    FloorAgent,
    FloorAlert,
    FloorCall,
    FloorDay,
    FloorHour,
    FloorService,
    FloorState,
    FloorThresholds,
    SlotWindow,
)
from console.domain.models import Role
from console.server import agent_states, callback_figures, clock
from console.server.floor_settings import FloorSettings
from console.server.messages import outbox
from console.server.schema import (
    agent_presence,
    agents,
    bookings,
    calls,
    provider_reports,
    providers,
    services,
    slots,
)
from console.server.settings import CallbackSettings

MAX_REPORT_ALERTS = 50
P = agent_presence.c


# --- days and hours -------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """A Ljubljana day as the stored (naive UTC) times that bound it: [start, end)."""

    date: dt.date
    start: datetime
    end: datetime

    @classmethod
    def of(cls, day: dt.date) -> Day:
        return cls(day, _local_midnight(day), _local_midnight(day + timedelta(days=1)))

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


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), TZ).astimezone(UTC).replace(tzinfo=None)


def _hour(connection: Connection, column: str) -> str:
    """SQL for the stored (UTC) hour a time falls in."""
    if connection.dialect.name == "postgresql":
        return f"date_trunc('hour', {column})"
    return f"strftime('%Y-%m-%d %H:00:00', {column})"


def _as_hour(value: Any) -> datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value.replace(tzinfo=None) if value.tzinfo else value


def _range(*names: str):  # type: ignore[no-untyped-def]
    return [bindparam(name, type_=DateTime) for name in names]


_STATEMENTS: dict[tuple, Any] = {}


def _statement(connection: Connection, name: str, build: Any, *params: str) -> Any:
    """The text statement ``build(connection)`` with typed time ``params``, written once per
    database dialect (the floor is read every few seconds by every supervisor)."""
    key = (connection.dialect.name, name, params)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = text(build(connection)).bindparams(*_range(*params))
    return statement


# --- the day's calls and bookings -----------------------------------------------------------


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


def _call_sql(connection: Connection, rows: str = "day") -> str:
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
    hour = _hour(connection, "started_at")
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


def _booking_sql(connection: Connection) -> str:
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
    hour = _hour(connection, "created_at")
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
    statement = _statement(connection, f"calls-{rows}", lambda c: _call_sql(c, rows), *names)
    for row in connection.execute(statement, {name: bounds[name] for name in names}):
        if row.ga == 0:
            found.agent(row.agent_id).add_calls(row)
            found.total.add_calls(row)
        elif row.gh == 0:
            found.hours.setdefault(_as_hour(row.hour), Figures()).add_calls(row)
        else:
            found.dispositions.setdefault(row.disposition, Figures()).add_calls(row)
    made = {
        "day": (day.start, day.end),
        "settled": (lo, hi),
        "recent": (lo, day.end),
    }[rows]
    statement = _statement(connection, "bookings", _booking_sql, "lo", "hi")
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
            figures = found.hours.setdefault(_as_hour(row.hour), Figures())
            figures.booked += row.booked
            figures.rescheduled += row.rescheduled
        else:
            figures = found.services.setdefault(row.service_id, Figures())
            figures.booked += row.booked
            figures.rescheduled += row.rescheduled
    return found


# A wrapped-up call, a booking and a cancellation never change again, so what was settled
# this long ago is kept (per process) and only what came since is counted on each read. The
# margin is for transactions still open when the settled part was counted; the service's
# transactions last milliseconds.
SETTLE = timedelta(minutes=2)
# What settled is folded into the kept figures in steps of at least this much (reads in
# between count it as recent): most reads then run no folding statement at all.
FOLD_STEP = timedelta(seconds=30)


class DayCache:
    """Today's settled figures: calls wrapped up, bookings made and cancellations before a
    moment ``SETTLE`` ago, counted once, with what settled since added on each read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._day: date | None = None
        self._upto: datetime | None = None
        self._settled = DayFigures()

    def figures(self, connection: Connection, day: Day, now: datetime) -> DayFigures:
        upto = min(max(day.start, now - SETTLE), day.end)
        with self._lock:
            known, since, settled = self._day, self._upto, self._settled
        if known != day.date or since is None or since > upto:  # a new day, or clocks moved
            since, settled = day.start, DayFigures()
        if upto - since < FOLD_STEP:
            upto = since
        if upto > since:
            settled = settled.plus(day_figures(connection, day, "settled", since, upto))
            with self._lock:
                if self._day != day.date or self._upto is None or self._upto < upto:
                    self._day, self._upto, self._settled = day.date, upto, settled
        return settled.plus(day_figures(connection, day, "recent", upto))


# --- slots of the next working days ---------------------------------------------------------


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
        return cls(
            day.end, sizes, last, tuple(_local_midnight(d + timedelta(days=1)) for d in last)
        )

    def params(self) -> dict[str, datetime]:
        return {"start": self.start} | {f"e{i}": end for i, end in enumerate(self.ends)}

    def names(self) -> list[str]:
        return ["start", *(f"e{i}" for i in range(len(self.ends)))]


def _taken_sql(windows: Windows) -> str:
    columns = ", ".join(
        f"sum(CASE WHEN starts_at < :e{i} THEN 1 ELSE 0 END) AS w{i}"
        for i in range(len(windows.ends))
    )
    last = len(windows.ends) - 1
    return (
        f"SELECT service_id, status, {columns} FROM slots WHERE status <> 'free' "
        f"AND starts_at >= :start AND starts_at < :e{last} GROUP BY service_id, status"
    )


def _free_sql(windows: Windows) -> str:
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
        statement = _statement(connection, "free", lambda _c: _free_sql(windows), *windows.names())
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
    statement = _statement(connection, "taken", lambda _c: _taken_sql(windows), *windows.names())
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


# --- agents ---------------------------------------------------------------------------------


def _agent_query() -> Any:
    first_booking_service = (
        select(bookings.c.service_id)
        .where(bookings.c.call_id == P.call_id)
        .order_by(bookings.c.id)
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            agents.c.id,
            agents.c.name,
            agents.c.role,
            P.state,
            P.reason,
            P.since,
            P.last_seen_at,
            P.call_id,
            P.queued_writes,
            P.sync_issues,
            P.replayed,
            P.replayed_at,
            calls.c.started_at.label("call_started_at"),
            func.coalesce(P.service_id, first_booking_service).label("call_service_id"),
        )
        .select_from(
            agents.outerjoin(agent_presence, P.agent_id == agents.c.id).outerjoin(
                calls, calls.c.id == P.call_id
            )
        )
        .where(agents.c.active.is_(True), or_(agents.c.role == "agent", P.agent_id.is_not(None)))
        .order_by(agents.c.name, agents.c.id)
    )
    return query


_AGENTS = _agent_query()


def _agent_rows(connection: Connection) -> list[Row]:
    return list(connection.execute(_AGENTS))


def _aware(value: datetime | None) -> datetime | None:
    """A stored time read by the driver (naive UTC) as an aware one."""
    return value.replace(tzinfo=UTC) if value is not None else None


_STATES = {state.value: state for state in AgentState}
_ROLES = {role.value: role for role in Role}


def _floor_agent(
    row: Row,
    now: datetime,
    figures: Figures,
    names: dict[int, Row],
    settings: FloorSettings,
) -> FloorAgent:
    """One agent's line of the floor (200 of them on every read: kept lean; the row is
    unpacked once, in the order of :func:`_agent_query`'s columns)."""
    (agent_id, name, role, stored, reason, since, seen, call_id, queued, issues, replayed,
     replayed_at, call_started, call_service) = row  # fmt: skip
    reported = _STATES.get(stored) if stored else None
    state = agent_states.effective_state(reported, seen, now, settings)
    if state is FloorState.UNREACHABLE:
        since = seen
    call = None
    if call_id is not None and reported in CALL_STATES:
        talk_end = now if reported is AgentState.ON_CALL else row.since
        service = names.get(call_service) if call_service else None
        call = FloorCall(
            id=call_id,
            started_at=_aware(call_started),
            talk_seconds=max(int((talk_end - call_started).total_seconds()), 0),
            service_id=call_service,
            service_name=service.name if service else None,
            service_name_en=service.name_en if service else None,
        )
    return FloorAgent(
        id=agent_id,
        name=name,
        role=_ROLES[role],
        state=state,
        reported_state=reported,
        reason=reason if reported is AgentState.AWAY else None,
        since=_aware(since),
        seconds_in_state=max(int((now - since).total_seconds()), 0) if since else None,
        last_seen_at=_aware(seen),
        call=call,
        calls_today=figures.calls,
        wrapped_today=figures.wrapped,
        avg_handle_seconds=figures.avg_handle,
        avg_after_call_work_seconds=figures.avg_acw,
        bookings_today=figures.booked,
        cancellations_today=figures.cancelled,
        reschedules_today=figures.rescheduled,
        queued_writes=queued or 0,
        sync_issues=issues or 0,
        replayed=replayed or 0,
        replayed_at=_aware(replayed_at),
    )


# --- alerts ---------------------------------------------------------------------------------


def _agent_alerts(agent: FloorAgent, now: datetime, settings: FloorSettings) -> list[FloorAlert]:
    found: list[FloorAlert] = []

    def alert(kind: AlertKind, since: datetime, limit: float, message: str, **extra: Any) -> None:
        seconds = int((now.replace(tzinfo=UTC) - since).total_seconds())
        if seconds > limit:
            found.append(
                FloorAlert(
                    kind=kind,
                    since=since,
                    seconds=seconds,
                    threshold_seconds=int(limit),
                    agent_id=agent.id,
                    agent_name=agent.name,
                    message=message,
                    **extra,
                )
            )

    if agent.state is FloorState.ON_CALL and agent.call is not None:
        alert(
            AlertKind.LONG_CALL,
            agent.call.started_at,
            settings.long_call_minutes * 60,
            f"{agent.name} has been on a call for over {settings.long_call_minutes:g} min.",
        )
    elif agent.state is FloorState.ON_CALL and agent.since is not None:
        alert(
            AlertKind.LONG_CALL,
            agent.since,
            settings.long_call_minutes * 60,
            f"{agent.name} has been on a call for over {settings.long_call_minutes:g} min.",
        )
    elif agent.state is FloorState.AFTER_CALL_WORK and agent.since is not None:
        alert(
            AlertKind.LONG_AFTER_CALL_WORK,
            agent.since,
            settings.long_after_call_work_minutes * 60,
            f"{agent.name} has been in after-call work for over "
            f"{settings.long_after_call_work_minutes:g} min.",
        )
    elif agent.state is FloorState.AWAY and agent.since is not None:
        alert(
            AlertKind.LONG_AWAY,
            agent.since,
            settings.long_away_minutes * 60,
            f"{agent.name} has been away ({agent.reason}) for over "
            f"{settings.long_away_minutes:g} min.",
        )
    elif (
        agent.state is FloorState.UNREACHABLE
        and agent.queued_writes > 0
        and agent.last_seen_at is not None
    ):
        alert(
            AlertKind.UNREACHABLE_WITH_QUEUE,
            agent.last_seen_at,
            settings.unreachable_after_seconds,
            f"{agent.name}'s desk is unreachable with {agent.queued_writes} write(s) queued.",
            queued_writes=agent.queued_writes,
        )
    return found


_R = provider_reports.c
_OPEN_REPORTS = select(func.count(), func.min(_R.created_at)).where(_R.status == "open")
_OLD_REPORTS = (
    select(_R.id, _R.provider_id, _R.created_at, providers.c.name)
    .select_from(provider_reports.join(providers, providers.c.id == _R.provider_id))
    .where(_R.status == "open", _R.created_at < bindparam("cutoff", type_=DateTime))
    .order_by(_R.created_at, _R.id)
    .limit(MAX_REPORT_ALERTS)
)


def _reports(
    connection: Connection, now: datetime, settings: FloorSettings
) -> tuple[int, datetime | None, list[FloorAlert]]:
    """Open directory reports: how many, the oldest, and alerts for those open too long."""
    count, oldest = connection.execute(_OPEN_REPORTS).one()
    limit = settings.report_open_hours * 3600
    rows = connection.execute(_OLD_REPORTS, {"cutoff": now - timedelta(seconds=limit)})
    alerts = [
        FloorAlert(
            kind=AlertKind.OLD_REPORT,
            since=clock.from_db(row.created_at),
            seconds=int((now - row.created_at).total_seconds()),
            threshold_seconds=int(limit),
            report_id=row.id,
            provider_id=row.provider_id,
            provider_name=row.name,
            message=f"A report on {row.name} has been open for over "
            f"{settings.report_open_hours:g} h.",
        )
        for row in rows
    ]
    return count, clock.from_db(oldest), alerts


# --- the floor ------------------------------------------------------------------------------


def thresholds(settings: FloorSettings) -> FloorThresholds:
    return FloorThresholds(
        heartbeat_seconds=settings.heartbeat_seconds,
        unreachable_after_seconds=settings.unreachable_after_seconds,
        long_call_seconds=int(settings.long_call_minutes * 60),
        long_after_call_work_seconds=int(settings.long_after_call_work_minutes * 60),
        long_away_seconds=int(settings.long_away_minutes * 60),
        report_open_seconds=int(settings.report_open_hours * 3600),
        fill_working_days=list(settings.fill_working_days),
        away_reasons=list(settings.away_reasons),
    )


_SERVICES = select(
    services.c.id, services.c.code, services.c.name, services.c.name_en, services.c.category
).order_by(services.c.category, services.c.name, services.c.id)


@dataclass
class FloorCache:
    """What one process keeps between reads of the floor (see the module docstring)."""

    day: DayCache = field(default_factory=DayCache)
    slots: SlotTotals = field(default_factory=SlotTotals)


def compute(
    connection: Connection,
    settings: FloorSettings,
    cache: FloorCache | None = None,
    callback_settings: CallbackSettings | None = None,
) -> Floor:
    """The floor as of the service's clock now; without ``cache``, everything counted now.
    The callback figures follow ``callback_settings`` (its office hours; default: the
    defaults of ``[callbacks]``)."""
    now = clock.now()
    day = Day.around(now)
    queue = callback_figures.floor_figures(connection, callback_settings or CallbackSettings(), now)
    missed = list(queue.missed_per_hour)  # the day's local hours in order, as ``day.hours()``
    figures = cache.day.figures(connection, day, now) if cache else day_figures(connection, day)
    totals = cache.slots if cache else None
    service_rows = connection.execute(_SERVICES).all()
    names = {row.id: row for row in service_rows}
    agents_out = [
        _floor_agent(row, now, figures.agents.get(row.id, Figures()), names, settings)
        for row in _agent_rows(connection)
    ]
    windows = Windows.after(day, settings.fill_working_days)
    by_service = slot_windows(connection, windows, totals, settings.slot_totals_seconds)
    open_reports, oldest_report, report_alerts = _reports(connection, now, settings)
    alerts = [alert for agent in agents_out for alert in _agent_alerts(agent, now, settings)]
    alerts = sorted(alerts + report_alerts, key=lambda alert: (alert.since, alert.kind.value))
    hours = []
    for start in day.hours():
        local = start.replace(tzinfo=UTC).astimezone(TZ)
        hours.append(
            FloorHour(
                starts_at=clock.from_db(start),
                hour=f"{local:%H:%M}",
                calls=figures.hours.get(start, Figures()).calls,
                bookings=figures.hours.get(start, Figures()).booked,
                missed_calls=missed.pop(0).missed if missed and missed[0].hour == local.hour else 0,
            )
        )
    dispositions = sorted(
        (
            DispositionCount(code=code, count=group.wrapped)
            for code, group in figures.dispositions.items()
            if code is not None and group.wrapped
        ),
        key=lambda item: (-item.count, item.code),
    )
    total = figures.total
    services_out = [
        FloorService(
            id=row.id,
            code=row.code,
            name=row.name,
            name_en=row.name_en,
            category=row.category,
            bookings_today=figures.services.get(row.id, Figures()).booked,
            windows=by_service.get(row.id, []),
        )
        for row in service_rows
    ]
    return Floor(
        at=clock.from_db(now),
        today=FloorDay(
            date=day.date,
            calls=total.calls,
            wrapped=total.wrapped,
            avg_handle_seconds=total.avg_handle,
            avg_after_call_work_seconds=total.avg_acw,
            bookings=total.booked,
            cancellations=total.cancelled,
            reschedules=total.rescheduled,
            dispositions=dispositions,
            hours=hours,
            open_reports=open_reports,
            oldest_open_report_at=oldest_report,
        ),
        agents=agents_out,
        services=services_out,
        alerts=alerts,
        thresholds=thresholds(settings),
        callbacks=queue,
        messages=outbox.counts_for_day(connection, day.date),
    )
