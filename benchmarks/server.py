"""The central service under uvicorn on loopback, in a subprocess, as ``agent-console serve``
would run it (``uvicorn --factory console.asgi:app_from_config``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from benchmarks.dataset import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen) -> None:
    """Stop a child process: SIGTERM, and SIGKILL if it is still there 15 s later."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class ApiServer:
    """``with ApiServer(url) as server: server.url``; ``stop()`` and ``start()`` again."""

    def __init__(self, database_url: str, *, workers: int = 1, config: str = "") -> None:
        self.database_url = database_url
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        config_text = config
        self._scratch = tempfile.TemporaryDirectory(prefix="bench-server-")
        self.log_path = Path(self._scratch.name) / "uvicorn.log"
        config = Path(self._scratch.name) / "config.toml"
        # Every default but what ``config`` sets, and no daily prune: it would run 30 s after
        # the start, in the middle of what is timed (the bytes-per-call figure prunes on its own
        # database).
        config.write_text(
            "# benchmarks: every default but these\n[retention]\ndaily = false\n" + config_text
        )
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AGENT_CONSOLE_")},
            "AGENT_CONSOLE_DATABASE": database_url,
            "AGENT_CONSOLE_CONFIG": str(config),
            "AGENT_CONSOLE_DATA_DIR": str(Path(self._scratch.name) / "data"),
        }

    def start(self, timeout: float = 60.0) -> None:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "console.asgi:app_from_config",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"uvicorn did not start:\n{self.log_tail()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        stop_process(self.process)
        self.process = None

    def ensure_running(self) -> None:
        """Start the server again if it is not running (e.g. a benchmark before crashed it)."""
        if self.process is None or self.process.poll() is not None:
            self.stop()
            self.start()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.is_file():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def last_error(self) -> str:
        """The last line of the last traceback in the server's log ('' if none)."""
        lines = self.log_tail(400).splitlines()
        starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
        if not starts:
            return ""
        block = [line for line in lines[starts[-1] :] if line and not line.startswith(" ")]
        return block[-1] if block else ""

    def __enter__(self) -> ApiServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
        self._scratch.cleanup()
