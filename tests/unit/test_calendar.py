"""Holidays, working days, office hours across DST, Slovenian date formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.calendar import (
    TZ,
    OfficeHours,
    format_date,
    format_datetime,
    format_time,
    is_holiday,
    is_working_day,
    to_local,
    utcnow,
    working_days,
)
from console.domain.errors import InvalidValue


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_timezone() -> None:
    assert TZ.key == "Europe/Ljubljana"


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),
        date(2026, 1, 2),  # work-free again since 2017
        date(2026, 2, 8),  # Prešeren Day
        date(2026, 4, 6),  # Easter Monday
        date(2026, 4, 27),
        date(2026, 5, 1),
        date(2026, 5, 2),
        date(2026, 6, 25),
        date(2026, 8, 15),
        date(2026, 10, 31),  # Reformation Day
        date(2026, 11, 1),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2023, 8, 14),  # one-off Solidarity Day after the 2023 floods
    ],
)
def test_work_free_holidays(day: date) -> None:
    assert is_holiday(day)
    assert not is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 6, 8),  # Primož Trubar Day: a holiday, but a working day
        date(2026, 11, 23),  # Rudolf Maister Day: likewise
        date(2026, 9, 15),
        date(2026, 11, 24),
    ],
)
def test_working_holidays_and_ordinary_days_are_working_days(day: date) -> None:
    assert not is_holiday(day)
    assert is_working_day(day)


def test_weekends_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert not is_working_day(date(2026, 11, 22))  # Sunday
    assert not is_holiday(date(2026, 11, 22))


def test_working_days() -> None:
    # Thu 24 Dec; Fri 25 and Sat 26 are holidays, Sun 27 a Sunday.
    assert working_days(date(2026, 12, 24), 3) == [
        date(2026, 12, 24),
        date(2026, 12, 28),
        date(2026, 12, 29),
    ]
    assert working_days(date(2026, 11, 21), 1) == [date(2026, 11, 23)]  # start not a working day
    assert working_days(date(2026, 11, 23), 0) == []
    # Over the new year: 1 and 2 January 2027 are Fri and Sat.
    assert working_days(date(2026, 12, 31), 2) == [date(2026, 12, 31), date(2027, 1, 4)]


def test_parse_and_describe() -> None:
    hours = OfficeHours.parse("Mon-Fri 08:00-15:00; Wed 08:00-17:00")
    assert hours.days[0] == [(time(8), time(15))]
    assert hours.days[2] == [(time(8), time(17))]
    assert 5 not in hours.days and 6 not in hours.days
    assert hours.describe() == "Mon-Fri 08:00-15:00; Wed 08:00-17:00"


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("Mon-Fri 8:00-12:00, 13:00-15:00", "Mon-Fri 08:00-12:00, 13:00-15:00"),
        ("Mon 08:00-12:00; Fri 08:00-12:00", "Mon, Fri 08:00-12:00"),
        ("Mon-Fri 07:00-19:00; Tue closed", "Mon, Wed-Fri 07:00-19:00"),
        ("Mon, Wed 08:00-12:00; Sat 09:00-11:30", "Mon, Wed 08:00-12:00; Sat 09:00-11:30"),
        ("pon-pet 8.00-15.00; sre 8.00-17.00", "Mon-Fri 08:00-15:00; Wed 08:00-17:00"),
        ("Monday-Friday 08:00-14:00", "Mon-Fri 08:00-14:00"),
        ("", "closed"),
        ("closed", "closed"),
    ],
)
def test_parse_variants(text: str, described: str) -> None:
    hours = OfficeHours.parse(text)
    assert hours.describe() == described
    assert OfficeHours.parse(described) == hours


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Xyz 08:00-15:00", "Unknown day"),
        ("Fri-Mon 08:00-15:00", "backwards"),
        ("Mon-Fri 8-15", "form 08:00"),
        ("Mon-Fri 08:00", "form 08:00-15:00"),
        ("Mon-Fri 15:00-08:00", "end before they start"),
        ("Mon 25:00-26:00", "does not exist"),
        ("Mon 08:00-12:00, 11:00-15:00", "overlap"),
        ("08:00-15:00", "form 'Mon-Fri 08:00-15:00'"),
        ("Mon-Fri", "form 'Mon-Fri 08:00-15:00'"),
    ],
)
def test_parse_errors(text: str, fragment: str) -> None:
    with pytest.raises(InvalidValue, match=fragment) as info:
        OfficeHours.parse(text)
    assert info.value.field == "hours"


EVERY_DAY = OfficeHours.parse("Mon-Sun 08:00-15:00")


@pytest.mark.parametrize(
    ("day", "opens", "closes"),
    [
        (date(2026, 3, 28), utc(2026, 3, 28, 7), utc(2026, 3, 28, 14)),  # Sat, CET (+1)
        (date(2026, 3, 29), utc(2026, 3, 29, 6), utc(2026, 3, 29, 13)),  # Sun, now CEST (+2)
        (date(2026, 3, 30), utc(2026, 3, 30, 6), utc(2026, 3, 30, 13)),  # Mon after
        (date(2026, 10, 24), utc(2026, 10, 24, 6), utc(2026, 10, 24, 13)),  # Sat, CEST
        (date(2026, 10, 25), utc(2026, 10, 25, 7), utc(2026, 10, 25, 14)),  # Sun, back to CET
        (date(2026, 10, 26), utc(2026, 10, 26, 7), utc(2026, 10, 26, 14)),  # Mon after
    ],
)
def test_intervals_across_dst(day: date, opens: datetime, closes: datetime) -> None:
    [(start, end)] = EVERY_DAY.intervals(day)
    assert (start, end) == (opens, closes)
    assert start.utcoffset() == timedelta(0)
    assert format_time(start) == "08:00"
    assert format_time(end) == "15:00"


def test_interval_spanning_the_clock_change() -> None:
    night = OfficeHours.parse("Sun 01:00-04:00")
    [(start, end)] = night.intervals(date(2026, 3, 29))  # 02:00 → 03:00: an hour is skipped
    assert (start, end) == (utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))
    [(start, end)] = night.intervals(date(2026, 10, 25))  # 03:00 → 02:00: an hour repeats
    assert (start, end) == (utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))


def test_intervals_follow_the_weekday() -> None:
    hours = OfficeHours.parse("Mon-Fri 08:00-12:00, 13:00-15:00")
    assert hours.intervals(date(2026, 3, 30)) == [
        (utc(2026, 3, 30, 6), utc(2026, 3, 30, 10)),
        (utc(2026, 3, 30, 11), utc(2026, 3, 30, 13)),
    ]
    assert hours.intervals(date(2026, 3, 29)) == []  # Sunday


quarter_hours = st.integers(0, 24 * 4 - 1).map(lambda q: time(q // 4, q % 4 * 15))
day_hours = st.lists(quarter_hours, max_size=6, unique=True).map(
    lambda times: [
        (a, b) for a, b in zip(sorted(times)[::2], sorted(times)[1::2], strict=False) if a < b
    ]
)
office_hours = st.dictionaries(st.integers(0, 6), day_hours).map(
    lambda days: OfficeHours({d: h for d, h in sorted(days.items()) if h})
)


@settings(max_examples=80, deadline=None)
@given(office_hours)
def test_describe_round_trips(hours: OfficeHours) -> None:
    assert OfficeHours.parse(hours.describe()) == hours


def test_formatting() -> None:
    assert format_date(date(2026, 11, 22)) == "22. 11. 2026"
    assert format_date(date(2026, 1, 5)) == "5. 1. 2026"
    assert format_time(utc(2026, 11, 22, 8, 5)) == "09:05"  # CET
    assert format_time(utc(2026, 7, 1, 7, 5)) == "09:05"  # CEST
    assert format_datetime(utc(2026, 11, 22, 8, 5)) == "22. 11. 2026 09:05"
    # Late evening UTC is already the next day in Ljubljana.
    assert format_datetime(utc(2026, 11, 22, 23, 30)) == "23. 11. 2026 00:30"
    assert format_date(utc(2026, 11, 22, 23, 30)) == "23. 11. 2026"


def test_to_local_and_naive_values() -> None:
    local = to_local(utc(2026, 7, 1, 10))
    assert local.tzinfo == TZ
    assert (local.hour, local.utcoffset()) == (12, timedelta(hours=2))
    assert to_local(datetime(2026, 7, 1, 10)) == local  # naive means UTC, as stored


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_office_hours_described_in_another_language_read_back_the_same() -> None:
    hours = OfficeHours.parse("Mon-Fri 08:00-15:00; Wed closed; Sat 09:00-12:00")
    slovenian = ("pon", "tor", "sre", "čet", "pet", "sob", "ned")
    assert hours.describe() == "Mon-Tue, Thu-Fri 08:00-15:00; Sat 09:00-12:00"
    assert hours.describe(slovenian, "zaprto") == "pon-tor, čet-pet 08:00-15:00; sob 09:00-12:00"
    assert OfficeHours.parse("closed").describe(slovenian, "zaprto") == "zaprto"
    assert OfficeHours.parse(hours.describe()) == hours


def test_the_callbacks_screen_gives_the_hours_in_the_console_language() -> None:
    from console import i18n
    from console.screens.callbacks import hours_text

    i18n.set_language("sl")
    try:
        assert hours_text("Mon-Fri 08:00-16:00") == "pon-pet 08:00-16:00"
        assert hours_text("not hours at all") == "not hours at all"
    finally:
        i18n.set_language("en")
    assert hours_text("Mon-Fri 08:00-16:00") == "Mon-Fri 08:00-16:00"
