"""Issue 12, item 23: the console shows something at once. In a pseudo-terminal, its first
line is on the terminal before Textual, the app or the configuration are imported (Python's
-X importtime writes each import to the same terminal, in order)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path


def test_the_first_line_comes_before_the_heavy_imports(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[demo]\ncallers = 10\ndays = 1\ndirectory_data = ""\n')
    leader, follower = pty.openpty()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AGENT_CONSOLE_")},
        "AGENT_CONSOLE_CONFIG": str(config),
        "AGENT_CONSOLE_DATA_DIR": str(tmp_path / "data"),
        "TERM": "xterm-256color",
    }
    console = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "console.cli", "--language", "en"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    seen = ""
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "| textual" not in seen:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk.decode(errors="replace")
    finally:
        console.kill()
        console.wait()
        os.close(leader)
    first = seen.find("agent-console: starting…")
    assert first >= 0, seen[-2000:]
    for heavy in ("| textual", "| console.config", "| console.app", "| pydantic"):
        at = seen.find(heavy)
        assert at == -1 or first < at, (heavy, seen[: first + 200])
    assert "| textual" in seen  # it went on to start the console
