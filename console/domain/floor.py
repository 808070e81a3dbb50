"""The supervisor's floor on the wire: agent states reported by desks, the floor, one agent's day.

Both sides use these models: the central service as request and response models, the console to
parse what it receives. Times are timezone-aware UTC; "today" and the hours of the day are
Europe/Ljubljana's.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from console.domain.callbacks import CallbackFloor
from console.domain.models import MAX_ID, BodyId, MessageCounts, Role
from console.domain.models.bounds import json_integer

MAX_COUNT = 1_000_000

Id = Annotated[int, Field(ge=1, le=MAX_ID)]  # the API's one id width (1 to 2^53-1)
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
# In a desk's report: strict JSON integers, as every id and count in a body ("1", true refused).
BodyCount = Annotated[int, Field(ge=0, le=MAX_COUNT), BeforeValidator(json_integer)]


class AgentState(StrEnum):
    """What a desk reports."""

    READY = "ready"
    ON_CALL = "on_call"
    AFTER_CALL_WORK = "after_call_work"
    AWAY = "away"
    SIGNED_OUT = "signed_out"


class FloorState(StrEnum):
    """What the floor shows: the reported state, or ``unreachable`` for a desk that stopped
    reporting (worked out when the floor is read, from its last report)."""

    READY = "ready"
    ON_CALL = "on_call"
    AFTER_CALL_WORK = "after_call_work"
    AWAY = "away"
    SIGNED_OUT = "signed_out"
    UNREACHABLE = "unreachable"


CALL_STATES = frozenset({AgentState.ON_CALL, AgentState.AFTER_CALL_WORK})


class AwayReason(BaseModel):
    """One reason an agent may be away (``[[floor.away_reasons]]`` in config.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z0-9_]{1,40}$", description="what the desk sends, e.g. break")
    label: str = Field(min_length=1, max_length=60, description="Slovenian")
    label_en: str = Field(min_length=1, max_length=60, description="English")


class DeskStateIn(BaseModel):
    """A desk's report of its agent's state: sent on every change and, unchanged, as the
    heartbeat (every ``heartbeat_seconds``)."""

    model_config = ConfigDict(extra="forbid")

    state: AgentState
    reason: str | None = Field(
        default=None,
        max_length=40,
        description="required with 'away' (one of the away_reasons codes), refused otherwise",
    )
    call_id: BodyId | None = Field(
        default=None,
        description="on_call / after_call_work: the agent's call (absent: the call already known)",
    )
    service_id: BodyId | None = Field(
        default=None,
        description="on_call / after_call_work: the service the caller is being helped with",
    )
    queued_writes: BodyCount | None = Field(
        default=None, description="writes in the desk's outbox (absent: unchanged)"
    )
    sync_issues: BodyCount | None = Field(
        default=None, description="open sync issues on the desk (absent: unchanged)"
    )
    replayed: BodyCount | None = Field(
        default=None,
        description="a desk back from an outage: how many queued writes it has just replayed",
    )


class DeskState(BaseModel):
    """The agent's state as the central service keeps it, and how the desk should report."""

    agent_id: int
    state: AgentState
    reason: str | None = None
    since: datetime | None = Field(default=None, description="when this state began")
    call_id: int | None = None
    service_id: int | None = None
    last_seen_at: datetime | None = Field(default=None, description="the desk's last report")
    queued_writes: int = 0
    sync_issues: int = 0
    replayed: int = Field(default=0, description="writes replayed in the last replay reported")
    replayed_at: datetime | None = None
    changed: bool = Field(
        default=False, description="this report changed something (it went into the feed)"
    )
    heartbeat_seconds: int = Field(description="report (unchanged) at least this often")
    unreachable_after_seconds: int = Field(
        description="a desk silent this long shows as unreachable on the floor"
    )
    away_reasons: list[AwayReason]


# --- the floor --------------------------------------------------------------------------------


class FloorCall(BaseModel):
    """The agent's current call: no caller identity on the floor."""

    id: int
    started_at: datetime
    talk_seconds: int = Field(
        description="on a call: so far; in after-call work: how long the talk lasted"
    )
    service_id: int | None = None
    service_name: str | None = None
    service_name_en: str | None = None


class FloorAgent(BaseModel):
    id: int
    name: str
    role: Role
    state: FloorState
    reported_state: AgentState | None = Field(
        default=None, description="the last state the desk reported (also when unreachable)"
    )
    reason: str | None = None
    since: datetime | None = Field(
        default=None, description="when the state began (unreachable: the last report)"
    )
    seconds_in_state: int | None = None
    last_seen_at: datetime | None = None
    call: FloorCall | None = None
    calls_today: int = 0
    wrapped_today: int = 0
    avg_handle_seconds: float | None = Field(
        default=None, description="talk plus after-call work, over today's wrapped calls"
    )
    avg_after_call_work_seconds: float | None = None
    bookings_today: int = 0
    cancellations_today: int = 0
    reschedules_today: int = 0
    queued_writes: int = 0
    sync_issues: int = 0
    replayed: int = 0
    replayed_at: datetime | None = None


class SlotWindow(BaseModel):
    """Slots of one service in the next ``working_days`` working days (from tomorrow)."""

    working_days: int
    until: date = Field(description="the last working day counted")
    free: int
    booked: int
    total: int = Field(description="free + booked (blocked slots are not counted)")
    fill: float | None = Field(default=None, description="booked / total, 0..1")


class FloorService(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    category: str
    bookings_today: int
    windows: list[SlotWindow]


class DispositionCount(BaseModel):
    code: str
    count: int


class FloorHour(BaseModel):
    """One hour of today (Ljubljana time; 23 or 25 of them on the days the clocks change)."""

    starts_at: datetime
    hour: str = Field(description="local time the hour starts, e.g. '08:00'")
    calls: int = 0
    bookings: int = 0
    missed_calls: int = Field(
        default=0,
        description="calls to the centre that did not get through in this hour (the telephone "
        "system's events)",
    )


class FloorDay(BaseModel):
    date: date
    calls: int
    wrapped: int
    avg_handle_seconds: float | None = None
    avg_after_call_work_seconds: float | None = None
    bookings: int
    cancellations: int
    reschedules: int
    dispositions: list[DispositionCount]
    hours: list[FloorHour]
    open_reports: int = Field(description="open reports on the doctor directory")
    oldest_open_report_at: datetime | None = None


class AlertKind(StrEnum):
    LONG_CALL = "long_call"
    LONG_AFTER_CALL_WORK = "long_after_call_work"
    LONG_AWAY = "long_away"
    UNREACHABLE_WITH_QUEUE = "unreachable_with_queue"
    OLD_REPORT = "old_report"


class FloorAlert(BaseModel):
    kind: AlertKind
    since: datetime
    seconds: int = Field(description="how long it has lasted")
    threshold_seconds: int
    agent_id: int | None = None
    agent_name: str | None = None
    queued_writes: int | None = None
    report_id: int | None = None
    provider_id: int | None = None
    provider_name: str | None = None
    message: str = Field(description="in English, for API users; consoles word it themselves")


class FloorThresholds(BaseModel):
    """``[floor]`` of the central service's config.toml, as the floor applies it."""

    heartbeat_seconds: int
    unreachable_after_seconds: int
    long_call_seconds: int
    long_after_call_work_seconds: int
    long_away_seconds: int
    report_open_seconds: int
    fill_working_days: list[int]
    away_reasons: list[AwayReason]


class Floor(BaseModel):
    at: datetime = Field(description="when the floor was computed (the service's clock)")
    today: FloorDay
    agents: list[FloorAgent]
    services: list[FloorService]
    alerts: list[FloorAlert]
    thresholds: FloorThresholds
    callbacks: CallbackFloor = Field(
        description="the callback queue: its length, oldest wait, today's share reached and "
        "missed calls"
    )
    messages: MessageCounts = Field(description="today's messages to callers, by status")


# --- one agent's day --------------------------------------------------------------------------


class BookingAction(StrEnum):
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"  # the new booking a reschedule made
    CANCELLED = "cancelled"


class CallBooking(BaseModel):
    reference: str
    reference_display: str
    action: BookingAction
    status: str = Field(description="the booking's status now")
    service_id: int
    service_name: str
    service_name_en: str | None = Field(default=None, description="the service's English name")
    slot_starts_at: datetime


class FloorCaller(BaseModel):
    """Who called: only in an audited read (``include_caller=true``)."""

    id: int
    first_name: str
    last_name: str
    phone: str | None = None


class AgentDayCall(BaseModel):
    id: int
    direction: str
    started_at: datetime
    ended_at: datetime | None = None
    wrapped_at: datetime | None = None
    talk_seconds: int | None = None
    after_call_work_seconds: int | None = None
    handle_seconds: int | None = Field(default=None, description="talk plus after-call work")
    disposition: str | None = None
    service_id: int | None = Field(
        default=None, description="the service of the call's first booking"
    )
    service_name: str | None = None
    service_name_en: str | None = Field(default=None, description="the service's English name")
    bookings: list[CallBooking] = Field(default_factory=list)
    caller: FloorCaller | None = None


class StateTime(BaseModel):
    state: AgentState
    seconds: int


class AgentDay(BaseModel):
    agent_id: int
    agent_name: str
    role: Role
    date: date
    calls: list[AgentDayCall]
    wrapped: int
    avg_handle_seconds: float | None = None
    avg_after_call_work_seconds: float | None = None
    bookings: int
    cancellations: int
    reschedules: int
    time_in_state: list[StateTime] = Field(
        description="seconds in each reported state that day (a silent desk's time is not "
        "counted past its last report)"
    )
    caller_identity: bool = Field(description="callers are included (and the read was audited)")
