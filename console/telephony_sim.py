"""``agent-console telephony simulate``: a telephone system made up for demos and load.

It posts ``ringing``, ``answered`` and ``missed`` events to a central service, as a telephone
system would, with a token of the ``telephony`` role. Everything it sends is generated from a
model, never taken from real calls; the model's figures are the ones the project was given for
UE Ljubljana's booking line:

- about 16,000 calls a month over about 21 working days, while the lines are open
  (``--hours``, by default Mon-Fri 08:00-16:00; closed on public holidays);
- more calls in the morning: the hour's share of the day follows :data:`MORNING_PEAK`, a shape
  made up to put the peak in the first hours (not a measured distribution);
- about 4 minutes of handling per answered call (a gamma distribution with that mean);
- a third of the calls missed at the peak hour, fewer as the load falls (in proportion to the
  hour's share), and any call missed when no extension is free;
- a caller waits 30-300 s in the queue for a free extension, then hangs up;
- half of the callers who did not get through call again within 5-40 minutes (those calls are
  among the 16,000);
- answered calls ring on the extensions of the desks signed in (``--extensions``, or the ones
  desks declared to the service, read again every minute).

Numbers are random valid Slovenian numbers, or drawn from ``--numbers FILE`` (one per line) for
the share ``--known-share``, so that some calls pop a known caller's card.
"""

from __future__ import annotations

import heapq
import math
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import httpx

from console.domain.calendar import TZ, OfficeHours, is_holiday
from console.domain.phone import parse_phone, random_mobile

CALLS_PER_MONTH = 16_000
WORKING_DAYS_PER_MONTH = 21.0
HANDLE_MINUTES = 4.0
PEAK_MISSED = 1 / 3
RETRY_SHARE = 0.5
RETRY_MINUTES = (5.0, 40.0)
WAIT_SECONDS = (30, 300)  # how long a caller waits in the queue before hanging up
QUEUE_SECONDS = (5, 60)  # how long an answered caller waits before a desk rings
RING_SECONDS = (3, 12)  # how long a desk's phone rings before it is answered
# The relative weight of each opening hour, first hour first (a made-up morning peak).
MORNING_PEAK = (1.5, 1.6, 1.35, 1.1, 0.9, 0.7, 0.5, 0.35, 0.3, 0.3, 0.3, 0.3)
EXTENSIONS_REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class Model:
    calls_per_month: float = CALLS_PER_MONTH
    working_days: float = WORKING_DAYS_PER_MONTH
    handle_minutes: float = HANDLE_MINUTES
    peak_missed: float = PEAK_MISSED
    retry_share: float = RETRY_SHARE

    @property
    def calls_per_day(self) -> float:
        return self.calls_per_month / self.working_days


@dataclass(order=True)
class SimEvent:
    at: datetime  # simulated local time (aware, Europe/Ljubljana)
    seq: int
    body: dict[str, Any] = field(compare=False)


def hour_weights(hours: int) -> list[float]:
    weights = [MORNING_PEAK[min(i, len(MORNING_PEAK) - 1)] for i in range(hours)]
    total = sum(weights)
    return [w / total for w in weights]


class Numbers:
    """Callers' numbers: random valid Slovenian mobiles, or known ones for a share of calls."""

    def __init__(self, rng: random.Random, known: list[str], known_share: float) -> None:
        self.rng = rng
        self.known = known
        self.known_share = known_share if known else 0.0

    def draw(self) -> str:
        if self.known and self.rng.random() < self.known_share:
            return self.rng.choice(self.known)
        return random_mobile(self.rng)


def read_numbers(path: Path) -> list[str]:
    """Numbers, one per line (any common format; blank lines and # comments skipped)."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            found.append(parse_phone(text))
    return found


def simulate(
    start: datetime,
    end: datetime,
    opening: OfficeHours,
    extensions: Callable[[datetime], list[str]],
    numbers: Numbers,
    rng: random.Random,
    model: Model = Model(),
) -> Iterator[SimEvent]:
    """The events between ``start`` and ``end`` (aware local times), in time order."""
    pending: list[SimEvent] = []
    busy_until: dict[str, datetime] = {}
    seq = 0
    retries: list[tuple[datetime, str]] = []

    def push(at: datetime, body: dict[str, Any]) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(pending, SimEvent(at, seq, body))

    for arrival, peak_share in _arrivals(start, end, opening, rng, model):
        while pending and pending[0].at <= arrival:
            yield heapq.heappop(pending)
        retries.sort()
        number = retries.pop(0)[1] if retries and retries[0][0] <= arrival else numbers.draw()
        call_id = f"{int(arrival.timestamp())}.{seq + 1}"
        desks = extensions(arrival)
        patience = rng.randint(*WAIT_SECONDS)
        given_up = rng.random() < model.peak_missed * peak_share
        extension = min(desks, key=lambda ext: busy_until.get(ext, arrival)) if desks else None
        rings = arrival + timedelta(seconds=rng.randint(*QUEUE_SECONDS))
        if extension is not None:
            rings = max(rings, busy_until.get(extension, arrival))
        if given_up or extension is None or rings > arrival + timedelta(seconds=patience):
            push(
                arrival + timedelta(seconds=patience),
                {
                    "event": "missed",
                    "call_id": call_id,
                    "number": number,
                    "queue": "sim",
                    "waited_seconds": patience,
                },
            )
            if rng.random() < model.retry_share:
                retries.append((arrival + timedelta(minutes=rng.uniform(*RETRY_MINUTES)), number))
            continue
        answered = rings + timedelta(seconds=rng.randint(*RING_SECONDS))
        handling = timedelta(minutes=rng.gammavariate(2.0, model.handle_minutes / 2.0))
        busy_until[extension] = answered + handling
        push(
            rings,
            {
                "event": "ringing",
                "call_id": call_id,
                "extension": extension,
                "number": number,
                "line": "sim",
            },
        )
        push(answered, {"event": "answered", "call_id": call_id, "extension": extension})
    while pending:
        yield heapq.heappop(pending)


def _arrivals(
    start: datetime, end: datetime, opening: OfficeHours, rng: random.Random, model: Model
) -> Iterator[tuple[datetime, float]]:
    """(time, the hour's load relative to the peak) of each call: a Poisson process whose rate
    follows the hour's share of the day. Callers calling again are among these calls."""
    moment = start
    while moment < end:
        rate, share, until = _rate_at(moment, opening, model)
        if rate <= 0:
            moment = until
            continue
        step = timedelta(hours=rng.expovariate(rate))
        if moment + step >= until:
            moment = until
            continue
        moment += step
        if moment < end:
            yield moment, share


def _rate_at(moment: datetime, opening: OfficeHours, model: Model) -> tuple[float, float, datetime]:
    """(calls per hour, the hour's weight relative to the peak, when this rate ends)."""
    local = moment.astimezone(TZ)
    day = local.date()
    intervals = [] if is_holiday(day) else opening.days.get(day.weekday(), [])
    if not intervals:
        following = datetime.combine(day + timedelta(days=1), datetime.min.time(), TZ)
        return 0.0, 0.0, following
    first_open = intervals[0][0]
    total_hours = math.ceil(
        sum(
            (datetime.combine(day, b) - datetime.combine(day, a)).total_seconds()
            for a, b in intervals
        )
        / 3600
    )
    weights = hour_weights(max(total_hours, 1))
    peak = max(weights)
    for opens, closes in intervals:
        open_at = datetime.combine(day, opens, TZ)
        close_at = datetime.combine(day, closes, TZ)
        if local < open_at:
            return 0.0, 0.0, open_at
        if local < close_at:
            index = int((local - datetime.combine(day, first_open, TZ)).total_seconds() // 3600)
            weight = weights[min(index, len(weights) - 1)]
            hour_end = datetime.combine(day, first_open, TZ) + timedelta(hours=index + 1)
            return model.calls_per_day * weight, weight / peak, min(hour_end, close_at)
    following = datetime.combine(day + timedelta(days=1), datetime.min.time(), TZ)
    return 0.0, 0.0, following


# --- posting ------------------------------------------------------------------------------------


class Poster:
    """Posts events to the service with a telephony token; refuses to go on after a 401/403."""

    def __init__(self, server: str, token: str, timeout: float = 10.0) -> None:
        self.client = httpx.Client(
            base_url=server.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
        self.sent = 0
        self.failed = 0

    def extensions(self) -> list[str]:
        response = self.client.get("/v1/telephony/extensions")
        self._check(response)
        return [entry["extension"] for entry in response.json()]

    def post(self, body: dict[str, Any]) -> None:
        response = self.client.post("/v1/telephony/events", json=body)
        self._check(response)
        if response.status_code == 200:
            self.sent += 1
        else:
            self.failed += 1

    def _check(self, response: httpx.Response) -> None:
        if response.status_code in (401, 403):
            raise SystemExit(
                f"agent-console telephony simulate: the service refused the token "
                f"({response.status_code}): {response.json().get('message', '')}"
            )

    def close(self) -> None:
        self.client.close()


@dataclass
class Options:
    server: str
    token: str
    extensions: list[str] | None
    hours: str = "Mon-Fri 08:00-16:00"
    start: datetime | None = None  # simulated start (aware local); None: now
    duration_hours: float = 8.0
    speed: float = 1.0  # simulated seconds per real second
    numbers: list[str] = field(default_factory=list)
    known_share: float = 0.5
    seed: int | None = None
    model: Model = Model()


def run(options: Options, out: TextIO = sys.stdout) -> int:
    """Post the simulated events in (scaled) real time; returns the exit status."""
    rng = random.Random(options.seed)
    opening = OfficeHours.parse(options.hours)
    poster = Poster(options.server, options.token)
    start = options.start or datetime.now(TZ)
    end = start + timedelta(hours=options.duration_hours)
    fixed = options.extensions
    known: dict[str, Any] = {"at": -math.inf, "list": []}

    def extensions(_at: datetime) -> list[str]:
        if fixed is not None:
            return fixed
        if time.monotonic() - known["at"] >= EXTENSIONS_REFRESH_SECONDS:
            known["list"], known["at"] = poster.extensions(), time.monotonic()
        return known["list"]

    if fixed is None and not extensions(start):
        print(
            "No desk has declared an extension yet: every call will be missed. Pass "
            "--extensions 101,102,... to ring desks anyway.",
            file=out,
        )
    began = time.monotonic()
    counts = {"ringing": 0, "answered": 0, "missed": 0}
    shown = began
    try:
        for event in simulate(
            start, end, opening, extensions, Numbers(rng, options.numbers, options.known_share),
            rng, options.model,
        ):  # fmt: skip
            due = began + (event.at - start).total_seconds() / options.speed
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            poster.post(event.body)
            counts[event.body["event"]] += 1
            if time.monotonic() - shown >= 5:
                shown = time.monotonic()
                _report(out, event.at, counts, poster)
    except KeyboardInterrupt:
        pass
    finally:
        poster.close()
    _report(out, min(end, datetime.now(TZ)) if options.speed == 1 else end, counts, poster)
    return 0 if not poster.failed else 1


def _report(out: TextIO, at: datetime, counts: dict[str, int], poster: Poster) -> None:
    print(
        f"{at.astimezone(TZ):%d. %m. %Y %H:%M} (simulated)  answered {counts['answered']:,}  "
        f"missed {counts['missed']:,}  events posted {poster.sent:,}"
        + (f"  refused {poster.failed:,}" if poster.failed else ""),
        file=out,
        flush=True,
    )
