"""Apply one of the insurer's lists to the database: clinics, doctors, and what changed.

Each provider (Šifra izvajalca) becomes a clinic location ``zzzs-<provider>``; each doctor x
activity x provider a provider ``zzzs-<doctor>-<activity>-<provider>`` offering its type's
service. Everything happens on the caller's connection, inside the caller's transaction.

A list replaces the previous list with the same title: new rows are added, rows no longer
listed become inactive (``removed``), and for rows that stay, a flipped ``accepts``, a new
employment share or a new load is recorded in ``provider_history`` and in the change feed. The
first list of its kind records no history (nothing "changed"). The same list again writes
nothing; an older one than the one loaded writes nothing and says so.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from console.domain.directory import ACTIVITY_TYPES, TYPE_SERVICE
from console.domain.models import DoctorType
from console.domain.text import fold
from console.server import changes, clock
from console.server.demo_data import CLINIC_HOURS
from console.server.importers.regions import region_for
from console.server.importers.results import ImportResult, Outcome
from console.server.importers.zzzs import InsurerList, ListRow
from console.server.schema import (
    directory_imports,
    location_facts,
    locations,
    provider_history,
    provider_services,
    providers,
    services,
)

ProgressCallback = Callable[[str, int, int], None]

SOURCE = "zzzs"
VERIFIED_BY = "ZZZS"
CODE_PREFIX = "zzzs-"
SEARCH_LENGTH = 600
WRITE_CHUNK = 500

# A list's scope: the doctors a new list of that kind replaces. By family rather than by the
# activities a file happens to contain, so a list without any student dentists removes them.
FAMILIES: dict[DoctorType, str] = {
    DoctorType.GP: "general",
    DoctorType.PED: "general",
    DoctorType.GYN: "gynaecology",
    DoctorType.DEN: "dental",
    DoctorType.DEN_Y: "dental",
    DoctorType.DEN_S: "dental",
}

LOCATION_FIELDS = (
    "name", "address", "postcode", "town", "municipality", "municipality_folded", "region",
)  # fmt: skip
PROVIDER_FIELDS = (
    "name", "name_folded", "kind", "specialty", "location_id", "accepts_new_patients",
    "accepts_verified_at", "accepts_verified_by", "active", "doctor_code", "activity_code",
    "list_date", "fte", "patients_per_team", "capitation_per_team", "load_percent", "resident",
    "search_folded",
)  # fmt: skip


def location_code(provider_code: str) -> str:
    return f"{CODE_PREFIX}{provider_code}"


def provider_code(row: ListRow) -> str:
    return f"{CODE_PREFIX}{row.doctor_code}-{row.activity_code}-{row.provider_code}"


def search_text(name: str, institution: str, town: str, municipality: str) -> str:
    """What the directory's search box matches: folded doctor, institution, town, municipality."""
    parts = [name, institution, town]
    if fold(municipality) != fold(town):
        parts.append(municipality)
    return fold(" ".join(parts))[:SEARCH_LENGTH]


def list_scope(types: Iterable[DoctorType]) -> list[str]:
    """The activity codes a list with doctors of these types replaces."""
    families = {FAMILIES[t] for t in types}
    return sorted(code for code, t in ACTIVITY_TYPES.items() if FAMILIES[t] in families)


def loaded_date(connection: Connection, source: str, list_name: str) -> date | None:
    """The date of the newest list of this name already loaded."""
    return connection.execute(
        select(func.max(directory_imports.c.list_date)).where(
            directory_imports.c.source == source, directory_imports.c.list_name == list_name
        )
    ).scalar()


def apply_list(
    connection: Connection,
    insurer_list: InsurerList,
    *,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Load ``insurer_list`` on ``connection`` (the caller commits); say what it did."""
    now = now or clock.now()
    report = progress or (lambda _label, _done, _total: None)
    result = ImportResult(
        source=SOURCE,
        file_name=insurer_list.file_name,
        list_name=insurer_list.title,
        list_date=insurer_list.list_date,
        rows=len(insurer_list.rows),
    )
    result.loaded_date = loaded_date(connection, SOURCE, insurer_list.title)
    if result.loaded_date is not None and insurer_list.list_date < result.loaded_date:
        result.outcome = Outcome.OLDER
        return result
    label = f"load {insurer_list.file_name}"
    total = max(len(insurer_list.rows), 1)
    report(label, 0, total)

    sites = _plan_locations(connection, insurer_list)
    plan = _plan_providers(connection, insurer_list, sites)
    if result.loaded_date == insurer_list.list_date and not (sites.changed or plan.changed):
        result.outcome = Outcome.UNCHANGED
        report(label, total, total)
        return result

    result.import_id = connection.execute(
        insert(directory_imports)
        .values(
            source=SOURCE,
            list_name=insurer_list.title,
            file_name=insurer_list.file_name[:300],
            list_date=insurer_list.list_date,
            imported_at=now,
            rows=len(insurer_list.rows),
            added=len(plan.inserts),
            removed=len(plan.removed),
            changed=len(plan.history),
        )
        .returning(directory_imports.c.id)
    ).scalar_one()
    location_ids = _write_locations(connection, sites)
    ids = _write_providers(connection, plan, location_ids, label, report, total)
    result.without_service = _link_services(connection, plan, ids)
    result.added = len(plan.inserts)
    result.removed = len(plan.removed)
    result.changed = len(plan.history)
    _record(connection, insurer_list, plan, ids, result, now)
    report(label, total, total)
    return result


# --- locations --------------------------------------------------------------------------------


@dataclass
class _Sites:
    wanted: dict[str, dict[str, Any]]  # location code -> values
    existing: dict[str, int]  # location code -> id
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.inserts or self.updates)


def _plan_locations(connection: Connection, insurer_list: InsurerList) -> _Sites:
    existing = {
        row.code: row
        for row in connection.execute(
            select(locations).where(locations.c.code.like(f"{CODE_PREFIX}%"))
        )
    }
    municipalities = dict(
        connection.execute(
            select(location_facts.c.location_id, location_facts.c.municipality).where(
                location_facts.c.source == "sledilnik", location_facts.c.municipality.is_not(None)
            )
        ).all()
    )
    seen: dict[str, Counter[tuple[str, str, str, str, str]]] = {}
    for row in insurer_list.rows:
        place = (row.unit, row.provider_name, row.street, row.postcode, row.town)
        seen.setdefault(row.provider_code, Counter())[place] += 1
    sites = _Sites(wanted={}, existing={code: row.id for code, row in existing.items()})
    for code_number, places in seen.items():
        # The most frequent address of a provider (a few list one doctor at a second address);
        # Counter keeps first-seen order, so ties go to the first.
        unit, name, street, postcode, town = places.most_common(1)[0][0]
        code = location_code(code_number)
        old = existing.get(code)
        municipality = (municipalities.get(old.id) if old is not None else None) or town
        values = {
            "name": name[:200],
            "address": street[:200],
            "postcode": postcode[:8],
            "town": town[:80],
            "municipality": municipality[:80],
            "municipality_folded": fold(municipality)[:80],
            "region": region_for(unit)[:80],
        }
        sites.wanted[code] = values
        if old is None:
            sites.inserts.append(
                {"code": code, "kind": "clinic", "opening_hours": CLINIC_HOURS, **values}
            )
        elif any(getattr(old, key) != value for key, value in values.items()):
            sites.updates.append({"b_id": old.id, **{f"v_{k}": v for k, v in values.items()}})
    return sites


def _write_locations(connection: Connection, sites: _Sites) -> dict[str, int]:
    if sites.inserts:
        connection.execute(insert(locations), sites.inserts)
        codes = [row["code"] for row in sites.inserts]
        for lo in range(0, len(codes), WRITE_CHUNK):
            chunk = codes[lo : lo + WRITE_CHUNK]
            sites.existing.update(
                connection.execute(
                    select(locations.c.code, locations.c.id).where(locations.c.code.in_(chunk))
                ).all()
            )
    if sites.updates:
        connection.execute(
            update(locations)
            .where(locations.c.id == bindparam("b_id"))
            .values({key: bindparam(f"v_{key}") for key in LOCATION_FIELDS}),
            sites.updates,
        )
    return sites.existing


# --- providers --------------------------------------------------------------------------------


@dataclass
class _Change:
    change: str  # added, removed, back, accepts, fte, load
    old: str | None = None
    new: str | None = None


@dataclass
class _Plan:
    tracking: bool  # a list of this kind was loaded before: record what changes
    inserts: list[dict[str, Any]] = field(default_factory=list)  # with "location_code"
    updates: list[dict[str, Any]] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)  # code -> id
    ids: dict[str, int] = field(default_factory=dict)  # code -> id of a provider already there
    history: dict[str, list[_Change]] = field(default_factory=dict)  # code -> changes
    names: dict[str, str] = field(default_factory=dict)  # code -> doctor's name
    types: dict[str, DoctorType] = field(default_factory=dict)  # code of an insert -> type

    @property
    def changed(self) -> bool:
        return bool(self.inserts or self.updates or self.removed)


def _load_figure(patients_per_team: float | None, load_percent: float | None) -> float | None:
    """The load a list gives: % of the average (gynaecologists, dentists), else patients."""
    return load_percent if load_percent is not None else patients_per_team


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "DA" if value else "NE"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) and isinstance(new, float):
        return math.isclose(old, new, rel_tol=1e-9, abs_tol=1e-9)
    return old == new


def _plan_providers(connection: Connection, insurer_list: InsurerList, sites: _Sites) -> _Plan:
    scope = list_scope(row.type for row in insurer_list.rows)
    existing = {
        row.code: row
        for row in connection.execute(
            select(providers).where(
                providers.c.code.like(f"{CODE_PREFIX}%"), providers.c.activity_code.in_(scope)
            )
        )
    }
    plan = _Plan(tracking=bool(existing))
    verified_at = datetime.combine(insurer_list.list_date, time())
    listed: set[str] = set()
    for row in insurer_list.rows:
        code = provider_code(row)
        listed.add(code)
        site_code = location_code(row.provider_code)
        site = sites.wanted[site_code]
        values: dict[str, Any] = {
            "name": row.doctor_name[:200],
            "name_folded": fold(row.doctor_name)[:200],
            "kind": "doctor",
            "specialty": row.type.value,
            "location_id": sites.existing.get(site_code),
            "accepts_new_patients": row.accepts,
            "accepts_verified_at": verified_at,
            "accepts_verified_by": VERIFIED_BY,
            "active": True,
            "doctor_code": row.doctor_code,
            "activity_code": row.activity_code,
            "list_date": insurer_list.list_date,
            "fte": row.fte,
            "patients_per_team": row.patients_per_team,
            "capitation_per_team": row.capitation_per_team,
            "load_percent": row.load_percent,
            "resident": row.resident,
            "search_folded": search_text(
                row.doctor_name, site["name"], site["town"], site["municipality"]
            ),
        }
        plan.names[code] = row.doctor_name
        old = existing.get(code)
        if old is None:
            plan.inserts.append({"code": code, "location_code": site_code, **values})
            plan.types[code] = row.type
            continue
        if all(_same(getattr(old, key), value) for key, value in values.items()):
            continue
        plan.updates.append({"b_id": old.id, **{f"v_{k}": v for k, v in values.items()}})
        plan.ids[code] = old.id
        found: list[_Change] = []
        if not old.active:
            found.append(_Change("back"))
        if old.accepts_new_patients != row.accepts:
            found.append(_Change("accepts", _text(old.accepts_new_patients), _text(row.accepts)))
        if not _same(old.fte, row.fte):
            found.append(_Change("fte", _text(old.fte), _text(row.fte)))
        old_load = _load_figure(old.patients_per_team, old.load_percent)
        new_load = _load_figure(row.patients_per_team, row.load_percent)
        if not _same(old_load, new_load):
            found.append(_Change("load", _text(old_load), _text(new_load)))
        if found:
            plan.history[code] = found
    for code, old in existing.items():
        if code not in listed and old.active:
            plan.removed[code] = old.id
            plan.names[code] = old.name
    return plan


def _write_providers(
    connection: Connection,
    plan: _Plan,
    location_ids: dict[str, int],
    label: str,
    report: ProgressCallback,
    total: int,
) -> dict[str, int]:
    """Write the plan; return the ids of the inserted providers by code."""
    done = 0
    for lo in range(0, len(plan.updates), WRITE_CHUNK):
        chunk = plan.updates[lo : lo + WRITE_CHUNK]
        connection.execute(
            update(providers)
            .where(providers.c.id == bindparam("b_id"))
            .values({key: bindparam(f"v_{key}") for key in PROVIDER_FIELDS}),
            chunk,
        )
        done += len(chunk)
        report(label, min(done, total), total)
    ids: dict[str, int] = {}
    for lo in range(0, len(plan.inserts), WRITE_CHUNK):
        chunk = [
            {
                **{k: v for k, v in row.items() if k != "location_code"},
                "location_id": location_ids[row["location_code"]],
            }
            for row in plan.inserts[lo : lo + WRITE_CHUNK]
        ]
        connection.execute(insert(providers), chunk)
        ids.update(
            connection.execute(
                select(providers.c.code, providers.c.id).where(
                    providers.c.code.in_([row["code"] for row in chunk])
                )
            ).all()
        )
        done += len(chunk)
        report(label, min(done, total), total)
    if plan.removed:
        connection.execute(
            update(providers).where(providers.c.id == bindparam("b_id")).values(active=False),
            [{"b_id": provider_id} for provider_id in plan.removed.values()],
        )
    return ids


def _link_services(connection: Connection, plan: _Plan, ids: dict[str, int]) -> int:
    """Each new doctor offers its type's bookable service; how many found none to offer."""
    wanted = {TYPE_SERVICE[t] for t in plan.types.values()}
    service_ids = dict(
        connection.execute(
            select(services.c.code, services.c.id).where(services.c.code.in_(wanted))
        ).all()
    )
    links = []
    missing = 0
    for code, doctor_type in plan.types.items():
        service_id = service_ids.get(TYPE_SERVICE[doctor_type])
        if service_id is None:
            missing += 1
        else:
            links.append({"provider_id": ids[code], "service_id": service_id})
    if links:
        connection.execute(insert(provider_services), links)
    return missing


def _record(
    connection: Connection,
    insurer_list: InsurerList,
    plan: _Plan,
    ids: dict[str, int],
    result: ImportResult,
    now: datetime,
) -> None:
    """History and change feed (the feed last: see :mod:`console.server.changes`)."""
    as_of = insurer_list.list_date
    stamp = as_of.isoformat()
    history: list[dict[str, Any]] = []
    feed: list[tuple[str, int, str, dict[str, Any]]] = []

    def add(provider_id: int, item: _Change) -> None:
        history.append(
            {
                "provider_id": provider_id,
                "at": now,
                "source": SOURCE,
                "as_of": as_of,
                "change": item.change,
                "old_value": item.old,
                "new_value": item.new,
                "import_id": result.import_id,
            }
        )

    if plan.tracking:
        accepts = {row["code"]: row["accepts_new_patients"] for row in plan.inserts}
        for code, provider_id in ids.items():
            # An added doctor's history says whether they accept, as the list gives it.
            add(provider_id, _Change("added", None, _text(accepts[code])))
            feed.append(
                (
                    "provider",
                    provider_id,
                    "added",
                    {
                        "source": SOURCE,
                        "list_date": stamp,
                        "name": plan.names[code],
                        "accepts": accepts[code],
                    },
                )
            )
        for code, provider_id in plan.removed.items():
            add(provider_id, _Change("removed"))
            feed.append(
                (
                    "provider",
                    provider_id,
                    "removed",
                    {"source": SOURCE, "list_date": stamp, "name": plan.names[code]},
                )
            )
        for code, found in plan.history.items():
            provider_id = plan.ids[code]
            for item in found:
                add(provider_id, item)
            feed.append(
                (
                    "provider",
                    provider_id,
                    "updated",
                    {
                        "source": SOURCE,
                        "list_date": stamp,
                        "name": plan.names[code],
                        "changes": [
                            {"change": i.change, "old": i.old, "new": i.new} for i in found
                        ],
                    },
                )
            )
    for lo in range(0, len(history), WRITE_CHUNK):
        connection.execute(insert(provider_history), history[lo : lo + WRITE_CHUNK])
    feed.append(
        (
            "directory",
            result.import_id or 0,
            "imported",
            {
                "source": SOURCE,
                "list": insurer_list.title,
                "list_date": stamp,
                "added": result.added,
                "removed": result.removed,
                "changed": result.changed,
            },
        )
    )
    changes.record_many(connection, feed, None)
