"""The benchmark suite keeps working: ``python -m benchmarks --quick`` runs end to end and
prints every row. No timing is asserted here: the suite measures, it does not judge CI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.report import ERROR, FIGURES

PG_ENV = "AGENT_CONSOLE_TEST_PG_URL"
REPO = Path(__file__).resolve().parent.parent
SERVICE_FIGURES = [
    "seed",
    "name_search",
    "id_search",
    "slots",
    "booking_rate",
    "booking_p99",
    "double_bookings",
    "replay",
]
CONSOLE_FIGURES = ["cold_start", "keystroke", "memory"]


def _quick(data: Path, results: Path, backend: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_CONSOLE_")}
    if os.environ.get(PG_ENV):
        env[PG_ENV] = os.environ[PG_ENV]
    command = [sys.executable, "-m", "benchmarks", "--quick", "--backend", backend]
    return subprocess.run(
        [*command, "--data", str(data), "--json", str(results)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_quick_benchmarks_run_and_print_every_row(tmp_path: Path) -> None:
    backends = ["sqlite", "postgres"] if os.environ.get(PG_ENV) else ["sqlite"]
    data = tmp_path / "bench-data"
    results = tmp_path / "results.json"
    try:
        done = _quick(data, results, "both" if len(backends) == 2 else "sqlite")
    finally:
        subprocess.run(
            [sys.executable, "-m", "benchmarks", "--clean", "--data", str(data)],
            cwd=REPO,
            env={k: v for k, v in os.environ.items() if not k.startswith("AGENT_CONSOLE_")}
            | ({PG_ENV: os.environ[PG_ENV]} if os.environ.get(PG_ENV) else {}),
            capture_output=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    assert "machine" in done.stdout and "SQLite" in done.stdout
    rows = json.loads(results.read_text())["rows"]
    printed = {(row["figure"], row["backend"]) for row in rows}
    expected = {(figure, backend) for backend in backends for figure in SERVICE_FIGURES}
    expected |= {(figure, "embedded") for figure in CONSOLE_FIGURES}
    assert printed == expected
    for row in rows:
        assert row["status"] != ERROR, row
        assert row["value"] is not None, row
        assert row["label"] in done.stdout
    assert set(FIGURES) == set(SERVICE_FIGURES) | set(CONSOLE_FIGURES)
