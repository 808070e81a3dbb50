"""``Outbox``: the writes a desk made while the central service was unreachable, in order.

The outbox is a table in the desk's cache file (``console.client.cache``), so a provisional
result (a caller, a booking) and its queued write commit in one transaction. Every append is
committed before it returns — the file runs with ``synchronous=FULL`` — so once the console
says "queued", killing it (even with SIGKILL, or a power cut) loses nothing.

Rows are append-only: ``seq`` (the order of replay), ``kind`` (``create_caller``, ``book``, …),
``payload`` (JSON, never changed), ``idempotency_key`` (fixed at append: a replay interrupted by
a dead server and tried again sends the same key, so the server applies the write once). What
changes is the row's progress: ``state`` (``pending`` → ``done`` | ``conflict`` | ``failed``),
``attempts``, ``last_error``, ``result`` (the server's answer), and ``request``: the exact
request sent the first time, reused on every retry so a retry is byte-for-byte the same request
under the same key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from console.client.api import new_idempotency_key
from console.client.cache import from_ts, ts, utcnow

PENDING = "pending"
DONE = "done"
CONFLICT = "conflict"
FAILED = "failed"
STATES = (PENDING, DONE, CONFLICT, FAILED)


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    created_at: datetime
    state: str
    attempts: int
    last_error: str | None
    result: Any
    request: dict[str, Any] | None
    updated_at: datetime | None


class Outbox:
    """Queued writes in the desk's SQLite file (see the module docstring)."""

    def __init__(self, db: Database, *, now: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self._now = now  # the desk's clock: when a write was queued
        with db.atomic():
            db.table("outbox").create(
                {
                    "seq": int,
                    "kind": str,
                    "payload": str,
                    "idempotency_key": str,
                    "created_at": str,
                    "state": str,
                    "attempts": int,
                    "last_error": str,
                    "result": str,
                    "request": str,
                    "updated_at": str,
                },
                pk="seq",
                not_null={"kind", "payload", "idempotency_key", "created_at", "state"},
                defaults={"state": PENDING, "attempts": 0},
                if_not_exists=True,
            )
            db.table("outbox").create_index(["idempotency_key"], unique=True, if_not_exists=True)
            db.table("outbox").create_index(["state", "seq"], if_not_exists=True)
            # find(kind, local_id=...): the row that made a provisional caller, call or
            # booking, looked up for each row that refers to it.
            db.execute(
                "CREATE INDEX IF NOT EXISTS idx_outbox_kind_local_id "
                "ON outbox (kind, json_extract(payload, '$.local_id'))"
            )

    # -- writing --------------------------------------------------------------------------

    def append(
        self,
        kind: str,
        payload: dict[str, Any],
        key: str | None = None,
        *,
        request: dict[str, Any] | None = None,
    ) -> OutboxEntry:
        """Queue a write; committed (or part of the caller's transaction) when it returns.
        ``request``: the request already sent for it without an answer (frozen from the
        start)."""
        key = key or new_idempotency_key()
        synchronous = self.db.conn.execute("PRAGMA synchronous").fetchone()[0]
        assert synchronous >= 2, "an outbox row must be appended in a durable transaction"
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT INTO outbox (kind, payload, idempotency_key, created_at, state, attempts, "
                "request) VALUES (?, ?, ?, ?, ?, 0, ?)",
                (
                    kind,
                    json.dumps(payload, default=str),
                    key,
                    ts(self._now()),
                    PENDING,
                    json.dumps(request, default=str) if request is not None else None,
                ),
            )
            seq = int(cursor.lastrowid or 0)
        entry = self.get(seq)
        assert entry is not None
        return entry

    def _update(self, seq: int, **values: Any) -> None:
        values["updated_at"] = ts(utcnow())
        columns = ", ".join(f"{name} = :{name}" for name in values)
        self.db.execute(f"UPDATE outbox SET {columns} WHERE seq = :seq", {**values, "seq": seq})

    def set_request(self, seq: int, request: dict[str, Any]) -> None:
        """Freeze the request a row sends: every retry sends exactly this."""
        self._update(seq, request=json.dumps(request, default=str))

    def record_attempt(self, seq: int, error: str) -> None:
        """A try that got no answer (or a server fault): the row stays pending."""
        self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, updated_at = ? "
            "WHERE seq = ?",
            (error, ts(utcnow()), seq),
        )

    def mark_done(self, seq: int, result: Any = None) -> None:
        self._finish(seq, DONE, None, result)

    def mark_conflict(self, seq: int, error: str, result: Any = None) -> None:
        self._finish(seq, CONFLICT, error, result)

    def mark_failed(self, seq: int, error: str, result: Any = None) -> None:
        self._finish(seq, FAILED, error, result)

    def _finish(self, seq: int, state: str, error: str | None, result: Any) -> None:
        self.db.execute(
            "UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?, result = ?, "
            "updated_at = ? WHERE seq = ?",
            (
                state,
                error,
                json.dumps(result, default=str) if result is not None else None,
                ts(utcnow()),
                seq,
            ),
        )

    # -- reading --------------------------------------------------------------------------

    @staticmethod
    def _entry(row: dict) -> OutboxEntry:
        return OutboxEntry(
            seq=row["seq"],
            kind=row["kind"],
            payload=json.loads(row["payload"]),
            idempotency_key=row["idempotency_key"],
            created_at=from_ts(row["created_at"]),  # type: ignore[arg-type]
            state=row["state"],
            attempts=row["attempts"] or 0,
            last_error=row["last_error"],
            result=json.loads(row["result"]) if row["result"] else None,
            request=json.loads(row["request"]) if row["request"] else None,
            updated_at=from_ts(row["updated_at"]),
        )

    def get(self, seq: int) -> OutboxEntry | None:
        rows = list(self.db.query("SELECT * FROM outbox WHERE seq = ?", (seq,)))
        return self._entry(rows[0]) if rows else None

    def by_key(self, key: str) -> OutboxEntry | None:
        rows = list(self.db.query("SELECT * FROM outbox WHERE idempotency_key = ?", (key,)))
        return self._entry(rows[0]) if rows else None

    def next_pending(self) -> OutboxEntry | None:
        """The oldest write still to send."""
        rows = list(
            self.db.query("SELECT * FROM outbox WHERE state = ? ORDER BY seq LIMIT 1", (PENDING,))
        )
        return self._entry(rows[0]) if rows else None

    def pending_after(self, seq: int, limit: int = 500) -> list[OutboxEntry]:
        """The writes still to send queued after ``seq``, oldest first (at most ``limit``)."""
        rows = self.db.query(
            "SELECT * FROM outbox WHERE state = ? AND seq > ? ORDER BY seq LIMIT ?",
            (PENDING, seq, limit),
        )
        return [self._entry(row) for row in rows]

    def pending(self) -> list[OutboxEntry]:
        """Every write still to send, in the order they were made."""
        return self.entries(states=(PENDING,))

    def entries(
        self, *, states: tuple[str, ...] | None = None, limit: int | None = None
    ) -> list[OutboxEntry]:
        sql = "SELECT * FROM outbox"
        params: list[Any] = []
        if states:
            sql += f" WHERE state IN ({','.join('?' * len(states))})"
            params.extend(states)
        sql += " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [self._entry(row) for row in self.db.query(sql, params)]

    def find(self, kind: str, **payload: Any) -> list[OutboxEntry]:
        """Rows of ``kind`` whose payload has these values (e.g. ``local_id=-3``)."""
        where = " AND ".join(f"json_extract(payload, '$.{name}') = ?" for name in payload)
        sql = "SELECT * FROM outbox WHERE kind = ?" + (f" AND {where}" if where else "")
        rows = self.db.query(sql + " ORDER BY seq", (kind, *payload.values()))
        return [self._entry(row) for row in rows]

    def size(self) -> int:
        """How many writes wait to be sent."""
        rows = list(self.db.query("SELECT count(*) AS n FROM outbox WHERE state = ?", (PENDING,)))
        return int(rows[0]["n"])

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        for row in self.db.query("SELECT state, count(*) AS n FROM outbox GROUP BY state"):
            counts[row["state"]] = row["n"]
        return counts
