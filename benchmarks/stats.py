"""Small measuring helpers: percentiles, a stopwatch, a process's resident memory."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile (nearest rank) of ``values``; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def p95(values: Sequence[float]) -> float:
    return percentile(values, 0.95)


def p99(values: Sequence[float]) -> float:
    return percentile(values, 0.99)


def median(values: Sequence[float]) -> float:
    return percentile(values, 0.5)


def timed_ms(action: Callable[[], T]) -> tuple[float, T]:
    """Run ``action``; return (milliseconds it took, its result)."""
    began = time.perf_counter()
    result = action()
    return (time.perf_counter() - began) * 1000, result


def rss_mb(pid: int | str = "self") -> float:
    """Resident set size of a process in MiB, from ``/proc/<pid>/status`` (Linux)."""
    return _status_kb(pid, "VmRSS") / 1024


def peak_rss_mb(pid: int | str = "self") -> float:
    """The process's peak resident set size (VmHWM) in MiB."""
    return _status_kb(pid, "VmHWM") / 1024


def _status_kb(pid: int | str, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return math.nan


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time a process has used, in seconds (``/proc/<pid>/stat``)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine_busy_seconds() -> float:
    """CPU-seconds all cores have spent busy since boot (``/proc/stat``)."""
    import os

    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK")
