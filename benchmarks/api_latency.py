"""Read latency through the API (uvicorn on loopback, a keep-alive httpx client) beside its
floors: the same query without the API on the same database (raw SQL; for names, the
service's own index statements then the page in raw SQL), and an empty API request.

Every query is sent once to warm up; then, query by query, the API request, its raw SQL and an
empty request (``GET /v1/me``: authentication, routing, JSON; no query of its own) are timed
one after another, so the floors are measured under the same conditions as the figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from sqlalchemy import Connection, bindparam, text
from sqlalchemy.types import DateTime

from benchmarks.dataset import Dataset
from benchmarks.report import Row, judge
from benchmarks.stats import p95, percentile, timed_ms
from benchmarks.workload import (
    bench_tokens,
    free_slot_ids,
    sample_callers,
    service_regions,
    utcnow,
)
from console.domain.reference import format_reference
from console.server.callers import _search_names
from console.server.db import Database

NAME_TARGET_MS = 15.0
NAME_TARGET_RATIO = 4.0
ID_TARGET_MS = 5.0
SLOTS_TARGET_MS = 15.0
PAGE = 20  # the console asks for 20 callers and 20 slots
SLOT_WINDOW_DAYS = 30  # the API's default window
REFERENCES = 60  # bookings made to have references to search for


@dataclass
class Samples:
    """Milliseconds per request, by what was asked."""

    name_api: list[float] = field(default_factory=list)
    name_raw: list[float] = field(default_factory=list)
    empty: list[float] = field(default_factory=list)
    ids_api: dict[str, list[float]] = field(default_factory=dict)
    slots_api: list[float] = field(default_factory=list)
    slots_raw: list[float] = field(default_factory=list)
    name_hits: list[int] = field(default_factory=list)
    slot_mismatches: int = 0
    name_mismatches: list[str] = field(default_factory=list)  # queries answered differently

    @property
    def ids_all(self) -> list[float]:
        return [ms for values in self.ids_api.values() for ms in values]


# --- the raw SQL floors -------------------------------------------------------------------


NAME_PAGE_SQL = text(
    "SELECT page.id, page.first_name, page.last_name, page.birth_date, page.emso, "
    "page.zzzs_number, p.number FROM ("
    "SELECT id, first_name, last_name, birth_date, emso, zzzs_number, name_folded "
    "FROM callers WHERE id IN :ids ORDER BY name_folded, id LIMIT :page) page "
    "LEFT JOIN caller_phones p ON p.caller_id = page.id "
    "ORDER BY page.name_folded, page.id, p.position"
).bindparams(bindparam("ids", expanding=True))


def name_sql(connection: Connection, query: str, limit: int = PAGE) -> list[int]:
    """The service's name search without the API: the very index statements the service sends
    (``console.server.callers._search_names``: FTS5 on SQLite; on PostgreSQL whatever its
    search runs now), then the page of callers sorted by name with their phones in one raw
    statement. Calling the service's own index step keeps this floor the same query as the
    figure's, whichever way the search is built."""
    ids = _search_names(connection, query, limit + 1)
    if not ids:
        return []
    rows = connection.execute(NAME_PAGE_SQL, {"ids": ids[:limit], "page": limit}).all()
    return list(dict.fromkeys(row.id for row in rows))


SLOTS_SQL = text(
    "SELECT s.id, s.starts_at, s.ends_at, s.status, s.service_id, s.provider_id, "
    "p.name AS provider_name, s.location_id, l.name AS location_name, l.region "
    "FROM slots s JOIN providers p ON p.id = s.provider_id "
    "JOIN locations l ON l.id = s.location_id "
    "WHERE s.service_id = :service AND s.status = 'free' "
    "AND s.starts_at >= :start AND s.starts_at < :end AND l.region = :region "
    "AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.slot_id = s.id "
    "AND h.released_at IS NULL AND h.expires_at > :now) "
    "ORDER BY s.starts_at, s.id LIMIT :limit"
).bindparams(
    bindparam("start", type_=DateTime),
    bindparam("end", type_=DateTime),
    bindparam("now", type_=DateTime),
)


def slots_sql(connection: Connection, service: int, region: str, limit: int = PAGE) -> list[int]:
    """The same rows as ``GET /v1/slots?service=&region=&limit=20`` in one raw statement."""
    now = utcnow()
    rows = connection.execute(
        SLOTS_SQL,
        {
            "service": service,
            "region": region,
            "start": now,
            "end": now + timedelta(days=SLOT_WINDOW_DAYS),
            "now": now,
            "limit": limit,
        },
    ).all()
    return [row.id for row in rows]


# --- the run --------------------------------------------------------------------------------


def make_references(
    client: httpx.Client, database: Database, callers: list[int], seed: int
) -> list[str]:
    """Book a few slots so that there are booking references to search for."""
    references = []
    slots = free_slot_ids(database, REFERENCES, seed)
    for slot_id, caller_id in zip(slots, callers, strict=False):
        response = client.post("/v1/bookings", json={"caller_id": caller_id, "slot_id": slot_id})
        response.raise_for_status()
        references.append(format_reference(response.json()["reference"]))
    return references


def measure(
    dataset: Dataset, base_url: str, *, requests: int, seed: int = 6, kinds: set[str] | None = None
) -> Samples:
    """Time ``requests`` requests of each kind (``name``, ``id``, ``slots``) and their floors."""
    kinds = kinds or {"name", "id", "slots"}
    database = dataset.open()
    samples = Samples()
    try:
        token = bench_tokens(database, 1)[0]
        sample = sample_callers(database, dataset, requests, seed)
        pairs = service_regions(database)
        slot_queries = [pairs[(i * 7919) % len(pairs)] for i in range(requests)]
        with httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client:
            id_queries: list[tuple[str, str]] = []
            if "id" in kinds:
                references = make_references(client, database, sample.ids, seed)
                by_kind = {
                    "phone": sample.phones,
                    "emso": sample.emsos,
                    "zzzs": sample.zzzs,
                    "reference": references,
                }
                id_queries = [
                    (kind, values[i % len(values)])
                    for i in range(requests)
                    for kind, values in [list(by_kind.items())[i % len(by_kind)]]
                    if values
                ]
            search = _searcher(client)
            slots = _slotter(client)
            # Warm up: every query once, plus the empty request.
            for _ in range(20):
                client.get("/v1/me").raise_for_status()
            if "name" in kinds:
                for query in sample.names:
                    search(query)
            for _, query in id_queries:
                search(query)
            if "slots" in kinds:
                for service, region in slot_queries:
                    slots(service, region)
            for i in range(requests):
                samples.empty.append(timed_ms(lambda: client.get("/v1/me").raise_for_status())[0])
                if "name" in kinds:
                    query = sample.names[i % len(sample.names)]
                    ms, found = timed_ms(lambda q=query: search(q))  # type: ignore[misc]
                    samples.name_api.append(ms)
                    samples.name_hits.append(len(found))
                    with database.read() as connection:
                        ms, raw = timed_ms(lambda c=connection, q=query: name_sql(c, q))  # type: ignore[misc]
                    samples.name_raw.append(ms)
                    if sorted(raw) != sorted(found):
                        samples.name_mismatches.append(query)
                if id_queries:
                    kind, query = id_queries[i % len(id_queries)]
                    ms, _ = timed_ms(lambda q=query: search(q))  # type: ignore[misc]
                    samples.ids_api.setdefault(kind, []).append(ms)
                if "slots" in kinds:
                    service, region = slot_queries[i]
                    ms, found = timed_ms(lambda s=service, r=region: slots(s, r))  # type: ignore[misc]
                    samples.slots_api.append(ms)
                    with database.read() as connection:
                        ms, raw = timed_ms(
                            lambda c=connection, s=service, r=region: slots_sql(c, s, r)  # type: ignore[misc]
                        )
                    samples.slots_raw.append(ms)
                    samples.slot_mismatches += raw != found
    finally:
        database.dispose()
    return samples


def _searcher(client: httpx.Client) -> Callable[[str], list[int]]:
    def search(query: str) -> list[int]:
        response = client.get("/v1/callers", params={"q": query, "limit": PAGE})
        response.raise_for_status()
        return [caller["id"] for caller in response.json()["callers"]]

    return search


def _slotter(client: httpx.Client) -> Callable[[int, str], list[int]]:
    def slots(service: int, region: str) -> list[int]:
        response = client.get(
            "/v1/slots", params={"service": service, "region": region, "limit": PAGE}
        )
        response.raise_for_status()
        return [slot["id"] for slot in response.json()["slots"]]

    return slots


# --- rows -----------------------------------------------------------------------------------


def rows(samples: Samples, backend: str) -> list[Row]:
    found: list[Row] = []
    empty = p95(samples.empty)
    if samples.name_api:
        value = p95(samples.name_api)
        raw = p95(samples.name_raw)
        floor = raw + empty
        found.append(
            Row(
                figure="name_search",
                backend=backend,
                value=value,
                unit="ms",
                target=f"≤ {NAME_TARGET_MS:g} ms, ≤ {NAME_TARGET_RATIO:g}× floor",
                floor=floor,
                ratio=value / floor,
                status=judge(
                    value, at_most=NAME_TARGET_MS, floor=floor, at_most_ratio=NAME_TARGET_RATIO
                ),
                notes=(
                    f"name search, {backend}: floor = raw SQL p95 {raw:.2f} ms + empty request "
                    f"p95 {empty:.2f} ms; API p50 {percentile(samples.name_api, 0.5):.2f} ms; "
                    f"{len(samples.name_api)} queries like 'kova jan', "
                    f"{sum(samples.name_hits) / len(samples.name_hits):.1f} callers per answer"
                    + (
                        f"; {len(samples.name_mismatches)} answers differ from the raw SQL's "
                        f"({', '.join(repr(q) for q in samples.name_mismatches[:3])})"
                        if samples.name_mismatches
                        else ""
                    )
                ),
                detail={
                    "api_p50": percentile(samples.name_api, 0.5),
                    "raw_p95": raw,
                    "empty_p95": empty,
                    "requests": len(samples.name_api),
                },
            )
        )
    if samples.ids_api:
        value = p95(samples.ids_all)
        per_kind = ", ".join(
            f"{kind} {p95(values):.2f}" for kind, values in samples.ids_api.items()
        )
        found.append(
            Row(
                figure="id_search",
                backend=backend,
                value=value,
                unit="ms",
                target=f"≤ {ID_TARGET_MS:g} ms",
                floor=empty,
                ratio=value / empty,
                status=judge(value, at_most=ID_TARGET_MS),
                notes=(
                    f"search by number, {backend}: p95 by kind (ms): {per_kind}; "
                    f"floor = empty request (GET /v1/me); {len(samples.ids_all)} queries"
                ),
                detail={kind: p95(values) for kind, values in samples.ids_api.items()},
            )
        )
    if samples.slots_api:
        value = p95(samples.slots_api)
        raw = p95(samples.slots_raw)
        found.append(
            Row(
                figure="slots",
                backend=backend,
                value=value,
                unit="ms",
                target=f"≤ {SLOTS_TARGET_MS:g} ms",
                floor=raw,
                ratio=value / raw,
                status=judge(value, at_most=SLOTS_TARGET_MS),
                notes=(
                    f"slots, {backend}: floor = the same rows in raw SQL (p95); empty request "
                    f"p95 {empty:.2f} ms; {len(samples.slots_api)} service × region queries"
                    + (
                        f"; {samples.slot_mismatches} answers differ from the raw SQL's"
                        if samples.slot_mismatches
                        else ""
                    )
                ),
                detail={"raw_p95": raw, "empty_p95": empty},
            )
        )
    return found
