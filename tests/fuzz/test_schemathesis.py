"""Schemathesis against the central service, on SQLite and PostgreSQL: every check, no failure.

The service runs under uvicorn on loopback over a small known world; schemathesis (pinned in
the dev dependencies) runs as its command line does, with a fixed seed, through its coverage,
fuzzing and stateful phases, every check with its default expectations. ``st_hooks.py`` keeps
positive cases within the rules the OpenAPI document states in words (see its docstring).

The short run here keeps CI quick. The longer run is the same test with more examples per
operation (README, "Fuzzing the API")::

    AGENT_CONSOLE_FUZZ_EXAMPLES=300 .venv/bin/pytest tests/fuzz -p no:xdist
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import support
from served import Central

from console.server.db import Database
from console.server.schema import providers

HERE = Path(__file__).parent
EXAMPLES = int(os.environ.get("AGENT_CONSOLE_FUZZ_EXAMPLES", "5"))
# The run's own time limit grows with the examples asked for: the long run (300 per operation)
# on PostgreSQL takes longer than the short run's 15 minutes on a busy machine.
TIMEOUT_SECONDS = max(900, 12 * EXAMPLES)
SEED = int(os.environ.get("AGENT_CONSOLE_FUZZ_SEED", "2026"))
PHASES = os.environ.get("AGENT_CONSOLE_FUZZ_PHASES", "examples,coverage,fuzzing,stateful")


def _world(database: Database) -> tuple[support.World, dict[str, list]]:
    """The world, and the records positive cases may name (for st_hooks)."""
    from fastapi.testclient import TestClient

    from console.server.app import create_app
    from console.server.settings import ServerSettings

    world = support.build_world(database, days=3, slots_per_day=6)
    app = create_app(ServerSettings(database="unused"), database, migrate=False)
    with TestClient(app) as client:
        headers = world.headers("agent")
        calls = [client.post("/v1/calls", json={}, headers=headers).json()["id"] for _ in range(3)]
        references = [
            client.post(
                "/v1/bookings",
                json={"caller_id": world.callers["janez"], "slot_id": slot},
                headers=headers,
            ).json()["reference"]
            for slot in world.slots[:2]
        ]
        last_seq = client.get("/v1/changes/latest", headers=headers).json()["last_seq"]
    with database.read() as connection:
        rows = connection.execute(providers.select().where(providers.c.kind == "doctor"))
        doctors = [row.id for row in rows]
    return world, {
        "callers": sorted(world.callers.values()),
        "calls": calls,
        "doctors": doctors,
        "services": sorted(world.services.values()),
        "references": references,
        "last_seq": last_seq,
    }


def test_schemathesis_finds_no_failure(database_url_param: str, tmp_path: Path) -> None:
    database = Database.open(database_url_param)
    _, records = _world(database)
    server = Central(database, database_url_param)
    server.start()
    try:
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "st_hooks",
            "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
            "AGENT_CONSOLE_FUZZ_WORLD": json.dumps(records),
            "NO_COLOR": "1",
        }
        command = [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{server.url}/openapi.json",
            *("--header", f"Authorization: Bearer {support.TOKENS['agent']}"),
            *("--checks", "all"),
            *("--seed", str(SEED)),
            *("--max-examples", str(EXAMPLES)),
            *("--phases", PHASES),
            *("--workers", "1"),
            *("--report", "junit", "--report-dir", str(tmp_path)),
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=TIMEOUT_SECONDS, cwd=tmp_path
        )
    finally:
        server.stop()
        database.dispose()
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis.txt").write_text(output)
    assert result.returncode == 0, output[-20000:]
    assert "generated" in output and "passed" in output, output[-5000:]
