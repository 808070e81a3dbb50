"""The central service under uvicorn on a loopback port, in a thread of the test process.

Stopping and starting it again takes a tenth of a second; stopped, its port refuses
connections, as a dead server's does. ``ServedProcess`` runs the real ``agent-console serve``
in a process of its own, which a test can SIGKILL. Importable from any test as ``from served
import Central, ServedProcess``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from console.server.app import create_app
from console.server.db import Database
from console.server.settings import ServerSettings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Central:
    """``start()`` opens the port and serves ``database``; ``stop()`` closes it."""

    def __init__(
        self,
        database: Database,
        url: str,
        settings: ServerSettings | None = None,
        *,
        certificate: Path | None = None,
    ) -> None:
        """``certificate``: a PEM file with the private key and the certificate chain: the
        service answers over HTTPS (its certificate must name 127.0.0.1)."""
        settings = settings or ServerSettings(database=url)
        self.app = create_app(settings, database, migrate=False)
        self.port = free_port()
        self.certificate = certificate
        self.url = f"{'https' if certificate else 'http'}://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        tls = self.certificate
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            ssl_certfile=str(tls) if tls else None,
            ssl_keyfile=str(tls) if tls else None,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving: the listening socket closes, new connections are refused."""
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
            self.server = self.thread = None


class ServedProcess:
    """``agent-console serve`` in its own process on a loopback port: the real command, as a
    call centre runs it (``workers`` uvicorn processes). ``kill()`` is SIGKILL."""

    def __init__(self, database: str, log: Path, *, workers: int = 1) -> None:
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.workers = workers
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        command = [
            *(sys.executable, "-m", "console.cli", "serve", "--db", self.database),
            *("--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)),
            *("--log-level", "warning"),
        ]
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
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
                raise RuntimeError(self.log.read_text())
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the service and its worker processes."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None
