"""The cache's SQLite file: opened with WAL and mode 0600, transactions (durable for the
outbox), and the upsert and query helpers the other parts share."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlite_utils import Database

from console.client.cache.schema import create_tables

BUSY_TIMEOUT_SECONDS = 10.0
FILE_MODE = 0o600


class CacheFile:
    """One cache file, opened: its tables made, its permissions the agent's only; transactions
    and the few statements every part of the cache uses."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._statements: dict[tuple, str] = {}  # (table, columns, pk, ignore) -> upsert SQL
        if not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, mode=0o700)
        previous = os.umask(0o077)  # the -wal and -shm files SQLite creates get 0600 too
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
            os.close(fd)
            connection = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_SECONDS,
            )
            self.db = Database(connection)
            self.db.enable_wal()
            connection.execute("PRAGMA synchronous=FULL")  # an outbox row survives power loss
            connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            create_tables(self.db)
            self._upgrade_rows()
        finally:
            os.umask(previous)
        self._tighten_permissions()

    def _upgrade_rows(self) -> None:
        """Bring rows an earlier version wrote up to date (a part of the cache that needs it
        overrides this and calls ``super()``); runs once, as the file is opened."""

    def _tighten_permissions(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            file = Path(f"{self.path}{suffix}")
            with contextlib.suppress(FileNotFoundError):
                if file.stat().st_mode & 0o077:
                    file.chmod(FILE_MODE)

    @contextlib.contextmanager
    def transaction(self, *, durable: bool = False) -> Iterator[None]:
        """Everything in the block commits together (nested blocks are savepoints).

        ``durable=True`` (what the outbox needs) syncs the commit to disk: it survives a power
        cut. Otherwise (copies of the service's data, which can be fetched again, and the
        replay's bookkeeping, which the idempotency keys make safe to repeat) the commit
        survives a killed process but skips the sync: a hundred times faster on some disks.
        """
        if durable or self.db.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        self.db.conn.execute("PRAGMA synchronous=NORMAL")
        try:
            with self.db.atomic():
                yield
        finally:
            self.db.conn.execute("PRAGMA synchronous=FULL")

    def is_durable(self) -> bool:
        """True when a commit now would be synced to disk."""
        return self.db.conn.execute("PRAGMA synchronous").fetchone()[0] >= 2

    def close(self) -> None:
        self.db.close()

    def _upsert(
        self,
        table: str,
        rows: Iterable[dict],
        pk: tuple[str, ...] = ("id",),
        *,
        ignore: bool = False,
    ) -> None:
        """Insert ``rows`` (dicts with the same keys) into ``table``; a row whose primary key is
        there already replaces the columns given (``ignore``: is left as it is). Plain SQL, one
        statement prepared per shape: sqlite-utils' upsert reads the table's schema on every
        call, a quarter of a replay's time on the desk."""
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return
        columns = tuple(first)
        key = (table, columns, pk, ignore)
        sql = self._statements.get(key)
        if sql is None:
            names = ", ".join(columns)
            marks = ", ".join("?" * len(columns))
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in pk)
            action = "NOTHING" if ignore or not updates else f"UPDATE SET {updates}"
            sql = self._statements[key] = (
                f"INSERT INTO {table} ({names}) VALUES ({marks}) "
                f"ON CONFLICT ({', '.join(pk)}) DO {action}"
            )
        values = [tuple(first.values())]
        values.extend(tuple(row[c] for c in columns) for row in rows)
        if len(values) == 1:
            self.db.conn.execute(sql, values[0])
        else:
            self.db.conn.executemany(sql, values)

    def _rows(self, sql: str, params: dict | tuple = ()) -> list[dict]:
        return list(self.db.query(sql, params))

    def _one(self, sql: str, params: dict | tuple = ()) -> dict | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None
