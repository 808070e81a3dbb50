"""``agent-console mail-sink``: a local SMTP server (aiosmtpd) and SMS endpoint that print what
arrives, so a demo shows the messages the sender sends. It keeps nothing: each message is
printed and forgotten. It listens on loopback by default; the defaults of ``[messages.smtp]``
and ``[messages.sms]`` point at it."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Callable
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from console.domain.sms import segments

Printer = Callable[[str], None]
RULE = "─" * 72


def describe_email(data: bytes) -> str:
    """What a person wants to see of an e-mail: headers, the plain text, the calendar file."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    lines = [
        RULE,
        f"E-mail  {message['Date']}",
        f"From:       {message['From']}",
        f"To:         {message['To']}",
        f"Subject:    {message['Subject']}",
        f"Message-ID: {message['Message-ID']}",
        "",
    ]
    body = message.get_body(preferencelist=("plain",))
    if body is not None:
        lines.append(body.get_content().rstrip())
    for part in message.iter_attachments():
        lines.append("")
        lines.append(f"[attachment {part.get_filename()} {part.get_content_type()}]")
        filename = part.get_filename()
        if filename and filename.endswith(".ics"):
            lines.extend(f"  {line}" for line in _calendar_summary(part.get_content()))
    return "\n".join(lines)


def _calendar_summary(raw: bytes | str) -> list[str]:
    from icalendar import Calendar

    calendar = Calendar.from_ical(raw)
    found = [f"METHOD:{calendar.get('method')}"]
    for event in calendar.walk("VEVENT"):
        found.append(f"UID:{event.get('uid')}  SEQUENCE:{event.get('sequence')}")
        found.append(f"DTSTART:{event.decoded('dtstart')}  DTEND:{event.decoded('dtend')}")
        found.append(f"LOCATION:{event.get('location')}")
    return found


class _Handler:
    def __init__(self, show: Printer, quiet: bool) -> None:
        self.show = show
        self.quiet = quiet
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.count += 1
        if not self.quiet:
            try:
                self.show(describe_email(envelope.content))
            except Exception as exc:  # a message we cannot read is still accepted
                self.show(f"{RULE}\nE-mail ({len(envelope.content)} bytes, unreadable: {exc})")
        return "250 Message accepted"


def describe_sms(body: str) -> str:
    """An SMS gateway's request body as the sink prints it: the body (JSON indented), then
    how its text goes out: its length, segments and encoding (GSM-7, or UCS-2 when a letter
    such as č is kept)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    shown = json.dumps(parsed, ensure_ascii=False, indent=2)
    text = parsed.get("text") if isinstance(parsed, dict) else None
    if isinstance(text, str):
        counted = segments(text)
        shown += (
            f"\n{len(text)} characters: {counted.count} segment(s) of {counted.encoding}"
            f" ({counted.units} {'septets' if counted.encoding == 'GSM-7' else 'UTF-16 units'})"
        )
    return shown


def _sms_handler(show: Printer, quiet: bool) -> type[BaseHTTPRequestHandler]:
    class SmsHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            if not quiet:
                show(f"{RULE}\nSMS  {self.path}\n{describe_sms(body)}")
            answer = b'{"status": "accepted"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return SmsHandler


class MailSink:
    """``start()`` an SMTP server on ``smtp_port`` and an SMS endpoint on ``sms_port`` (0:
    none); ``stop()`` both."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        smtp_port: int = 8025,
        sms_port: int = 8026,
        *,
        show: Printer = print,
        quiet: bool = False,
    ) -> None:
        self.handler = _Handler(show, quiet)
        self.controller = Controller(self.handler, hostname=host, port=smtp_port)
        self.http: ThreadingHTTPServer | None = None
        if sms_port:
            self.http = ThreadingHTTPServer((host, sms_port), _sms_handler(show, quiet))
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.controller.start()
        if self.http is not None:
            self._thread = threading.Thread(target=self.http.serve_forever, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self.controller.stop()
        if self.http is not None:
            self.http.shutdown()
            self.http.server_close()
