"""The embedded service's sender in the console's process (``console.client.embedded``): it
waits, messages left queued and their tries unspent, while its mail server does not answer,
and sends once it does — what a demo with ``agent-console mail-sink`` started late needs."""

from __future__ import annotations

import smtplib
import stat
import time
from collections.abc import Callable
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller
from message_rig import SmtpRecorder, free_port
from sqlalchemy import select

from console.client.embedded import (
    DemoMailbox,
    LocalSender,
    answers,
    demo_mailbox,
    start_local_sender,
)
from console.config import Config, DemoSection, MessagesSection
from console.desk_views import MESSAGES_OFF, NO_SENDER, SENDING, WAITING
from console.server.messages.settings import MessageSettings
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


# -- the demo's own mail sink ([demo] mailbox) -------------------------------------------------


def quiet_ports(settings: MessageSettings) -> MessageSettings:
    """The settings with the e-mails and SMS sent to loopback ports where nothing listens."""
    sms = replace(settings.sms, url=f"http://127.0.0.1:{free_port()}/sms")
    return replace(settings, smtp=replace(settings.smtp, port=free_port()), sms=sms)


def test_the_demo_mailbox_takes_what_the_console_sends(
    rig, database_url_param: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings = quiet_ports(rig.settings)
    config = Config(data_dir=str(tmp_path))
    mailbox = demo_mailbox(config, settings)
    assert mailbox is not None and mailbox.folder == tmp_path / "mailbox"
    sender = LocalSender(database_url_param, settings, probe_seconds=0.1, mailbox=mailbox)
    sender.start()
    try:
        # Both of the demo's servers answer at once: nothing waits for a mail-sink.
        delivery = sender.delivery()
        assert (delivery.state, delivery.mailbox) == (SENDING, str(tmp_path / "mailbox"))
        assert answers("127.0.0.1", settings.smtp.port)
        assert answers("127.0.0.1", urlsplit(settings.sms.url).port or 0)

        rig.consent("janez")
        booking = rig.book()
        wait_for(lambda: len(mailbox.files()) == 1)
        text = mailbox.files()[0].read_text(encoding="utf-8")
        assert "To:         janez@example.org" in text
        assert booking["reference_display"] in text  # the plain text, as read aloud
        assert "METHOD:REQUEST" in text and "UID:booking-" in text  # the calendar file
        assert stat.S_IMODE(mailbox.folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(mailbox.files()[0].stat().st_mode) == 0o600

        def status() -> str:
            with rig.database.read() as connection:
                return connection.execute(
                    select(messages.c.status).where(
                        messages.c.booking_id == booking["id"], messages.c.kind == "booked"
                    )
                ).scalar_one()

        wait_for(lambda: status() == "sent")  # marked once the sink has answered
    finally:
        sender.stop()
    assert not answers("127.0.0.1", settings.smtp.port), "stopped with the console"


def test_no_demo_mailbox_where_a_server_answers_or_when_off(rig, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # rig.settings point at the test's own SMTP server, which answers: it gets the messages.
    assert demo_mailbox(Config(data_dir=str(tmp_path)), rig.settings) is None
    off = Config(data_dir=str(tmp_path), demo=DemoSection(mailbox=False))
    assert demo_mailbox(off, quiet_ports(rig.settings)) is None
    # A mail server elsewhere than this machine is never stood in for.
    remote = replace(rig.settings, smtp=replace(rig.settings.smtp, host="mail.example.org"))
    assert demo_mailbox(Config(data_dir=str(tmp_path)), remote) is None


def test_the_demo_mailbox_keeps_only_the_newest(tmp_path: Path) -> None:
    mailbox = DemoMailbox(tmp_path / "mailbox", "127.0.0.1", free_port(), 0, keep=3)
    mailbox.start()
    try:
        for number in range(5):
            note = EmailMessage()
            note["From"], note["To"] = "centre@example.org", "ana@example.org"
            note["Subject"] = f"message {number}"
            note.set_content(f"body {number}")
            with smtplib.SMTP("127.0.0.1", mailbox.smtp_port, timeout=10) as client:
                client.send_message(note)
        kept = [path.read_text(encoding="utf-8") for path in mailbox.files()]
        assert [text.split("Subject:    ")[1].split("\n")[0] for text in kept] == [
            "message 2",
            "message 3",
            "message 4",
        ]
    finally:
        mailbox.stop()
