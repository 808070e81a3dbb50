"""The doctor directory: the insurer's doctors, dated facts about them, agents' reports."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from console.domain.models.bounds import BodyId, ClientModel, Prose


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


class ReportIn(ClientModel):
    kind: ReportKind
    note: Annotated[Prose, Field(max_length=500)] = ""
    call_id: BodyId | None = Field(default=None, description="a call of this agent's")


class ReportClose(ClientModel):
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
