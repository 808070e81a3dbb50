"""The console in a real pseudo-terminal: the test writes the bytes a terminal sends.

Pilot hands the app key names; a terminal hands it bytes that Textual's parser must read
(``ESC 1`` for alt+1 in tmux and xterm). :class:`Terminal` runs :mod:`pty_console` in a
pseudo-terminal of a given size and reads back what it reports (the screen, the focus, the
inputs' values).
"""

from __future__ import annotations

import fcntl
import json
import os
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


class Terminal:
    def __init__(self, master: int, process: subprocess.Popen, report: Path) -> None:
        self.master = master
        self.process = process
        self.report = report
        self.output = bytearray()  # what the console wrote to the terminal, its last 64 KiB

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def state(self) -> dict:
        try:
            return json.loads(self.report.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def wait(self, predicate: Callable[[dict], bool], timeout: float = 60.0) -> dict:
        """Wait until what the console reports satisfies ``predicate``; fails after
        ``timeout`` seconds, saying what it reported instead."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if state and predicate(state):
                return state
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the console ended ({self.process.returncode}): {state}; it wrote "
                    f"{bytes(self.output[-2000:])!r}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; the console reports {state}")
            time.sleep(0.05)

    def wait_screen(self, name: str, timeout: float = 60.0) -> dict:
        return self.wait(lambda state: state.get("screen") == name, timeout)


@contextmanager
def console_in_terminal(
    data_dir: Path,
    tmp_path: Path,
    today: date,
    *,
    size: tuple[int, int] = (120, 36),
    language: str = "sl",
    role: str = "agent",
    slow_ms: int = 0,
) -> Iterator[Terminal]:
    """The console in a pseudo-terminal of ``size`` (columns, rows), TERM=xterm-256color;
    ``slow_ms``: every key costs the console that much CPU (see :mod:`pty_console`)."""
    settings = tmp_path / "pty-settings.json"
    settings.write_text(
        json.dumps(
            {
                "data_dir": str(data_dir),
                "today": today.isoformat(),
                "language": language,
                "role": role,
                "slow_ms": slow_ms,
            }
        ),
        encoding="utf-8",
    )
    report = tmp_path / "pty-report.json"
    master, slave = os.openpty()
    columns, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": str(columns),
        "LINES": str(rows),
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)]),
        "USER": "mojca",
    }
    env.pop("TEXTUAL", None)
    process = subprocess.Popen(
        [sys.executable, str(HERE / "pty_console.py"), str(settings), str(report)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    os.close(slave)
    stop = threading.Event()

    terminal = Terminal(master, process, report)

    def drain() -> None:  # read what the app draws, or it blocks on a full terminal
        while not stop.is_set():
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            terminal.output += data
            del terminal.output[:-65536]

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield terminal
    finally:
        stop.set()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        os.close(master)
        reader.join(timeout=5)
