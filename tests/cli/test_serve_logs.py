"""``agent-console serve`` as an operator runs it: its log file while 40 desks poll, rotation by
size with several worker processes writing, and ``/healthz`` without a token."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import support

from console.server.db import Database
from console.server.migrate import upgrade

COMMAND = [sys.executable, "-m", "console.cli"]
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR) \S+ \[\d+\] ")
DESKS = 40


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def central(tmp_path: Path) -> tuple[Path, support.World]:
    path = tmp_path / "central.db"
    database = Database.open(path)
    upgrade(database.engine)
    world = support.build_world(database, days=3, slots_per_day=6)
    database.dispose()
    return path, world


def serve(db: Path, config: Path, *args: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen(
        [*COMMAND, "--config", str(config), "serve", "--db", str(db), "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "AGENT_CONSOLE_CONFIG": str(config)},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server, url
        except httpx.TransportError:
            time.sleep(0.1)
        if server.poll() is not None:
            break
    server.kill()
    pytest.fail(f"serve did not answer: {server.communicate()[0]}")


def stop(server: subprocess.Popen) -> str:
    server.send_signal(signal.SIGINT)
    output, _ = server.communicate(timeout=30)
    return output


def desks_poll(url: str, world: support.World, polls: int) -> None:
    def desk(_number: int) -> None:
        with httpx.Client(base_url=url, headers=world.headers(), timeout=10) as client:
            for _ in range(polls):
                assert client.get("/v1/changes", params={"since": 0}).status_code == 200
            assert client.get("/healthz").status_code == 200

    with ThreadPoolExecutor(max_workers=DESKS) as pool:
        list(pool.map(desk, range(DESKS)))


def test_40_desks_polling_do_not_fill_the_log_file(central, tmp_path: Path) -> None:
    db, world = central
    config = tmp_path / "config.toml"
    config.write_text("[retention]\ndaily = false\n")
    log = tmp_path / "logs" / "service.log"
    server, url = serve(db, config, "--log-file", str(log))
    try:
        desks_poll(url, world, polls=5)
        slot = world.slots[0]
        with httpx.Client(base_url=url, headers=world.headers()) as client:
            booked = client.post(
                "/v1/bookings", json={"caller_id": world.callers["janez"], "slot_id": slot}
            )
            assert booked.status_code == 201, booked.text
            taken = client.post(
                "/v1/bookings", json={"caller_id": world.callers["spela"], "slot_id": slot}
            )
            assert taken.status_code == 409
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}  # no token needed
    finally:
        output = stop(server)
    assert f"Log: {log}" in output
    lines = log.read_text().splitlines()
    assert all(LINE.match(line) for line in lines), lines
    requests = [line for line in lines if " console.server.requests " in line]
    assert len(requests) == 2, requests  # 240 reads: no line each; the two writes: one each
    assert "POST /v1/bookings 201" in requests[0] and "POST /v1/bookings 409" in requests[1]
    assert len(lines) < 30, lines  # uvicorn's start and stop, the two writes


def test_several_workers_share_one_rotating_log_file(central, tmp_path: Path) -> None:
    db, world = central
    config = tmp_path / "config.toml"
    config.write_text(
        '[service]\nlog_level = "debug"\nlog_rotate_mb = 0.004\nlog_backups = 3\n'
        "[retention]\ndaily = false\n"
    )
    log = tmp_path / "service.log"
    server, url = serve(db, config, "--workers", "2", "--log-file", str(log))
    try:
        desks_poll(url, world, polls=3)  # at debug, a line per request: ~160 lines, ~20 KB
    finally:
        stop(server)
    files = sorted(tmp_path.glob("service.log*"))
    assert [f.name for f in files] == ["service.log", *(f"service.log.{n}" for n in (1, 2, 3))]
    lines = [line for f in files for line in f.read_text().splitlines()]
    assert all(LINE.match(line) for line in lines), [x for x in lines if not LINE.match(x)][:3]
    for path in files[1:]:
        assert path.stat().st_size <= 4200  # rotated by one writer, never past its size
    workers = {re.search(r"\[(\d+)\]", line).group(1) for line in lines if "Shutting down" in line}
    assert len(workers) == 2  # both workers' lines, in the same files as the parent's
    assert any("Stopping parent process" in line for line in lines)


def worker_pids(server: subprocess.Popen) -> list[int]:
    """The uvicorn workers of ``serve`` (its children, but for multiprocessing's tracker)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [
        int(pid)
        for pid in children
        if "resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_text()
    ]


def test_a_worker_killed_while_logging_stops_nobody_elses_lines_nor_serve(
    central, tmp_path: Path
) -> None:
    db, world = central
    config = tmp_path / "config.toml"
    config.write_text('[service]\nlog_level = "debug"\n[retention]\ndaily = false\n')
    log = tmp_path / "service.log"
    server, url = serve(db, config, "--workers", "2", "--log-file", str(log))
    try:
        # A burst of logged requests, and a worker killed (kill -9) in the middle of it.
        with ThreadPoolExecutor(max_workers=8) as pool:
            burst = [pool.submit(desks_poll_quietly, url, world, 40) for _ in range(8)]
            time.sleep(0.3)
            os.kill(worker_pids(server)[0], signal.SIGKILL)
            for future in burst:
                future.result()
        # Lines of requests made after the kill reach the file (the other worker's, and the
        # worker uvicorn starts in the killed one's place).
        marker = "/v1/changes"
        before = log.read_text().count(marker)
        desks_poll_quietly(url, world, 20)
        deadline = time.monotonic() + 30
        while log.read_text().count(marker) < before + 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert log.read_text().count(marker) >= before + 20
    finally:
        output = stop(server)  # never hangs on a line the killed worker was writing
    assert server.returncode is not None
    assert any("Stopping parent process" in line for line in log.read_text().splitlines()), output


def desks_poll_quietly(url: str, world: support.World, polls: int) -> None:
    """A desk polling the feed ``polls`` times; a request cut by a killed worker is made again
    (as a desk does), on a fresh connection."""
    done = 0
    while done < polls:
        try:
            with httpx.Client(base_url=url, headers=world.headers(), timeout=10) as client:
                while done < polls:
                    assert client.get("/v1/changes", params={"since": 0}).status_code == 200
                    done += 1
        except httpx.TransportError:
            continue
