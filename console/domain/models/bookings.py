"""Holds and bookings: what a desk sends to hold, book, reschedule and cancel, and the
booking it gets back."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from console.domain.models.bounds import MAX_ID, BodyId, ClientModel, Prose, ProvisionalReference
from console.domain.models.catalogue import Location, Service, Slot
from console.domain.models.messages import CallerMessage


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    NO_SHOW = "no_show"


class HoldIn(ClientModel):
    slot_id: BodyId


class Hold(BaseModel):
    id: int
    slot_id: int
    agent_id: int
    expires_at: datetime
    slot: Slot


# Exactly one of hold_id and slot_id is an id (the other left out or null).
_AN_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_HOLD_OR_SLOT: dict[str, Any] = {
    "oneOf": [
        {"required": ["hold_id"], "properties": {"hold_id": _AN_ID}},
        {"required": ["slot_id"], "properties": {"slot_id": _AN_ID}},
    ]
}


# What the writes on bookings share (book, reschedule, cancel); null or left out: none.
AgentsCall = Annotated[BodyId | None, Field(description="a call of this agent's")]
Notify = Annotated[
    bool,
    Field(
        strict=True,
        description="false: no message to the caller about this (the agent switched it off)",
    ),
]
AllowOverlap = Annotated[
    bool,
    Field(
        strict=True,
        description="true: book even though the caller has another active booking at an "
        "overlapping time (else 409 caller_has_booking); a service's one-booking-per-caller "
        "rule is not overridden",
    ),
]
ProvisionalAlias = Annotated[
    ProvisionalReference | None,
    Field(
        description="the provisional reference (P-…) a desk gave the caller while offline: kept "
        "as an alias of the booking, found by lookup and GET /v1/bookings/{ref}",
    ),
]


class BookingIn(ClientModel):
    """Confirm a slot for a caller: either a hold this agent owns, or a free slot directly."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_HOLD_OR_SLOT)

    caller_id: BodyId
    hold_id: BodyId | None = None
    slot_id: BodyId | None = None
    call_id: AgentsCall = None
    notes: Annotated[Prose, Field(max_length=2000)] = ""
    notify: Notify = True
    allow_overlap: AllowOverlap = False
    provisional_reference: ProvisionalAlias = None


class RescheduleIn(ClientModel):
    """The new slot: a hold this agent owns, or a free slot."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_HOLD_OR_SLOT)

    hold_id: BodyId | None = None
    slot_id: BodyId | None = None
    call_id: AgentsCall = None
    notify: Notify = True
    allow_overlap: AllowOverlap = False
    provisional_reference: ProvisionalAlias = None


class ProvisionalReferenceIn(ClientModel):
    """The provisional reference (P-…) a desk gave the caller for a booking it sent online and
    never heard back about."""

    provisional_reference: ProvisionalReference


class CancelIn(ClientModel):
    reason: Annotated[Prose, Field(max_length=500)] = ""
    call_id: AgentsCall = None
    notify: Notify = True


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
    cancel_call_id: int | None = Field(
        default=None, description="the call it was cancelled in (none: not cancelled in a call)"
    )
    notes: str = ""
    superseded_by: str | None = Field(default=None, description="reference of the new booking")
    replaces: str | None = Field(default=None, description="reference of the booking it replaced")
    messages: list[CallerMessage] = Field(
        default_factory=list,
        description="messages to the caller about this booking, oldest first, with what became "
        "of each (a booking's or reschedule's answer: the ones it queued, what will be sent "
        "where; a cancel's: the booking's messages it made moot, with why, and the "
        "cancellation if one was queued)",
    )
    provisional_reference: str | None = Field(
        default=None, description="the P- reference a desk gave the caller while offline"
    )
