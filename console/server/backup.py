"""``agent-console backup``: a consistent copy of a SQLite central database while desks write.

SQLite's online backup API (``sqlite3.Connection.backup``) copies the file page by page. It runs
in one step here: one read transaction on the source for the whole copy, so the copy is the
database as it was at one moment; in WAL mode that reader does not hold up writers (desks go on
booking; their commits wait in the WAL until the copy is done). A copy in several steps would
start over whenever another connection wrote in between, which under a steady stream of
bookings could be never.

The copy is written beside its target under a temporary name, checked (``PRAGMA
quick_check``), switched to a single self-contained file (rollback journal, no -wal), flushed
to disk and only then renamed into place, so a half-written copy never looks like a backup.

PostgreSQL has its own tools for this (``pg_dump`` / ``pg_restore``): see the README.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from console.server.db import SQLITE_BUSY_TIMEOUT_MS, database_url

PG_HINT = """agent-console backup copies a SQLite database. PostgreSQL's own tools make a consistent
copy while desks write; use them:

  pg_dump --format=custom --file=agent_console.dump 'postgresql://USER@HOST/DBNAME'

and to restore (into an empty database, with the service stopped):

  pg_restore --no-owner --dbname='postgresql://USER@HOST/DBNAME' agent_console.dump

(see "Operations" in the README)."""


class BackupError(Exception):
    """The backup cannot be made; the message says why."""


@dataclass
class BackupReport:
    source: Path
    target: Path
    bytes: int
    bookings: int
    seconds: float


def is_postgresql(target: str) -> bool:
    return database_url(target).startswith("postgresql")


def sqlite_path(target: str) -> str:
    """The file of a SQLite path or ``sqlite:///`` URL."""
    return make_url(database_url(target)).database or ""


def backup_sqlite(source: str | Path, target: str | Path, *, force: bool = False) -> BackupReport:
    """Copy the SQLite database ``source`` to ``target`` (see the module docstring)."""
    started = time.perf_counter()
    source, target = Path(source).expanduser(), Path(target).expanduser()
    if not source.is_file():
        raise BackupError(f"{source}: no such database file")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError("the copy cannot be the database itself")
    if target.is_dir():
        target = target / source.name
    if target.exists() and not force:
        raise BackupError(f"{target} exists; choose another name, or --force to replace it")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such directory")
    partial = target.with_name(f".{target.name}.partial")
    for leftover in (partial, Path(f"{partial}-journal"), Path(f"{partial}-wal")):
        leftover.unlink(missing_ok=True)
    reader = sqlite3.connect(source, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        reader.execute("SELECT count(*) FROM sqlite_schema").fetchone()  # a database at all?
        copy = sqlite3.connect(partial)
        try:
            reader.backup(copy, pages=-1)  # one step: one consistent read of the source
            copy.execute("PRAGMA journal_mode=DELETE").fetchall()
            check = copy.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy failed its check: {check}")
            bookings = _count(copy, "bookings")
        finally:
            copy.close()
    except sqlite3.DatabaseError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{source}: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        reader.close()
    with partial.open("rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    _sync_directory(target.parent)
    return BackupReport(
        source=source,
        target=target,
        bytes=target.stat().st_size,
        bookings=bookings,
        seconds=time.perf_counter() - started,
    )


def _count(connection: sqlite3.Connection, table: str) -> int:
    try:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:  # not an agent-console database (no such table)
        return 0


def _sync_directory(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
