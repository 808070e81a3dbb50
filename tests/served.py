"""The central service under uvicorn on a loopback port, in a thread of the test process.

Stopping and starting it again takes a tenth of a second; stopped, its port refuses
connections, as a dead server's does (``tests/client/test_kill.py`` kills a uvicorn process
with SIGKILL instead). Importable from any test as ``from served import Central``.
"""

from __future__ import annotations

import socket
import threading
import time

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
        self, database: Database, url: str, settings: ServerSettings | None = None
    ) -> None:
        settings = settings or ServerSettings(database=url)
        self.app = create_app(settings, database, migrate=False)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
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
