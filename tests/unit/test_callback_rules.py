"""The pure rules behind callbacks: the callback hours around weekends, holidays and the clock
change, the queue's order, caller ids as telephone systems send them, and the back-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.domain.calendar import TZ, OfficeHours
from console.domain.callbacks import (
    Callback,
    CallbackSource,
    CallbackStatus,
    CallbackWindow,
)
from console.domain.errors import InvalidValue
from console.server.callbacks import in_window, next_open, rank_at, window
from console.server.settings import CallbackSettings
from console.server.telephony import caller_number

HOURS = OfficeHours.parse("Mon-Fri 08:00-16:00")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ).astimezone(UTC).replace(tzinfo=None)


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (local(2026, 11, 25, 7, 59), False),
        (local(2026, 11, 25, 8, 0), True),
        (local(2026, 11, 25, 15, 59), True),
        (local(2026, 11, 25, 16, 0), False),
        (local(2026, 11, 28, 10, 0), False),  # Saturday
        (local(2026, 12, 24, 10, 0), True),  # Christmas Eve is a working day
        (local(2026, 12, 25, 10, 0), False),  # Christmas, a Friday
        (local(2027, 1, 1, 10, 0), False),  # New Year, a Friday
        (local(2026, 10, 30, 10, 0), True),
        (local(2026, 10, 31, 10, 0), False),  # Reformation Day (a Saturday too)
    ],
)
def test_the_callback_hours(moment: datetime, inside: bool) -> None:
    assert in_window(HOURS, moment) is inside


@pytest.mark.parametrize(
    ("moment", "opens"),
    [
        (local(2026, 11, 25, 10, 0), local(2026, 11, 25, 10, 0)),  # open now
        (local(2026, 11, 25, 6, 0), local(2026, 11, 25, 8, 0)),
        (local(2026, 11, 27, 16, 0), local(2026, 11, 30, 8, 0)),  # Friday evening -> Monday
        (local(2026, 12, 24, 16, 30), local(2026, 12, 28, 8, 0)),  # over Christmas
        (local(2026, 12, 31, 17, 0), local(2027, 1, 4, 8, 0)),  # 1 and 2 January are holidays
        (local(2026, 3, 27, 17, 0), local(2026, 3, 30, 8, 0)),  # across the clock change
        (local(2027, 3, 26, 17, 0), local(2027, 3, 30, 8, 0)),  # Easter Monday 2027: 29 March
    ],
)
def test_when_the_hours_open_next(moment: datetime, opens: datetime) -> None:
    assert next_open(HOURS, moment) == opens


def test_closed_hours_never_open() -> None:
    assert next_open(OfficeHours.parse("closed"), local(2026, 11, 25, 10, 0)) is None


def test_a_number_that_tried_more_moves_ahead() -> None:
    settings = CallbackSettings(tries_boost_minutes=30)
    early, late = local(2026, 11, 25, 8, 0), local(2026, 11, 25, 8, 45)
    assert rank_at(late, 1, settings) > rank_at(early, 1, settings)
    assert rank_at(late, 3, settings) < rank_at(early, 1, settings)  # 45 min later, 60 min boost
    assert rank_at(late, 0, settings) == late


def test_the_back_off_steps_and_repeats_the_last() -> None:
    settings = CallbackSettings(retry_minutes=(30.0, 120.0))
    assert [settings.retry_after(n) for n in (1, 2, 3, 9)] == [30.0, 120.0, 120.0, 120.0]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("041234567", "+38641234567"),
        ("+386 41 234 567", "+38641234567"),
        ("0038641234567", "+38641234567"),
        ("38641234567", "+38641234567"),  # a trunk's country code without the +
        ('"041234567"', "+38641234567"),
        ("014123456", "+38614123456"),
        ("+4930123456", "+4930123456"),
        ("anonymous", None),
        ("Restricted", None),
        ("", None),
        (None, None),
        ("101", None),  # an internal extension
        ("2001", None),
    ],
)
def test_caller_ids_as_telephone_systems_send_them(text: str | None, number: str | None) -> None:
    assert caller_number(text) == number


@pytest.mark.parametrize("text", ["04x1234", "0999123456", "12345678", "+0"])
def test_a_caller_id_that_is_no_number_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        caller_number(text, "callerid")
    assert refused.value.field == "callerid"


def test_a_callback_kept_for_an_agent_comes_before_the_pool() -> None:
    settings = CallbackSettings()
    oldest = rank_at(local(2026, 1, 5, 8, 0), 9, settings)  # waiting for weeks, tried 9 times
    kept = rank_at(
        local(2026, 11, 25, 9, 0), 0, settings, due_at=local(2026, 11, 26, 10, 0), assigned_to=7
    )
    sooner = rank_at(
        local(2026, 11, 25, 9, 0), 0, settings, due_at=local(2026, 11, 26, 9, 0), assigned_to=7
    )
    assert sooner < kept < oldest


# -- the desk tells the hours from the service's answer, by the same rule ------------------------


def aware(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ).astimezone(UTC)


def moments(start: datetime, days: int) -> list[datetime]:
    """Every quarter of an hour from ``start`` for ``days`` days, and a second either side of
    each (the opening and the closing among them)."""
    out = []
    for step in range(days * 96):
        at = start + timedelta(minutes=15 * step)
        out += [at - timedelta(seconds=1), at, at + timedelta(seconds=1)]
    return out


@pytest.mark.parametrize("holidays", [True, False])
@pytest.mark.parametrize(
    "start",
    [aware(2026, 12, 22, 0, 0), aware(2027, 3, 26, 0, 0)],  # Christmas; the clocks go forward
    ids=["christmas", "summer-time"],
)
def test_the_desk_tells_the_callback_hours_as_the_service_does(
    holidays: bool, start: datetime
) -> None:
    """The window the service gave once, told again at each later moment by the desk, is
    the one the service would give at that moment."""
    settings = CallbackSettings(exclude_holidays=holidays)
    given = window(settings, start)
    assert given.holidays is holidays
    for moment in moments(start, 7):
        assert given.at(moment) == window(settings, moment), moment


def test_the_next_change_of_the_callback_hours() -> None:
    wednesday = aware(2026, 12, 23, 10, 0)
    assert HOURS.next_change(wednesday) == aware(2026, 12, 23, 16, 0)
    assert HOURS.next_change(aware(2026, 12, 23, 16, 0)) == aware(2026, 12, 24, 8, 0)
    assert HOURS.next_change(aware(2026, 12, 24, 7, 59, 59)) == aware(2026, 12, 24, 8, 0)
    # Christmas (Friday), Independence Day (Saturday), Sunday: the next opening is Monday's.
    assert HOURS.next_change(aware(2026, 12, 24, 16, 0)) == aware(2026, 12, 28, 8, 0)
    assert HOURS.next_change(aware(2026, 12, 24, 16, 0), holidays=False) == aware(
        2026, 12, 25, 8, 0
    )
    split = OfficeHours.parse("Mon-Fri 08:00-12:00, 13:00-16:00")
    assert split.next_change(aware(2026, 12, 23, 12, 0)) == aware(2026, 12, 23, 13, 0)
    assert OfficeHours.parse("closed").next_change(wednesday) is None
    unread = CallbackWindow(hours="when the moon is full", open_now=True, next_open_at=None)
    assert unread.next_change(wednesday) is None
    assert unread.at(wednesday) == unread  # the service's answer stands


def test_the_desk_counts_when_a_callback_is_callable_as_the_service_does() -> None:
    settings = CallbackSettings()
    given = window(settings, aware(2026, 12, 23, 10, 0))
    due = aware(2026, 12, 23, 9, 0)
    callback = Callback(
        id=1, number="+38641234567", source=CallbackSource.MISSED_CALL,
        status=CallbackStatus.OPEN, created_at=due, waiting_since=due, tries=1, due_at=due,
        callable_from=aware(2026, 12, 23, 10, 0), attempt_count=0, max_attempts=3,
    )  # fmt: skip
    for now in (aware(2026, 12, 23, 15, 59, 59), aware(2026, 12, 23, 16, 0)):
        expected = next_open(HOURS, max(due, now))
        assert given.callable_from(callback, now) == expected.replace(tzinfo=UTC)
    assert given.callable_from(callback, aware(2026, 12, 23, 16, 0)) == aware(2026, 12, 24, 8, 0)
    done = callback.model_copy(update={"status": CallbackStatus.DONE})
    assert given.callable_from(done, aware(2026, 12, 23, 10, 0)) is None
