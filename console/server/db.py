"""Engines for the central database: SQLite (one file, WAL) or PostgreSQL, same code above.

On SQLite one transaction writes at a time. Writers of one process queue for a Python lock
(see ``Database.write``) before they take the database's write lock, so they wait their turn in
order instead of busy-sleeping in SQLite's busy handler, and they hold no pooled connection while
they wait. A database still too busy after ``SQLITE_BUSY_TIMEOUT_MS`` (another process holding
the write lock, or a very long queue) raises ``DatabaseBusy``: the API answers 503 with
``Retry-After``, never 500.

On PostgreSQL a pooled connection is tested (``SELECT 1``) before use only when it has been idle
for ``PING_IDLE_SECONDS``; one that fails the test is replaced before the request sees it (the
server restarted, or dropped idle connections). Testing every checkout, as ``pool_pre_ping``
does, cost every request a round trip and the server a statement: a tenth of a booking's.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from starlette.exceptions import HTTPException

from console.server import changes

SQLITE_BUSY_TIMEOUT_MS = 10_000
RETRY_AFTER_SECONDS = 1
# Connections for SQLite: one per request thread (anyio's pool has 40) and some to spare, so a
# request never waits for a connection. Opened on demand; the most recently used is reused.
SQLITE_POOL_SIZE = 40
SQLITE_POOL_OVERFLOW = 24


class DatabaseBusy(HTTPException):
    """The database could not take this transaction in time: 503, try again shortly."""

    def __init__(self, detail: str = "The database is busy; try again in a moment.") -> None:
        super().__init__(503, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _is_busy(exc: OperationalError) -> bool:
    """SQLite's "database is locked" / "database is busy" (its busy timeout ran out)."""
    if not isinstance(exc.orig, sqlite3.OperationalError):
        return False
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


_writer_locks: dict[str, threading.Lock] = {}
_writer_locks_guard = threading.Lock()


def _writer_lock(engine: Engine) -> threading.Lock | None:
    """The process-wide lock of one SQLite file's writers (None on PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return None
    path = engine.url.database or ""
    key = str(Path(path).resolve()) if path and path != ":memory:" else f"memory:{id(engine)}"
    with _writer_locks_guard:
        return _writer_locks.setdefault(key, threading.Lock())


def database_url(target: str | Path) -> str:
    """Turn what a user types (a file path, ``sqlite:///…`` or ``postgresql://…``) into a URL."""
    text = str(target)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    url = make_url(text)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def make_engine(
    target: str | Path, *, pool_size: int = 20, sqlite_kept: int = SQLITE_POOL_SIZE
) -> Engine:
    """An engine for ``target``, set up for many short concurrent transactions. On SQLite,
    ``sqlite_kept`` connections stay open between requests (the rest, up to the same cap,
    are closed when given back)."""
    url = database_url(target)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, kept=sqlite_kept)
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=30,
    )
    ping_when_idle(engine)
    return engine


# A pooled connection idle for longer than this is tested before use (seconds).
PING_IDLE_SECONDS = 5.0


def ping_when_idle(engine: Engine, idle_seconds: float = PING_IDLE_SECONDS) -> None:
    """Test a connection on checkout if it has been idle for ``idle_seconds``; replace it if
    the test fails (the pool retries the checkout with a new connection)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _test_if_idle(
        dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # just connected, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("a pooled connection failed its test") from exc


def default_workers(target: str | Path) -> int:
    """How many uvicorn worker processes the central service runs when none are configured.

    One on SQLite: its writers queue on a lock inside one process (see :class:`Database`);
    processes would fight in SQLite's busy handler instead. One per CPU core (at most 8) on
    PostgreSQL: a request is mostly Python, and the database takes the writers in parallel.
    """
    if database_url(target).startswith("sqlite"):
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def durability_warnings(engine: Engine) -> list[str]:
    """What in the database's own settings could lose acknowledged writes in a crash.

    PostgreSQL with ``fsync=off`` can lose or corrupt committed data when the machine stops;
    with ``synchronous_commit=off`` it answers before the commit is on disk, so the last
    moments' bookings can vanish. Both are fine for a throw-away test server, never for a call
    centre's. (SQLite runs in WAL mode with ``synchronous=NORMAL``: a committed write survives
    the service's crash; a power cut may take the last transactions back.)
    """
    if engine.dialect.name != "postgresql":
        return []
    warnings = []
    with engine.connect() as connection:
        fsync = connection.exec_driver_sql("SHOW fsync").scalar()
        synchronous = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
    if str(fsync).lower() == "off":
        warnings.append(
            "PostgreSQL runs with fsync=off: a crash of its machine can lose or corrupt "
            "committed bookings. Turn it on for real use."
        )
    if str(synchronous).lower() == "off":
        warnings.append(
            "PostgreSQL runs with synchronous_commit=off: a crash can lose the bookings "
            "acknowledged in its last moments. Turn it on for real use."
        )
    return warnings


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_engine(url: str, *, kept: int = SQLITE_POOL_SIZE) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        pool_size=kept,
        max_overflow=SQLITE_POOL_SIZE + SQLITE_POOL_OVERFLOW - kept,
        pool_use_lifo=True,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # A new database gives the space of deleted rows back to the file system when asked
        # (``PRAGMA incremental_vacuum``, after a prune). It must be set before the first
        # table, and before WAL mode (which writes the header). Only on an empty file: the
        # pragma takes the write lock, and changes nothing on an existing database
        # (``agent-console prune --vacuum`` switches one, once).
        if cursor.execute("PRAGMA page_count").fetchone()[0] == 0:
            cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front: two transactions that both read and then write
        # would otherwise deadlock on the upgrade and one would fail with "database is locked".
        # Readers (see Database.read) start a deferred transaction and never wait for writers.
        if conn.get_execution_options().get("readonly"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """The central database: short read and write transactions over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._writer_lock = _writer_lock(engine)

    @classmethod
    def open(cls, target: str | Path, *, sqlite_kept: int = SQLITE_POOL_SIZE) -> Database:
        """``sqlite_kept``: the SQLite connections kept open between requests (a desk's
        embedded service keeps few: each holds its statement and page caches)."""
        return cls(make_engine(target, sqlite_kept=sqlite_kept))

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction that only reads: on SQLite it never waits for the write lock."""
        try:
            with self.engine.connect() as connection:
                connection = connection.execution_options(readonly=True)
                with connection.begin():
                    yield connection
        except OperationalError as exc:
            if _is_busy(exc):
                raise DatabaseBusy() from exc
            raise
        except PoolTimeout as exc:
            raise DatabaseBusy() from exc

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that writes: committed when the block ends, rolled back on error.

        The change feed's rows recorded in the block (``changes.record``) are appended as its
        last statement, just before the commit (see ``console.server.changes``).
        """
        lock = self._writer_lock
        if lock is not None and not lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise DatabaseBusy()
        try:
            with self.engine.begin() as connection:
                changes.defer(connection)
                try:
                    yield connection
                    changes.flush(connection)
                finally:
                    changes.forget(connection)
        except OperationalError as exc:
            if _is_busy(exc):
                raise DatabaseBusy() from exc
            raise
        except PoolTimeout as exc:
            raise DatabaseBusy() from exc
        finally:
            if lock is not None:
                lock.release()

    @contextmanager
    def writer_turn(self) -> Iterator[None]:
        """Wait for this process's writers' turn, outside any transaction (SQLite; nothing on
        PostgreSQL): for statements that must run on their own, such as
        ``PRAGMA incremental_vacuum``, without jumping the queue of ``write`` blocks."""
        lock = self._writer_lock
        if lock is not None and not lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise DatabaseBusy()
        try:
            yield
        finally:
            if lock is not None:
                lock.release()

    def dispose(self) -> None:
        self.engine.dispose()
