"""A callback queue for the console's tests: numbers that did not get through, recorded through
the service's own code, at a known moment.

The service's clock and the desk's are both set to :data:`NOW`, a working Wednesday morning in
the week the seeded demo data starts (``conftest.TODAY``), so claims are inside the callback
hours and the waits shown are the same on every run. Importable as ``import callback_world``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.client.writes import callbacks as callback_writes
from console.domain.calendar import TZ
from console.domain.callbacks import MissedEvent
from console.domain.models import Agent, CallerIn, Role
from console.server import callers, clock, telephony
from console.server.db import Database
from console.server.settings import CallbackSettings

NOW = datetime(2030, 3, 6, 10, 0, tzinfo=TZ).astimezone(UTC)  # a Wednesday, 10:00 in Ljubljana

JANEZ = "+38641234567"  # conftest.KNOWN_CALLERS
SPELA = "+38631555111"
FAMILY = "+38614445566"  # a landline two callers share
UNKNOWN = "+38640111222"  # nobody's


class Clock:
    """The time now, for the service (naive UTC) and the desk (aware), moved by tests."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def service(self) -> datetime:
        return self.at.astimezone(UTC).replace(tzinfo=None)

    def desk(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def freeze(monkeypatch: pytest.MonkeyPatch, at: datetime = NOW) -> Clock:
    """Set the service's and the desk's clocks to ``at`` (they then stand still, and move
    with :meth:`Clock.advance`). The desk's is the time its ``console.clock.Clock`` reads
    (``system_time``): call this before making the app, so that a ``[ui] today`` it pretends
    is counted from ``at``."""
    import console.clock

    frozen = Clock(at)
    monkeypatch.setattr(clock, "now", frozen.service)
    monkeypatch.setattr(console.clock, "system_time", frozen.desk)
    monkeypatch.setattr(callback_writes, "utcnow", frozen.desk)
    return frozen


@dataclass
class Queue:
    family: list[int]  # the two callers of the shared landline


def fill_queue(database: Database) -> Queue:
    """Four numbers to call back, oldest first: Janez (one caller), the family's landline (two
    callers), a number nobody has (tried three times) and Špela (one caller)."""
    system = Agent(id=0, name="tests", role=Role.ADMIN)
    settings = CallbackSettings()
    with database.write() as connection:
        family = [
            callers.create(
                connection,
                system,
                CallerIn(first_name=first, last_name="Zupan", phones=["01 444 55 66"]),
            )
            for first in ("Ana", "Boris")
        ]
    moments = [
        ("c-1", JANEZ, 50),
        ("c-2", FAMILY, 40),
        ("c-3", UNKNOWN, 30),
        ("c-4", UNKNOWN, 25),
        ("c-5", UNKNOWN, 20),
        ("c-6", SPELA, 5),
    ]
    for call_id, number, minutes_ago in moments:
        with database.write() as connection:
            at = clock.now() - timedelta(minutes=minutes_ago)
            event = MissedEvent(
                event="missed", call_id=call_id, number=number, queue="ue", waited_seconds=60,
                at=at,
            )  # fmt: skip
            telephony.record_event(connection, event, settings, clock.now())
    return Queue(family=family)


def open_central(data_dir: Path) -> Database:
    return Database.open(data_dir / "central.db")
