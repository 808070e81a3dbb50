"""The central service's clock, held still and moved by the test (``console.server.clock.now``
is the one place the service reads the time from). Importable as ``from floor_clock import …``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from console.domain.calendar import TZ
from console.server import clock


class FakeClock:
    """Naive UTC, as the service stores times; ``at`` takes Ljubljana wall-clock times."""

    def __init__(self, start: datetime) -> None:
        self.value = start

    def now(self) -> datetime:
        return self.value

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
        monkeypatch.setattr(clock, "now", self.now)
        return self

    def advance(self, seconds: float) -> datetime:
        self.value += timedelta(seconds=seconds)
        return self.value

    def set(self, moment: datetime) -> datetime:
        self.value = moment
        return moment

    @staticmethod
    def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
        """Ljubljana's ``day hh:mm:ss`` as stored (naive UTC)."""
        local = datetime.combine(day, time(hour, minute, second), TZ)
        return local.astimezone(UTC).replace(tzinfo=None)

    @staticmethod
    def wire(moment: datetime) -> str:
        """A stored time as the API writes it."""
        return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def today() -> date:
    return datetime.now(TZ).date()
