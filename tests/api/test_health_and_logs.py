"""``/healthz`` for systemd, containers and load balancers, and a request log an operator can
live with: writes and errors a line each, reads (40 desks polling the feed) only summed up."""

from __future__ import annotations

import logging
import shutil
import socket
from pathlib import Path

import pytest
import support
from fastapi.testclient import TestClient

from console.server import app as app_module
from console.server.app import create_app
from console.server.db import Database
from console.server.logs import REQUESTS_LOGGER, LogSettings, OneLineFormatter, RequestLog
from console.server.settings import ServerSettings

DESKS = 40
POLLS = 10


def test_healthz_answers_without_a_token_and_is_described(api) -> None:
    answer = api.client.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
    schema = api.client.get("/openapi.json").json()
    health = schema["paths"]["/healthz"]["get"]
    assert {"200", "503"} <= set(health["responses"])
    assert "security" not in health
    feed = schema["paths"]["/v1/changes"]["get"]["responses"]
    assert "410" in feed and "resync" in feed["410"]["description"]
    assert "/v1/retention" in schema["paths"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_is_503_when_the_sqlite_file_is_not_a_database(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    path = tmp_path / "central.db"
    shutil.copyfile(_sqlite_template, path)
    database = Database.open(path)
    app = create_app(ServerSettings(database=str(path)), database, migrate=False)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        database.engine.dispose()
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        path.write_bytes(b"this is not a database " * 500)
        down = client.get("/healthz")
        assert down.status_code == 503
        assert down.json()["error"] == "unavailable"
        assert "did not answer" in down.json()["message"]
    database.dispose()


def test_healthz_is_503_when_postgresql_does_not_answer(_postgres_template) -> None:
    url = f"postgresql://nobody@127.0.0.1:{_closed_port()}/agent_console"
    database = Database.open(url)
    app = create_app(ServerSettings(database=url), database, migrate=False)
    with TestClient(app) as client:
        down = client.get("/healthz")
        assert down.status_code == 503 and down.json()["error"] == "unavailable"
        assert client.get("/health").status_code == 503  # what the desks probe
    database.dispose()


def test_healthz_gives_up_on_a_database_that_hangs(
    tmp_path: Path, _sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    monkeypatch.setattr(app_module, "HEALTH_TIMEOUT_SECONDS", 0.3)
    path = tmp_path / "central.db"
    shutil.copyfile(_sqlite_template, path)
    database = Database.open(path)
    app = create_app(ServerSettings(database=str(path)), database, migrate=False)
    other = sqlite3.connect(path, isolation_level=None)
    with TestClient(app) as client:
        database.engine.dispose()
        other.execute("PRAGMA locking_mode=EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")  # another process keeps everyone out
        try:
            hung = client.get("/healthz")
            assert hung.status_code == 503
            assert "did not answer within 0.3 s" in hung.json()["message"]
        finally:
            other.execute("ROLLBACK")
            other.close()
    database.dispose()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def logged(database_url_param: str):  # type: ignore[no-untyped-def]
    """The app as `serve` runs it, behind a RequestLog on a clock the test moves."""
    database = Database.open(database_url_param)
    world = support.build_world(database)
    inner = create_app(ServerSettings(database=database_url_param), database, migrate=False)
    fake = FakeClock()
    with TestClient(RequestLog(inner, clock=fake)) as client:
        yield client, world, fake
    database.dispose()


def requests_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == REQUESTS_LOGGER]


def poll_like_40_desks(client: TestClient, world: support.World) -> None:
    headers = world.headers()
    for _desk in range(DESKS):
        for _poll in range(POLLS):
            assert client.get("/v1/changes", params={"since": 0}, headers=headers).is_success
        assert client.get("/healthz").status_code == 200


def test_40_desks_polling_do_not_fill_the_log(logged, caplog) -> None:
    client, world, fake = logged
    caplog.set_level(logging.INFO, logger=REQUESTS_LOGGER)
    poll_like_40_desks(client, world)
    assert requests_lines(caplog) == []  # 440 reads in the same minute: not a line yet

    headers = world.headers()
    booked = client.post(
        "/v1/bookings",
        json={"caller_id": world.callers["janez"], "slot_id": world.slots[0]},
        headers=headers,
    )
    assert booked.status_code == 201
    missing = client.get("/v1/bookings/KKKKKKK", headers=headers)
    assert missing.status_code in (404, 422)
    lines = requests_lines(caplog)
    assert len(lines) == 2
    assert lines[0].startswith("POST /v1/bookings 201 ")
    assert lines[1].startswith(f"GET /v1/bookings/KKKKKKK {missing.status_code} ")

    fake.now += 61  # a minute later, the next request brings the minute's summary
    assert client.get("/healthz").status_code == 200
    summary = requests_lines(caplog)[2:]
    assert len(summary) == 1
    assert summary[0].startswith(f"{DESKS * POLLS + DESKS + 1} reads in 61 s")
    assert f"GET /v1/changes {DESKS * POLLS}" in summary[0]
    assert f"GET /healthz {DESKS + 1}" in summary[0]
    assert "since=" not in " ".join(requests_lines(caplog))  # query strings stay out


def test_every_read_is_a_line_at_debug(logged, caplog) -> None:
    client, world, _fake = logged
    caplog.set_level(logging.DEBUG, logger=REQUESTS_LOGGER)
    for _ in range(5):
        client.get("/v1/changes", params={"since": 0}, headers=world.headers())
    assert len([line for line in requests_lines(caplog) if "/v1/changes" in line]) == 5


def test_one_event_is_one_line() -> None:
    formatter = OneLineFormatter("%(levelname)s %(message)s")
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), None)
        import sys

        record.exc_info = sys.exc_info()
    text = formatter.format(record)
    assert "\n" not in text and "Traceback" in text and "bad\\nvalue" in text
    assert LogSettings().level_name == "INFO"


def test_40_desks_heartbeats_do_not_fill_the_log_and_a_change_of_state_is_a_line(
    logged, caplog
) -> None:
    """Every desk reports its state unchanged every 10 s (the heartbeat): a write that changes
    nothing is counted in the minute's summary; a real change is one line."""
    client, world, fake = logged
    caplog.set_level(logging.INFO, logger=REQUESTS_LOGGER)
    headers = world.headers()
    first = client.put("/v1/desk/state", json={"state": "ready"}, headers=headers)
    assert first.status_code == 200 and first.json()["changed"]
    assert [line.split(" ")[:3] for line in requests_lines(caplog)] == [
        ["PUT", "/v1/desk/state", "200"]
    ]
    for _beat in range(DESKS * 6):  # a minute of 40 desks' heartbeats
        beat = client.put("/v1/desk/state", json={"state": "ready"}, headers=headers)
        assert beat.status_code == 200 and not beat.json()["changed"]
    assert len(requests_lines(caplog)) == 1

    away = client.put("/v1/desk/state", json={"state": "away", "reason": "break"}, headers=headers)
    assert away.status_code == 200 and away.json()["changed"]
    assert len(requests_lines(caplog)) == 2

    fake.now += 61
    assert client.get("/healthz").status_code == 200
    summary = requests_lines(caplog)[2:]
    assert len(summary) == 1
    assert (
        f"{DESKS * 6} writes that changed nothing (PUT /v1/desk/state {DESKS * 6})" in (summary[0])
    )
