"""When a reminder goes out: on a working day before the appointment, at a set local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from console.domain.calendar import TZ, is_working_day, to_local


def working_day_before(day: date, count: int = 1) -> date:
    """The ``count``-th working day (Monday to Friday, not a Slovenian public holiday) before
    ``day``: Friday for a Monday, and past any holiday in between."""
    if count < 1:
        raise ValueError("count must be at least 1")
    found = 0
    while found < count:
        day -= timedelta(days=1)
        if is_working_day(day):
            found += 1
    return day


def reminder_due(starts_at: datetime, days_before: int, at: time) -> datetime | None:
    """When the reminder of an appointment starting at ``starts_at`` (UTC, naive as stored, or
    aware) goes out, as naive UTC; None when reminders are off (``days_before`` 0)."""
    if days_before < 1:
        return None
    day = working_day_before(to_local(starts_at).date(), days_before)
    return datetime.combine(day, at, tzinfo=TZ).astimezone(UTC).replace(tzinfo=None)
