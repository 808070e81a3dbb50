"""Sending one message: over SMTP or through an HTTP SMS gateway, each failure sorted into
*retry later* or *give up*, with the server's own words as the reason.

SMTP: a 4xx reply to RCPT or DATA is temporary (RFC 5321: "try again later"), a 5xx
permanent: the message fails with that reply. Failing to connect, a dropped connection, a
timeout, any refusal before the message (TLS, login), a refusal of our sender address (MAIL)
and a demand for encryption or a login at any step (530, 534, 535, 538: RFC 3207, RFC 4954)
are the relay's trouble or the settings', not the message's: retried, with the relay's words,
so that a relay set up wrongly fails no message before it is put right (``max_attempts``).
HTTP gateways: 408, 425, 429 and 5xx, and no answer at all, are retried, and so are the
answers that refuse our settings rather than the message (401, 403, 407: the credentials; 404,
405, 415: the URL, the method or the body's type); any other 4xx (400, 422: a bad number) is
a permanent refusal of this message.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import string
import time
from urllib.parse import quote_plus

import httpx

from console.server.messages.settings import SmsSettings, SmtpSettings

REASON_LENGTH = 480
# Replies that refuse the connection's state, not the message: encryption or a login required,
# or the login refused (RFC 3207, RFC 4954).
RELAY_CODES = frozenset({530, 534, 535, 538})
RETRY_HTTP = frozenset({408, 425, 429})
# Answers about the gateway's settings, not the message: retried until they are put right.
SETTINGS_HTTP = frozenset({401, 403, 404, 405, 407, 415})


class SendError(Exception):
    """A message was not sent; ``permanent`` decides between retrying and failing."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason[:REASON_LENGTH]
        self.permanent = permanent


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}".strip()


class SmtpTransport:
    """One SMTP connection, opened when first needed and kept across messages."""

    IDLE_CHECK_SECONDS = 30.0

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._used_at = 0.0

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            if s.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout_seconds, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.secret())
        except smtplib.SMTPResponseException as exc:
            raise SendError(
                f"SMTP server {where}: {_reply(exc.smtp_code, exc.smtp_error)}", permanent=False
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(
                f"SMTP server {where}: {type(exc).__name__}: {exc}", permanent=False
            ) from None
        return smtp

    def _ready(self) -> smtplib.SMTP:
        if self._smtp is not None and time.monotonic() - self._used_at > self.IDLE_CHECK_SECONDS:
            try:
                if self._smtp.noop()[0] != 250:
                    self.close()
            except (OSError, smtplib.SMTPException):
                self.close()
        if self._smtp is None:
            self._smtp = self._connect()
        return self._smtp

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        """Hand one message to the server; raise :class:`SendError` if it was not taken."""
        smtp = self._ready()
        try:
            refused = smtp.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            self._reset()
            raise self._refusal(code, text, relay=code in RELAY_CODES) from None
        except smtplib.SMTPResponseException as exc:
            self._reset()
            relay = exc.smtp_code in RELAY_CODES or isinstance(exc, smtplib.SMTPSenderRefused)
            raise self._refusal(exc.smtp_code, exc.smtp_error, relay=relay) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendError(f"{type(exc).__name__}: {exc}", permanent=False) from None
        finally:
            self._used_at = time.monotonic()
        if refused:  # pragma: no cover - one recipient: refused means raised above
            code, text = next(iter(refused.values()))
            raise SendError(_reply(code, text), permanent=code >= 500)

    def _refusal(self, code: int, text: bytes | str, *, relay: bool) -> SendError:
        """A refusal of this message (5xx: permanent), or of the relay's state or our settings
        (``relay``: retried, and said to come from the relay)."""
        if relay:
            where = f"{self.settings.host}:{self.settings.port}"
            return SendError(f"SMTP server {where}: {_reply(code, text)}", permanent=False)
        return SendError(_reply(code, text), permanent=code >= 500)

    def _reset(self) -> None:
        """After a refusal, make the connection usable for the next message (or drop it)."""
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


class SmsGateway:
    """An HTTP SMS gateway: POST ``body`` (a template) to ``url`` with HTTP Basic credentials."""

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings
        self._client: httpx.Client | None = None

    def body(self, to: str, text: str, message_id: str) -> str:
        s = self.settings
        values = {"to": to, "text": text, "sender": s.sender, "message_id": message_id}
        if "json" in s.content_type:
            escaped = {key: json.dumps(value, ensure_ascii=False) for key, value in values.items()}
        else:
            escaped = {key: quote_plus(value) for key, value in values.items()}
        return string.Template(s.body).substitute(escaped)

    def send(self, to: str, text: str, message_id: str) -> None:
        s = self.settings
        if not s.url:
            raise SendError("No SMS gateway is configured ([messages.sms] url).", permanent=True)
        if self._client is None:
            auth = (s.user, s.secret()) if s.user else None
            self._client = httpx.Client(timeout=s.timeout_seconds, auth=auth)
        try:
            response = self._client.post(
                s.url,
                content=self.body(to, text, message_id).encode("utf-8"),
                headers={"Content-Type": f"{s.content_type}; charset=utf-8"},
            )
        except httpx.HTTPError as exc:
            raise SendError(f"SMS gateway: {type(exc).__name__}: {exc}", permanent=False) from None
        if response.is_success:
            return
        answer = " ".join(response.text.split())[:300]
        reason = f"SMS gateway: HTTP {response.status_code} {answer}".strip()
        status = response.status_code
        retried = status >= 500 or status in RETRY_HTTP or status in SETTINGS_HTTP
        raise SendError(reason, permanent=not retried)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
