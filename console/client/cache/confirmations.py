"""Confirmations to pass on: provisional references the replay confirmed (see
``console.client.confirmations``)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from console.client.cache.database import CacheFile
from console.client.cache.values import from_ts, ts, utcnow


class ConfirmationRows(CacheFile):
    """Confirmations to pass on."""

    def add_confirmation(self, confirmation: Any) -> int:
        """Record a provisional reference the replay confirmed (a
        :class:`~console.client.confirmations.Confirmation`); the same one again changes
        nothing. Confirmations passed on more than 30 days ago go."""
        found = self._one(
            "SELECT id FROM confirmations WHERE provisional = ?", (confirmation.provisional,)
        )
        if found:
            return int(found["id"])
        now = utcnow()
        self.db.execute(
            "DELETE FROM confirmations WHERE passed_on_at IS NOT NULL AND passed_on_at < ?",
            (ts(now - timedelta(days=30)),),
        )
        cursor = self.db.execute(
            "INSERT INTO confirmations (provisional, created_at, json) VALUES (?, ?, ?)",
            (confirmation.provisional, ts(now), json.dumps(confirmation.to_json(), default=str)),
        )
        return int(cursor.lastrowid or 0)

    def confirmations(self, *, include_passed_on: bool = False) -> list[dict]:
        clause = "" if include_passed_on else "WHERE passed_on_at IS NULL"
        rows = self._rows(f"SELECT * FROM confirmations {clause} ORDER BY id")
        return [
            {
                "id": row["id"],
                "created_at": from_ts(row["created_at"]),
                "passed_on_at": from_ts(row["passed_on_at"]),
                "passed_on": row["passed_on"],
                "data": json.loads(row["json"]),
            }
            for row in rows
        ]

    def pass_on_confirmation(self, confirmation_id: int, how: str) -> None:
        self.db.execute(
            "UPDATE confirmations SET passed_on_at = ?, passed_on = ? WHERE id = ?",
            (ts(utcnow()), how, confirmation_id),
        )
