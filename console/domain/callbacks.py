"""The shapes of callbacks and telephone events on the wire (server and console alike).

A callback is a number to call back: a caller who could not get through (the telephone system
told us: ``missed_call``), an agent's promise at wrap-up (``agent_follow_up``) or a desk's
offline write that needs the caller again (``sync_issue``). Times are aware UTC on the wire.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from console.domain.calendar import OfficeHours
from console.domain.errors import InvalidValue
from console.domain.models import BodyId, Prose, When


class CallbackSource(StrEnum):
    MISSED_CALL = "missed_call"
    AGENT_FOLLOW_UP = "agent_follow_up"
    SYNC_ISSUE = "sync_issue"


class CallbackStatus(StrEnum):
    OPEN = "open"  # in the queue (due now or later)
    # leased by one agent until ``lease_expires_at``; once reached, held by its call (``call_id``)
    # until the call's wrap-up closes it
    CLAIMED = "claimed"
    DONE = "done"  # the caller was reached (by us or they reached us), or declined
    FAILED = "failed"  # wrong number, or no answer / busy up to the maximum of attempts
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (CallbackStatus.OPEN, CallbackStatus.CLAIMED)


class AttemptOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"
    DECLINED = "declined"


RETRIED_OUTCOMES = (AttemptOutcome.NO_ANSWER, AttemptOutcome.BUSY)


class CallbackResult(StrEnum):
    """Why a callback was closed."""

    REACHED = "reached"  # an agent reached the caller
    REACHED_US = "reached_us"  # the caller called in and was served
    DECLINED = "declined"  # reached, but the caller did not want anything
    WRONG_NUMBER = "wrong_number"
    NO_ANSWER = "no_answer"  # the last of the maximum attempts was not answered
    BUSY = "busy"  # ... or busy
    CANCELLED = "cancelled"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# One rule with the rest of the API (console.domain.models): ids 1 to 2^53-1, strict JSON
# integers in bodies; text without control characters (tabs and line breaks allowed), which
# PostgreSQL would refuse; times within the calendar.
Id = BodyId
Plain = Prose


class CallbackAttempt(BaseModel):
    id: int
    at: datetime
    agent_id: int
    agent_name: str | None = None
    outcome: AttemptOutcome
    note: str = ""
    call_id: int | None = Field(default=None, description="the console call it was made in")


class Callback(BaseModel):
    id: int
    number: str = Field(description="the number to call, E.164")
    source: CallbackSource
    status: CallbackStatus
    result: CallbackResult | None = Field(default=None, description="why it was closed")
    note: str = ""
    caller_ids: list[int] = Field(
        default_factory=list,
        description="callers with this phone number now: none (a new caller), one, or several",
    )
    caller_names: list[str] = Field(
        default_factory=list,
        description="their names (first and last), in the order of caller_ids",
    )
    caller_id: int | None = Field(default=None, description="the caller an agent named")
    origin_call_id: int | None = Field(default=None, description="the call that asked for it")
    created_at: datetime
    waiting_since: datetime = Field(description="the first unanswered call (or when asked for)")
    tries: int = Field(description="calls from this number that did not get through")
    last_tried_at: datetime | None = None
    due_at: datetime = Field(description="not to be called before this time")
    callable_from: datetime | None = Field(
        default=None,
        description="the first moment at or after now and due_at inside the callback hours "
        "(no time within a year: null)",
    )
    attempt_count: int = Field(description="our attempts so far")
    max_attempts: int = Field(description="unanswered attempts before it fails")
    assigned_to: int | None = Field(default=None, description="the agent it is kept for")
    claimed_by: int | None = Field(default=None, description="the agent who claimed it last")
    claimed_at: datetime | None = None
    lease_expires_at: datetime | None = Field(
        default=None,
        description="while claimed: back in the queue after this time (none once reached: "
        "the call holds it)",
    )
    call_id: int | None = Field(
        default=None,
        description="reached: the console call it goes on in; the call's wrap-up closes it",
    )
    closed_at: datetime | None = None
    attempts: list[CallbackAttempt] = Field(default_factory=list)


class CallbackIn(_In):
    """An agent's callback: a promise at wrap-up, or a sync issue that needs the caller."""

    number: Plain = Field(min_length=1, max_length=40, description="any common format")
    source: Literal["agent_follow_up", "sync_issue"] = "agent_follow_up"
    due_at: When | None = Field(default=None, description="default: now; at most a year ahead")
    note: Plain = Field(default="", max_length=1000)
    caller_id: Id | None = None
    call_id: Id | None = Field(default=None, description="the call it comes from")
    assign: Literal["me", "pool"] = Field(
        default="me", description="kept for this agent first, or for anyone"
    )


class ClaimIn(_In):
    callback_id: Id | None = Field(
        default=None, description="claim this callback (if due); default: the next due one"
    )


class AttemptIn(_In):
    outcome: AttemptOutcome
    note: Plain = Field(default="", max_length=1000)
    call_id: Id | None = Field(
        default=None,
        description="the console call it was made in; required for reached (the call's "
        "wrap-up closes the callback)",
    )
    at: When | None = Field(
        default=None,
        description="when the attempt was made (a desk replaying it): within the last week, "
        "not in the future; default now",
    )


class CallbackCancelIn(_In):
    reason: Plain = Field(default="", max_length=500)


class CallbackWindow(BaseModel):
    hours: str = Field(description="the callback hours, e.g. 'Mon-Fri 08:00-16:00'")
    holidays: bool = Field(
        default=True, description="closed on Slovenian public holidays (the usual rule)"
    )
    open_now: bool = Field(description="inside the hours now (holidays excluded)")
    next_open_at: datetime | None = Field(description="now if open, else when it opens next")

    # The desk keeps the service's answer and tells from it, by the service's own rule
    # (:meth:`OfficeHours.open_at`), whether the hours are open at each moment after: its
    # line flips at the opening and at the closing, between reads and offline too.

    def _office_hours(self) -> OfficeHours | None:
        try:
            return OfficeHours.parse(self.hours)
        except InvalidValue:
            return None  # not hours this console reads: the service's answer stands

    def at(self, now: datetime) -> CallbackWindow:
        """This window at the moment ``now`` (aware): open or not, and when it opens next."""
        hours = self._office_hours()
        if hours is None:
            return self
        return self.model_copy(
            update={
                "open_now": hours.open_at(now, holidays=self.holidays),
                "next_open_at": hours.next_open(now, holidays=self.holidays),
            }
        )

    def next_change(self, now: datetime) -> datetime | None:
        """The next moment after ``now`` when the hours open or close (None: never, or hours
        this console does not read)."""
        hours = self._office_hours()
        return None if hours is None else hours.next_change(now, holidays=self.holidays)

    def callable_from(self, callback: Callback, now: datetime) -> datetime | None:
        """When ``callback`` may be called, as of ``now``: the first moment at or after ``now``
        and its ``due_at`` inside the hours (the service's ``callable_from``, counted again);
        None for a callback no longer in the queue."""
        if callback.status not in ACTIVE_STATUSES:
            return None
        hours = self._office_hours()
        if hours is None:
            return callback.callable_from
        return hours.next_open(max(callback.due_at, now), holidays=self.holidays)


class CallbackPage(BaseModel):
    callbacks: list[Callback]
    window: CallbackWindow
    more: bool = False


class HourCount(BaseModel):
    hour: int = Field(description="local hour of the day, 0-23 (Europe/Ljubljana)")
    missed: int


class CallbackFloor(BaseModel):
    """The callback figures for the supervisor's floor."""

    queue_length: int = Field(description="open and claimed callbacks")
    due_now: int = Field(description="open callbacks that may be called now")
    claimed: int
    oldest_wait_seconds: int | None = Field(description="since the oldest queued one waits")
    closed_today: int = Field(description="closed today (Ljubljana), cancelled ones excepted")
    reached_today: int = Field(description="of those: reached, reached_us or declined")
    reached_share: float | None = Field(description="reached_today / closed_today")
    missed_today: int
    missed_per_hour: list[HourCount] = Field(description="today's calls that did not get through")


# --- the telephone system's events --------------------------------------------------------------

CallId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description="the telephone system's id of the call (Asterisk: its uniqueid)",
    ),
]
Extension = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z*#+_.\-/]+$")]
EventNumber = Annotated[
    Plain | None,
    Field(
        default=None,
        max_length=40,
        description="the caller's number in any common format; empty or 'anonymous' when withheld",
    ),
]
EventTime = Annotated[
    When | None,
    Field(default=None, description="when it happened (default: when it is received)"),
]


class RingingEvent(_In):
    event: Literal["ringing"]
    call_id: CallId
    extension: Extension
    number: EventNumber
    line: Plain | None = Field(default=None, max_length=80, description="the line called")
    at: EventTime


class AnsweredEvent(_In):
    event: Literal["answered"]
    call_id: CallId
    extension: Extension | None = None
    at: EventTime


class MissedEvent(_In):
    event: Literal["missed"]
    call_id: CallId
    number: EventNumber
    queue: Plain | None = Field(default=None, max_length=80, description="the caller's queue")
    waited_seconds: int | None = Field(default=None, ge=0, le=86_400)
    at: EventTime


TelephonyEvent = Annotated[RingingEvent | AnsweredEvent | MissedEvent, Field(discriminator="event")]


class TelephonyEventResult(BaseModel):
    event: str
    call_id: str
    applied: bool = Field(description="false: a repeat, or older news than what is known")
    number: str | None = Field(default=None, description="E.164; null when withheld")
    caller_ids: list[int] = Field(default_factory=list, description="callers with this number")
    callback_id: int | None = Field(default=None, description="the number's callback, if any")
    callback_status: CallbackStatus | None = None


class ExtensionIn(_In):
    extension: Extension


class DeskExtension(BaseModel):
    extension: str
    agent_id: int
    agent_name: str | None = None
    declared_at: datetime
