"""What the central service needs to know to run: database, hold lease, wrap-up codes,
retention."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from functools import cached_property

from console.domain.calendar import OfficeHours
from console.domain.models import Disposition
from console.server.floor_settings import FloorSettings
from console.server.messages.settings import MessageSettings

DEFAULT_DISPOSITIONS: tuple[Disposition, ...] = (
    Disposition(code="booked", label="Termin rezerviran", label_en="Appointment booked"),
    Disposition(code="rescheduled", label="Termin prestavljen", label_en="Appointment rescheduled"),
    Disposition(code="cancelled", label="Termin odpovedan", label_en="Appointment cancelled"),
    Disposition(code="information", label="Samo informacija", label_en="Information only"),
    Disposition(code="no_slot", label="Ni prostega termina", label_en="No suitable slot"),
    Disposition(code="referred", label="Napoten drugam", label_en="Referred elsewhere"),
    Disposition(code="callback", label="Povratni klic", label_en="Call back later"),
    Disposition(code="dropped", label="Klic prekinjen", label_en="Call dropped"),
)


# An audit period, when an operator sets one, is at least this long.
MIN_AUDIT_DAYS = 365


@dataclass(frozen=True)
class RetentionSettings:
    """How long the central service keeps what it only needs for a while (``[retention]``).

    Bookings, callers, calls and wrap-ups are never pruned. Audit rows are deleted only when
    ``audit_days`` is set (0 keeps them) and only once ``agent-console export audit`` wrote them.
    """

    idempotency_days: int = 30  # a retry with the same Idempotency-Key is answered the same
    changes_days: int = 30  # a desk's feed cursor older than this gets 410 resync
    holds_days: int = 7  # released and expired holds
    agent_states_days: int = 400  # agents' past states (the floor's time in each state)
    # Free slots over this long ago that no booking or hold ever referred to.
    past_slots_days: int = 30
    # The directory's history of a doctor's changes between lists (the newest change of each
    # doctor stays), and the list loads no kept change refers to (the newest of each list stays).
    provider_history_days: int = 730
    closed_reports_days: int = 365  # agents' directory reports, closed this long ago
    audit_days: int = 0  # 0: kept; otherwise at least MIN_AUDIT_DAYS
    daily: bool = True  # `serve` prunes once a day by itself
    daily_at: time = time(3, 0)  # ... at this local (Europe/Ljubljana) time
    # Calls left open longer than this are closed as abandoned (console.server.abandoned);
    # 0: never.
    abandon_calls_after_hours: float = 12.0


@dataclass(frozen=True)
class CallbackSettings:
    """The callback queue; ``config.toml``'s ``[callbacks]`` table fills them."""

    hours: str = "Mon-Fri 08:00-16:00"  # when callbacks may be made
    exclude_holidays: bool = True  # no callbacks on Slovenian public holidays
    lease_minutes: float = 10.0  # a claim lapses back to the queue after this long
    max_attempts: int = 3  # unanswered (no answer, busy) attempts before a callback fails
    retry_minutes: tuple[float, ...] = (30.0, 120.0)  # wait after the 1st, 2nd, ... unanswered
    tries_boost_minutes: float = 30.0  # each extra call that did not get through moves it ahead
    assigned_minutes: float = 120.0  # an agent's own callback goes to the pool after this long
    keep_days: int = 400  # telephone calls and closed callbacks are kept this long

    @cached_property
    def office_hours(self) -> OfficeHours:
        return OfficeHours.parse(self.hours)

    def retry_after(self, unanswered: int) -> float:
        """Minutes to wait after the ``unanswered``-th unanswered attempt (from 1)."""
        steps = self.retry_minutes or (60.0,)
        return steps[min(max(unanswered, 1), len(steps)) - 1]


@dataclass(frozen=True)
class ServerSettings:
    """Settings of one central service; ``config.toml``'s ``[server]`` table fills them."""

    database: str
    hold_minutes: float = 3.0
    dispositions: tuple[Disposition, ...] = field(default=DEFAULT_DISPOSITIONS)
    max_changes_page: int = 5000
    max_search_results: int = 100
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)
    messages: MessageSettings = field(default_factory=MessageSettings)
    floor: FloorSettings = field(default_factory=FloorSettings)

    def disposition_codes(self) -> set[str]:
        return {d.code for d in self.dispositions}
