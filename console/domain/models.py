"""The shapes that cross the wire between the central service and the console.

Both sides use these models: the server as FastAPI request and response models, the console's
client to parse what it receives. Times are timezone-aware UTC on the wire (ISO 8601 with
``Z``/``+00:00``); the console shows them in Europe/Ljubljana.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    NO_SHOW = "no_show"


class SlotStatus(StrEnum):
    FREE = "free"
    HELD = "held"
    BOOKED = "booked"
    BLOCKED = "blocked"


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApiError(BaseModel):
    """Every error the API returns: a stable code and a sentence an agent can read."""

    error: str = Field(description="machine-readable code, e.g. 'slot_taken'")
    message: str = Field(description="what happened, in plain words")
    field: str | None = Field(default=None, description="the input field at fault, if any")


class Agent(BaseModel):
    id: int
    name: str
    role: Role


class Location(BaseModel):
    id: int
    code: str
    name: str
    kind: str = Field(description="'office' or 'clinic'")
    address: str
    postcode: str
    town: str
    municipality: str
    region: str
    phone: str | None = None
    opening_hours: str = Field(description="human-readable opening hours")


class Service(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    category: str = Field(description="'administrative' or 'health'")
    duration_minutes: int
    documents: list[str] = Field(default_factory=list, description="what the caller must bring")
    documents_en: list[str] = Field(default_factory=list)


class Provider(BaseModel):
    id: int
    code: str
    name: str
    kind: str = Field(description="'counter' or 'doctor'")
    specialty: str | None = None
    location_id: int
    service_ids: list[int] = Field(default_factory=list)
    accepts_new_patients: bool | None = None
    accepts_verified_at: datetime | None = None
    accepts_verified_by: str | None = None


class Slot(BaseModel):
    id: int
    starts_at: datetime
    ends_at: datetime
    status: SlotStatus
    service_id: int
    provider_id: int
    provider_name: str
    location_id: int
    location_name: str
    region: str
    held_until: datetime | None = None


class SlotPage(BaseModel):
    slots: list[Slot]


class Phone(BaseModel):
    number: str = Field(description="E.164, e.g. +38641234567")
    label: str = "mobile"


class CallerIn(_Model):
    """A new caller. Phone numbers may be typed in any common format; they are stored E.164."""

    first_name: str = Field(min_length=1, max_length=80)
    last_name: str = Field(min_length=1, max_length=80)
    phones: list[str] = Field(default_factory=list, max_length=5)
    emso: str | None = None
    zzzs_number: str | None = None
    email: str | None = None
    language: str = Field(default="sl", max_length=8)
    notes: str = Field(default="", max_length=4000)
    flags: list[str] = Field(default_factory=list, max_length=20)


class CallerPatch(_Model):
    first_name: str | None = Field(default=None, min_length=1, max_length=80)
    last_name: str | None = Field(default=None, min_length=1, max_length=80)
    phones: list[str] | None = Field(default=None, max_length=5)
    emso: str | None = None
    zzzs_number: str | None = None
    email: str | None = None
    language: str | None = Field(default=None, max_length=8)
    notes: str | None = Field(default=None, max_length=4000)
    flags: list[str] | None = Field(default=None, max_length=20)


class CallerSummary(BaseModel):
    """One search hit: enough to tell two callers apart over the phone."""

    id: int
    first_name: str
    last_name: str
    birth_date: str | None = Field(default=None, description="from EMŠO, ISO date")
    phones: list[str] = Field(default_factory=list)
    emso: str | None = None
    zzzs_number: str | None = None
    matched_on: str = Field(description="name, phone, emso, zzzs or reference")


class Caller(BaseModel):
    id: int
    first_name: str
    last_name: str
    phones: list[Phone]
    emso: str | None
    zzzs_number: str | None
    email: str | None
    language: str
    notes: str
    flags: list[str]
    birth_date: str | None = None
    created_at: datetime
    updated_at: datetime


class CallerSearch(BaseModel):
    query: str
    kind: str = Field(description="how the query was read: name, phone, emso, zzzs, reference")
    callers: list[CallerSummary]
    more: bool = Field(default=False, description="more callers match: type more to narrow")


class HoldIn(_Model):
    slot_id: int


class Hold(BaseModel):
    id: int
    slot_id: int
    agent_id: int
    expires_at: datetime
    slot: Slot


class BookingIn(_Model):
    """Confirm a slot for a caller: either a hold this agent owns, or a free slot directly."""

    caller_id: int
    hold_id: int | None = None
    slot_id: int | None = None
    call_id: int | None = None
    notes: str = Field(default="", max_length=2000)


class RescheduleIn(_Model):
    hold_id: int | None = None
    slot_id: int | None = None
    call_id: int | None = None


class CancelIn(_Model):
    reason: str = Field(default="", max_length=500)
    call_id: int | None = None


class Booking(BaseModel):
    id: int
    reference: str = Field(description="the code read to the caller, e.g. K7M4PXR")
    reference_display: str = Field(description="the same, grouped for reading aloud")
    status: BookingStatus
    caller_id: int
    slot: Slot
    service: Service
    location: Location
    created_at: datetime
    created_by: int
    call_id: int | None = None
    notes: str = ""
    superseded_by: str | None = Field(default=None, description="reference of the new booking")
    replaces: str | None = Field(default=None, description="reference of the booking it replaced")


class CallIn(_Model):
    caller_id: int | None = None
    direction: CallDirection = CallDirection.INBOUND


class CallPatch(_Model):
    caller_id: int | None = None


class WrapUpIn(_Model):
    disposition: str = Field(min_length=1, max_length=40)
    notes: str = Field(default="", max_length=8000)
    follow_up_at: datetime | None = None
    follow_up_note: str = Field(default="", max_length=1000)
    after_call_work_seconds: int | None = Field(default=None, ge=0, le=86400)
    ended_at: datetime | None = None


class Call(BaseModel):
    id: int
    agent_id: int
    agent_name: str | None = None
    caller_id: int | None
    direction: CallDirection
    started_at: datetime
    ended_at: datetime | None
    disposition: str | None
    notes: str | None
    follow_up_at: datetime | None
    follow_up_note: str | None
    after_call_work_seconds: int | None
    wrapped_at: datetime | None


class Disposition(BaseModel):
    code: str
    label: str
    label_en: str


class Change(BaseModel):
    seq: int
    at: datetime
    entity: str = Field(description="slot, booking, caller, call, hold")
    entity_id: int
    op: str = Field(description="created, updated, held, released, booked, freed, cancelled, ...")
    agent_id: int | None = Field(default=None, description="the agent whose write it was")
    data: dict = Field(default_factory=dict)


class ChangePage(BaseModel):
    changes: list[Change]
    last_seq: int = Field(description="pass as ?since= to continue")
