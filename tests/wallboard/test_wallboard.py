"""The wallboard in a real browser: ``agent-console wallboard`` started as a process against a
real central service (uvicorn on a loopback port), Debian's headless Chromium driven by
Playwright loads its page, and the agents' table of the floor arrives on the page's terminal.

textual-serve draws the terminal with xterm.js on a canvas, so the page's DOM holds no text:
the screen's text is read from the websocket frames the page receives. Under CI the browser
must be there (``.ci/setup`` installs Debian's ``chromium``): the test fails, never skips.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import support
from harness import served_world
from served import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _browser() -> str:
    if CHROMIUM is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the wallboard exited: {process.communicate()[0]!r}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("the wallboard never listened")


@pytest.mark.slow
def test_the_wallboard_shows_the_floor_in_headless_chromium(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    from playwright.sync_api import sync_playwright

    browser_path = _browser()
    with served_world(_sqlite_template, tmp_path) as (central, _database, _world):
        port = free_port()
        env = {
            key: value for key, value in os.environ.items() if not key.startswith("AGENT_CONSOLE_")
        }
        env["HOME"] = str(tmp_path)  # no user config, a data folder of its own
        wall = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "console.cli",
                "wallboard",
                "--server",
                central.url,
                "--token",
                support.TOKENS["supervisor"],
                "--language",
                "en",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(port, wall)
            received: list[str] = []

            def frame(payload: object) -> None:
                if isinstance(payload, bytes):
                    payload = payload.decode("utf-8", "replace")
                received.append(str(payload))

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=browser_path,
                    args=[
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                    ],
                )
                try:
                    page = browser.new_page(viewport={"width": 1600, "height": 900})
                    page.on("websocket", lambda ws: ws.on("framereceived", frame))
                    page.goto(f"http://127.0.0.1:{port}/")
                    deadline = time.monotonic() + 60
                    names = ("Test agent", "Test agent2")
                    while time.monotonic() < deadline:
                        screen = "".join(received)
                        if (
                            "Avg handle" in screen
                            and "Floor" in screen
                            and any(name in screen for name in names)
                        ):
                            break
                        page.wait_for_timeout(250)
                    screen = "".join(received)
                    assert "Avg handle" in screen, "the agents' table never arrived"
                    assert "READ-ONLY" in screen
                    assert any(name in screen for name in names)
                finally:
                    browser.close()
        finally:
            wall.terminate()
            try:
                wall.wait(timeout=10)
            except subprocess.TimeoutExpired:
                wall.kill()
