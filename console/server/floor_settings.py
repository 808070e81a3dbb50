"""The supervisor's floor's settings on the central service (``[floor]`` in config.toml)."""

from __future__ import annotations

from dataclasses import dataclass, field

from console.domain.floor import AwayReason

DEFAULT_AWAY_REASONS: tuple[AwayReason, ...] = (
    AwayReason(code="break", label="Odmor", label_en="Break"),
    AwayReason(code="lunch", label="Malica", label_en="Lunch"),
    AwayReason(code="meeting", label="Sestanek", label_en="Meeting"),
    AwayReason(code="training", label="Izobraževanje", label_en="Training"),
)


@dataclass(frozen=True)
class FloorSettings:
    """How desks report their state and what the floor raises alerts for."""

    heartbeat_seconds: int = 10
    unreachable_after_seconds: int = 30
    away_reasons: tuple[AwayReason, ...] = field(default=DEFAULT_AWAY_REASONS)
    long_call_minutes: float = 15.0
    long_after_call_work_minutes: float = 5.0
    long_away_minutes: float = 30.0
    report_open_hours: float = 24.0
    fill_working_days: tuple[int, ...] = (1, 3, 5)
    # The slot totals behind "how full" (they change only when slots are made) are counted
    # again at least this often; booked and blocked slots are counted on every read.
    slot_totals_seconds: float = 300.0

    def away_codes(self) -> list[str]:
        return [reason.code for reason in self.away_reasons]
