"""The floor's days: Ljubljana's day around the service's clock, its hours on the days the
clocks change, and the next working days (weekends and Slovenian holidays skipped)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from console.domain.calendar import TZ
from console.server.floor.day import Day
from console.server.floor.slots import Windows


def test_the_day_follows_ljubljana_not_utc() -> None:
    # 23:30 UTC on 2 December is already 3 December in Ljubljana (UTC+1 in winter).
    day = Day.around(datetime(2026, 12, 2, 23, 30))
    assert day.date == date(2026, 12, 3)
    assert (day.start, day.end) == (datetime(2026, 12, 2, 23, 0), datetime(2026, 12, 3, 23, 0))
    assert len(day.hours()) == 24
    # In summer Ljubljana is UTC+2.
    assert Day.around(datetime(2026, 7, 1, 21, 59)).date == date(2026, 7, 1)
    assert Day.around(datetime(2026, 7, 1, 22, 0)).date == date(2026, 7, 2)


def test_the_days_the_clocks_change_have_23_and_25_hours() -> None:
    spring = Day.of(date(2026, 3, 29))  # 02:00 -> 03:00
    autumn = Day.of(date(2026, 10, 25))  # 03:00 -> 02:00
    assert len(spring.hours()) == 23
    assert len(autumn.hours()) == 25
    labels = [h.replace(tzinfo=UTC).astimezone(TZ).strftime("%H:%M") for h in autumn.hours()]
    assert labels[:5] == ["00:00", "01:00", "02:00", "02:00", "03:00"]


def test_the_next_working_days_skip_weekends_and_holidays() -> None:
    # Thursday 24 December 2026: Christmas (Fri 25) and Independence Day (Sat 26) are holidays.
    windows = Windows.after(Day.of(date(2026, 12, 24)), (1, 3, 5))
    assert windows.last_days == (date(2026, 12, 28), date(2026, 12, 30), date(2027, 1, 4))
    assert windows.start == Day.of(date(2026, 12, 24)).end
    assert windows.ends[0] == Day.of(date(2026, 12, 28)).end
