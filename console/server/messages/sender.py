"""The sender: claims due messages, sends them, records how it went. One at a time.

**One sender.** Every ``agent-console serve`` (and ``send-messages``) runs a sender, but only
the one holding the lock sends: a PostgreSQL session advisory lock (released by the server
the moment the holder's connection dies), or on SQLite a lease row the holder renews (a
dead holder's lease lapses after ``lease_seconds``). The others wait and try again.

**Exactly once, as far as a sender can promise it.** A message is claimed (``sending``, with
the sender's name) and committed *before* it is handed to the server, and marked ``sent``
after the server took it. Its Message-ID was fixed when the booking wrote it. A sender
killed between the two (``kill -9`` mid-send) leaves the message claimed: the next sender to
take the lock releases such claims and sends the message again, *with the same Message-ID*.
So a message is never lost and never sent twice under two Message-IDs; it may reach the
server twice under one, if the server had taken it just before the kill, and a receiving
system that deduplicates by Message-ID (as mail stores and most relays do) shows it once.
No sender can do better without the server's help: the server's "250 OK" and our "sent"
cannot be written in one transaction. An SMS goes to the gateway with the Message-ID as its
reference, for gateways that deduplicate by one.

**Failures.** A temporary one (SMTP 4xx, no connection, a timeout, the relay refusing our
settings rather than the message: see :mod:`.transport`; HTTP 429/5xx) puts the
message back in the queue with a growing wait (``retry_seconds``, doubled each time, at
most ``retry_max_seconds``) and the reason, up to ``max_attempts``; a permanent one (SMTP
5xx, HTTP 4xx) fails it at once with the server's reason. At send time a message whose
caller has since withdrawn consent, or whose appointment has begun, is ``cancelled`` with
why; the caller's *current* address and language are used.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.types import DateTime

from console.server import clock
from console.server.db import Database, DatabaseBusy
from console.server.messages import content
from console.server.messages.contact import message_language
from console.server.messages.settings import MessageSettings
from console.server.messages.transport import SendError, SmsGateway, SmtpTransport
from console.server.schema import message_sender_lease, messages

log = logging.getLogger("agent_console.messages")

ADVISORY_KEY = 0x61632D6D7367  # "ac-msg": the PostgreSQL advisory lock of the one sender
LEASE_NAME = "sender"
PRUNE_EVERY_SECONDS = 3600.0
PRUNE_BATCH = 5000

_PENDING = "status IN ('queued', 'sending') AND next_attempt_at <= :now"
_CLAIM_SQL = (
    "UPDATE messages SET status = 'sending', claimed_by = :me, claimed_until = :until, "
    "attempts = attempts + 1 WHERE id IN (SELECT id FROM messages WHERE "
    f"{_PENDING} AND (status = 'queued' OR claimed_until < :now) "
    "ORDER BY next_attempt_at, id LIMIT :batch{lock}) RETURNING id"
)
_CLAIMS = {
    dialect: text(_CLAIM_SQL.format(lock=lock)).bindparams(
        bindparam("now", type_=DateTime), bindparam("until", type_=DateTime)
    )
    for dialect, lock in (("postgresql", " FOR UPDATE SKIP LOCKED"), ("sqlite", ""))
}

# Everything a message says, and where the caller wants it now, in one statement per batch.
_DETAILS = text(
    "SELECT m.id, m.kind, m.message_id, m.ical_uid, m.ical_sequence, m.attempts, "
    "b.reference, s.starts_at, s.ends_at, sv.name AS service_name, "
    "sv.name_en AS service_name_en, sv.documents, sv.documents_en, p.name AS provider_name, "
    "l.name AS location_name, l.address AS street, l.postcode, l.town, "
    "l.phone AS location_phone, c.first_name, c.last_name, c.email, c.language, "
    "c.message_channel, c.message_consent, "
    "(SELECT ph.number FROM caller_phones ph WHERE ph.caller_id = c.id "
    "AND ph.label = 'mobile' ORDER BY ph.position LIMIT 1) AS mobile "
    "FROM messages m JOIN bookings b ON b.id = m.booking_id "
    "JOIN slots s ON s.id = b.slot_id JOIN services sv ON sv.id = b.service_id "
    "JOIN providers p ON p.id = s.provider_id JOIN locations l ON l.id = s.location_id "
    "JOIN callers c ON c.id = m.caller_id WHERE m.id IN :ids ORDER BY m.next_attempt_at, m.id"
).bindparams(bindparam("ids", expanding=True))

_MINE = (messages.c.id == bindparam("ident"), messages.c.claimed_by == bindparam("me"))
_DONE = update(messages).where(*_MINE, messages.c.status == "sending")


@dataclass
class Report:
    """What one pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.cancelled

    def add(self, other: Report) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.cancelled += other.cancelled

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, to retry {self.retried}, failed {self.failed}, "
            f"withdrawn {self.cancelled}"
        )


def sender_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --- one sender at a time ----------------------------------------------------------------


class AdvisoryLock:
    """PostgreSQL: a session advisory lock on a connection kept for as long as it is held."""

    CHECK_SECONDS = 5.0

    def __init__(self, database: Database, name: str) -> None:
        self.database = database
        self.name = name
        self._connection: Connection | None = None
        self._checked = 0.0
        self._guard = threading.Lock()  # the sending threads ask held() at once

    def acquire(self) -> bool:
        if self._connection is not None:
            return self.held()
        connection = self.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
            ).scalar()
        except DBAPIError:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection, self._checked = connection, time.monotonic()
        return True

    def held(self) -> bool:
        with self._guard:
            return self._held()

    def _held(self) -> bool:
        if self._connection is None:
            return False
        if time.monotonic() - self._checked < self.CHECK_SECONDS:
            return True
        try:
            self._connection.execute(text("SELECT 1"))
        except DBAPIError:
            log.warning("lost the sender's lock: its database connection failed")
            self._drop()
            return False
        self._checked = time.monotonic()
        return True

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except DBAPIError:  # pragma: no cover - already gone
                pass

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            self._connection.close()
        except DBAPIError:
            self._drop()
        self._connection = None


class LeaseLock:
    """SQLite: a lease row the holder renews; a dead holder's lapses after ``seconds``."""

    def __init__(
        self, database: Database, name: str, seconds: float, now: Callable[[], datetime]
    ) -> None:
        self.database = database
        self.name = name
        self.seconds = seconds
        self.now = now
        self._renewed: float | None = None
        self._guard = threading.Lock()  # the sending threads ask held() at once

    def _expiry(self) -> datetime:
        return self.now() + timedelta(seconds=self.seconds)

    def acquire(self) -> bool:
        if self._renewed is not None:
            return self.held()
        table = message_sender_lease
        with self.database.write() as connection:
            row = connection.execute(select(table).where(table.c.name == LEASE_NAME)).first()
            if row is None:
                connection.execute(
                    insert(table).values(
                        name=LEASE_NAME, holder=self.name, expires_at=self._expiry()
                    )
                )
            elif row.holder == self.name or row.expires_at <= self.now():
                connection.execute(
                    update(table)
                    .where(table.c.name == LEASE_NAME)
                    .values(holder=self.name, expires_at=self._expiry())
                )
            else:
                return False
        self._renewed = time.monotonic()
        return True

    def held(self) -> bool:
        with self._guard:
            return self._held()

    def _held(self) -> bool:
        if self._renewed is None:
            return False
        if time.monotonic() - self._renewed < self.seconds / 3:
            return True
        table = message_sender_lease
        with self.database.write() as connection:
            renewed = connection.execute(
                update(table)
                .where(table.c.name == LEASE_NAME, table.c.holder == self.name)
                .values(expires_at=self._expiry())
            ).rowcount
        if renewed != 1:
            log.warning("lost the sender's lease: another sender took it over")
            self._renewed = None
            return False
        self._renewed = time.monotonic()
        return True

    def release(self) -> None:
        if self._renewed is None:
            return
        self._renewed = None
        table = message_sender_lease
        with self.database.write() as connection:
            connection.execute(
                delete(table).where(table.c.name == LEASE_NAME, table.c.holder == self.name)
            )


# --- the sender ---------------------------------------------------------------------------


def ascii_address(address: str) -> str:
    """The address as SMTP without extensions takes it: an international domain in its
    ASCII (IDNA) form. A local part outside ASCII needs SMTPUTF8, which this sender does not
    use: such an address fails with that reason."""
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        raise SendError(
            "The address has letters outside ASCII before the @ (needs SMTPUTF8).",
            permanent=True,
        )
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise SendError(f"The address's domain is not valid: {exc}", permanent=True) from None
    return f"{local}@{domain}"


class Sender:
    """Sends the messages that are due. :meth:`run` until stopped (``serve``, ``send-messages``),
    or :meth:`run_once` for what is due now."""

    def __init__(
        self,
        database: Database,
        settings: MessageSettings,
        *,
        name: str | None = None,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self.database = database
        self.settings = settings
        self.name = name or sender_name()
        self.now = now
        # Each sending thread has its own SMTP connection and HTTP client.
        self._local = threading.local()
        self._transports: list[SmtpTransport | SmsGateway] = []
        self._transports_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        if database.dialect == "postgresql":
            self.lock: AdvisoryLock | LeaseLock = AdvisoryLock(database, self.name)
        else:
            self.lock = LeaseLock(database, self.name, settings.lease_seconds, now)
        self._pruned = 0.0

    # -- the loop ------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Wait for the lock, then send what falls due, until ``stop`` is set."""
        waiting_said = False
        while not stop.is_set():
            try:
                if not self.lock.acquire():
                    if not waiting_said:
                        log.info("another sender is running; this one waits")
                        waiting_said = True
                    stop.wait(max(self.settings.poll_seconds, self.settings.lease_seconds / 3))
                    continue
                waiting_said = False
                self._took_over()
                while not stop.is_set() and self.lock.held():
                    report = self.send_due(stop)
                    if report.handled:
                        log.info("messages: %s", report)
                    self._prune_now_and_then()
                    if not report.handled:
                        stop.wait(self.settings.poll_seconds)
            except (OperationalError, DBAPIError, DatabaseBusy) as exc:
                log.warning("messages: the database failed (%s); trying again", exc)
                stop.wait(max(self.settings.poll_seconds, 2.0))
            except Exception:  # keep sending: one bad message must not stop the others
                log.exception("messages: the sender failed; trying again")
                stop.wait(max(self.settings.poll_seconds, 2.0))
        self.close()

    def run_once(self) -> Report | None:
        """Send everything due now and return what happened; None if another sender holds
        the lock (then nothing was done)."""
        if not self.lock.acquire():
            return None
        try:
            self._took_over()
            report = self.send_due()
            self._prune()
            return report
        finally:
            self.close()

    def close(self) -> None:
        """Give back what this sender claimed but did not try, the lock, the connections."""
        try:
            if self.lock.held():
                self._release_claims()
        finally:
            self.lock.release()
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None
            with self._transports_lock:
                transports, self._transports = self._transports, []
                self._local = threading.local()
            for transport in transports:
                transport.close()

    @property
    def smtp(self) -> SmtpTransport:
        """This thread's SMTP connection."""
        if getattr(self._local, "smtp", None) is None:
            self._local.smtp = SmtpTransport(self.settings.smtp)
            with self._transports_lock:
                self._transports.append(self._local.smtp)
        return self._local.smtp

    @property
    def sms(self) -> SmsGateway:
        """This thread's SMS gateway client."""
        if getattr(self._local, "sms", None) is None:
            self._local.sms = SmsGateway(self.settings.sms)
            with self._transports_lock:
                self._transports.append(self._local.sms)
        return self._local.sms

    # -- claims ----------------------------------------------------------------------------

    def _took_over(self) -> None:
        """Holding the lock means no other sender is running: messages another left claimed
        (it died mid-send) go back to the queue, due now, to be sent with their Message-ID."""
        with self.database.write() as connection:
            taken = connection.execute(
                update(messages)
                .where(messages.c.status == "sending", messages.c.claimed_by != self.name)
                .values(
                    status="queued",
                    claimed_by=None,
                    claimed_until=None,
                    next_attempt_at=self.now(),
                    reason="The sender stopped while sending; sent again, same Message-ID.",
                )
            ).rowcount
        if taken:
            log.warning("messages: %d left claimed by a stopped sender are queued again", taken)

    def _release_claims(self) -> None:
        with self.database.write() as connection:
            connection.execute(
                update(messages)
                .where(messages.c.status == "sending", messages.c.claimed_by == self.name)
                .values(
                    status="queued",
                    claimed_by=None,
                    claimed_until=None,
                    attempts=messages.c.attempts - 1,
                )
            )

    def _claim(self) -> list[int]:
        now = self.now()
        with self.database.write() as connection:
            return list(
                connection.execute(
                    _CLAIMS[self.database.dialect],
                    {
                        "me": self.name,
                        "now": now,
                        "until": now + timedelta(seconds=self.settings.claim_seconds),
                        "batch": self.settings.batch,
                    },
                ).scalars()
            )

    # -- sending ---------------------------------------------------------------------------

    def send_due(self, stop: threading.Event | None = None) -> Report:
        """Claim and send batches of due messages until none is due (or stop, or the lock
        is lost), ``connections`` at a time. A batch's messages not tried when it was
        interrupted are given back once every message on its way has been recorded."""

        def go_on() -> bool:
            return (stop is None or not stop.is_set()) and self.lock.held()

        def one(row: Any) -> Report:
            return self._send_one(row) if go_on() else Report()

        report = Report()
        while go_on():
            claimed = self._claim()
            if not claimed:
                break
            with self.database.read() as connection:
                rows = connection.execute(_DETAILS, {"ids": claimed}).all()
            if self.settings.connections > 1 and len(rows) > 1:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(
                        self.settings.connections, thread_name_prefix="message-sender"
                    )
                results = list(self._pool.map(one, rows))
            else:
                results = [one(row) for row in rows]
            for result in results:
                report.add(result)
        if not go_on() and self.lock.held():
            self._release_claims()
        return report

    def _send_one(self, row: Any) -> Report:
        now = self.now()
        if not row.message_consent or row.message_channel == "none":
            return self._cancel(row.id, "The caller no longer wants messages.")
        if clock.to_db(content.aware(row.starts_at)) <= now:
            return self._cancel(row.id, "The appointment has already begun.")
        channel = row.message_channel
        address = row.email if channel == "email" else row.mobile
        if not address:
            what = "e-mail address" if channel == "email" else "mobile number"
            return self._fail(row.id, f"The caller's card has no {what}.", channel, None)
        segments = None
        try:
            appointment = content.appointment(row, message_language(row.language))
            if channel == "email":
                to = ascii_address(address)
                data = content.email(appointment, self.settings, to)
                self.smtp.send(self.settings.from_email, to, data)
            else:
                body, counted = content.sms(appointment, self.settings)
                segments = counted.count
                self.sms.send(address, body, row.message_id)
        except SendError as exc:
            if exc.permanent:
                log.warning("message %s to %s failed: %s", row.id, address, exc.reason)
                return self._fail(row.id, exc.reason, channel, address)
            return self._retry(row.id, row.attempts, exc.reason, channel, address)
        except Exception as exc:  # a message that cannot be written: fail it, not the sender
            log.exception("message %s to %s could not be sent", row.id, address)
            return self._fail(row.id, f"{type(exc).__name__}: {exc}", channel, address)
        self._mark(
            row.id,
            status="sent",
            sent_at=self.now(),
            reason=None,
            channel=channel,
            address=address,
            language=appointment.language,
            segments=segments,
        )
        log.debug("message %s sent to %s", row.id, address)
        return Report(sent=1)

    def _mark(self, ident: int, **values: Any) -> None:
        with self.database.write() as connection:
            connection.execute(
                _DONE.values(claimed_by=None, claimed_until=None, **values),
                {"ident": ident, "me": self.name},
            )

    def _cancel(self, ident: int, why: str) -> Report:
        self._mark(ident, status="cancelled", reason=why)
        return Report(cancelled=1)

    def _fail(self, ident: int, why: str, channel: str, address: str | None) -> Report:
        self._mark(ident, status="failed", reason=why, channel=channel, address=address)
        return Report(failed=1)

    def _retry(self, ident: int, attempts: int, why: str, channel: str, address: str) -> Report:
        tries = attempts  # the claim counted this attempt, and the row was read after it
        if tries >= self.settings.max_attempts:
            log.warning("message %s to %s failed after %d attempts: %s", ident, address, tries, why)
            return self._fail(ident, f"Gave up after {tries} attempts: {why}", channel, address)
        wait = self.settings.retry_after(tries)
        log.info("message %s to %s: %s; retrying in %.0f s", ident, address, why, wait)
        self._mark(
            ident,
            status="queued",
            reason=why,
            next_attempt_at=self.now() + timedelta(seconds=wait),
            channel=channel,
            address=address,
        )
        return Report(retried=1)

    # -- keeping the table bounded -----------------------------------------------------------

    def _prune_now_and_then(self) -> None:
        if time.monotonic() - self._pruned >= PRUNE_EVERY_SECONDS:
            self._prune()

    def _prune(self) -> int:
        """Delete finished messages older than ``keep_days``, a batch per transaction."""
        self._pruned = time.monotonic()
        before = self.now() - timedelta(days=self.settings.keep_days)
        old = (
            select(messages.c.id)
            .where(
                messages.c.status.in_(("sent", "failed", "cancelled")),
                messages.c.send_after < before,
            )
            .limit(PRUNE_BATCH)
        )
        total = 0
        while True:
            with self.database.write() as connection:
                ids = connection.execute(old).scalars().all()
                if ids:
                    connection.execute(delete(messages).where(messages.c.id.in_(ids)))
            total += len(ids)
            if len(ids) < PRUNE_BATCH:
                return total


class SenderThread:
    """The sender beside a running service (``agent-console serve``): ``start()``, ``stop()``.
    It opens its own engine on the service's database."""

    def __init__(self, target: str, settings: MessageSettings) -> None:
        self.target = target
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        def run() -> None:
            database = Database.open(self.target)
            try:
                Sender(database, self.settings).run(self._stop)
            finally:
                database.dispose()

        self._thread = threading.Thread(target=run, name="message-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
