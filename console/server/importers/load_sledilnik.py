"""Apply a Sledilnik snapshot: its facts beside the insurer's, never over them.

Sledilnik's ``id_inst`` is its own institution id (for most providers a 6-7 digit number
unrelated to the insurer's provider code; for the units of ZD Ljubljana and Osnovno zdravstvo
Gorenjske a short mnemonic, ``zdlce``, ``ozgkr``), and ``zzzsSt`` repeats it. Institutions are
therefore matched to the insurer's providers by their folded name (the same names, in both),
with the post code deciding between namesakes; doctors by (folded name, type, institution).

What matches is stored as dated facts: ``provider_facts`` with source ``sledilnik`` (the
snapshot's copy of the flag, load, contact details and coordinates, as of the snapshot's date)
and ``sledilnik-override`` (a correction, as of the day someone phoned), and ``location_facts``.
A location takes Sledilnik's municipality, coordinates and phone, which the insurer does not
publish; the insurer's own columns are never touched. What does not match is counted, not
invented.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, update

from console.domain.models import DoctorType
from console.domain.text import fold
from console.server import changes, clock
from console.server.importers.load_zzzs import CODE_PREFIX, loaded_date, search_text
from console.server.importers.results import ImportResult, Outcome
from console.server.importers.sledilnik import (
    Contact,
    Correction,
    SledilnikInstitution,
    Snapshot,
)
from console.server.schema import (
    directory_imports,
    location_facts,
    locations,
    provider_facts,
    providers,
)

ProgressCallback = Callable[[str, int, int], None]

SOURCE = "sledilnik"
OVERRIDE = "sledilnik-override"
LIST_NAME = "Sledilnik"
EXAMPLES = 5
PHONE_ON_LOCATION = 20  # locations.phone's length: longer numbers stay in the facts only
WRITE_CHUNK = 500

# Sledilnik's own types: the insurer's "+0.5 DMS" family-medicine teams come without a type,
# and "gp-f" marks the extra clinics for patients without a doctor ("Dodatna ambulanta"),
# which are not on the insurer's lists.
TYPE_ALIASES = {"": DoctorType.GP.value, "gp-f": DoctorType.GP.value}
NO_DOCTOR_TYPE = "gp-f"

FACT_FIELDS = (
    "as_of", "accepts", "fte", "load", "note", "phone", "website", "email", "orderform",
    "address", "post", "municipality", "lat", "lon",
)  # fmt: skip
LOCATION_FACT_FIELDS = (
    "as_of", "name", "address", "post", "municipality", "phone", "website", "lat", "lon",
)  # fmt: skip


def doctor_type(sledilnik_type: str) -> str:
    """Sledilnik's type code as the directory's (``DoctorType``) value."""
    return TYPE_ALIASES.get(sledilnik_type, sledilnik_type)


@dataclass
class InstitutionMatch:
    locations: dict[str, int]  # Sledilnik's id_inst -> the insurer's location id
    # Location id -> the Sledilnik row that describes it: Sledilnik lists a few institutions
    # twice under one id, at two addresses; the one at the location's post code wins.
    rows: dict[int, SledilnikInstitution]


def match_institutions(
    connection: Connection, institutions: tuple[SledilnikInstitution, ...]
) -> InstitutionMatch:
    """Match Sledilnik's institutions to the insurer's locations by folded name."""
    by_name: dict[str, list[Any]] = {}
    postcodes: dict[int, str] = {}
    for row in connection.execute(
        select(locations.c.id, locations.c.name, locations.c.postcode).where(
            locations.c.code.like(f"{CODE_PREFIX}%")
        )
    ):
        by_name.setdefault(fold(row.name), []).append(row)
        postcodes[row.id] = row.postcode
    match = InstitutionMatch({}, {})
    for institution in institutions:
        postcode = (institution.contact.post or "")[:4]
        candidates = by_name.get(fold(institution.name), [])
        if len(candidates) > 1:
            candidates = [row for row in candidates if row.postcode == postcode]
        if len(candidates) != 1 or not institution.id:
            continue
        location_id = candidates[0].id
        match.locations.setdefault(institution.id, location_id)
        chosen = match.rows.get(location_id)
        if chosen is None or (
            postcode == postcodes[location_id]
            and (chosen.contact.post or "")[:4] != postcodes[location_id]
        ):
            match.rows[location_id] = institution
    return match


@dataclass
class _Matcher:
    institutions: dict[str, int]  # id_inst -> location id
    sites: dict[int, SledilnikInstitution]  # location id -> its Sledilnik row
    doctors: dict[tuple[str, str, int], int]  # (folded name, type, location id) -> provider id
    # (folded name, type) -> provider ids: for the odd row without an institution.
    by_name: dict[tuple[str, str], list[int]]

    @classmethod
    def build(cls, connection: Connection, snapshot: Snapshot) -> _Matcher:
        doctors: dict[tuple[str, str, int], int] = {}
        by_name: dict[tuple[str, str], list[int]] = {}
        for row in connection.execute(
            select(
                providers.c.id,
                providers.c.name_folded,
                providers.c.specialty,
                providers.c.location_id,
            ).where(providers.c.code.like(f"{CODE_PREFIX}%"))
        ):
            doctors[(row.name_folded, row.specialty, row.location_id)] = row.id
            by_name.setdefault((row.name_folded, row.specialty), []).append(row.id)
        found = match_institutions(connection, snapshot.institutions)
        return cls(found.locations, found.rows, doctors, by_name)

    def provider(self, name: str, sledilnik_type: str, institution: str) -> int | None:
        """The insurer's provider this row describes: same folded name, type and institution;
        a row without an institution, only when the name and type are unique."""
        kind = doctor_type(sledilnik_type)
        if not institution:
            candidates = self.by_name.get((fold(name), kind), [])
            return candidates[0] if len(candidates) == 1 else None
        location_id = self.institutions.get(institution)
        if location_id is None:
            return None
        return self.doctors.get((fold(name), kind, location_id))


@dataclass
class _Facts:
    """Wanted rows by key, and what must be written to get there."""

    wanted: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.inserts or self.updates or self.deletes)


def apply_snapshot(
    connection: Connection,
    snapshot: Snapshot,
    *,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Store ``snapshot``'s facts on ``connection`` (the caller commits); say what it did."""
    now = now or clock.now()
    report = progress or (lambda _label, _done, _total: None)
    result = ImportResult(
        source=SOURCE,
        file_name=snapshot.directory.name,
        list_name=LIST_NAME,
        list_date=snapshot.doctors_date,
        rows=len(snapshot.doctors),
        institutions=len(snapshot.institutions),
    )
    result.loaded_date = loaded_date(connection, SOURCE, LIST_NAME)
    if result.loaded_date is not None and snapshot.doctors_date < result.loaded_date:
        result.outcome = Outcome.OLDER
        return result
    label = "load sledilnik"
    total = max(len(snapshot.doctors), 1)
    report(label, 0, total)

    matcher = _Matcher.build(connection, snapshot)
    result.institutions_matched = sum(
        1 for institution in snapshot.institutions if institution.id in matcher.institutions
    )
    doctor_facts = _doctor_facts(snapshot, matcher, result, now)
    _plan(connection, provider_facts, ("provider_id", "source"), FACT_FIELDS, doctor_facts)
    site_facts = _location_facts(snapshot, matcher, now)
    _plan(connection, location_facts, ("location_id", "source"), LOCATION_FACT_FIELDS, site_facts)
    sites = _plan_locations(connection, snapshot, matcher)
    if result.loaded_date == snapshot.doctors_date and not (
        doctor_facts.changed or site_facts.changed or sites
    ):
        result.outcome = Outcome.UNCHANGED
        report(label, total, total)
        return result

    result.added = len(doctor_facts.inserts) + len(site_facts.inserts)
    result.changed = len(doctor_facts.updates) + len(site_facts.updates)
    result.removed = len(doctor_facts.deletes) + len(site_facts.deletes)
    result.import_id = connection.execute(
        insert(directory_imports)
        .values(
            source=SOURCE,
            list_name=LIST_NAME,
            file_name=snapshot.directory.name[:300],
            list_date=snapshot.doctors_date,
            imported_at=now,
            rows=len(snapshot.doctors),
            added=result.added,
            removed=result.removed,
            changed=result.changed,
        )
        .returning(directory_imports.c.id)
    ).scalar_one()
    _write(connection, provider_facts, FACT_FIELDS, doctor_facts)
    report(label, total // 2, total)
    _write(connection, location_facts, LOCATION_FACT_FIELDS, site_facts)
    _write_locations(connection, sites)
    changes.record_many(
        connection,
        [
            (
                "directory",
                result.import_id,
                "imported",
                {
                    "source": SOURCE,
                    "list": LIST_NAME,
                    "list_date": snapshot.doctors_date.isoformat(),
                    "matched": result.matched,
                    "added": result.added,
                    "removed": result.removed,
                    "changed": result.changed,
                },
            )
        ],
        None,
    )
    report(label, total, total)
    return result


# --- facts ------------------------------------------------------------------------------------


def _contact_values(contact: Contact) -> dict[str, Any]:
    return {
        "phone": _cut(contact.phone, 120),
        "website": _cut(contact.website, 500),
        "email": _cut(contact.email, 254),
        "orderform": _cut(contact.orderform, 500),
        "address": _cut(contact.address, 200),
        "post": _cut(contact.post, 120),
        "municipality": _cut(contact.municipality, 80),
        "lat": contact.lat,
        "lon": contact.lon,
    }


def _cut(text: str | None, length: int) -> str | None:
    return None if text is None else text[:length]


def _correction_values(correction: Correction, now: datetime) -> dict[str, Any]:
    return {
        "as_of": correction.as_of,
        "accepts": correction.accepts,
        "fte": correction.fte,
        "load": None,
        "note": _cut(correction.note, 1000),
        **_contact_values(correction.contact),
        "imported_at": now,
    }


def _doctor_facts(
    snapshot: Snapshot, matcher: _Matcher, result: ImportResult, now: datetime
) -> _Facts:
    facts = _Facts()
    unmatched: list[str] = []
    corrections: dict[tuple[str, str, str], Correction] = {}
    for doctor in snapshot.doctors:
        provider_id = matcher.provider(doctor.name, doctor.type, doctor.institution)
        if doctor.correction is not None:
            corrections[doctor.key] = doctor.correction
        if provider_id is None:
            example = f"{doctor.name} ({doctor.type or '-'})"
            if example not in unmatched:
                unmatched.append(example)
            continue
        result.matched += 1
        facts.wanted.setdefault(
            (provider_id, SOURCE),
            {
                "as_of": snapshot.doctors_date,
                "accepts": doctor.accepts,
                "fte": doctor.fte,
                "load": doctor.load,
                "note": None,
                **_contact_values(doctor.contact),
                "imported_at": now,
            },
        )
    result.unmatched_examples = unmatched[:EXAMPLES]
    # overrides.csv is the register of corrections; doctors.csv repeats those of current rows.
    for override in snapshot.overrides:
        corrections[override.key] = override.correction
    result.overrides = len(corrections)
    for (name, sledilnik_type, institution), correction in corrections.items():
        provider_id = matcher.provider(name, sledilnik_type, institution)
        if provider_id is None:
            continue
        result.overrides_matched += 1
        key = (provider_id, OVERRIDE)
        current = facts.wanted.get(key)
        if current is None or current["as_of"] < correction.as_of:
            facts.wanted[key] = _correction_values(correction, now)
    return facts


def _location_facts(snapshot: Snapshot, matcher: _Matcher, now: datetime) -> _Facts:
    facts = _Facts()
    for location_id, institution in matcher.sites.items():
        contact = institution.contact
        facts.wanted[(location_id, SOURCE)] = {
            "as_of": snapshot.institutions_date,
            "name": _cut(institution.name, 200),
            "address": _cut(contact.address, 200),
            "post": _cut(contact.post, 120),
            "municipality": _cut(contact.municipality, 80),
            "phone": _cut(contact.phone, 120),
            "website": _cut(contact.website, 500),
            "lat": contact.lat,
            "lon": contact.lon,
            "imported_at": now,
        }
    return facts


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) and isinstance(new, float):
        return math.isclose(old, new, rel_tol=1e-9, abs_tol=1e-9)
    return old == new


def _plan(
    connection: Connection,
    table: Any,
    key_columns: tuple[str, str],
    fields: tuple[str, ...],
    facts: _Facts,
) -> None:
    """Fill ``facts``' inserts, updates and deletes against the stored rows of its sources."""
    owner, source = key_columns
    stored = {
        (getattr(row, owner), row.source): row
        for row in connection.execute(select(table).where(table.c.source.in_([SOURCE, OVERRIDE])))
    }
    for key, values in facts.wanted.items():
        old = stored.get(key)
        if old is None:
            facts.inserts.append({owner: key[0], source: key[1], **values})
        elif not all(_same(getattr(old, name), values[name]) for name in fields):
            facts.updates.append({"b_id": old.id, **{f"v_{k}": v for k, v in values.items()}})
    facts.deletes.extend(row.id for key, row in stored.items() if key not in facts.wanted)


def _write(connection: Connection, table: Any, fields: tuple[str, ...], facts: _Facts) -> None:
    for lo in range(0, len(facts.deletes), WRITE_CHUNK):
        chunk = facts.deletes[lo : lo + WRITE_CHUNK]
        connection.execute(delete(table).where(table.c.id.in_(chunk)))
    for lo in range(0, len(facts.inserts), WRITE_CHUNK):
        connection.execute(insert(table), facts.inserts[lo : lo + WRITE_CHUNK])
    if facts.updates:
        names = (*fields, "imported_at")
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(f"v_{name}") for name in names}),
            facts.updates,
        )


# --- locations --------------------------------------------------------------------------------


def _plan_locations(
    connection: Connection, snapshot: Snapshot, matcher: _Matcher
) -> list[dict[str, Any]]:
    """Municipality, coordinates and phone for the insurer's locations, which it leaves out."""
    by_id = {
        row.id: row
        for row in connection.execute(
            select(
                locations.c.id,
                locations.c.municipality,
                locations.c.lat,
                locations.c.lon,
                locations.c.phone,
            ).where(locations.c.code.like(f"{CODE_PREFIX}%"))
        )
    }
    updates: list[dict[str, Any]] = []
    for location_id, institution in matcher.sites.items():
        old = by_id[location_id]
        contact = institution.contact
        phone = contact.phone if contact.phone and len(contact.phone) <= PHONE_ON_LOCATION else None
        values = {
            "municipality": contact.municipality or old.municipality,
            "lat": contact.lat if contact.lat is not None else old.lat,
            "lon": contact.lon if contact.lon is not None else old.lon,
            "phone": phone or old.phone,
        }
        if not all(_same(getattr(old, k), v) for k, v in values.items()):
            updates.append({"b_id": location_id, **{f"v_{k}": v for k, v in values.items()}})
    return updates


def _write_locations(connection: Connection, updates: list[dict[str, Any]]) -> None:
    if not updates:
        return
    connection.execute(
        update(locations)
        .where(locations.c.id == bindparam("b_id"))
        .values(
            municipality=bindparam("v_municipality"),
            municipality_folded=bindparam("v_municipality_folded"),
            lat=bindparam("v_lat"),
            lon=bindparam("v_lon"),
            phone=bindparam("v_phone"),
        ),
        [{**row, "v_municipality_folded": fold(row["v_municipality"])} for row in updates],
    )
    # The search text names the municipality: bring it up to date for these locations' doctors.
    changed = [row["b_id"] for row in updates]
    rows = connection.execute(
        select(
            providers.c.id,
            providers.c.name,
            locations.c.name.label("institution"),
            locations.c.town,
            locations.c.municipality,
        )
        .join(locations, providers.c.location_id == locations.c.id)
        .where(and_(providers.c.code.like(f"{CODE_PREFIX}%"), locations.c.id.in_(changed)))
    ).all()
    if rows:
        connection.execute(
            update(providers)
            .where(providers.c.id == bindparam("b_id"))
            .values(search_folded=bindparam("v_search")),
            [
                {
                    "b_id": row.id,
                    "v_search": search_text(row.name, row.institution, row.town, row.municipality),
                }
                for row in rows
            ],
        )
