"""The embedded service's sender in the console's process (``console.client.embedded``): it
waits, messages left queued and their tries unspent, while its mail server does not answer,
and sends once it does — what a demo with ``agent-console mail-sink`` started late needs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from aiosmtpd.controller import Controller
from message_rig import SmtpRecorder, free_port
from sqlalchemy import select

from console.client.embedded import LocalSender, start_local_sender
from console.config import Config, MessagesSection
from console.desk_views import MESSAGES_OFF, NO_SENDER, SENDING, WAITING
from console.server.schema import messages


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, "timed out waiting"
        time.sleep(0.05)


def test_it_waits_for_its_mail_server_then_sends(rig, database_url_param: str) -> None:  # type: ignore[no-untyped-def]
    rig.consent("janez")
    booking = rig.book()
    port = free_port()  # nothing listens here yet
    settings = replace(rig.settings, smtp=replace(rig.settings.smtp, port=port))
    sender = LocalSender(database_url_param, settings, probe_seconds=0.1)
    sender.start()
    try:
        assert sender.delivery().state == WAITING
        assert sender.delivery().server == f"127.0.0.1:{port}"
        time.sleep(0.5)  # several looks at the server: nothing was tried meanwhile

        def rows() -> list:
            with rig.database.read() as connection:
                return connection.execute(
                    select(messages.c.kind, messages.c.status, messages.c.attempts).where(
                        messages.c.booking_id == booking["id"]
                    )
                ).all()

        assert {(row.status, row.attempts) for row in rows()} == {("queued", 0)}

        recorder = SmtpRecorder()
        controller = Controller(recorder, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            wait_for(lambda: sender.delivery().state == SENDING)
            wait_for(lambda: any(row.status == "sent" for row in rows()))
            confirmation = next(row for row in rows() if row.kind == "booked")
            assert confirmation.status == "sent" and confirmation.attempts == 1
            assert [r.recipients for r in recorder.received] == [["janez@example.org"]]
        finally:
            controller.stop()
        wait_for(lambda: sender.delivery().state == WAITING)  # the server went away
    finally:
        sender.stop()


def test_the_console_says_when_nothing_will_send(tmp_path) -> None:  # type: ignore[no-untyped-def]
    off = Config(data_dir=str(tmp_path), messages=MessagesSection(enabled=False))
    sender, delivery = start_local_sender(off)
    assert sender is None and delivery.state == MESSAGES_OFF
    none = Config(data_dir=str(tmp_path), messages=MessagesSection(sender=False))
    sender, delivery = start_local_sender(none)
    assert sender is None and delivery.state == NO_SENDER
