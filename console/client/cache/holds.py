"""The holds this desk made (online, or provisional ones made offline)."""

from __future__ import annotations

from datetime import datetime

from console.client.cache.database import CacheFile
from console.client.cache.values import from_ts, ts


class HoldRows(CacheFile):
    """This desk's holds."""

    def put_hold(self, hold_id: int, slot_id: int, expires_at: datetime, *, local: bool) -> None:
        self._upsert(
            "holds",
            [
                {
                    "id": hold_id,
                    "slot_id": slot_id,
                    "expires_at": ts(expires_at),
                    "local": int(local),
                }
            ],
        )

    def hold(self, hold_id: int) -> dict | None:
        """``{"id", "slot_id", "expires_at", "local"}`` of a hold this desk made."""
        row = self._one("SELECT * FROM holds WHERE id = ?", (hold_id,))
        if row:
            row["expires_at"] = from_ts(row["expires_at"])
        return row

    def remove_hold(self, hold_id: int) -> None:
        self.db.execute("DELETE FROM holds WHERE id = ?", (hold_id,))

    def remove_holds_on(self, slot_id: int) -> None:
        self.db.execute("DELETE FROM holds WHERE slot_id = ?", (slot_id,))
