"""The results: one row per figure and backend, printed as one table (and written as JSON)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PASS = "PASS"
MISS = "MISS"
NO_TARGET = "—"
ERROR = "ERROR"

# Every figure the suite prints, in the order it prints them: id -> label.
FIGURES: dict[str, str] = {
    "seed": "seed --callers N",
    "name_search": "caller search by name (2 words), p95",
    "id_search": "caller search by phone/EMŠO/ZZZS/ref, p95",
    "slots": "earliest 20 free slots in a region, p95",
    "booking_rate": "bookings/s, 40 concurrent agents",
    "booking_p99": "booking request p99, 40 agents",
    "double_bookings": "double bookings",
    "replay": "offline replay of N queued writes",
    "callback_claims": "callback claims/s, 40 agents at once",
    "callback_double_claims": "callbacks claimed twice",
    "queue_log_import": "a month's queue_log imported",
    "screen_pop": "screen pop, event to card drawn, max",
    "cold_start": "console cold start to lookup ready",
    "warm_start": "console warm start (second start of a desk)",
    "keystroke": "key press to results rendered, p95",
    "keystroke_work": "  … with search_delay_ms = 0, p95",
    "memory": "console RSS after N searches",
    "shift_rss_warm": "console RSS after the first calls of a shift",
    "shift_rss_end": "console RSS at the end of a shift",
    "shift_growth": "  … growth per hour of the shift",
    "shift_widgets": "  … widgets at the end of a shift",
    "shift_tasks": "  … asyncio tasks at the end of a shift",
    "shift_files": "  … open files at the end of a shift",
    "bytes_per_call": "database bytes per call, after a prune",
    "messages_send": "N queued messages sent (SMTP)",
    "messages_booking": "booking p50 with the outbox write",
    "floor": "GET /v1/floor p95 (200 agents, 20k calls, 8k bookings)",
    "heartbeat": "200 desks' heartbeats every 10 s: service CPU",
    "floor_live": "agent's state change to a supervisor's floor, max",
}


@dataclass
class Row:
    figure: str  # a key of FIGURES
    backend: str
    value: float | None
    unit: str
    target: str = ""  # as a reader reads it, e.g. "≤ 15 ms and ≤ 4× floor"
    floor: float | None = None
    ratio: float | None = None  # value / floor, printed where the target is relative
    status: str = NO_TARGET
    notes: str = ""
    detail: dict[str, Any] = field(default_factory=dict)  # extra numbers for the JSON file
    title: str = ""  # instead of FIGURES[figure], e.g. with this run's counts

    @property
    def label(self) -> str:
        return self.title or FIGURES.get(self.figure, self.figure)


def judge(
    value: float | None,
    *,
    at_most: float | None = None,
    at_least: float | None = None,
    floor: float | None = None,
    at_most_ratio: float | None = None,
) -> str:
    """PASS when every given bound holds, MISS otherwise (NO_TARGET when none is given)."""
    if at_most is None and at_least is None and at_most_ratio is None:
        return NO_TARGET
    if value is None or math.isnan(value):
        return MISS
    ok = True
    if at_most is not None:
        ok &= value <= at_most
    if at_least is not None:
        ok &= value >= at_least
    if at_most_ratio is not None:
        ok &= floor is not None and floor > 0 and value <= at_most_ratio * floor
    return PASS if ok else MISS


def error_row(figure: str, backend: str, error: BaseException) -> Row:
    return Row(
        figure=figure,
        backend=backend,
        value=None,
        unit="",
        status=ERROR,
        notes=f"{type(error).__name__}: {error}",
    )


def _number(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit in ("", "count"):
        return f"{value:,.0f}"
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "ms":
        return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "MB/h":
        return f"{value:.2f} MB/h"
    if unit == "B":
        return f"{value:,.0f} B"
    if unit == "%":
        return f"{value:.2f} %"
    return f"{value:g} {unit}"


def format_table(rows: list[Row]) -> str:
    """One table; the notes follow it, numbered like the rows that have them."""
    header = ("#", "figure", "backend", "measured", "target", "floor", "ratio", "result")
    lines: list[tuple[str, ...]] = []
    notes: list[str] = []
    for number, row in enumerate(rows, 1):
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None and not math.isnan(row.ratio) else ""
        lines.append(
            (
                str(number),
                row.label,
                row.backend,
                _number(row.value, row.unit),
                row.target,
                _number(row.floor, row.unit) if row.floor is not None else "",
                ratio,
                row.status,
            )
        )
        if row.notes:
            notes.append(f"[{number}] {row.notes}")
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    right = {0, 3, 5, 6}

    def render(line: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    ruler = "  ".join("-" * width for width in widths)
    out = [render(header), ruler, *(render(line) for line in lines), ruler]
    if notes:
        out += ["", *notes]
    return "\n".join(out)


def write_json(path: Path, machine: dict[str, Any], rows: list[Row], extra: dict[str, Any]) -> None:
    payload = {
        "machine": machine,
        "rows": [{**asdict(row), "label": row.label} for row in rows],
        **extra,
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
