"""Dates and times as a Slovenian office sees them.

Times are stored in UTC and shown in Europe/Ljubljana; dates are written ``22. 11. 2026``.
Holidays come from ``holidays.country_holidays("SI")`` whose default (public) category is exactly
the work-free days (Prešeren Day 8 Feb, Reformation Day 31 Oct, 2 January, …); the days that are
holidays but working days (e.g. Primož Trubar Day, Rudolf Maister Day) are in its separate
``workday`` category, which is not used here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from console.domain.errors import InvalidValue

TZ = ZoneInfo("Europe/Ljubljana")
FIELD = "hours"

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_INDEX = {name.lower(): i for i, name in enumerate(DAY_NAMES)} | {
    # Slovenian abbreviations (ponedeljek … nedelja), with and without the caron.
    name: i
    for i, names in enumerate(
        (("pon",), ("tor",), ("sre",), ("čet", "cet"), ("pet",), ("sob",), ("ned",))
    )
    for name in names
}
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")
SEARCH_DAYS = 370  # how far ahead the next opening is looked for (a year and some)


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    import holidays  # imported on first use: it takes a few tenths of a second

    return frozenset(holidays.country_holidays("SI", years=year).keys())


def is_holiday(d: date) -> bool:
    """True on a Slovenian work-free public holiday."""
    return d in _holidays(d.year)


def is_working_day(d: date) -> bool:
    """Monday to Friday and not a public holiday."""
    return d.weekday() < 5 and not is_holiday(d)


def working_days(start: date, count: int) -> list[date]:
    """The next ``count`` working days, starting at ``start`` (inclusive)."""
    out: list[date] = []
    day = start
    while len(out) < count:
        if is_working_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def _parse_time(text: str) -> time:
    match = _TIME.match(text.strip())
    if match is None:
        raise InvalidValue(FIELD, f"Time {text.strip()!r} is not in the form 08:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise InvalidValue(FIELD, f"Time {text.strip()!r} does not exist")
    return time(hour, minute)


def _parse_days(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            raise InvalidValue(FIELD, "A list of days has an empty entry")
        first, sep, last = (piece.strip() for piece in part.partition("-"))
        try:
            start = _DAY_INDEX[first[:3]]
            end = _DAY_INDEX[last[:3]] if sep else start
        except KeyError as exc:
            raise InvalidValue(FIELD, f"Unknown day {part!r}: use Mon, Tue, … Sun") from exc
        if end < start:
            raise InvalidValue(FIELD, f"Day range {part!r} runs backwards")
        days.extend(range(start, end + 1))
    return days


def _parse_intervals(text: str) -> list[tuple[time, time]]:
    if text.strip().lower() in ("closed", "zaprto"):
        return []
    intervals: list[tuple[time, time]] = []
    for part in text.split(","):
        opening, sep, closing = part.partition("-")
        if not sep:
            raise InvalidValue(FIELD, f"Hours {part.strip()!r} are not in the form 08:00-15:00")
        start, end = _parse_time(opening), _parse_time(closing)
        if end <= start:
            raise InvalidValue(FIELD, f"Hours {part.strip()!r} end before they start")
        intervals.append((start, end))
    intervals.sort()
    for (_, previous_end), (next_start, _) in pairwise(intervals):
        if next_start < previous_end:
            raise InvalidValue(FIELD, f"Hours {text.strip()!r} overlap")
    return intervals


def _hhmm(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def _day_runs(days: list[int], names: Sequence[str] = DAY_NAMES) -> str:
    """``[0, 1, 2, 4]`` → ``"Mon-Wed, Fri"`` (in ``names``, Monday first)."""
    runs: list[str] = []
    first = previous = days[0]
    for day in [*days[1:], None]:
        if day is not None and day == previous + 1:
            previous = day
            continue
        runs.append(names[first] if first == previous else f"{names[first]}-{names[previous]}")
        if day is not None:
            first = previous = day
    return ", ".join(runs)


def _clause(
    days: list[int],
    hours: tuple[tuple[time, time], ...],
    names: Sequence[str] = DAY_NAMES,
    closed: str = "closed",
) -> str:
    times = ", ".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in hours) if hours else closed
    return f"{_day_runs(days, names)} {times}"


@dataclass(frozen=True)
class OfficeHours:
    """Weekly opening hours: weekday (0 = Monday) → sorted ``(open, close)`` local times.

    Public holidays are not applied here; combine with :func:`is_holiday`.
    """

    days: dict[int, list[tuple[time, time]]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """Parse ``"Mon-Fri 08:00-15:00; Wed 08:00-17:00"``; later clauses override earlier ones.

        A clause is days (``Mon``, ``Mon-Fri``, ``Mon, Wed``) followed by intervals
        (``08:00-12:00, 13:00-15:00``) or ``closed``. ``"closed"`` or ``""`` alone: never open.
        """
        days: dict[int, list[tuple[time, time]]] = {}
        stripped = text.strip()
        if stripped.lower() in ("", "closed", "zaprto"):
            return cls({})
        for clause in stripped.split(";"):
            clause = clause.strip()
            if not clause:
                continue
            split = re.search(r"\d|\bclosed\b|\bzaprto\b", clause, re.IGNORECASE)
            if split is None or split.start() == 0:
                raise InvalidValue(FIELD, f"{clause!r} is not in the form 'Mon-Fri 08:00-15:00'")
            intervals = _parse_intervals(clause[split.start() :])
            for day in _parse_days(clause[: split.start()]):
                days[day] = list(intervals)
        return cls({day: hours for day, hours in sorted(days.items()) if hours})

    def describe(self, names: Sequence[str] = DAY_NAMES, closed: str = "closed") -> str:
        """Text that :meth:`parse` reads back: ``Mon-Fri 08:00-15:00; Wed 08:00-17:00``.

        Two spellings are tried, one clause per distinct set of hours, or the most common hours
        over a whole span of days followed by the exceptions; the shorter one wins. ``names``
        (the days, Monday first) and ``closed`` put it in another language, for people to read.
        """
        groups: dict[tuple[tuple[time, time], ...], list[int]] = {}
        for day in range(7):
            hours = tuple(self.days.get(day, ()))
            if hours:
                groups.setdefault(hours, []).append(day)
        if not groups:
            return closed
        plain = "; ".join(
            _clause(days, hours, names, closed)
            for hours, days in sorted(groups.items(), key=lambda g: g[1][0])
        )
        base_hours, base_days = max(groups.items(), key=lambda g: (len(g[1]), -g[1][0]))
        span = list(range(base_days[0], base_days[-1] + 1))
        exceptions = sorted(
            [(days, hours) for hours, days in groups.items() if hours != base_hours]
            + ([(shut, ())] if (shut := [d for d in span if d not in self.days]) else []),
            key=lambda g: g[0][0],
        )
        spanned = "; ".join(
            [_clause(span, base_hours, names, closed)]
            + [_clause(days, hours, names, closed) for days, hours in exceptions]
        )
        return spanned if len(spanned) < len(plain) else plain

    def intervals(self, d: date) -> list[tuple[datetime, datetime]]:
        """Opening intervals on local day ``d`` as aware UTC datetimes (DST-correct)."""
        return [
            (
                datetime.combine(d, start, tzinfo=TZ).astimezone(UTC),
                datetime.combine(d, end, tzinfo=TZ).astimezone(UTC),
            )
            for start, end in self.days.get(d.weekday(), ())
        ]

    # The one rule for when the hours are open, the service's and the desk's alike: ``at`` is
    # an aware moment; ``holidays``: Slovenian work-free public holidays are closed all day.

    def open_at(self, at: datetime, *, holidays: bool = True) -> bool:
        """True when ``at`` falls inside the hours (and, with ``holidays``, not on a Slovenian
        public holiday)."""
        day = to_local(at).date()
        if holidays and is_holiday(day):
            return False
        return any(start <= at < end for start, end in self.intervals(day))

    def next_open(self, at: datetime, *, holidays: bool = True) -> datetime | None:
        """The first moment at or after ``at`` inside the hours (aware UTC): ``at`` itself when
        they are open then; None when they do not open within :data:`SEARCH_DAYS`."""
        day = to_local(at).date()
        for _ in range(SEARCH_DAYS):
            if not (holidays and is_holiday(day)):
                for start, end in self.intervals(day):
                    if at < end:
                        return max(start, at).astimezone(UTC)
            day += timedelta(days=1)
        return None

    def next_change(self, at: datetime, *, holidays: bool = True) -> datetime | None:
        """The next moment after ``at`` when the hours open or close (aware UTC): the end of
        the opening ``at`` is in, else the next opening; None when they never open again
        within :data:`SEARCH_DAYS`."""
        if self.open_at(at, holidays=holidays):
            day = to_local(at).date()
            return next(end for start, end in self.intervals(day) if start <= at < end)
        return self.next_open(at, holidays=holidays)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def to_local(dt_utc: datetime) -> datetime:
    """Europe/Ljubljana time; a naive value is taken to be UTC (how times are stored)."""
    if dt_utc.tzinfo is None:
        dt_utc = dt_utc.replace(tzinfo=UTC)
    return dt_utc.astimezone(TZ)


def format_date(d: date) -> str:
    """Slovenian style without leading zeros: ``22. 11. 2026`` (datetimes in Ljubljana time)."""
    if isinstance(d, datetime):
        d = to_local(d).date()
    return f"{d.day}. {d.month}. {d.year}"


def happens_twice(local: datetime) -> bool:
    """The wall time is one of the hour the clocks go back (the last Sunday of October, 02:00
    to 03:00 twice): it needs its zone to say which one."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def _wall_time(local: datetime) -> str:
    text = f"{local:%H:%M}"
    return f"{text} {local.tzname()}" if happens_twice(local) else text


def format_time(dt: datetime) -> str:
    """``09:05`` in Ljubljana time; in the hour that happens twice, with its zone: ``02:30
    CEST`` (summer time, the first) and ``02:30 CET`` (the second)."""
    return _wall_time(to_local(dt))


def format_datetime(dt: datetime) -> str:
    """``22. 11. 2026 09:05`` in Ljubljana time (with the zone as :func:`format_time`)."""
    local = to_local(dt)
    return f"{format_date(local.date())} {_wall_time(local)}"
