"""What the outbox and the sender need to know: ``config.toml``'s ``[messages]`` fills it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import time
from email.utils import parseaddr
from functools import cached_property

SMTP_PASSWORD_ENV = "AGENT_CONSOLE_SMTP_PASSWORD"
SMS_PASSWORD_ENV = "AGENT_CONSOLE_SMS_PASSWORD"

DEFAULT_SMS_BODY = '{"to": $to, "from": $sender, "text": $text, "reference": $message_id}'


@dataclass(frozen=True)
class SmtpSettings:
    """An SMTP server. ``security``: "none", "starttls" (upgrade a plain connection) or "tls"
    (TLS from the first byte, usually port 465). The defaults are ``agent-console mail-sink``."""

    host: str = "127.0.0.1"
    port: int = 8025
    security: str = "none"
    user: str = ""
    password: str = ""
    timeout_seconds: float = 20.0

    def secret(self) -> str:
        """The password: ``$AGENT_CONSOLE_SMTP_PASSWORD`` when set, else the configured one."""
        return os.environ.get(SMTP_PASSWORD_ENV) or self.password


@dataclass(frozen=True)
class SmsSettings:
    """An HTTP SMS gateway: ``body`` is a template whose ``$to``, ``$text``, ``$sender`` and
    ``$message_id`` are filled in, escaped for ``content_type`` (JSON strings, or form-encoded
    values). Empty ``url``: no gateway, SMS messages fail with that reason."""

    url: str = "http://127.0.0.1:8026/sms"
    user: str = ""
    password: str = ""
    sender: str = "Narocanje"
    content_type: str = "application/json"
    body: str = DEFAULT_SMS_BODY
    transliterate: bool = True
    timeout_seconds: float = 20.0

    def secret(self) -> str:
        return os.environ.get(SMS_PASSWORD_ENV) or self.password


@dataclass(frozen=True)
class MessageSettings:
    """Confirmations and reminders to callers (see README "Confirmations to callers")."""

    enabled: bool = True  # write messages at all (the outbox rows in the booking's transaction)
    from_address: str = "Klicni center <noreply@localhost>"
    domain: str = ""  # of Message-IDs and calendar UIDs; "": the From address's domain
    delay_seconds: float = 20.0  # an event's message waits this long: the agent may withdraw it
    reminder_days_before: int = 1  # working days before the appointment; 0: no reminders
    reminder_time: time = time(10, 0)  # Europe/Ljubljana
    cancel_phone: str = ""  # how to cancel: call this number ("": the location's phone)
    cancel_url: str = ""  # ... or use this web page
    sender: bool = True  # `agent-console serve` runs the sender
    poll_seconds: float = 1.0
    batch: int = 50
    connections: int = 4  # messages on their way at once, each over its own connection
    lease_seconds: float = 30.0  # SQLite: the sender's lease row; a dead sender's lapses
    claim_seconds: float = 120.0  # how long a message may stay claimed by a sender
    max_attempts: int = 8
    retry_seconds: float = 30.0  # the first retry's wait; doubled each time
    retry_max_seconds: float = 3600.0
    keep_days: int = 400  # sent, failed and withdrawn messages are deleted after this
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)

    @cached_property
    def from_email(self) -> str:
        return parseaddr(self.from_address)[1] or "noreply@localhost"

    @cached_property
    def from_name(self) -> str:
        return parseaddr(self.from_address)[0]

    @cached_property
    def id_domain(self) -> str:
        return self.domain or self.from_email.rpartition("@")[2] or "localhost"

    def retry_after(self, attempts: int) -> float:
        """Seconds before the next attempt after ``attempts`` tries."""
        return min(self.retry_max_seconds, self.retry_seconds * 2 ** max(attempts - 1, 0))
