""":class:`Writes`: how the desk makes a write of any kind — online when it can, else queued
with a provisional result (see the package's docstring)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from console.client.api import CentralApi, Unreachable, new_idempotency_key
from console.client.connection import Connection
from console.client.outbox import OutboxEntry
from console.client.writes import write_for
from console.client.writes.base import Context, Request, Write

log = logging.getLogger(__name__)

A = TypeVar("A")
R = TypeVar("R")


class Writes:
    """Makes the desk's writes: online first, else queued in the outbox."""

    def __init__(self, api: CentralApi, ctx: Context, connection: Connection) -> None:
        self.api = api
        self.ctx = ctx
        self.connection = connection

    async def submit(self, write: type[Write[..., A, R]], ask: A, key: str | None = None) -> R:  # type: ignore[misc]
        """Do ``ask`` (a write of kind ``write``) on the service, or queue it.

        - The same write asked again (a keyed write with a key already in the outbox) gets
          the same answer: its provisional result, the real one once replayed.
        - Online, when every id it names is known to the service and nothing older waits in
          the outbox (the outbox keeps the desk's writes in order).
        - Else queued: the provisional result and the outbox row in one durable transaction,
          so once this returns, a killed console loses nothing. A write sent online whose
          answer never came may have been done: its row keeps the request exactly as sent
          (:meth:`Request.lost`), so the replay sends it again byte for byte under the same
          key and gets the first answer, never a refusal of a different request.
        """
        ctx = self.ctx
        write.check(ask)
        if write.keyed:
            key = key or new_idempotency_key()
            earlier = ctx.outbox.by_key(key)
            if earlier is not None:
                return write.from_entry(earlier).result(ctx)
        ask = write.prepare(ctx, ask)
        lost: Request | None = None
        if write.ready(ctx, ask) and await self.connection.may_write(ctx.outbox.size):
            try:
                return await write.online(self.api, ctx, ask, key)
            except Unreachable as exc:
                self.connection.went_offline(exc)
                lost = self._lost(exc, key)
        with ctx.cache.transaction(durable=True):
            queued = write.make_sent(ctx, ask) if lost is not None else write.make(ctx, ask)
            result = queued.provisional(ctx)
            request = lost.to_json() if lost is not None else None
            entry = ctx.outbox.append(write.kind, queued.to_json(), key, request=request)
            if lost is not None:
                for after in queued.after_lost_answer(ctx):
                    ctx.outbox.append(after.kind, after.to_json())
        log.info("queued %s #%s%s", entry.kind, entry.seq, " (answer lost)" if lost else "")
        self.connection.notify()
        self.connection.wake()
        return result

    @staticmethod
    def _lost(error: Unreachable, key: str | None) -> Request | None:
        """The write request that may have reached the service before ``error``, if any."""
        attempt = error.attempt
        if attempt is None or not attempt.may_have_arrived:
            return None
        if attempt.idempotency_key is None or attempt.idempotency_key != key:
            return None  # unkeyed (a PATCH: the same again is harmless) or not this write's
        return Request.lost(attempt)


@dataclass(frozen=True)
class QueuedWrite:
    """A write waiting in the outbox, as a person names it: its ``kind`` (``book``,
    ``wrap_up``, ...), the caller, the reference the caller was given, the slot's time and
    place, when it was queued; ``described``: one line in English (for logs and ``sync``)."""

    seq: int
    kind: str
    caller: str
    reference: str | None
    starts_at: datetime | None
    where: str
    queued_at: datetime
    described: str


def queued_write(entry: OutboxEntry, ctx: Context | None = None) -> QueuedWrite:
    """What ``entry`` is, for a person; with ``ctx``, the caller a write names by id (a call's,
    a change's) is looked up in the desk's cache."""
    write = write_for(entry)
    data = entry.payload
    caller = data.get("caller")
    name = ""
    if isinstance(caller, dict):
        name = (
            caller.get("name")
            or " ".join(str(caller.get(part) or "") for part in ("first_name", "last_name")).strip()
        )
    if not name and ctx is not None:
        name = _caller_name(ctx, data)
    slot = data.get("slot") if isinstance(data.get("slot"), dict) else None
    starts = datetime.fromisoformat(slot["starts_at"]) if slot and slot.get("starts_at") else None
    if starts is None and isinstance(data.get("started_at"), str):  # a call: when it began
        starts = datetime.fromisoformat(data["started_at"])
    return QueuedWrite(
        seq=entry.seq,
        kind=entry.kind,
        caller=name,
        reference=data.get("new_reference") or data.get("reference"),
        starts_at=starts,
        where=(slot or {}).get("location_name", ""),
        queued_at=entry.created_at,
        described=write.describe(),
    )


def _caller_name(ctx: Context, data: dict) -> str:
    """The name of the caller a payload names (``caller_id``, or its call's), if cached."""
    caller_id = data.get("caller_id")
    if caller_id is None and isinstance(data.get("call_id"), int):
        call = ctx.cache.call(ctx.ids.resolved("call", data["call_id"])[1] or data["call_id"])
        caller_id = call.caller_id if call is not None else None
    if not isinstance(caller_id, int):
        return ""
    found = ctx.cache.caller(ctx.ids.resolved("caller", caller_id)[1] or caller_id)
    return f"{found.first_name} {found.last_name}" if found is not None else ""
