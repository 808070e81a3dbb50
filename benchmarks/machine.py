"""What the figures were measured on, printed above them."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path
from typing import Any


def describe(postgres_version: str | None, workers: int | None) -> dict[str, Any]:
    from importlib.metadata import version

    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": _cpu_model(),
        "memory_gb": _memory_gb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version,
        "textual": version("textual"),
        "uvicorn": version("uvicorn"),
        "api_workers": workers,
        "load_average": load_average(),
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: how busy the machine was besides this run."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def _cpu_model() -> str:
    info = Path("/proc/cpuinfo")
    if info.is_file():
        for line in info.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    info = Path("/proc/meminfo")
    if not info.is_file():
        return None
    for line in info.read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def format_machine(machine: dict[str, Any]) -> str:
    cores = machine["cores"]
    if machine.get("usable_cores") and machine["usable_cores"] != cores:
        cores = f"{machine['usable_cores']} of {cores}"
    lines = [
        f"machine     {cores} cores ({machine['cpu']}), {machine['memory_gb']} GB, "
        f"{machine['os']}, load average {machine['load_average']}",
        f"software    Python {machine['python']}, SQLite {machine['sqlite']}, "
        f"PostgreSQL {machine['postgresql'] or '(not measured)'}, Textual {machine['textual']}, "
        f"uvicorn {machine['uvicorn']} ({_workers(machine['api_workers'])})",
    ]
    return "\n".join(lines)


def _workers(workers: int | None) -> str:
    if workers is None:
        from console.server.db import default_workers

        postgres = default_workers("postgresql://localhost/x")
        return (
            f"API workers as agent-console serve picks them: 1 on SQLite, {postgres} on PostgreSQL"
        )
    return f"{workers} API worker process{'es' if workers != 1 else ''}"
