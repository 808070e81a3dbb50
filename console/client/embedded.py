"""The embedded central service: the real FastAPI app in-process, on a local SQLite file.

With no server URL configured, the console opens ``central.db`` in its data directory,
migrates it, seeds demo data on first start, and talks to the app through httpx's ASGI
transport. The desk's own token is created once and kept in ``desk-token`` (mode 0600).

The embedded service queues confirmations and reminders to callers like the central one;
:class:`LocalSender` sends them from the console's own process (``[messages] sender``), while
its mail server (and SMS gateway) answer: by default ``agent-console mail-sink``, or, when
nothing listens there, the demo's own :class:`DemoMailbox` (``[demo] mailbox``), which keeps
what arrives as text files the agent can read.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import event, func, select

from console.config import Config
from console.desk_views import MESSAGES_OFF, NO_SENDER, SENDING, WAITING, Delivery
from console.domain.models import Role
from console.malloc import limit_malloc_arenas
from console.server.abandoned import close_abandoned
from console.server.agents import (
    agent_for_token,
    create_agent,
    name_demo_agent_after_the_person,
)
from console.server.app import create_app
from console.server.db import Database
from console.server.migrate import upgrade
from console.server.schema import locations

if TYPE_CHECKING:
    from console.server.messages.sender import SenderThread
    from console.server.messages.settings import MessageSettings

EMBEDDED_BASE_URL = "http://embedded"
# SQLite's page cache for each pooled connection of the embedded service, in KiB (SQLite's
# default is 2,000). The embedded service answers one desk, yet its pool keeps every connection
# a burst of requests opened (the first sync opens dozens), each with a full cache: on the
# 2.1M-caller benchmark that was ~70 MB of the console's memory. Pages not cached here are
# read again from the operating system's file cache.
PAGE_CACHE_KIB = 512
# Connections the embedded service keeps open between requests: one desk's requests come one
# or two at a time (a burst opens more, closed when done). The pool kept the six the first
# sync's burst opened, each with its prepared statements, pages and two open files.
KEPT_CONNECTIONS = 2
TOKEN_FILE = "desk-token"
ProgressCallback = Callable[[str, int, int], None]


@dataclass
class EmbeddedService:
    app: FastAPI
    database: Database
    token: str

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.app)


def needs_seeding(database: Database) -> bool:
    with database.read() as connection:
        return connection.execute(select(func.count()).select_from(locations)).scalar_one() == 0


def open_embedded(
    config: Config,
    *,
    role: Role = Role.AGENT,
    progress: ProgressCallback | None = None,
    seed: bool = True,
) -> EmbeddedService:
    """Open (migrating and, the first time, seeding) the embedded service. Slow the first
    time: call it from a worker thread and pass ``progress`` to show a bar. ``seed=False``
    (``agent-console sync``) never seeds: an empty database is refused (ValueError)."""
    # The service's worker threads come next: each would keep a malloc arena of its own.
    limit_malloc_arenas()
    if not config.service.database and config.data_path.is_dir():
        mode = config.data_path.stat().st_mode
        if mode & 0o077:  # the console's own folder, made by an older version: ours alone
            config.data_path.chmod(FOLDER_MODE)
    private = private_sqlite_file(config.service_database)
    database = Database.open(config.service_database, sqlite_kept=KEPT_CONNECTIONS)
    limit_page_cache(database)
    upgrade(database.engine)
    if needs_seeding(database) and not seed:
        database.dispose()
        raise ValueError(f"the embedded service's database {config.service_database} is empty")
    if needs_seeding(database):
        from console.server.seed import seed as fill

        fill(
            database,
            callers=config.demo.callers,
            days=config.demo.days,
            progress=progress,
            directory_data=config.demo_lists(),  # the real doctor lists, when they are there
            one_booking_per_caller=config.demo.one_booking_per_caller,
        )
    if private is not None:
        tighten(private)  # the -wal and -shm the migration and the seed created
    token = _desk_token(config.data_path, database, role)
    settings = config.server_settings()
    # Calls left open too long (``serve`` does this every minute; the demo when it opens).
    close_abandoned(database, settings.retention.abandon_calls_after_hours)
    app = create_app(settings, database, migrate=False)
    return EmbeddedService(app=app, database=database, token=token)


FILE_MODE = 0o600  # as the desk's cache: callers' EMŠO numbers, phones and bookings
FOLDER_MODE = 0o700


def private_sqlite_file(target: str) -> Path | None:
    """The embedded central database is as private as the desk's cache: its folder is created
    0700 and the file 0600 (SQLite gives its -wal and -shm the database file's mode); a file
    left readable by others by an older version is tightened. The file, or None for a URL
    (PostgreSQL: the server guards its files)."""
    if "://" in target:
        if not target.startswith("sqlite:///"):
            return None
        target = target[len("sqlite:///") :]
    path = Path(target).expanduser()
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=FOLDER_MODE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    os.close(fd)
    tighten(path)
    return path


def tighten(path: Path) -> None:
    """Take away what others may do with the database file and its -wal and -shm."""
    for suffix in ("", "-wal", "-shm"):
        file = Path(f"{path}{suffix}")
        with contextlib.suppress(FileNotFoundError):
            if file.stat().st_mode & 0o077:
                file.chmod(FILE_MODE)


def limit_page_cache(database: Database, kib: int = PAGE_CACHE_KIB) -> None:
    """Give every connection the embedded service opens a page cache of ``kib`` KiB."""
    if database.engine.dialect.name != "sqlite":
        return

    @event.listens_for(database.engine, "connect")
    def _small_cache(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA cache_size=-{int(kib)}")
        cursor.close()

    database.engine.dispose()  # any connection opened before has SQLite's default


def _desk_token(data_path: Path, database: Database, role: Role) -> str:
    path = data_path / (TOKEN_FILE if role is Role.AGENT else f"{TOKEN_FILE}-{role.value}")
    if path.is_file():
        token = path.read_text().strip()
        with database.read() as connection:
            agent = agent_for_token(connection, token)
        if agent is not None:
            if agent.name.endswith(f" (demo {agent.role.value})"):  # a desk named the old way
                with database.write() as connection:
                    name_demo_agent_after_the_person(connection, agent)
            return token
    # The person at the desk, by name: the status bar adds the role, reports and calls name
    # whoever made them ("Desk (demo agent) (agent)" said neither in any language).
    name = os.environ.get("USER", "desk").capitalize()
    with database.write() as connection:
        _, token = create_agent(connection, name, role)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token


# -- the embedded service's sender ---------------------------------------------------------------

PROBE_SECONDS = 3.0  # how often the local sender looks whether its servers answer
PROBE_TIMEOUT = 1.0
MAILBOX_DIR = "mailbox"  # the demo mailbox's folder, in the data directory
MAILBOX_KEEP = 200  # the newest messages the demo mailbox keeps
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def endpoints(settings: MessageSettings) -> list[tuple[str, int]]:
    """The servers messages go through: the SMTP server, and the SMS gateway if one is set."""
    found = [(settings.smtp.host, settings.smtp.port)]
    if settings.sms.url:
        url = urlsplit(settings.sms.url)
        if url.hostname:
            found.append((url.hostname, url.port or (443 if url.scheme == "https" else 80)))
    return found


def answers(host: str, port: int, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether something accepts a TCP connection at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class DemoMailbox:
    """The embedded demo's own mail sink (``[demo] mailbox``): the SMTP server and SMS endpoint
    of ``agent-console mail-sink``, in the console's process, on ``[messages.smtp]``'s and
    ``[messages.sms]``'s loopback ports, so that the console's sender really sends and the
    agent can read what the caller got. Each e-mail or SMS is kept as one text file (headers,
    the plain text, the calendar file's METHOD, UID, SEQUENCE, times and LOCATION) in
    ``folder`` (mode 0700, files 0600: they hold callers' details), named by arrival so that
    they sort oldest first; only the newest ``keep`` stay."""

    def __init__(
        self, folder: Path, host: str, smtp_port: int, sms_port: int, keep: int = MAILBOX_KEEP
    ) -> None:
        self.folder = folder
        self.host = host
        self.smtp_port = smtp_port
        self.sms_port = sms_port
        self.keep = keep
        self._lock = threading.Lock()
        self._sink: object | None = None

    def start(self) -> None:
        """Listen (an ``OSError`` when a port is taken)."""
        from console.server.messages.sink import MailSink

        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        sink = MailSink(self.host, self.smtp_port, self.sms_port, show=self._keep)
        sink.start()
        self._sink = sink

    def stop(self) -> None:
        sink, self._sink = self._sink, None
        if sink is not None:
            sink.stop()  # type: ignore[attr-defined]

    def files(self) -> list[Path]:
        """The messages kept, oldest first."""
        return sorted(self.folder.glob("*.txt"))

    def _keep(self, text: str) -> None:
        with self._lock:
            stamp = time.time_ns()
            name = time.strftime("%Y%m%d-%H%M%S", time.localtime(stamp / 1e9))
            path = self.folder / f"{name}-{stamp % 1_000_000_000:09d}.txt"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text.lstrip("─\n") + "\n")
            for old in self.files()[: -self.keep]:
                old.unlink(missing_ok=True)


def demo_mailbox(config: Config, settings: MessageSettings) -> DemoMailbox | None:
    """The demo mailbox to start, if ``[demo] mailbox`` asks for one and nothing answers at
    the loopback address e-mails go to (something that does, e.g. ``agent-console mail-sink``
    started first, gets them instead). Its SMS endpoint serves ``[messages.sms] url`` when that
    is on the same host and free."""
    host, port = settings.smtp.host, settings.smtp.port
    if not config.demo.mailbox or host not in LOOPBACK or answers(host, port):
        return None
    sms_port = 0
    if settings.sms.url:
        url = urlsplit(settings.sms.url)
        if url.scheme == "http" and url.hostname == host and url.port:
            sms_port = 0 if answers(host, url.port) else url.port
    return DemoMailbox(config.data_path / MAILBOX_DIR, host, port, sms_port)


class LocalSender:
    """The sender of the embedded service, in the console's own process: it sends while every
    server messages go through answers (by default ``agent-console mail-sink``), and waits,
    messages left queued, while one does not — so a console started without the sink neither
    spends the messages' retries nor fails them. It looks every ``probe_seconds``.

    Like every sender it takes the database's lock: an ``agent-console send-messages`` started
    on the same database meanwhile waits (or this one does). :meth:`delivery` says what it is
    doing, for the caller card and the booked dialog."""

    def __init__(
        self,
        target: str,
        settings: MessageSettings,
        *,
        probe_seconds: float = PROBE_SECONDS,
        mailbox: DemoMailbox | None = None,
    ) -> None:
        self.target = target
        self.settings = settings
        self.probe_seconds = probe_seconds
        self.mailbox = mailbox  # the demo's own mail sink, started and stopped with this
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sender: SenderThread | None = None
        self._down: str | None = None  # the server that did not answer at the last look

    def start(self) -> None:
        if self.mailbox is not None:
            try:
                self.mailbox.start()
            except OSError:  # another console took the port meanwhile: it takes the messages
                self.mailbox = None
        self._down = self._unanswered()  # known at once: the first screen may say it
        self._thread = threading.Thread(target=self._watch, name="local-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self.mailbox is not None:
            self.mailbox.stop()

    def delivery(self) -> Delivery:
        down = self._down
        if down is not None:
            return Delivery(state=WAITING, server=down)
        mailbox = self.mailbox
        return Delivery(state=SENDING, mailbox=str(mailbox.folder) if mailbox else "")

    def _unanswered(self) -> str | None:
        for host, port in endpoints(self.settings):
            if not answers(host, port):
                return f"{host}:{port}"
        return None

    def _watch(self) -> None:
        from console.server.messages.sender import SenderThread

        try:
            while not self._stop.is_set():
                self._down = self._unanswered()
                if self._down is None and self._sender is None:
                    self._sender = SenderThread(self.target, self.settings)
                    self._sender.start()
                elif self._down is not None and self._sender is not None:
                    self._sender.stop()
                    self._sender = None
                self._stop.wait(self.probe_seconds)
        finally:
            if self._sender is not None:
                self._sender.stop()
                self._sender = None


def start_local_sender(config: Config) -> tuple[LocalSender | None, Delivery]:
    """The embedded service's sender, started if ``[messages]`` has one (None otherwise), and
    what the desk can say of delivery when there is none."""
    settings = config.messages.settings()
    if not settings.enabled:
        return None, Delivery(state=MESSAGES_OFF)
    if not settings.sender:
        return None, Delivery(state=NO_SENDER)
    sender = LocalSender(config.service_database, settings, mailbox=demo_mailbox(config, settings))
    sender.start()
    return sender, sender.delivery()
