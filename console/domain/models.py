"""The shapes that cross the wire between the central service and the console.

Both sides use these models: the server as FastAPI request and response models, the console's
client to parse what it receives. Times are timezone-aware UTC on the wire (ISO 8601 with
``Z``/``+00:00``); the console shows them in Europe/Ljubljana.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, computed_field


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
    provisional_reference: str | None = Field(
        default=None,
        description="the provisional reference (P-…) a desk gave the caller while offline: kept "
        "as an alias of the booking, found by lookup and GET /v1/bookings/{ref}",
    )


class RescheduleIn(_Model):
    hold_id: int | None = None
    slot_id: int | None = None
    call_id: int | None = None
    provisional_reference: str | None = Field(
        default=None,
        description="the provisional reference (P-…) a desk gave the caller while offline: kept "
        "as an alias of the booking, found by lookup and GET /v1/bookings/{ref}",
    )


class ProvisionalReferenceIn(_Model):
    """The provisional reference (P-…) a desk gave the caller for a booking it sent online and
    never heard back about."""

    provisional_reference: str


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
    provisional_reference: str | None = Field(
        default=None, description="the P- reference a desk gave the caller while offline"
    )


class CallIn(_Model):
    caller_id: int | None = None
    direction: CallDirection = CallDirection.INBOUND
    started_at: datetime | None = Field(
        default=None,
        description="when the call began on the desk (a call the desk made offline and sends "
        "later); default: now. Refused in the future beyond a small clock skew, or older than "
        "the idempotency window ([retention] idempotency_days)",
    )


class CallPatch(_Model):
    caller_id: int | None = None


class WrapUpIn(_Model):
    disposition: str = Field(min_length=1, max_length=40)
    notes: str = Field(default="", max_length=8000)
    follow_up_at: datetime | None = None
    follow_up_note: str = Field(default="", max_length=1000)
    after_call_work_seconds: int | None = Field(default=None, ge=0, le=86400)
    ended_at: datetime | None = Field(
        default=None,
        description="when the caller hung up, by the desk's clock (default: now); not before "
        "the call's start, not in the future beyond a small clock skew",
    )
    referred_provider_id: int | None = Field(
        default=None, description="the doctor (directory provider) the caller was referred to"
    )


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
    referred_provider_id: int | None = None
    referred_provider_name: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def handle_seconds(self) -> int | None:
        """Handle time: talk (start to end, as the desk saw them) plus after-call work; None
        until the call has ended."""
        if self.ended_at is None:
            return None
        talk = max(0, int((self.ended_at - self.started_at).total_seconds()))
        return talk + (self.after_call_work_seconds or 0)


class CallNote(_Model):
    """A line added to a call's record after its wrap-up (e.g. what finally became of a booking
    the replay after an outage could not confirm)."""

    note: str = Field(min_length=1, max_length=1000)


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


# --- the doctor directory ---------------------------------------------------------------------


class DoctorType(StrEnum):
    """The insurer's activities, as the directory groups them (Sledilnik's codes)."""

    GP = "gp"  # family doctor (splošna ambulanta, incl. residents and the +0.5 DMS teams)
    PED = "ped"  # children's and school doctor
    GYN = "gyn"  # gynaecologist (dispanzer za ženske)
    DEN = "den"  # dentist for adults
    DEN_Y = "den-y"  # dentist for children and youth
    DEN_S = "den-s"  # dentist for students


class ReportKind(StrEnum):
    FULL = "full"  # the office says they no longer accept new patients
    ACCEPTS = "accepts"  # the office says they do accept, though the list says not
    CONTACT = "contact"  # phone, address or order form is wrong
    OTHER = "other"


class FactSource(StrEnum):
    ZZZS = "zzzs"  # the insurer's published list (kept on the provider itself)
    SLEDILNIK = "sledilnik"  # Sledilnik's cleaned, geocoded copy
    SLEDILNIK_OVERRIDE = "sledilnik-override"  # a dated correction from someone who phoned
    REPORT = "report"  # an agent's report through this console


class DirectoryFact(BaseModel):
    """One source's dated statement about a doctor."""

    source: FactSource
    as_of: date = Field(description="the date the source gives for the fact")
    accepts: bool | None = None
    fte: float | None = None
    load: float | None = None
    note: str | None = None
    phone: str | None = None
    website: str | None = None
    email: str | None = None
    orderform: str | None = None
    address: str | None = None
    municipality: str | None = None
    lat: float | None = None
    lon: float | None = None


class ReportIn(_Model):
    kind: ReportKind
    note: str = Field(default="", max_length=500)
    call_id: int | None = None


class ReportClose(_Model):
    resolution: str = Field(default="", max_length=500)


class ProviderReport(BaseModel):
    id: int
    provider_id: int
    provider_name: str
    institution: str
    type: DoctorType | None = None
    kind: ReportKind
    note: str
    agent_id: int
    agent_name: str
    call_id: int | None = None
    created_at: datetime
    status: str = Field(description="open or closed")
    closed_at: datetime | None = None
    closed_by_name: str | None = None
    resolution: str | None = None


class DirectoryEntry(BaseModel):
    """One doctor x activity x institution, as a row of the directory."""

    provider_id: int
    name: str = Field(description="the doctor, 'Surname Name' as the insurer lists them")
    type: DoctorType
    institution: str
    address: str
    postcode: str
    town: str
    municipality: str
    region: str
    unit: str | None = Field(default=None, description="the insurer's regional unit")
    accepts: bool | None = Field(description="the insurer's flag")
    list_date: date | None = Field(description="the date the insurer's list describes")
    fte: float | None = None
    patients_per_team: float | None = None
    load_percent: float | None = None
    active: bool = Field(default=True, description="false: no longer on the insurer's list")
    correction: DirectoryFact | None = Field(
        default=None, description="the newest dated correction that states accepts (Sledilnik)"
    )
    report: ProviderReport | None = Field(default=None, description="the newest open report")
    open_reports: int = 0


class DirectoryPage(BaseModel):
    entries: list[DirectoryEntry]
    total: int = Field(description="how many rows match")
    more: bool = False


class ProviderChange(BaseModel):
    at: datetime
    source: str
    as_of: date
    change: str = Field(description="added, removed, back, accepts, fte, load")
    old_value: str | None = None
    new_value: str | None = None


class DirectoryDetail(DirectoryEntry):
    doctor_code: str | None = None
    activity_code: str | None = None
    capitation_per_team: float | None = None
    resident: bool | None = None
    phone: str | None = None
    website: str | None = None
    email: str | None = None
    orderform: str | None = None
    lat: float | None = None
    lon: float | None = None
    facts: list[DirectoryFact] = Field(default_factory=list)
    history: list[ProviderChange] = Field(default_factory=list)
    reports: list[ProviderReport] = Field(default_factory=list)


class DirectoryAreas(BaseModel):
    """What the directory can be filtered by."""

    regions: list[str]
    municipalities: list[str]


# --- operations -------------------------------------------------------------------------------


class RetentionPolicy(BaseModel):
    """How long the central service keeps what it needs only for a while (``[retention]``)."""

    idempotency_key_days: int = Field(
        description="a write retried with the same Idempotency-Key within this many days of "
        "its first attempt is applied once; a desk must not replay an older queued write"
    )
    change_feed_days: int = Field(
        description="changes are kept this long; an older cursor gets 410 resync"
    )
    hold_days: int = Field(description="released and expired holds are kept this long")
    audit_days: int | None = Field(
        description="exported audit rows older than this are deleted; null: audit rows are kept"
    )
    feed_starts_after: int = Field(
        description="the oldest cursor the change feed still answers (0: nothing was pruned)"
    )


class Health(BaseModel):
    status: str = Field(description="'ok'")
