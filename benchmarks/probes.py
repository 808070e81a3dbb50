"""The ``benchmarks.console_probe`` processes the end-to-end benchmarks run beside the service:
their environment (a scratch config of every default, none of the caller's ``AGENT_CONSOLE_``
settings), a probe process whose JSON lines a thread reads into a queue, and the pair the
screen pop and the live floor both run (a console, and a bare feed client as the floor).
"""

from __future__ import annotations

import json
import math
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.dataset import REPO
from benchmarks.report import Row, judge
from benchmarks.server import stop_process

LINE_TIMEOUT = 120.0  # seconds to wait for a probe's line before giving up


def probe_env(scratch: Path) -> dict[str, str]:
    """The environment of a probe: ``scratch/config.toml`` (every default) as its config, and
    none of this process's ``AGENT_CONSOLE_`` settings nor ``TEXTUAL``."""
    config = scratch / "config.toml"
    config.write_text("# benchmarks: every default\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_CONSOLE_")}
    env["AGENT_CONSOLE_CONFIG"] = str(config)
    env.pop("TEXTUAL", None)
    return env


class ProbeProcess:
    """A ``benchmarks.console_probe`` process whose lines are read by a thread into a queue."""

    def __init__(self, arguments: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.console_probe", *arguments],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.name = arguments[0]
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip():
                self.lines.put(line)
        self.lines.put(None)

    def line(self) -> dict[str, Any]:
        try:
            found = self.lines.get(timeout=LINE_TIMEOUT)
        except queue.Empty:
            found = None
        if found is None:
            self.stop()
            errors = self.process.stderr.read() if self.process.stderr else ""
            raise RuntimeError(
                f"console probe {self.name} ended or went quiet (exit {self.process.returncode})"
                f":\n{errors[-3000:]}"
            )
        return json.loads(found)

    def seen(self, key: str, expected: Any, since: float) -> float:
        """Seconds from ``since`` to the time of the probe's next line (its ``at``), which
        must say ``key`` is ``expected``."""
        line = self.line()
        if line.get(key) != expected:
            raise RuntimeError(f"{self.name} showed {line!r}, not {key} {expected!r}")
        return float(line["at"]) - since

    def stop(self) -> None:
        if self.process.poll() is None:
            stop_process(self.process)


@contextmanager
def console_and_feed(
    scratch: Path, console: list[str], feed: list[str]
) -> Iterator[tuple[ProbeProcess, ProbeProcess]]:
    """A console probe (``console``'s arguments, with a fresh desk directory in ``scratch``)
    and a feed probe (the floor: ``feed``'s arguments), both with :func:`probe_env`'s
    environment; both stopped on the way out."""
    env = probe_env(scratch)
    desk = scratch / "desk"
    desk.mkdir()
    console_probe = ProbeProcess([*console, "--desk", str(desk)], env)
    feed_probe = ProbeProcess(feed, env)
    try:
        yield console_probe, feed_probe
    finally:
        console_probe.stop()
        feed_probe.stop()


def worst_case_row(
    *,
    figure: str,
    title: str,
    backend: str,
    times: list[float],
    floors: list[float],
    rounds: int,
    target_seconds: float,
    notes: str,
    detail_key: str,
) -> Row:
    """A probe's figure: the slowest of ``times`` (seconds) against its target and against the
    slowest of ``floors`` (the bare client's times for the same events); a MISS when fewer
    than ``rounds`` events were seen."""
    value = max(times, default=math.nan)
    floor = max(floors, default=math.nan)
    return Row(
        figure=figure,
        title=title,
        backend=backend,
        value=value * 1000,
        unit="ms",
        target=f"≤ {target_seconds * 1000:g} ms",
        floor=floor * 1000,
        ratio=value / floor if floor else None,
        status=judge(value, at_most=target_seconds) if len(times) == rounds else "MISS",
        notes=notes,
        detail={detail_key: [t * 1000 for t in times], "floor_ms": [f * 1000 for f in floors]},
    )
