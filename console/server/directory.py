"""The doctor directory: search, filter lists and one doctor's details, with the evidence.

Every row carries the insurer's flag and the date its list describes, the newest dated
correction that states whether the doctor accepts (Sledilnik's ``sledilnik-override`` fact),
and the newest open agents' report, so the console can put them side by side
(``console.domain.directory.assess``).

**The accepting filter and the order follow the freshest evidence**, not the insurer's flag
alone: the help line's worst problem was callers sent to doctors who were full. So
``accepting=true`` leaves out a doctor the insurer lists as accepting when a newer correction
or an open report says full, and keeps one the insurer lists as full when newer evidence says
they accept; the row still carries every source, and ``assess`` flags the disagreement. A
doctor no longer on the insurer's list accepts no one. Rows come accepting first, then unknown,
then full, then no longer listed; within each by name in Slovenian alphabetical order
(``console.domain.directory.listing_key``).

The filters run in SQL; the evidence (a handful of corrections and reports) is joined in
Python for the rows that match, so a search is three queries whatever it finds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Row, Select, func, select

from console.domain.directory import accepting_if_listed, assess, headline_report, order_key
from console.domain.models import (
    DirectoryAreas,
    DirectoryDetail,
    DirectoryEntry,
    DirectoryFact,
    DirectoryPage,
    DoctorType,
    FactSource,
    ProviderChange,
    ProviderReport,
)
from console.domain.text import collation_key, fold
from console.server import clock, reports
from console.server.errors import not_found
from console.server.schema import (
    directory_imports,
    location_facts,
    locations,
    provider_facts,
    provider_history,
    providers,
)

DOCTOR_TYPES = tuple(t.value for t in DoctorType)
CONTACTS = ("phone", "website", "email", "orderform")
FACT_FIELDS = (
    "accepts",
    "fte",
    "load",
    "note",
    "phone",
    "website",
    "email",
    "orderform",
    "address",
    "municipality",
    "lat",
    "lon",
)
_SOURCE_RANK = {FactSource.SLEDILNIK_OVERRIDE.value: 1}  # a correction beats a copy of one date


@dataclass(frozen=True)
class DirectoryFilters:
    q: str | None = None
    type: DoctorType | None = None
    municipality: str | None = None
    region: str | None = None
    accepting: bool | None = None
    include_inactive: bool = False


def _doctors(*, detail: bool = False) -> Select:
    """Doctors of the directory's types with their institution: what a row needs (``detail``:
    every column)."""
    own = (
        [providers]
        if detail
        else [
            providers.c.id,
            providers.c.name,
            providers.c.specialty,
            providers.c.active,
            providers.c.accepts_new_patients,
            providers.c.list_date,
            providers.c.fte,
            providers.c.patients_per_team,
            providers.c.load_percent,
        ]
    )
    place = [
        locations.c.name.label("institution"),
        locations.c.address,
        locations.c.postcode,
        locations.c.town,
        locations.c.municipality,
        locations.c.region,
    ]
    if detail:
        place += [
            locations.c.phone.label("location_phone"),
            locations.c.lat.label("location_lat"),
            locations.c.lon.label("location_lon"),
        ]
    return (
        select(*own, *place)
        .select_from(providers.join(locations, providers.c.location_id == locations.c.id))
        .where(providers.c.kind == "doctor", providers.c.specialty.in_(DOCTOR_TYPES))
    )


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(filters: DirectoryFilters) -> Select:
    query = _doctors()
    searched = func.coalesce(providers.c.search_folded, providers.c.name_folded)
    for word in fold(filters.q or "").split():
        query = query.where(searched.like(f"%{_like_escape(word)}%", escape="\\"))
    if filters.type is not None:
        query = query.where(providers.c.specialty == filters.type.value)
    if filters.municipality:
        query = query.where(locations.c.municipality_folded == fold(filters.municipality))
    if filters.region:
        query = query.where(locations.c.region == filters.region)
    if not filters.include_inactive:
        query = query.where(providers.c.active.is_(True))
    return query


def _fact(row: Row) -> DirectoryFact:
    return DirectoryFact(
        source=FactSource(row.source),
        as_of=row.as_of,
        **{name: getattr(row, name) for name in FACT_FIELDS},
    )


def _corrections(connection: Connection, provider_ids: Select | list[int]) -> dict[int, Row]:
    """The newest dated correction stating accepts, per doctor."""
    rows = connection.execute(
        select(provider_facts)
        .where(
            provider_facts.c.source == FactSource.SLEDILNIK_OVERRIDE.value,
            provider_facts.c.accepts.is_not(None),
            provider_facts.c.provider_id.in_(provider_ids),
        )
        .order_by(provider_facts.c.as_of, provider_facts.c.id)
    )
    return {row.provider_id: row for row in rows}  # the last (newest) per doctor wins


def _entry(
    row: Row,
    correction: Row | None,
    open_reports: list[ProviderReport],
) -> DirectoryEntry:
    values = {
        "provider_id": row.id,
        "name": row.name,
        "type": DoctorType(row.specialty),
        "institution": row.institution,
        "address": row.address,
        "postcode": row.postcode,
        "town": row.town,
        "municipality": row.municipality,
        "region": row.region,
        "unit": None,
        "accepts": row.accepts_new_patients,
        "list_date": row.list_date,
        "fte": row.fte,
        "patients_per_team": row.patients_per_team,
        "load_percent": row.load_percent,
        "active": row.active,
        "correction": _fact(correction) if correction is not None else None,
        "report": headline_report(open_reports),
        "open_reports": len(open_reports),
    }
    return DirectoryEntry(**values)


def search(
    connection: Connection, filters: DirectoryFilters, *, limit: int = 50, offset: int = 0
) -> DirectoryPage:
    """One page of doctors matching ``filters``, in the directory's order (module docstring)."""
    query = _filtered(filters)
    ids = query.with_only_columns(providers.c.id)
    rows = connection.execute(query).all()
    corrections = _corrections(connection, ids)
    open_reports = reports.for_providers(connection, ids, open_only=True)
    ranked: list[tuple[tuple, Row]] = []
    for row in rows:
        correction, said = corrections.get(row.id), open_reports.get(row.id)
        if correction is None and not said:
            # Only the insurer's dated flag: that is what assess() would say.
            accepts = row.accepts_new_patients if row.list_date is not None else None
        else:
            accepts = assess(_entry(row, correction, said or [])).accepts
        accepts = accepting_if_listed(row.active, accepts)
        if filters.accepting is not None and accepts is not filters.accepting:
            continue
        key = order_key(accepts, row.active, row.name, row.institution, row.id)
        ranked.append((key, row))
    ranked.sort(key=lambda pair: pair[0])
    page = [
        _entry(row, corrections.get(row.id), open_reports.get(row.id, []))
        for _, row in ranked[offset : offset + limit]
    ]
    return DirectoryPage(entries=page, total=len(ranked), more=offset + len(page) < len(ranked))


def areas(connection: Connection) -> DirectoryAreas:
    """The regions and municipalities where the directory has doctors, in Slovenian order."""
    listed = (
        select(locations.c.region, locations.c.municipality)
        .select_from(providers.join(locations, providers.c.location_id == locations.c.id))
        .where(
            providers.c.kind == "doctor",
            providers.c.specialty.in_(DOCTOR_TYPES),
            providers.c.active.is_(True),
        )
        .distinct()
    )
    regions: set[str] = set()
    municipalities: set[str] = set()
    for row in connection.execute(listed):
        if row.region and row.region.strip():
            regions.add(row.region)
        if row.municipality and row.municipality.strip():
            municipalities.add(row.municipality)
    loaded = connection.execute(select(directory_imports.c.id).limit(1)).first()
    return DirectoryAreas(
        regions=sorted(regions, key=collation_key),
        municipalities=sorted(municipalities, key=collation_key),
        generated=loaded is None,
    )


def _newest_first(rows: Sequence[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.as_of, _SOURCE_RANK.get(r.source, 0)), reverse=True)


def detail(connection: Connection, provider_id: int) -> DirectoryDetail:
    """One doctor: the row, contacts and coordinates from the newest source that has them,
    every source's facts (newest first), the insurer's list changes, and all reports."""
    row = connection.execute(_doctors(detail=True).where(providers.c.id == provider_id)).first()
    if row is None:
        raise not_found("doctor", provider_id)
    facts = _newest_first(
        connection.execute(
            select(provider_facts).where(provider_facts.c.provider_id == provider_id)
        ).all()
    )
    place_facts = _newest_first(
        connection.execute(
            select(location_facts).where(location_facts.c.location_id == row.location_id)
        ).all()
    )
    everything = reports.for_providers(connection, [provider_id], open_only=False).get(
        provider_id, []
    )
    open_reports = [r for r in everything if r.status == "open"]
    correction = next(
        (f for f in facts if f.source == FactSource.SLEDILNIK_OVERRIDE and f.accepts is not None),
        None,
    )
    entry = _entry(row, correction, open_reports)

    contacts: dict[str, str | None] = {}
    for name in CONTACTS:
        sources = [*facts, *(place_facts if name in ("phone", "website") else [])]
        contacts[name] = next((getattr(f, name) for f in sources if getattr(f, name)), None)
    contacts["phone"] = contacts["phone"] or row.location_phone
    placed = next(
        ((f.lat, f.lon) for f in [*facts, *place_facts] if f.lat is not None and f.lon is not None),
        (row.location_lat, row.location_lon),
    )

    listed: list[DirectoryFact] = []
    if row.list_date is not None:
        listed.append(
            DirectoryFact(
                source=FactSource.ZZZS,
                as_of=row.list_date,
                accepts=row.accepts_new_patients,
                fte=row.fte,
                load=row.load_percent,
                address=row.address,
                municipality=row.municipality,
            )
        )
    all_facts = sorted(
        [*listed, *(_fact(f) for f in facts)],
        key=lambda f: (f.as_of, _SOURCE_RANK.get(f.source.value, 0)),
        reverse=True,
    )
    history = connection.execute(
        select(provider_history)
        .where(provider_history.c.provider_id == provider_id)
        .order_by(provider_history.c.as_of.desc(), provider_history.c.id.desc())
    )
    return DirectoryDetail(
        **entry.model_dump(),
        doctor_code=row.doctor_code,
        activity_code=row.activity_code,
        capitation_per_team=row.capitation_per_team,
        resident=row.resident,
        lat=placed[0],
        lon=placed[1],
        facts=all_facts,
        history=[
            ProviderChange(
                at=clock.from_db(h.at),
                source=h.source,
                as_of=h.as_of,
                change=h.change,
                old_value=h.old_value,
                new_value=h.new_value,
            )
            for h in history
        ],
        reports=everything,
        **contacts,
    )
