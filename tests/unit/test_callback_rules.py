"""The pure rules behind callbacks: the callback hours around weekends, holidays and the clock
change, the queue's order, caller ids as telephone systems send them, and the back-off."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.domain.calendar import TZ, OfficeHours
from console.domain.errors import InvalidValue
from console.server.callbacks import in_window, next_open, rank_at
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
