"""The slot window: the free slots of every service for the next days, kept fresh from the
change feed, minus those this desk holds or booked offline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from console.client.cache.database import CacheFile
from console.client.cache.values import as_json, from_ts, ts, utcnow
from console.domain.models import Slot, SlotStatus


class SlotRows(CacheFile):
    """The slot window."""

    @staticmethod
    def _slot_row(slot: Slot) -> dict:
        return {
            "id": slot.id,
            "service_id": slot.service_id,
            "location_id": slot.location_id,
            "provider_id": slot.provider_id,
            "region": slot.region,
            "starts_at": ts(slot.starts_at),
            "status": slot.status.value,
            "held_until": ts(slot.held_until) if slot.held_until else None,
            "json": as_json(slot),
        }

    def put_slots(self, slots: list[Slot]) -> None:
        if slots:
            self._upsert("slots", (self._slot_row(s) for s in slots))

    def replace_window(self, service_id: int, slots: list[Slot], end: datetime) -> None:
        """The free slots of one service up to ``end``, as just fetched: earlier rows go."""
        with self.transaction():
            self.db.execute(
                "DELETE FROM slots WHERE service_id = ? AND starts_at < ?", (service_id, ts(end))
            )
            self.put_slots(slots)

    def drop_past_slots(self, now: datetime | None = None) -> None:
        self.db.execute("DELETE FROM slots WHERE starts_at <= ?", (ts(now or utcnow()),))

    def slot(self, slot_id: int) -> Slot | None:
        row = self._one("SELECT * FROM slots WHERE id = ?", (slot_id,))
        return self._slot_from(row) if row else None

    @staticmethod
    def _slot_from(row: dict) -> Slot:
        slot = Slot.model_validate_json(row["json"])
        return slot.model_copy(
            update={"status": SlotStatus(row["status"]), "held_until": from_ts(row["held_until"])}
        )

    def set_slot_status(
        self, slot_id: int, status: SlotStatus, held_until: datetime | None = None
    ) -> bool:
        """Record what the feed said about a slot; False if the slot is not in the window."""
        cursor = self.db.execute(
            "UPDATE slots SET status = ?, held_until = ? WHERE id = ?",
            (status.value, ts(held_until) if held_until else None, slot_id),
        )
        return cursor.rowcount > 0

    def slot_count(self) -> int:
        row = self._one("SELECT count(*) AS n FROM slots WHERE status != 'booked'")
        return int(row["n"]) if row else 0

    def locally_taken(self, slot_id: int, now: datetime | None = None) -> str | None:
        """'booked' or 'held' if this desk booked or holds the slot provisionally."""
        if self._one(
            "SELECT 1 FROM bookings WHERE slot_id = ? AND provisional = 1 AND status = 'confirmed'",
            (slot_id,),
        ):
            return "booked"
        if self._one(
            "SELECT 1 FROM holds WHERE slot_id = ? AND local = 1 AND expires_at > ?",
            (slot_id, ts(now or utcnow())),
        ):
            return "held"
        return None

    def free_slots(
        self,
        service_id: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        location_id: int | None = None,
        region: str | None = None,
        provider_id: int | None = None,
        limit: int = 20,
        now: datetime | None = None,
    ) -> list[Slot]:
        """Cached free slots, earliest first, minus those this desk holds or booked offline.

        A slot the feed said was held counts as free again once the hold has run out (the
        service records no change when a hold expires).
        """
        now_text = ts(now or utcnow())
        start_text = max(ts(start), now_text) if start else now_text
        where = [
            "service_id = :service",
            "starts_at > :now",
            "starts_at >= :start",
            "(status = 'free' OR (status = 'held' AND (held_until IS NULL OR held_until <= :now)))",
            "id NOT IN (SELECT slot_id FROM holds WHERE local = 1 AND expires_at > :now)",
            "id NOT IN (SELECT slot_id FROM bookings WHERE provisional = 1 "
            "AND status = 'confirmed')",
        ]
        params: dict[str, Any] = {
            "service": service_id,
            "now": now_text,
            "start": start_text,
            "limit": limit,
        }
        if end is not None:
            where.append("starts_at < :end")
            params["end"] = ts(end)
        if location_id is not None:
            where.append("location_id = :location")
            params["location"] = location_id
        if region:
            where.append("region = :region")
            params["region"] = region
        if provider_id is not None:
            where.append("provider_id = :provider")
            params["provider"] = provider_id
        rows = self._rows(
            f"SELECT * FROM slots WHERE {' AND '.join(where)} ORDER BY starts_at, id LIMIT :limit",
            params,
        )
        return [
            self._slot_from(row).model_copy(update={"status": SlotStatus.FREE, "held_until": None})
            for row in rows
        ]
