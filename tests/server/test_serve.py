"""``agent-console serve`` as it runs for a call centre (issue 13, items 9, 11 and 15): several
workers start on an empty PostgreSQL database and it is migrated once; a revoked token stops
working on every worker within the documented second; a database that could lose committed
bookings is warned about at start."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from serve_process import Serve, cli, empty_postgres_database
from sqlalchemy import text

from console.server.db import Database
from console.server.deps import TOKEN_CACHE_SECONDS
from console.server.migrate import head_revision


@pytest.mark.postgres
@pytest.mark.slow
def test_9_11_15_four_workers_on_an_empty_postgres_database(
    postgres_server: str, tmp_path: Path
) -> None:
    with empty_postgres_database(postgres_server) as url:
        serve = Serve(url, tmp_path / "serve.log", workers=4)
        serve.start(timeout=120)
        try:
            # 9: migrated once, every worker up, none crashed on a table another had created.
            log = serve.wait_for_workers()
            assert log.count("Application startup complete") == 4, log
            assert len(set(re.findall(r"Started server process \[(\d+)\]", log))) == 4, log
            for trouble in ("Traceback", "DuplicateTable", "DuplicateObject", "already exists"):
                assert trouble not in log, log
            database = Database.open(url)
            with database.read() as connection:
                versions = connection.execute(text("SELECT version_num FROM alembic_version"))
                assert [row[0] for row in versions] == [head_revision()]
                fsync = connection.exec_driver_sql("SHOW fsync").scalar()
                synchronous = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
            database.dispose()

            # 15: the test server runs without fsync: serve says so, once, at start.
            assert (log.count("WARNING: PostgreSQL runs with fsync=off") == 1) == (fsync == "off")
            assert (log.count("synchronous_commit=off") == 1) == (synchronous == "off")

            # 11: a token works on every worker until it is revoked, then on none.
            created = cli("token", "create", "--role", "agent", "--name", "Line 7", "--db", url)
            assert created.returncode == 0, created.stderr
            token = created.stdout.strip().splitlines()[-1]
            agent_id = int(re.search(r"\(id (\d+)\)", created.stdout).group(1))  # type: ignore[union-attr]
            headers = {"Authorization": f"Bearer {token}"}

            def fresh_connections(count: int) -> list[int]:  # each a new TCP connection
                return [
                    httpx.get(f"{serve.url}/v1/me", headers=headers, timeout=10).status_code
                    for _ in range(count)
                ]

            assert fresh_connections(24) == [200] * 24  # every worker has it cached now
            listed = cli("token", "list", "--db", url)
            assert re.search(rf"\b{agent_id}\s+agent\s+active\b.*Line 7", listed.stdout)
            revoked = cli("token", "revoke", str(agent_id), "--db", url)
            assert revoked.returncode == 0, revoked.stderr
            assert f"within {TOKEN_CACHE_SECONDS:g} s" in revoked.stdout
            time.sleep(TOKEN_CACHE_SECONDS + 0.5)
            assert fresh_connections(24) == [401] * 24
            listed = cli("token", "list", "--db", url)
            assert re.search(rf"\b{agent_id}\s+agent\s+revoked\b", listed.stdout)
            unknown = cli("token", "revoke", "999999", "--db", url)
            assert unknown.returncode == 1 and "no agent 999999" in unknown.stderr
        finally:
            serve.stop()


def test_15_serve_on_sqlite_warns_about_nothing(tmp_path: Path) -> None:
    serve = Serve(str(tmp_path / "central.db"), tmp_path / "serve.log")
    serve.start()
    serve.stop()
    log = serve.log.read_text()
    assert "Application startup complete" in log
    assert "WARNING" not in log
