"""Places, services, providers and their slots."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class SlotStatus(StrEnum):
    FREE = "free"
    HELD = "held"
    BOOKED = "booked"
    BLOCKED = "blocked"


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
    one_booking_per_caller: bool = Field(
        default=False,
        description="a caller may have at most one active booking of this service (a second "
        "is 409 caller_has_booking: reschedule the one there is)",
    )


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
