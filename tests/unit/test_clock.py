"""The desk's clock (``console.clock``): Ljubljana's day from the system's clock, read afresh on
every call; the next local midnight across the summer-time changes; ``[ui] today`` as a shift
of whole days that still changes at midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from console import clock as clock_module
from console.clock import Clock
from console.domain.calendar import TZ


def local(*parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=TZ, fold=fold)  # type: ignore[misc]


class Stopped:
    """A source standing at one moment until it is moved."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def test_the_day_is_ljubljanas_not_utcs() -> None:
    source = Stopped(datetime(2030, 3, 4, 23, 30, tzinfo=UTC))  # 00:30 on the 5th in Ljubljana
    clock = Clock(source)
    assert clock.today() == date(2030, 3, 5)
    assert clock.now() == local(2030, 3, 5, 0, 30)
    assert clock.utcnow() == datetime(2030, 3, 4, 23, 30, tzinfo=UTC)


def test_it_reads_the_system_clock_on_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is cached: a clock made yesterday says today (libfaketime moves exactly this)."""
    moments = iter([local(2030, 3, 4, 23, 59, 59), local(2030, 3, 5, 0, 0, 1)])
    monkeypatch.setattr(clock_module, "system_time", lambda: next(moments))
    clock = Clock()
    assert clock.today() == date(2030, 3, 4)
    assert clock.today() == date(2030, 3, 5)


def test_the_system_clock_is_the_default() -> None:
    before = datetime.now(UTC)
    read = Clock().utcnow()
    assert before <= read <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("now", "midnight", "hours"),
    [
        # An ordinary day: 24 hours from one midnight to the next.
        (local(2030, 3, 4, 0, 0), local(2030, 3, 5, 0, 0), 24),
        # The last Sunday of March: the clocks go forward at 02:00, the day has 23 hours.
        (local(2030, 3, 31, 0, 0), local(2030, 4, 1, 0, 0), 23),
        # The last Sunday of October: 03:00 comes twice, the day has 25 hours.
        (local(2030, 10, 27, 0, 0), local(2030, 10, 28, 0, 0), 25),
    ],
)
def test_the_next_midnight_across_summer_time(
    now: datetime, midnight: datetime, hours: int
) -> None:
    clock = Clock(Stopped(now))
    assert clock.next_midnight() == midnight
    assert clock.seconds_to_midnight() == hours * 3600
    # A second before it: one second to go, whatever the day's length.
    clock = Clock(Stopped(midnight - timedelta(seconds=1)))
    assert clock.seconds_to_midnight() == 1.0
    assert clock.today() == now.date()


def test_the_hour_that_happens_twice_is_one_day() -> None:
    first = local(2030, 10, 27, 2, 30)  # summer time
    second = local(2030, 10, 27, 2, 30, fold=1)  # an hour later, winter time
    assert (second.astimezone(UTC) - first.astimezone(UTC)) == timedelta(hours=1)
    for moment in (first, second):
        clock = Clock(Stopped(moment.astimezone(UTC)))
        assert clock.today() == date(2030, 10, 27)
        assert clock.next_midnight() == local(2030, 10, 28, 0, 0)


def test_a_pretended_date_moves_on_at_midnight() -> None:
    """``[ui] today``: the desk's day is shifted by whole days, and still changes at each
    local midnight, with the local time of day as it is."""
    source = Stopped(local(2026, 12, 3, 23, 59, 58))
    clock = Clock(source, today=date(2030, 3, 4))
    assert clock.pretending
    assert clock.today() == date(2030, 3, 4)
    assert clock.now() == local(2030, 3, 4, 23, 59, 58)
    assert clock.seconds_to_midnight() == 2.0  # the real midnight: the shift is whole days
    source.moment = local(2026, 12, 4, 0, 0, 1)
    assert clock.today() == date(2030, 3, 5)
    assert clock.utcnow() == local(2026, 12, 4, 0, 0, 1)  # moments are never shifted


def test_a_pretended_date_whose_time_of_day_does_not_exist_moves_on() -> None:
    """02:30 real time, pretending the day the clocks go forward: there is no 02:30 then."""
    clock = Clock(Stopped(local(2026, 12, 3, 2, 30)), today=date(2030, 3, 31))
    assert clock.now() == local(2030, 3, 31, 3, 30)


def test_the_desks_intervals_are_measured_in_ticks_not_the_wall_clock() -> None:
    source = Stopped(local(2030, 3, 4, 12, 0))
    ticks = iter([100.0, 160.0])
    clock = Clock(source, ticks=lambda: next(ticks))
    assert clock.ticks() == 100.0
    source.moment = local(2030, 3, 4, 9, 0)  # the wall clock set back: the ticks go on
    assert clock.ticks() == 160.0


def test_a_source_must_say_its_zone() -> None:
    with pytest.raises(ValueError, match="aware"):
        Clock(Stopped(datetime(2030, 3, 4, 12, 0))).today()
