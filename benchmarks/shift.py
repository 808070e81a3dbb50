"""A shift at the console: memory and what the console keeps, over hundreds of calls.

The real console in a process of its own (``benchmarks.console_probe console-shift``), on the
embedded service over the SQLite dataset, an empty desk of its own, makes ``calls`` calls as an
agent does, keys through Pilot: find the caller (F2, a phone number), search a service's free
slots (F3, the services in turn), hold the first and book it, wrap up (F9). Clock-scaled: each
call moves the ticks the desk keeps its own intervals by (``console.clock.Clock.ticks``) on by
``call_minutes`` (4: a call and its wrap-up on the health line), so the slot window is refreshed
every ``[cache] window_refresh_minutes`` (60) of the shift's time, that is every 15 calls, and
500 calls are a 33-hour shift lived in minutes.

Rows (each beside its target; the floor is measured in the same run):

- RSS after the first ``warm`` calls, and at the end: at most 150 MB at the end; floor: the
  hello-world Textual app started the same way;
- growth per hour of the shift after the warm-up: the least-squares slope of the RSS after each
  call against the shift's hours, at most 2 MB an hour;
- the live widgets (on a screen or not), asyncio tasks and open files at the end: no more than
  after the warm-up (flat), which is printed as the floor. Open files leave out the database
  descriptors SQLite keeps of closed connections to give to the next one
  (:func:`benchmarks.console_probe.sqlite_kept_descriptors`: reused, not leaked). Each is the
  least of a few looks a moment apart (a look during a sync round also sees that round's task
  and connection); the notes name the kinds of task and file that changed in number.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.console import MEMORY_TARGET_MB, _Probe
from benchmarks.dataset import Dataset
from benchmarks.report import Row, judge
from benchmarks.stats import median
from benchmarks.workload import bench_tokens, sample_callers

GROWTH_TARGET_MB_PER_HOUR = 2.0
CALL_MINUTES = 4.0
COUNTS = ("widgets", "tasks", "files")


@dataclass
class Result:
    probe: dict[str, Any] = field(default_factory=dict)  # what console-shift printed
    hello_rss: list[float] = field(default_factory=list)  # MB


def measure(
    dataset: Dataset,
    *,
    calls: int,
    warm: int,
    log: Callable[[str], None],
    seed: int = 51,
) -> Result:
    """Run the shift; the hello world's RSS (started twice) is the memory rows' floor."""
    database = dataset.open()
    try:
        token = bench_tokens(database, 1)[0]
        sample = sample_callers(database, dataset, min(calls, 500), seed)
    finally:
        database.dispose()
    result = Result()
    with tempfile.TemporaryDirectory(prefix="bench-shift-") as scratch:
        probe = _Probe(dataset, token, Path(scratch))
        listed = Path(scratch) / "phones.json"
        listed.write_text(json.dumps(sample.phones))
        for _ in range(2):
            result.hello_rss.append(probe.hello()[1])
        log(
            f"console: a shift of {calls} calls (each {CALL_MINUTES:g} minutes of the desk's "
            f"time: {calls * CALL_MINUTES / 60:.0f} hours)"
        )
        arguments = [
            "console-shift",
            "--database",
            probe.database,
            "--desk",
            probe.desk(),
            "--queries",
            str(listed),
            "--calls",
            str(calls),
            "--warm",
            str(warm),
            "--call-minutes",
            str(CALL_MINUTES),
        ]
        # A call takes a few seconds through the real console (more on a loaded machine).
        result.probe = probe.run(arguments, timeout=max(1800.0, calls * 20.0))[1]
    return result


def slope(points: list[tuple[float, float]]) -> float:
    """The least-squares slope of ``(x, y)`` points (NaN for fewer than two distinct x)."""
    if len(points) < 2:
        return float("nan")
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return float("nan")
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def changed_kinds(before: dict[str, int], after: dict[str, int]) -> str:
    """The kinds (what a task runs, what a file is) that changed in number (``name +1``), or
    ``""``."""
    names = sorted(set(before) | set(after))
    moved = [
        f"{name} {after.get(name, 0) - before.get(name, 0):+d}"
        for name in names
        if after.get(name, 0) != before.get(name, 0)
    ]
    return ", ".join(moved)


def rows(result: Result, backend: str = "embedded") -> list[Row]:
    probe = result.probe
    floor = median(result.hello_rss)
    calls, warm = probe["calls"], probe["warm"]
    samples = [(float(h), float(mb)) for h, mb in probe["samples"]]
    after_warm = samples[warm - 1 :]
    growth = slope(after_warm)
    hours = probe["hours"]
    about = (
        f"{calls} calls ({probe['booked']} booked) in {probe['seconds']:.0f} s, a shift of "
        f"{hours:.1f} h of the desk's time ({CALL_MINUTES:g} min a call), the slot window "
        f"refreshed {probe['refreshes']} times (every 60 min of it)"
    )
    found = [
        Row(
            figure="shift_rss_warm",
            title=f"console RSS after {warm} calls of a shift",
            backend=backend,
            value=probe["warm_rss_mb"],
            unit="MB",
            target=f"≤ {MEMORY_TARGET_MB:g} MB",
            floor=floor,
            ratio=probe["warm_rss_mb"] / floor,
            status=judge(probe["warm_rss_mb"], at_most=MEMORY_TARGET_MB),
            notes=f"shift: {about}; VmRSS of the console process (the embedded service in it); "
            "floor = the hello-world app's RSS at its first frame",
        ),
        Row(
            figure="shift_rss_end",
            title=f"console RSS after {calls} calls",
            backend=backend,
            value=probe["end_rss_mb"],
            unit="MB",
            target=f"≤ {MEMORY_TARGET_MB:g} MB",
            floor=floor,
            ratio=probe["end_rss_mb"] / floor,
            status=judge(probe["end_rss_mb"], at_most=MEMORY_TARGET_MB),
            notes=f"peak {probe['peak_rss_mb']:.0f} MB",
        ),
        Row(
            figure="shift_growth",
            title="  … growth per hour of the shift",
            backend=backend,
            value=growth,
            unit="MB/h",
            target=f"≤ {GROWTH_TARGET_MB_PER_HOUR:g} MB/h",
            status=judge(growth, at_most=GROWTH_TARGET_MB_PER_HOUR),
            notes=(
                f"the least-squares slope of the RSS after each call from call {warm} on "
                f"({after_warm[0][1]:.1f} MB at {after_warm[0][0]:.1f} h, "
                f"{after_warm[-1][1]:.1f} MB at {after_warm[-1][0]:.1f} h)"
                if after_warm
                else "no calls after the warm-up"
            ),
        ),
    ]
    moved = changed_kinds(probe.get("warm_tasks", {}), probe.get("end_tasks", {}))
    moved_files = changed_kinds(probe.get("warm_files", {}), probe.get("end_files", {}))
    for name in COUNTS:
        warm_count, end_count = probe["warm_counts"][name], probe["end_counts"][name]
        found.append(
            Row(
                figure=f"shift_{name}",
                title=f"  … {name} after {calls} calls",
                backend=backend,
                value=end_count,
                unit="count",
                target=f"≤ after {warm} calls",
                floor=warm_count,
                ratio=end_count / warm_count if warm_count else None,
                status=judge(end_count, at_most=warm_count),
                notes={
                    "widgets": "live Textual widgets, on a screen or not (gc), after the "
                    "notifications are cleared",
                    "tasks": "asyncio tasks (every widget's message pump is one)"
                    + (f"; changed since then: {moved}" if moved else ""),
                    "files": "open file descriptors of the process (/proc/self/fd), but for "
                    "those SQLite keeps of closed connections to reuse ("
                    f"{probe['warm_counts'].get('sqlite_kept', 0)} after the warm-up, "
                    f"{probe['end_counts'].get('sqlite_kept', 0)} at the end: at most the "
                    "connections ever open at once)"
                    + (f"; changed since then: {moved_files}" if moved_files else ""),
                }[name],
            )
        )
    return found
