"""How cost grows with the register: search and slot latency at 100k, 1M and 2.1M callers
(same catalogue and slot calendar; only the number of callers changes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import api_latency
from benchmarks.dataset import Dataset, Place, Spec, ensure, reset
from benchmarks.server import ApiServer
from benchmarks.stats import p95


@dataclass
class Point:
    backend: str
    callers: int
    name_p95: float
    name_raw_p95: float
    id_p95: float
    slots_p95: float
    slots_raw_p95: float
    empty_p95: float
    seed_seconds: float


def measure(
    place: Place, spec: Spec, *, requests: int, workers: int, log: Callable[[str], None]
) -> Point:
    """Build or reuse the dataset of ``spec`` and measure its latency through its own server."""
    dataset = ensure(place, spec, log)
    reset(dataset)
    try:
        with ApiServer(dataset.url, workers=workers) as server:
            log(f"{place.backend}: growth: latency at {spec.callers:,} callers")
            samples = api_latency.measure(dataset, server.url, requests=requests)
    finally:
        reset(dataset)
    return point(dataset, samples)


def point(dataset: Dataset, samples: api_latency.Samples) -> Point:
    return Point(
        backend=dataset.backend,
        callers=dataset.callers,
        name_p95=p95(samples.name_api),
        name_raw_p95=p95(samples.name_raw),
        id_p95=p95(samples.ids_all),
        slots_p95=p95(samples.slots_api),
        slots_raw_p95=p95(samples.slots_raw),
        empty_p95=p95(samples.empty),
        seed_seconds=dataset.seed_seconds,
    )


def format_points(points: list[Point]) -> str:
    header = (
        "backend",
        "callers",
        "name p95",
        "name SQL p95",
        "number p95",
        "slots p95",
        "slots SQL p95",
        "empty p95",
        "seed (build)",
    )
    lines = [header]
    for point in points:
        lines.append(
            (
                point.backend,
                f"{point.callers:,}",
                f"{point.name_p95:.2f} ms",
                f"{point.name_raw_p95:.2f} ms",
                f"{point.id_p95:.2f} ms",
                f"{point.slots_p95:.2f} ms",
                f"{point.slots_raw_p95:.2f} ms",
                f"{point.empty_p95:.2f} ms",
                f"{point.seed_seconds:.1f} s",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for number, line in enumerate(lines):
        out.append(
            "  ".join(
                cell.ljust(width) if index == 0 else cell.rjust(width)
                for index, (cell, width) in enumerate(zip(line, widths, strict=True))
            )
        )
        if number == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def as_json(points: list[Point]) -> list[dict[str, Any]]:
    return [asdict(point) for point in points]
