"""``agent-console serve`` as a real process group (the server and its uvicorn workers), for the
tests that start it, kill it with SIGKILL and start it again. Importable from any test as
``from serve_process import Serve``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from console.server.db import database_url

COMMAND = [sys.executable, "-m", "console.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=timeout, env=dict(os.environ)
    )


class Serve:
    """``serve --db DB --workers N`` on a port of its own; ``kill()`` is SIGKILL to the server
    and every worker at once (its process group), as a machine's crash would be."""

    def __init__(self, database: str, log: Path, workers: int = 1) -> None:
        self.database = database
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [
                    *COMMAND,
                    *("serve", "--db", self.database, "--port", str(self.port)),
                    *("--workers", str(self.workers)),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the workers die with it
                env=dict(os.environ),
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"serve did not start:\n{self.log.read_text()}")
            time.sleep(0.1)

    def wait_for_workers(self, timeout: float = 120) -> str:
        """The log once every worker has said its application started."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log.read_text()
            if log.count("Application startup complete") >= self.workers:
                return log
            if time.monotonic() > deadline:
                raise RuntimeError(f"not every worker started:\n{log}")
            time.sleep(0.2)

    def kill(self) -> None:
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()
        self.process = None


@contextmanager
def empty_postgres_database(server: str) -> Iterator[str]:
    """A new, empty database (no tables at all) on the test server; dropped afterwards."""
    name = f"ac_empty_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(database_url(server)).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
