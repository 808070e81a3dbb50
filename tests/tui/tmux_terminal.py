"""The real ``agent-console`` command in a real pseudo-terminal (tmux), for the tests that check
it from outside: keys typed one at a time at a person's pace, the screen read back as text, and
the system clock faked under it with libfaketime (the ``libfaketime`` package vendors the
library), as an operator would check a running console across midnight.

Each :class:`Terminal` has a tmux server of its own (a socket in the test's directory), so
tests running in parallel never see each other's sessions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

COMMAND = Path(sys.executable).with_name("agent-console")


def tmux_or_skip() -> str:
    found = shutil.which("tmux")
    if found is None:
        pytest.skip("these tests run the console in tmux (apt-get install tmux)")
    return found


def faketime_env(start: str) -> dict[str, str]:
    """The environment that fakes the wall clock from ``start`` (``2030-03-04 23:59:20``,
    Ljubljana time) on, running at its usual pace; the monotonic clock (Textual's timers) is
    left alone."""
    libfaketime = pytest.importorskip("libfaketime")
    _needs_reload, env = libfaketime.get_reload_information()
    return {
        "LD_LIBRARY_PATH": env["LD_LIBRARY_PATH"],
        "LD_PRELOAD": env["LD_PRELOAD"],
        "FAKETIME": f"@{start}",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "FAKETIME_NO_CACHE": "1",
        "TZ": "Europe/Ljubljana",  # how libfaketime reads ``start`` (the console needs no TZ)
    }


class Terminal:
    """``agent-console`` running in a detached tmux session of ``size`` columns and rows."""

    def __init__(self, folder: Path, size: tuple[int, int] = (120, 36)) -> None:
        self.tmux = tmux_or_skip()
        self.socket = folder / "tmux.sock"
        self.size = size
        self.session = "console"
        # The server's own settings, not the user's ~/.tmux.conf: every window is born at
        # ``size`` (a detached session may otherwise be sized by the server's default-size,
        # 80x24, and resized only after the console drew).
        columns, rows = size
        self.config = folder / "tmux.conf"
        self.config.write_text(f"set-option -g default-size {columns}x{rows}\n")

    def _tmux(self, *arguments: str) -> str:
        done = subprocess.run(
            [self.tmux, "-f", str(self.config), "-S", str(self.socket), *arguments],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return done.stdout

    def start(self, arguments: list[str], env: dict[str, str]) -> None:
        """Run ``agent-console ARGUMENTS`` with ``env`` added to a clean environment."""
        # COLUMNS and LINES are left out: set (a CI runner may export them, e.g. 80 and 24),
        # they override the terminal's own size, and the console would draw 80 columns in a
        # wider window and never follow a resize.
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AGENT_CONSOLE_", "FAKE")) and k not in ("COLUMNS", "LINES")
        }
        environment = {**base, "TERM": "xterm-256color", **env}
        settings = " ".join(f"{key}={_quoted(value)}" for key, value in environment.items())
        command = " ".join(_quoted(part) for part in [str(COMMAND), *arguments])
        columns, rows = self.size
        self._tmux(
            "new-session",
            "-d",
            "-s",
            self.session,
            "-x",
            str(columns),
            "-y",
            str(rows),
            f"env -i {settings} {command}",
        )
        # No client is attached: keep the window at this size whatever happens later.
        self._tmux("set-option", "-t", self.session, "window-size", "manual")
        shown = self.window_size()
        if shown != self.size:
            raise AssertionError(f"tmux made the window {shown}, not {self.size}")

    def window_size(self) -> tuple[int, int]:
        """The window's columns and rows, as tmux has them."""
        width, height = self._tmux(
            "display-message", "-p", "-t", self.session, "#{window_width} #{window_height}"
        ).split()
        return int(width), int(height)

    def screen(self) -> str:
        """What the terminal shows now, as text."""
        return self._tmux("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        """Press tmux keys (``M-2``, ``Enter``, ``Tab``)."""
        self._tmux("send-keys", "-t", self.session, *keys)

    def type(self, text: str, pause: float) -> None:
        """Type ``text`` one character at a time, ``pause`` seconds apart (a person's pace)."""
        for character in text:
            self._tmux("send-keys", "-t", self.session, "-l", character)
            time.sleep(pause)

    def wait_for(
        self, ready: Callable[[str], bool], what: str, timeout: float = 60.0, every: float = 0.2
    ) -> str:
        """Until the screen satisfies ``ready``; the screen then."""
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = self.screen()
            if ready(shown):
                return shown
            time.sleep(every)
        raise AssertionError(f"the terminal never showed {what}; it shows:\n{shown}")

    def close(self) -> None:
        subprocess.run(
            [self.tmux, "-S", str(self.socket), "kill-server"], capture_output=True, check=False
        )


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"
