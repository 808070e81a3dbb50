""":class:`Writes`: how the desk makes a write of any kind — online when it can, else queued
with a provisional result (see the package's docstring)."""

from __future__ import annotations

import logging
from typing import TypeVar

from console.client.api import CentralApi, Unreachable, new_idempotency_key
from console.client.connection import Connection
from console.client.writes.base import Context, Write

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
          so once this returns, a killed console loses nothing.
        """
        ctx = self.ctx
        write.check(ask)
        if write.keyed:
            key = key or new_idempotency_key()
            earlier = ctx.outbox.by_key(key)
            if earlier is not None:
                return write.from_entry(earlier).result(ctx)
        ask = write.prepare(ctx, ask)
        if write.ready(ctx, ask) and await self.connection.may_write(ctx.outbox.size):
            try:
                return await write.online(self.api, ctx, ask, key)
            except Unreachable as exc:
                self.connection.went_offline(exc)
        with ctx.cache.transaction(durable=True):
            queued = write.make(ctx, ask)
            result = queued.provisional(ctx)
            entry = ctx.outbox.append(write.kind, queued.to_json(), key)
        log.info("queued %s #%s", entry.kind, entry.seq)
        self.connection.notify()
        self.connection.wake()
        return result
