"""The demo's slot calendar: every provider's free slots over the working days, as plain row
tuples in the column order of :data:`SLOT_COLUMNS`.

Doctors work their shift within their clinic's hours, one service back to back; an office's
counters book one of their services per hour, in turn. The rows are written by
:mod:`console.server.bulk_load` (in this process or in its producer process).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from console.server.seed_catalogue import Catalogue

SLOT_COLUMNS = "provider_id, location_id, service_id, starts_at, ends_at"


def _naive(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    return [(a.replace(tzinfo=None), b.replace(tzinfo=None)) for a, b in intervals]


def _intersect(
    first: list[tuple[datetime, datetime]], second: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    out = []
    for a_start, a_end in first:
        for b_start, b_end in second:
            lo, hi = max(a_start, b_start), min(a_end, b_end)
            if lo < hi:
                out.append((lo, hi))
    return sorted(out)


def _run(start: datetime, end: datetime, minutes: int) -> list[tuple[str, str]]:
    """Back-to-back slots of ``minutes`` from ``start`` that end by ``end``, as stored text."""
    step = timedelta(minutes=minutes)
    out = []
    while start + step <= end:
        out.append((stored(start), stored(start + step)))
        start += step
    return out


def stored(moment: datetime) -> str:
    """A naive UTC time as SQLAlchemy stores DateTime on SQLite (``2026-12-22 07:00:00.000000``);
    PostgreSQL's COPY reads it too."""
    return moment.isoformat(sep=" ", timespec="microseconds")


def slot_rows(catalogue: Catalogue, days: list[date]) -> Iterator[tuple]:
    """(provider_id, location_id, service_id, starts_at, ends_at) for every slot."""
    opening: dict[tuple[int, date], list[tuple[datetime, datetime]]] = {}
    runs: dict[tuple[object, ...], list[tuple[str, str]]] = {}
    shift_cache: dict[tuple[int, int, date], list[tuple[datetime, datetime]]] = {}
    for day_number, day in enumerate(days):
        for p in catalogue.providers:
            key = (p.location_id, day)
            if key not in opening:
                opening[key] = _naive(catalogue.hours[p.location_id].intervals(day))
            intervals = opening[key]
            if not intervals:
                continue
            if p.hours is not None:  # a doctor: their shift within the clinic's hours
                shift_key = (id(p.hours), p.location_id, day)
                if shift_key not in shift_cache:
                    shift_cache[shift_key] = _intersect(intervals, _naive(p.hours.intervals(day)))
                service_id = p.service_ids[0]
                run_key: tuple[object, ...] = (shift_key, service_id)
                if run_key not in runs:
                    minutes = catalogue.durations[service_id]
                    runs[run_key] = [
                        s for lo, hi in shift_cache[shift_key] for s in _run(lo, hi, minutes)
                    ]
                for starts, ends in runs[run_key]:
                    yield (p.id, p.location_id, service_id, starts, ends)
                continue
            # A counter: each hour of the day books one of its services, in turn.
            services_of = p.service_ids
            hour = 0
            for lo, hi in intervals:
                block = lo
                while block < hi:
                    block_end = min(block + timedelta(hours=1), hi)
                    service_id = services_of[(day_number + hour + p.id) % len(services_of)]
                    run_key = (block, block_end, service_id)
                    if run_key not in runs:
                        runs[run_key] = _run(block, block_end, catalogue.durations[service_id])
                    for starts, ends in runs[run_key]:
                        yield (p.id, p.location_id, service_id, starts, ends)
                    block = block_end
                    hour += 1
