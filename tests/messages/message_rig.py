"""Messages to callers under test (helpers and fixtures; conftest.py offers the fixtures): the
real API over a real database (SQLite and PostgreSQL), a real SMTP server (aiosmtpd) and a real
HTTP server for the SMS gateway, both on loopback and started by the test, with answers the
test chooses (accept, refuse with 4xx or 5xx, hold)."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import support
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from icalendar import Calendar

from console.server.app import create_app
from console.server.db import Database
from console.server.messages.sender import Sender
from console.server.messages.settings import MessageSettings, SmsSettings, SmtpSettings
from console.server.settings import ServerSettings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        assert body is not None
        return body.get_content()

    @property
    def html(self) -> str:
        body = self.message.get_body(preferencelist=("html",))
        assert body is not None
        return body.get_content()

    @property
    def calendar(self) -> Calendar:
        """The .ics attachment, parsed back with icalendar."""
        files = [p for p in self.message.iter_attachments() if p.get_filename()]
        assert [p.get_filename()[-4:] for p in files] == [".ics"], files
        return Calendar.from_ical(files[0].get_content())


class SmtpRecorder:
    """An aiosmtpd handler: records every message it accepts; ``refuse`` lists replies for the
    next messages (e.g. ``"451 4.3.0 Try later"``), consumed one per message; ``refuse_to``
    the same for the messages to one address (the sender sends several at once)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: list[str] = []
        self.refuse_to: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            for recipient in envelope.rcpt_tos:
                if self.refuse_to.get(recipient):
                    return self.refuse_to[recipient].pop(0)
            if self.refuse:
                return self.refuse.pop(0)
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpRecorder, int]]:
    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, port
    controller.stop()


@dataclass
class SmsRecorder:
    posts: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    answers: list[tuple[int, str]] = field(default_factory=list)  # for the next posts


@pytest.fixture
def sms_gateway() -> Iterator[tuple[SmsRecorder, int]]:
    recorder = SmsRecorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, text = recorder.answers.pop(0) if recorder.answers else (200, "{}")
            if status == 200:
                recorder.posts.append(json.loads(body))
                recorder.headers.append(dict(self.headers))
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            return

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield recorder, port
    server.shutdown()
    server.server_close()


def message_settings(smtp_port: int = 1, sms_port: int = 1, **changes: Any) -> MessageSettings:
    """Settings for tests: no delay, the test's servers, quick retries."""
    base = MessageSettings(
        from_address="Klicni center UE <narocanje@ue.example>",
        delay_seconds=0,
        cancel_phone="01 306 30 00",
        smtp=SmtpSettings(host="127.0.0.1", port=smtp_port, timeout_seconds=5),
        sms=SmsSettings(url=f"http://127.0.0.1:{sms_port}/send", user="centre", password="s3cret"),
        retry_seconds=30,
        max_attempts=3,
    )
    return replace(base, **changes)


@dataclass
class Rig:
    client: TestClient
    world: support.World
    database: Database
    settings: MessageSettings

    def headers(self, who: str = "agent") -> dict[str, str]:
        return self.world.headers(who)

    def get(self, path: str, who: str = "agent", **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(who), **kwargs)

    def post(self, path: str, who: str = "agent", headers: dict | None = None, **kw: Any) -> Any:
        return self.client.post(path, headers={**self.headers(who), **(headers or {})}, **kw)

    def patch(self, path: str, who: str = "agent", **kwargs: Any) -> Any:
        return self.client.patch(path, headers=self.headers(who), **kwargs)

    def consent(self, caller: str, channel: str = "email", email: str | None = None) -> dict:
        body: dict[str, Any] = {"message_channel": channel, "message_consent": True}
        if email is not None:
            body["email"] = email
        elif channel == "email":
            body["email"] = f"{caller}@example.org"
        response = self.patch(f"/v1/callers/{self.world.callers[caller]}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def slot(self, day: int = 2, index: int = 0, provider: str = "counter-1") -> int:
        """A slot of ``provider`` on the world's ``day``-th working day (0 = the first)."""
        ids = support.slots_of(self.world, provider)
        per_day = len(ids) // len(self.world.days)
        return ids[day * per_day + index]

    def book(
        self,
        caller: str = "janez",
        slot: int | None = None,
        headers: dict | None = None,
        **extra: Any,
    ) -> dict:
        response = self.post(
            "/v1/bookings",
            json={"caller_id": self.world.callers[caller], "slot_id": slot or self.slot(), **extra},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        return response.json()

    def sender(self, *, now: Callable[[], datetime] | None = None, **changes: Any) -> Sender:
        """The sender (``now``: its clock, e.g. past the withdraw window)."""
        settings = replace(self.settings, **changes)
        if now is None:
            return Sender(self.database, settings)
        return Sender(self.database, settings, now=now)


@pytest.fixture
def message_changes() -> dict[str, Any]:
    """Settings of the rig's service other than :func:`message_settings`' (a test module
    overrides this fixture, e.g. for a withdraw window)."""
    return {}


@pytest.fixture
def rig(
    database_url_param: str, smtp: tuple, sms_gateway: tuple, message_changes: dict[str, Any]
) -> Iterator[Rig]:
    database = Database.open(database_url_param)
    world = support.build_world(database)
    settings = message_settings(smtp[1], sms_gateway[1], **message_changes)
    app = create_app(
        ServerSettings(database=database_url_param, messages=settings), database, migrate=False
    )
    with TestClient(app) as client:
        yield Rig(client=client, world=world, database=database, settings=settings)
    database.dispose()
