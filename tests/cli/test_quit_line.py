"""Quitting with writes queued, in a real terminal: the console runs in a pseudo-terminal as
an agent starts it (``agent-console --server URL --token T``) on a desk with a write queued
and the central service down. ctrl+q asks; ``q`` quits anyway; the line left on the terminal
says how many writes wait and the command that sends them; the exit status is 1."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import support
from served import Central

from console.client.api import CentralApi
from console.client.store import Store
from console.desk import Desk
from console.server.db import Database

ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def read_until(fd: int, wanted: str | None, timeout: float) -> str:
    """What the terminal showed (escape codes dropped) until ``wanted`` appears (None: until
    the program ends and closes the terminal)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if wanted is not None and wanted in ANSI.sub("", seen.decode(errors="replace")):
                break
    return ANSI.sub("", seen.decode(errors="replace"))


async def test_quitting_with_a_write_queued_prints_how_to_send_it(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    path = tmp_path / "central.db"
    shutil.copyfile(_sqlite_template, path)
    database = Database.open(path)
    world = support.build_world(database, days=2, slots_per_day=4)
    central = Central(database, str(path))
    central.start()
    token = support.TOKENS["agent"]
    data_path = Path(os.environ["AGENT_CONSOLE_DATA_DIR"])
    store = Store.open(CentralApi(central.url, token, timeout=5.0), data_path)
    try:  # a desk that was online once, then booked while the service was down
        assert await store.sync_once()
        desk = Desk(store)
        await desk.connect()
        await desk.open_caller(world.callers["janez"])
        slot = (await desk.find_slots(desk.services[0].id))[0]
        central.stop()
        await desk.hold_slot(slot.id)
        booking = await desk.confirm()
        assert store.outbox_size() >= 1
        queued = store.outbox_size()
    finally:
        await store.aclose()
        database.dispose()

    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "36"}
    console = subprocess.Popen(
        [
            *(sys.executable, "-m", "console.cli", "--language", "en"),
            *("--server", central.url, "--token", token),
        ],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        start_new_session=True,
    )
    os.close(follower)
    try:
        shown = read_until(leader, "earlier session", 60)
        assert "earlier session" in shown  # said at once: writes wait on this desk
        os.write(leader, b"\x11")  # ctrl+q
        shown = read_until(leader, "Quit anyway", 30)
        assert "not sent to the central system yet" in shown
        os.write(leader, b"q")
        # Everything until the console ends: a read may end inside the printed command.
        shown = read_until(leader, None, 30)
        assert console.wait(timeout=30) == 1
    finally:
        if console.poll() is None:
            console.kill()
        os.close(leader)
    flat = " ".join(shown.split())
    command = f"agent-console --server {central.url} --token TOKEN sync"
    assert f"{queued} write" in flat and "not sent to the central system" in flat
    assert ("Send them with" if queued > 1 else "Send it with") in flat
    assert command in flat, flat[-600:]
    assert booking.reference.startswith("P-")
