"""The console itself: cold start, key press to results, memory — each in a process of its own
(``benchmarks.console_probe``), on the embedded service over the SQLite dataset, beside a
hello-world Textual app started the same way.

Every console process gets a fresh desk directory (an empty local cache) holding the token of
a benchmark agent, so no run inherits another's cache, outbox or call.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.dataset import REPO, Dataset
from benchmarks.probes import probe_env
from benchmarks.report import Row, judge
from benchmarks.stats import median, p95, percentile
from benchmarks.workload import bench_tokens, sample_callers

COLD_START_RATIO = 2.0
KEYSTROKE_TARGET_MS = 50.0
MEMORY_TARGET_MB = 150.0
PROBE_TIMEOUT = 1800.0
TOKEN_FILE = "desk-token"  # where the embedded console looks for its desk's token


@dataclass
class Result:
    console_starts: list[float] = field(default_factory=list)  # seconds
    warm_starts: list[float] = field(default_factory=list)  # a desk started before: seconds
    typing_starts: int = 0  # how many of them are the typing runs' (the last ones)
    hello_starts: list[float] = field(default_factory=list)
    hello_rss: list[float] = field(default_factory=list)  # MB
    default_typing: dict[str, Any] = field(default_factory=dict)  # the probe's answer
    zero_typing: dict[str, Any] = field(default_factory=dict)


class _Probe:
    """Spawns ``benchmarks.console_probe`` with a scratch config and a fresh desk."""

    def __init__(self, dataset: Dataset, token: str, scratch: Path) -> None:
        assert dataset.path is not None, "the console benchmarks need the SQLite dataset"
        self.database = str(dataset.path)
        self.token = token
        self.scratch = scratch
        self.desks = 0
        self.env = probe_env(scratch)

    def desk(self) -> str:
        self.desks += 1
        desk = self.scratch / f"desk-{self.desks}"
        desk.mkdir()
        token = desk / TOKEN_FILE
        token.write_text(self.token + "\n")
        token.chmod(0o600)
        return str(desk)

    def run(
        self, arguments: list[str], timeout: float = PROBE_TIMEOUT
    ) -> tuple[float, dict[str, Any]]:
        """Run the probe; return (seconds from spawn to its first line, its last line)."""
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.console_probe", *arguments],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        first = process.stdout.readline()
        elapsed = time.perf_counter() - began
        try:
            rest, errors = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            rest, errors = process.communicate()
        lines = [line for line in [first, *rest.splitlines()] if line.strip()]
        if not lines or process.returncode != 0:
            raise RuntimeError(
                f"console probe {arguments[0]} failed (exit {process.returncode}):\n"
                f"{errors[-3000:]}"
            )
        return elapsed, json.loads(lines[-1])

    def hello(self) -> tuple[float, float]:
        seconds, found = self.run(["hello"])
        return seconds, float(found["rss_mb"])

    def console_start(self, desk: str | None = None) -> float:
        """Seconds to the lookup ready; ``desk``: a desk directory started before (a warm
        start: its cache filled, its outbox there), else a fresh one."""
        desk = desk or self.desk()
        return self.run(["console-start", "--database", self.database, "--desk", desk])[0]

    def typing(
        self, queries: Path, typed: int, searches: int, search_delay_ms: int | None
    ) -> tuple[float, dict[str, Any]]:
        """(seconds from spawn to ready, what the probe measured)."""
        arguments = [
            "console-type",
            "--database",
            self.database,
            "--desk",
            self.desk(),
            "--queries",
            str(queries),
            "--typed",
            str(typed),
            "--searches",
            str(searches),
        ]
        if search_delay_ms is not None:
            arguments += ["--search-delay-ms", str(search_delay_ms)]
        return self.run(arguments)


def measure(
    dataset: Dataset,
    *,
    cold_starts: int,
    warm_starts: int = 0,
    typing: bool,
    typed_default: int,
    typed: int,
    searches: int,
    log: Callable[[str], None],
    seed: int = 50,
) -> Result:
    """``cold_starts`` starts of the hello world and the console, alternately; then, if
    ``typing``, key presses with the product's default debounce, key presses without it,
    searches up to ``searches`` and the console's RSS (and the hello world's, started once if
    it was not started for the cold starts). The typing consoles' starts count as cold starts
    too: they start the same way, to the same moment."""
    database = dataset.open()
    try:
        token = bench_tokens(database, 1)[0]
        sample = sample_callers(database, dataset, max(searches, typed, typed_default), seed)
    finally:
        database.dispose()
    queries = list(sample.names)
    # Every fifth search after the typed ones is a phone number: agents' searches are mixed.
    for index in range(max(typed, typed_default), len(queries), 5):
        queries[index] = sample.phones[index % len(sample.phones)]
    result = Result()
    with tempfile.TemporaryDirectory(prefix="bench-console-") as scratch:
        probe = _Probe(dataset, token, Path(scratch))
        listed = Path(scratch) / "queries.json"
        listed.write_text(json.dumps(queries))
        if cold_starts:
            log(f"console: {cold_starts} cold starts each (hello world, console)")
        if cold_starts > 1:  # one unmeasured start of each first: the files are in the OS cache
            probe.hello()
            probe.console_start()
        for _ in range(cold_starts):
            seconds, rss = probe.hello()
            result.hello_starts.append(seconds)
            result.hello_rss.append(rss)
            result.console_starts.append(probe.console_start())
        if warm_starts:
            # The agent's second start: the same desk, its cache filled by the first.
            log(f"console: {warm_starts} warm starts (one desk, started once before)")
            desk = probe.desk()
            probe.console_start(desk)
            if not result.hello_starts:
                result.hello_starts.append(probe.hello()[0])
            for _ in range(warm_starts):
                result.warm_starts.append(probe.console_start(desk))
        if typing:
            if not result.hello_rss:
                seconds, rss = probe.hello()
                result.hello_starts.append(seconds)
                result.hello_rss.append(rss)
            log(f"console: typing {typed_default} queries key by key (the default debounce)")
            started, result.default_typing = probe.typing(listed, typed_default, 0, None)
            result.console_starts.append(started)
            result.typing_starts += 1
            log(f"console: typing {typed} queries without the debounce, then {searches:,} searches")
            started, result.zero_typing = probe.typing(listed, typed, searches, 0)
            result.console_starts.append(started)
            result.typing_starts += 1
    return result


# --- rows -----------------------------------------------------------------------------------


def rows(result: Result, backend: str = "embedded") -> list[Row]:
    """The rows of what was measured: cold start, and the typing figures."""
    found = [_start_row(result, backend)] if result.console_starts else []
    if result.warm_starts:
        found.append(_warm_row(result, backend))
    if result.zero_typing:
        found += [*_typing_rows(result, backend), _memory_row(result, backend)]
    return found


def _warm_row(result: Result, backend: str) -> Row:
    value, floor = median(result.warm_starts), median(result.hello_starts)
    return Row(
        figure="warm_start",
        backend=backend,
        value=value,
        unit="s",
        target=f"≤ {COLD_START_RATIO:g}× floor",
        floor=floor,
        ratio=value / floor,
        status=judge(value, floor=floor, at_most_ratio=COLD_START_RATIO),
        notes=f"warm start: median of {len(result.warm_starts)} starts of one desk started "
        "once before (its cache filled, its token kept), from spawning the process to the "
        "first frame of the lookup screen with the desk connected; floor = the hello-world "
        f"Textual app's start; console {_list(result.warm_starts)} s, hello world "
        f"{_list(result.hello_starts)} s",
    )


def _start_row(result: Result, backend: str) -> Row:
    value, floor = median(result.console_starts), median(result.hello_starts)
    return Row(
        figure="cold_start",
        backend=backend,
        value=value,
        unit="s",
        target=f"≤ {COLD_START_RATIO:g}× floor",
        floor=floor,
        ratio=value / floor,
        status=judge(value, floor=floor, at_most_ratio=COLD_START_RATIO),
        notes=(
            f"cold start: median of {len(result.console_starts)} console starts"
            + (
                f" (the last {result.typing_starts} those of the typing runs)"
                if result.typing_starts
                else ""
            )
            + f" and {len(result.hello_starts)} hello-world starts, from spawning the "
            "process to the first frame of the lookup screen with the desk connected (embedded "
            "service on the SQLite dataset, an empty desk cache), under run_test(headless); "
            "floor = a hello-world Textual app started the same way, to its first frame; console "
            f"{_list(result.console_starts)} s, hello world {_list(result.hello_starts)} s"
        ),
    )


def _typing_rows(result: Result, backend: str) -> list[Row]:
    found: list[Row] = []
    for figure, probe in (
        ("keystroke", result.default_typing),
        ("keystroke_work", result.zero_typing),
    ):
        keystrokes = probe["keystrokes"]
        value = p95(keystrokes)
        delay = probe["search_delay_ms"]
        found.append(
            Row(
                figure=figure,
                backend=backend,
                value=value,
                unit="ms",
                target=f"≤ {KEYSTROKE_TARGET_MS:g} ms",
                status=judge(value, at_most=KEYSTROKE_TARGET_MS),
                notes=(
                    f"key press, search_delay_ms = {delay}"
                    + (" (the product's default)" if figure == "keystroke" else "")
                    + f": {len(keystrokes)} key presses (Pilot) in name queries typed into the "
                    "lookup box, each timed from the press to the first frame that shows the "
                    f"answer for the box's text; p50 {percentile(keystrokes, 0.5):.1f} ms, max "
                    f"{max(keystrokes, default=math.nan):.1f} ms; typed after the desk's first "
                    f"sync ({probe['sync_seconds']:.1f} s after ready)"
                ),
            )
        )
    return found


def _memory_row(result: Result, backend: str) -> Row:
    probe = result.zero_typing
    rss = float(probe["rss_mb"])
    floor = median(result.hello_rss)
    return Row(
        figure="memory",
        title=f"console RSS after {probe['searches']:,} searches",
        backend=backend,
        value=rss,
        unit="MB",
        target=f"≤ {MEMORY_TARGET_MB:g} MB",
        floor=floor,
        ratio=rss / floor,
        status=judge(rss, at_most=MEMORY_TARGET_MB),
        notes=(
            f"memory: VmRSS of the console process (the embedded service in it) after "
            f"{probe['searches']:,} searches answered and shown; {probe['rss_ready_mb']:.0f} MB "
            f"when the lookup screen was ready, {probe['rss_synced_mb']:.0f} MB after the desk's "
            f"first sync ({probe['sync_seconds']:.0f} s: the slot window into its cache), peak "
            f"{probe['peak_rss_mb']:.0f} MB; floor = the hello-world app's RSS at its first frame"
        ),
    )


def _list(values: list[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)
