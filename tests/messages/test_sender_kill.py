"""Exactly once across a kill -9: ``agent-console send-messages`` in a real subprocess is killed
while a real SMTP server (aiosmtpd) holds its answer to the third message. The server has the
message, the database says "sending". The next sender sends it again with the SAME Message-ID,
and every other message exactly once: nothing lost, nothing twice under a new Message-ID."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from message_rig import Rig, free_port
from sqlalchemy import select

from console.server.schema import messages

REPO = Path(__file__).resolve().parents[2]
BOOKINGS = 6
HELD = 3  # the server holds its answer to this message while the sender is killed


class HoldingServer:
    """Accepts every message and records its Message-ID; the HELD-th waits for ``release``."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        header = next(
            line
            for line in envelope.content.decode().splitlines()
            if line.lower().startswith("message-id:")
        )
        self.ids.append(header.split(":", 1)[1].strip())
        if len(self.ids) == HELD and not self.holding.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        return "250 OK"


def _sender(database: str, config: Path, log: Path, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_CONSOLE_")}
    env["AGENT_CONSOLE_CONFIG"] = str(config)
    env["AGENT_CONSOLE_DATA_DIR"] = str(config.parent / "data")
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "console.cli", "send-messages", "--db", database, *extra],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _rows(rig: Rig) -> list:
    with rig.database.read() as connection:
        return connection.execute(
            select(messages).where(messages.c.kind == "booked").order_by(messages.c.id)
        ).all()


@pytest.mark.slow
def test_a_sender_killed_mid_send_loses_nothing_and_resends_under_the_same_id(
    rig: Rig, database_url_param: str, tmp_path: Path
) -> None:
    server = HoldingServer()
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    config = tmp_path / "sender.toml"
    config.write_text(
        "[messages]\n"
        'from_address = "Klicni center <narocanje@ue.example>"\n'
        "delay_seconds = 0\npoll_seconds = 0.1\nbatch = 2\nlease_seconds = 3\n"
        f'[messages.smtp]\nhost = "127.0.0.1"\nport = {port}\ntimeout_seconds = 30\n'
    )
    log = tmp_path / "sender.log"
    try:
        rig.consent("janez")
        for index in range(BOOKINGS):
            rig.book(slot=rig.slot(day=1, index=index))
        queued = [row.message_id for row in _rows(rig)]
        assert len(queued) == BOOKINGS

        first = _sender(database_url_param, config, log)
        try:
            assert server.holding.wait(60), log.read_text()
            os.kill(first.pid, signal.SIGKILL)
            assert first.wait(30) == -signal.SIGKILL
        finally:
            if first.poll() is None:
                first.kill()
        server.release.set()

        rows = _rows(rig)
        by_id = {row.message_id: row for row in rows}
        held = by_id[server.ids[HELD - 1]]
        assert held.status == "sending" and held.claimed_by  # the server has it; we never knew
        in_flight = {row.message_id for row in rows if row.status == "sending"}
        sent = {row.message_id for row in rows if row.status == "sent"}
        assert len(sent) >= HELD - 1
        assert sent <= set(server.ids) <= set(queued)

        # The next sender: on PostgreSQL at once (the dead session's lock is gone), on SQLite
        # once the dead sender's lease has lapsed (--once says so with exit status 1).
        deadline = time.monotonic() + 60
        while True:
            again = _sender(database_url_param, config, log, "--once")
            code = again.wait(60)
            if code == 0:
                break
            assert code == 1, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)

        rows = _rows(rig)
        assert {row.status for row in rows} == {"sent"}, log.read_text()
        received = Counter(server.ids)
        assert set(received) == set(queued)  # none lost, none under a new Message-ID
        assert received[held.message_id] == 2  # the one in flight, again under its own ID
        twice = {ident for ident, times in received.items() if times > 1}
        assert twice <= in_flight  # only a message on its way at the kill can come twice
        assert max(received.values()) == 2
        assert [row.message_id for row in rows] == queued
    finally:
        server.release.set()
        controller.stop()
