"""The simulator's model: the rates it was given (16,000 calls a month, a morning peak, a third
missed at the peak, about 4 minutes a call), on the extensions given, in time order."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from console.domain.calendar import TZ, OfficeHours, is_working_day
from console.telephony_sim import Model, Numbers, read_numbers, simulate

HOURS = OfficeHours.parse("Mon-Fri 08:00-16:00")
EXTENSIONS = [str(100 + i) for i in range(30)]  # enough desks that nobody waits for one


def month(seed: int = 7, extensions: list[str] = EXTENSIONS, known: list[str] = ()):  # type: ignore[no-untyped-def, assignment]
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=TZ)
    end = datetime(2026, 12, 1, tzinfo=TZ)
    return list(
        simulate(start, end, HOURS, lambda _at: extensions, Numbers(rng, list(known), 0.5), rng)
    )


@pytest.fixture(scope="module")
def november():  # type: ignore[no-untyped-def]
    return month()


def calls_of(events):  # type: ignore[no-untyped-def]
    """(arrival hour, missed?) of each call: answered calls by their ring, missed ones by when
    they arrived (the event comes when the caller gives up)."""
    out = []
    for e in events:
        body = e.body
        if body["event"] == "ringing":
            out.append((e.at.hour, False))
        elif body["event"] == "missed":
            arrived = e.at - timedelta(seconds=body["waited_seconds"])
            out.append((arrived.hour, True))
    return out


def test_about_16000_calls_a_month_on_working_days_only(november) -> None:  # type: ignore[no-untyped-def]
    calls = calls_of(november)
    first = datetime(2026, 11, 1).date()
    working = sum(1 for d in range(30) if is_working_day(first + timedelta(days=d)))
    expected = Model().calls_per_day * working
    assert abs(len(calls) - expected) < 0.05 * expected
    assert all(8 <= e.at.hour < 17 and is_working_day(e.at.date()) for e in november)


def test_closed_on_holidays() -> None:
    rng = random.Random(1)
    christmas = datetime(2026, 12, 25, tzinfo=TZ)
    events = simulate(
        christmas, christmas + timedelta(days=1), HOURS, lambda _: EXTENSIONS, Numbers(rng, [], 0),
        rng,
    )  # fmt: skip
    assert list(events) == []


def test_a_morning_peak_with_a_third_missed_at_it(november) -> None:  # type: ignore[no-untyped-def]
    by_hour = Counter(hour for hour, _ in calls_of(november))
    missed = Counter(hour for hour, was_missed in calls_of(november) if was_missed)
    peak = max(by_hour, key=by_hour.__getitem__)
    assert peak in (8, 9)
    assert by_hour[peak] > 2 * by_hour[15]
    assert abs(missed[peak] / by_hour[peak] - 1 / 3) < 0.05
    assert missed[15] / by_hour[15] < 0.15


def test_answered_calls_ring_on_the_desks_and_events_come_in_order(november) -> None:  # type: ignore[no-untyped-def]
    assert all(a.at <= b.at for a, b in pairwise(november))
    rings = {e.body["call_id"]: e for e in november if e.body["event"] == "ringing"}
    answers = [e for e in november if e.body["event"] == "answered"]
    assert len(answers) == len(rings)
    assert {e.body["extension"] for e in rings.values()} <= set(EXTENSIONS)
    for answer in answers:
        ring = rings[answer.body["call_id"]]
        assert ring.at < answer.at and ring.body["extension"] == answer.body["extension"]


def test_handling_keeps_a_desk_busy_about_four_minutes() -> None:
    events = month(extensions=["101"])  # one desk: the next call rings after the last is done
    rings = [e for e in events if e.body["event"] == "ringing"]
    gaps = [
        (b.at - a.at).total_seconds() / 60 for a, b in pairwise(rings) if a.at.date() == b.at.date()
    ]
    assert min(gaps) >= 0
    assert 3.5 < sorted(gaps)[len(gaps) // 2] < 8  # handling plus the next caller's ring


def test_no_desk_no_answer() -> None:
    events = month(extensions=[])
    assert {e.body["event"] for e in events} == {"missed"}


def test_some_calls_come_from_known_numbers_and_callers_try_again(tmp_path: Path) -> None:
    file = tmp_path / "numbers.txt"
    file.write_text("# demo callers\n041 234 567\n\n031 555 111\n")
    known = read_numbers(file)
    assert known == ["+38641234567", "+38631555111"]
    events = month(known=known)
    numbers = Counter(e.body["number"] for e in events if e.body["event"] in ("ringing", "missed"))
    assert 0.4 < (numbers["+38641234567"] + numbers["+38631555111"]) / sum(numbers.values()) < 0.6
    repeated = sum(1 for n, c in numbers.items() if c > 1 and n not in known)
    assert repeated > 100
