"""Bookings and calls this desk has seen or made; provisional ones (made offline) until the
replay confirms them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from console.client.cache.callers import CallerRows
from console.client.cache.values import ts, utcnow
from console.domain.models import Booking, BookingStatus, Call, Caller


class ProvisionalBooking(Booking):
    """A booking made offline: its ``reference`` is ``P-`` and a local code, and the central
    service has not confirmed it yet. Tell the caller it will be confirmed."""

    provisional: bool = True


class HistoryRows(CallerRows):
    """Bookings and calls (a provisional caller's follow it when it gets its real id)."""

    def put_booking(self, booking: Booking, *, provisional: bool = False) -> None:
        with self.transaction():
            # A reference is unique: a row under another id with it is an older copy.
            self.db.execute(
                "DELETE FROM bookings WHERE reference = ? AND id != ?",
                (booking.reference, booking.id),
            )
            self._upsert(
                "bookings",
                [
                    {
                        "id": booking.id,
                        "reference": booking.reference,
                        "caller_id": booking.caller_id,
                        "slot_id": booking.slot.id,
                        "starts_at": ts(booking.slot.starts_at),
                        "status": booking.status.value,
                        "created_by": booking.created_by,
                        "provisional": int(provisional),
                        "json": booking.model_dump_json(),
                    }
                ],
            )

    def _booking_from(self, row: dict) -> Booking:
        if row["provisional"]:
            return ProvisionalBooking.model_validate_json(row["json"])
        return Booking.model_validate_json(row["json"])

    def booking(self, reference: str) -> Booking | None:
        row = self._one("SELECT * FROM bookings WHERE reference = ?", (reference,))
        return self._booking_from(row) if row else None

    def booking_by_id(self, booking_id: int) -> Booking | None:
        row = self._one("SELECT * FROM bookings WHERE id = ?", (booking_id,))
        return self._booking_from(row) if row else None

    def bookings_for(
        self, caller_id: int, *, include_past: bool = False, now: datetime | None = None
    ) -> list[Booking]:
        sql = "SELECT * FROM bookings WHERE caller_id = ?"
        params: tuple = (caller_id,)
        if not include_past:
            sql += " AND starts_at >= ?"
            params = (caller_id, ts(now or utcnow()))
        rows = self._rows(sql + " ORDER BY starts_at, id", params)
        return [self._booking_from(row) for row in rows]

    def set_booking_status(
        self,
        reference: str,
        status: BookingStatus,
        superseded_by: str | None = None,
        *,
        cancel_call_id: int | None = None,
    ) -> Booking | None:
        row = self._one("SELECT * FROM bookings WHERE reference = ?", (reference,))
        if row is None:
            return None
        booking = self._booking_from(row)
        update: dict[str, Any] = {"status": status}
        if superseded_by is not None:
            update["superseded_by"] = superseded_by
        if cancel_call_id is not None:
            update["cancel_call_id"] = cancel_call_id
        changed = booking.model_copy(update=update)
        self.put_booking(changed, provisional=bool(row["provisional"]))
        return changed

    def remove_booking(self, booking_id: int) -> None:
        self.db.execute("DELETE FROM bookings WHERE id = ?", (booking_id,))

    def put_call(self, call: Call, *, provisional: bool = False) -> None:
        self._upsert(
            "calls",
            [
                {
                    "id": call.id,
                    "caller_id": call.caller_id,
                    "agent_id": call.agent_id,
                    "started_at": ts(call.started_at),
                    "provisional": int(provisional),
                    "json": call.model_dump_json(),
                }
            ],
        )

    def call(self, call_id: int) -> Call | None:
        row = self._one("SELECT json FROM calls WHERE id = ?", (call_id,))
        return Call.model_validate_json(row["json"]) if row else None

    def calls(
        self,
        *,
        caller_id: int | None = None,
        agent_id: int | None = None,
        limit: int = 20,
        open_only: bool = False,
    ) -> list[Call]:
        where, params = [], []
        if open_only:  # not wrapped up (a wrap-up queued offline is applied to the copy)
            where.append("json_extract(json, '$.wrapped_at') IS NULL")
        if caller_id is not None:
            where.append("caller_id = ?")
            params.append(caller_id)
        if agent_id is not None:
            where.append("agent_id = ?")
            params.append(agent_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._rows(
            f"SELECT json FROM calls {clause} ORDER BY started_at DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [Call.model_validate_json(r["json"]) for r in rows]

    def drop_history(self, older_than: datetime) -> None:
        """Forget confirmed bookings and calls from before ``older_than`` (never provisional
        ones: their writes may still wait in the outbox)."""
        with self.transaction():
            self.db.execute(
                "DELETE FROM bookings WHERE provisional = 0 AND starts_at < ?", (ts(older_than),)
            )
            self.db.execute(
                "DELETE FROM calls WHERE provisional = 0 AND started_at < ?", (ts(older_than),)
            )

    def remove_call(self, call_id: int) -> None:
        self.db.execute("DELETE FROM calls WHERE id = ?", (call_id,))

    def rekey_caller(self, local_id: int, real: Caller) -> None:
        """A provisional caller is now ``real``: its bookings and calls follow it."""
        with self.transaction():
            self.remove_caller(local_id)
            self.put_caller(real)
            for table in ("bookings", "calls"):
                self.db.execute(
                    f"UPDATE {table} SET caller_id = ?, json = json_set(json, '$.caller_id', ?) "
                    "WHERE caller_id = ?",
                    (real.id, real.id, local_id),
                )

    def rekey_call(self, local_id: int, real: Call) -> None:
        with self.transaction():
            self.remove_call(local_id)
            self.put_call(real)
            self.db.execute(
                "UPDATE bookings SET json = json_set(json, '$.call_id', ?) "
                "WHERE json_extract(json, '$.call_id') = ?",
                (real.id, local_id),
            )
