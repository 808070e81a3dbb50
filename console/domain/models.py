"""The shapes that cross the wire between the central service and the console.

Both sides use these models: the server as FastAPI request and response models, the console's
client to parse what it receives. Times are timezone-aware UTC on the wire (ISO 8601 with
``Z``/``+00:00``); the console shows them in Europe/Ljubljana.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
)
from pydantic_core import PydanticCustomError


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    TELEPHONY = "telephony"  # the telephone system: posts call events, nothing else


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


# --- the bounds of what a client may send -----------------------------------------------------
# One rule on both engines, at the model layer: what SQLite would store and PostgreSQL refuse
# (a NUL, an id past 64 bits, a date past the calendar's end) is refused here first, with 422
# naming the field. The JSON schema states each bound, so the OpenAPI document tells it too.

# Every id is stored as a 64-bit integer on both engines; the API takes ids up to 2^53-1, the
# integers every JSON parser reads exactly (a JavaScript or a spreadsheet client too).
MAX_ID = 2**53 - 1


def _json_integer(value: Any) -> Any:
    """A JSON integer: 7 or 7.0 (JSON Schema's integer), never "7", true or 7.5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise PydanticCustomError("int_type", "Input should be a valid integer")
        return int(value)
    return value


# Integers in a JSON body are strict about their type (JSON Schema's integer, nothing looser);
# the bounds sit on the integer itself, so the JSON schema states them.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]  # an id in a path or a query
BodyId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_json_integer)]


def decimal_pattern(largest: int) -> str:
    """A regular expression for the decimal numbers 1 to ``largest`` (no sign, no leading 0)."""
    digits = str(largest)
    options = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    # As long as ``largest``: equal to its first k digits, then a smaller digit, then anything.
    for k, digit in enumerate(digits):
        low = "1" if k == 0 else "0"
        if int(digit) > int(low):
            rest = len(digits) - k - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            options.append(f"{digits[:k]}[{low}-{int(digit) - 1}]{tail}")
    options.append(digits)
    return "^(?:" + "|".join(options) + ")$"


ID_PATTERN = decimal_pattern(MAX_ID)  # an id in a header, where everything is text

# Control characters (C0, DEL, C1); prose may keep tabs and line breaks. Lone surrogates are
# refused too (they are no characters at all; a JSON schema pattern cannot name them).
_CONTROL = r"\x00-\x1f\x7f-\x9f"
_CONTROL_BUT_LINES = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_SURROGATES = r"\ud800-\udfff"
LINE_PATTERN = f"^[^{_CONTROL}]*$"
PROSE_PATTERN = f"^[^{_CONTROL_BUT_LINES}]*$"
# A search: one line with at least two characters that are not spaces.
SEARCH_PATTERN = f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$"
_LINE_BAD = re.compile(f"[{_CONTROL}{_SURROGATES}]")
_PROSE_BAD = re.compile(f"[{_CONTROL_BUT_LINES}{_SURROGATES}]")


def _refuse(bad: re.Pattern[str], what: str):  # type: ignore[no-untyped-def]
    def check(value: str) -> str:
        found = bad.search(value)
        if found:
            code, position = ord(found.group()), found.start()
            raise PydanticCustomError(
                "control_character",
                f"must not contain {what} (found U+{code:04X} at position {position})",
            )
        return value

    return check


# One line of text (a name, a code, a search): no control characters at all.
Line = Annotated[
    str,
    AfterValidator(_refuse(_LINE_BAD, "control characters")),
    Field(json_schema_extra={"pattern": LINE_PATTERN}),
]
# Free text (notes, reasons): line breaks and tabs allowed, other control characters not.
Prose = Annotated[
    str,
    AfterValidator(_refuse(_PROSE_BAD, "control characters other than tabs and line breaks")),
    Field(json_schema_extra={"pattern": PROSE_PATTERN}),
]

# A search box's text: one line, at least two characters other than spaces.
SearchText = Annotated[
    str,
    AfterValidator(_refuse(_LINE_BAD, "control characters")),
    Field(json_schema_extra={"pattern": SEARCH_PATTERN}),
]

# The calendar the domain uses: calls, follow-ups and slots fall in these years.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _in_calendar(value: datetime) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise PydanticCustomError(
            "date_out_of_range",
            "must be from 2000-01-01 to 2099-12-31 (UTC)",
        )
    return value


# A time a client sends: ISO 8601, in the years 2000 to 2099.
When = Annotated[
    datetime,
    AfterValidator(_in_calendar),
    Field(description="ISO 8601 time, from 2000-01-01 to 2099-12-31 (UTC)"),
]
# A provisional reference a desk gave offline: P-, then a booking reference (the service checks
# it and answers 422 naming the field when it is not one).
ProvisionalReference = Annotated[Line, Field(min_length=1, max_length=20)]


def _drop_null(schema: dict[str, Any]) -> None:
    """A property that may be left out but never sent as null: the schema says so."""
    options = schema.pop("anyOf", None)
    if options:
        kept = [option for option in options if option.get("type") != "null"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    if schema.get("default", ...) is None:
        del schema["default"]


class MessageChannel(StrEnum):
    """How a caller wants confirmations and reminders: e-mail, SMS (the first mobile number),
    or none."""

    EMAIL = "email"
    SMS = "sms"
    NONE = "none"


class MessageKind(StrEnum):
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    REMINDER = "reminder"


class MessageStatus(StrEnum):
    """queued (waiting, or waiting to retry), sending (claimed by the sender), sent, failed
    (with the server's reason), cancelled (withdrawn, or made moot: a reminder of a booking
    since rescheduled or cancelled, consent withdrawn, the appointment passed)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class _Model(BaseModel):
    """What a client sends: unknown properties are refused."""

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


class Phone(BaseModel):
    number: str = Field(description="E.164, e.g. +38641234567")
    label: str = "mobile"


# A caller's fields, bounded. Typed forms (spaces in an EMŠO, a phone as "041 234 567") fit.
Name = Annotated[Line, Field(min_length=1, max_length=80)]
PhoneText = Annotated[Line, Field(min_length=1, max_length=40)]
EmsoText = Annotated[Line, Field(max_length=20)]
ZzzsText = Annotated[Line, Field(max_length=20)]
EmailText = Annotated[Line, Field(max_length=254)]
Language = Annotated[Line, Field(min_length=1, max_length=8)]
CallerNotes = Annotated[Prose, Field(max_length=4000)]
Flag = Annotated[Line, Field(max_length=40)]
MAX_PHONES = 5
MAX_FLAGS = 20


class CallerIn(_Model):
    """A new caller. Phone numbers may be typed in any common format; they are stored E.164."""

    first_name: Name
    last_name: Name
    phones: list[PhoneText] = Field(default_factory=list, max_length=MAX_PHONES)
    emso: EmsoText | None = None
    zzzs_number: ZzzsText | None = None
    email: EmailText | None = None
    language: Language = "sl"
    notes: CallerNotes = ""
    flags: list[Flag] = Field(default_factory=list, max_length=MAX_FLAGS)
    message_channel: MessageChannel = Field(
        default=MessageChannel.NONE, description="confirmations and reminders: email, sms, none"
    )
    message_consent: bool = Field(
        default=False, strict=True, description="the caller agreed to messages"
    )


# Fields of a caller that are never null: left out, they stay as they are; sent as null, 422.
_NEVER_NULL: dict[str, Any] = {"json_schema_extra": _drop_null}


class CallerPatch(_Model):
    """The fields to change; at least one. ``emso``, ``zzzs_number`` and ``email`` may be null
    (cleared); the others may be left out, not sent as null (send "" or [] to empty notes,
    phones or flags)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    first_name: Name | None = Field(default=None, **_NEVER_NULL)
    last_name: Name | None = Field(default=None, **_NEVER_NULL)
    phones: list[PhoneText] | None = Field(
        default=None,
        max_length=MAX_PHONES,
        **_NEVER_NULL,
    )
    emso: EmsoText | None = None
    zzzs_number: ZzzsText | None = None
    email: EmailText | None = None
    language: Language | None = Field(default=None, **_NEVER_NULL)
    notes: CallerNotes | None = Field(default=None, **_NEVER_NULL)
    flags: list[Flag] | None = Field(
        default=None,
        max_length=MAX_FLAGS,
        **_NEVER_NULL,
    )
    message_channel: MessageChannel | None = Field(
        default=None,
        description="email (needs an e-mail address), sms (a mobile), none",
        **_NEVER_NULL,
    )
    message_consent: bool | None = Field(
        default=None,
        strict=True,
        description="the caller agreed to messages; the time is recorded",
        **_NEVER_NULL,
    )

    @field_validator(
        "first_name",
        "last_name",
        "phones",
        "language",
        "notes",
        "flags",
        "message_channel",
        "message_consent",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("null", "may be left out but not null")
        return value


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
    message_channel: MessageChannel = MessageChannel.NONE
    message_consent: bool = False
    message_consent_at: datetime | None = Field(
        default=None, description="when the consent was last given or withdrawn"
    )
    message_address: str | None = Field(
        default=None,
        description="where messages go now (the e-mail address or the first mobile number); "
        "null when the caller has no consent, the channel is none, or the address is missing",
    )


class CallerSearch(BaseModel):
    query: str
    kind: str = Field(description="how the query was read: name, phone, emso, zzzs, reference")
    callers: list[CallerSummary]
    more: bool = Field(default=False, description="more callers match: type more to narrow")


class HoldIn(_Model):
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


class BookingIn(_Model):
    """Confirm a slot for a caller: either a hold this agent owns, or a free slot directly."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_HOLD_OR_SLOT)

    caller_id: BodyId
    hold_id: BodyId | None = None
    slot_id: BodyId | None = None
    call_id: BodyId | None = Field(default=None, description="a call of this agent's")
    notes: Annotated[Prose, Field(max_length=2000)] = ""
    notify: bool = Field(
        default=True,
        strict=True,
        description="false: no message to the caller about this (the agent switched it off)",
    )
    allow_overlap: bool = Field(
        default=False,
        strict=True,
        description="true: book even though the caller has another active booking at an "
        "overlapping time (else 409 caller_has_booking); a service's one-booking-per-caller "
        "rule is not overridden",
    )
    provisional_reference: ProvisionalReference | None = Field(
        default=None,
        description="the provisional reference (P-…) a desk gave the caller while offline: kept "
        "as an alias of the booking, found by lookup and GET /v1/bookings/{ref}",
    )


class RescheduleIn(_Model):
    """The new slot: a hold this agent owns, or a free slot."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_HOLD_OR_SLOT)

    hold_id: BodyId | None = None
    slot_id: BodyId | None = None
    call_id: BodyId | None = Field(default=None, description="a call of this agent's")
    notify: bool = Field(
        default=True,
        strict=True,
        description="false: no message to the caller about this (the agent switched it off)",
    )
    allow_overlap: bool = Field(
        default=False,
        strict=True,
        description="true: book even though the caller has another active booking at an "
        "overlapping time (else 409 caller_has_booking); a service's one-booking-per-caller "
        "rule is not overridden",
    )
    provisional_reference: ProvisionalReference | None = Field(
        default=None,
        description="the provisional reference (P-…) a desk gave the caller while offline: kept "
        "as an alias of the booking, found by lookup and GET /v1/bookings/{ref}",
    )


class ProvisionalReferenceIn(_Model):
    """The provisional reference (P-…) a desk gave the caller for a booking it sent online and
    never heard back about."""

    provisional_reference: ProvisionalReference


class CancelIn(_Model):
    reason: Annotated[Prose, Field(max_length=500)] = ""
    call_id: BodyId | None = Field(default=None, description="a call of this agent's")
    notify: bool = Field(
        default=True,
        strict=True,
        description="false: no message to the caller about this (the agent switched it off)",
    )


class CallerMessage(BaseModel):
    """A confirmation, change, cancellation or reminder to a caller, and how it went."""

    id: int
    booking_reference: str
    kind: MessageKind
    channel: MessageChannel = Field(description="email or sms")
    address: str | None = Field(description="the e-mail address or mobile number")
    status: MessageStatus
    reason: str | None = Field(
        default=None,
        description="failed: the server's answer; cancelled: why; queued: the last error",
    )
    attempts: int = 0
    send_after: datetime = Field(description="when it was to go out (a reminder: its time)")
    next_attempt_at: datetime | None = Field(
        default=None, description="queued: when it goes out (later after a failure)"
    )
    sent_at: datetime | None = None
    created_at: datetime
    message_id: str = Field(description="the e-mail's Message-ID, the same on every attempt")


class MessageCounts(BaseModel):
    """Messages due on one day (Europe/Ljubljana), by status."""

    day: date
    queued: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0


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
    messages: list[CallerMessage] = Field(
        default_factory=list,
        description="messages to the caller about this booking, oldest first; a write's answer "
        "lists the ones it queued (what will be sent where)",
    )
    provisional_reference: str | None = Field(
        default=None, description="the P- reference a desk gave the caller while offline"
    )


class CallIn(_Model):
    caller_id: BodyId | None = None
    direction: CallDirection = CallDirection.INBOUND
    started_at: When | None = Field(
        default=None,
        description="when the call began on the desk (a call the desk made offline and sends "
        "later); default: now. Refused in the future beyond a small clock skew, or older than "
        "the idempotency window ([retention] idempotency_days)",
    )


class CallPatch(_Model):
    """Attach a caller to the call (null: detach)."""

    caller_id: BodyId | None


class WrapUpIn(_Model):
    disposition: Annotated[Line, Field(min_length=1, max_length=40)]
    notes: Annotated[Prose, Field(max_length=8000)] = ""
    follow_up_at: When | None = Field(
        default=None, description="when to call back: after the call started"
    )
    follow_up_note: Annotated[Prose, Field(max_length=1000)] = ""
    after_call_work_seconds: (
        Annotated[int, Field(ge=0, le=86400), BeforeValidator(_json_integer)] | None
    ) = None
    ended_at: When | None = Field(
        default=None,
        description="when the caller hung up, by the desk's clock (default: now); not before "
        "the call's start, not in the future beyond a small clock skew (5 minutes)",
    )
    referred_provider_id: BodyId | None = Field(
        default=None, description="the doctor (directory provider) the caller was referred to"
    )
    follow_up_number: str | None = Field(
        default=None,
        max_length=40,
        description="the number the follow-up calls back (default: the caller's first phone)",
    )
    follow_up_assign: Literal["me", "pool"] = Field(
        default="me", description="the follow-up's callback is kept for this agent, or for anyone"
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

    note: Annotated[Prose, Field(min_length=1, max_length=1000)]


class Disposition(BaseModel):
    code: str
    label: str
    label_en: str


class Change(BaseModel):
    seq: int
    at: datetime
    entity: str = Field(
        description="slot, booking, caller, call, hold, provider, callback (the callback queue), "
        "ringing (the telephone system's calls: data call_id, line, extension, number, "
        "caller_ids, agent_id), agent_state (entity_id: the agent; op changed, updated or "
        "replayed; data: state, previous, reason, call_id, service_id, since, queued_writes, "
        "sync_issues, replayed, source)"
    )
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
    note: Annotated[Prose, Field(max_length=500)] = ""
    call_id: BodyId | None = Field(default=None, description="a call of this agent's")


class ReportClose(_Model):
    resolution: Annotated[Prose, Field(max_length=500)] = ""


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
    generated: bool = Field(
        default=False,
        description="true when no insurer's list was ever loaded: the doctors are the demo's "
        "generated clinics",
    )


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
