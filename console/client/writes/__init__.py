"""The desk's writes that keep working offline: one :class:`~console.client.writes.base.Write`
class per kind of queued write, and :class:`~console.client.writes.queue.Writes`, which runs
them.

A write the desk makes goes to the central service when it answers (and nothing older waits in
the outbox); otherwise it is queued in the outbox with an idempotency key, and the desk gets a
provisional result at once (a caller or booking with a negative id, a ``P-`` reference). The
replay (``console.client.replay``) later sends each queued write, in order, exactly once.

Everything about one kind lives in its class, in the module of its entity (``callers``,
``calls``, ``bookings``, ``reports``, ``callbacks``):

- ``Payload``: the typed payload of its outbox row (a pydantic model; rows written by earlier
  versions of the desk, killed with writes queued and then upgraded, must still parse);
- the desk's side: ``check``, ``prepare``, ``ready`` (every id it names is known to the
  service), ``online`` (its :class:`~console.client.api.CentralApi` method, the answer written
  through to the cache), ``make`` (offline: check it as the service would, draw provisional
  ids) and ``provisional(ctx)`` (the provisional result, written to the cache in the
  transaction that queues the write); ``result(ctx)`` when the same write is asked again;
- the replay's side: ``replay_keys()`` (what it touches, to order the replay; None: a
  barrier), ``request(ctx)`` (the request it sends, given the real ids), ``applied(ctx,
  answer)`` (make the provisional ids real, refresh the cache), and when it goes wrong
  ``settle`` (done another way), ``conflicts`` (refusals that mean "taken meanwhile"),
  ``dropped`` (undo what it showed), ``issue`` (what the agent is told);
- ``describe()``: one line for a person (``agent-console sync --status``).

A write sent online whose answer never came (the request may have reached the service) is
queued with that request exactly as sent (``Request.sent_online``): the replay sends it again
byte for byte, under the same key, and gets the first answer; refused, it was never done, and
``request(ctx)`` goes instead. ``after_lost_answer(ctx)`` names writes to queue right after
such a row (a booking's provisional reference, which the request sent online did not carry).
Nothing to do for a new kind: it comes from ``Writes.submit``.

A Write is given a :class:`~console.client.writes.base.Context` (the cache, the id map, the
outbox, the directory copy), never the Store: the Store imports the writes, not the other way.

How to add a queued write
-------------------------

1. Add the endpoint's method to :class:`~console.client.api.CentralApi`.
2. Write one class, next to its kin (or in a new module of this package)::

       class ClaimCallback(Write[ClaimPayload, Claim, Callback]):
           kind = "claim_callback"          # the outbox row's kind: never change it
           Payload = ClaimPayload           # a pydantic model of the row's payload
           creates = ()                     # provisional ids it makes: (("callback", "local_id"),)

           @classmethod
           async def online(cls, api, ctx, ask, key): ...   # api.claim_callback(..., key)
           @classmethod
           def make(cls, ctx, ask): ...                     # offline: check; the payload
           def provisional(self, ctx): ...                  # the result shown meanwhile
           def result(self, ctx): ...                       # asked again with the same key
           def replay_keys(self): ...                       # frozenset, or None (a barrier)
           def request(self, ctx): ...                      # Request(...) with real ids
           def applied(self, ctx, answer): ...              # the outbox row's result
           def describe(self): ...

   Leave ``replay_keys`` out (a barrier) unless you know what the write touches; a write
   sent without a key (a PATCH) sets ``keyed = False``.
3. Add it to :data:`REGISTRY` below, and give the Store an entry point that hands it to
   ``Writes.submit``::

       async def claim_callback(self, callback_id: int, idempotency_key: str | None = None):
           return await self.writes.submit(ClaimCallback, Claim(callback_id), idempotency_key)

4. Test it like ``tests/client/test_writes.py`` does the others: its provisional result,
   replay keys, request with real ids, and what ``applied`` records.

Never change the payload of a kind that has shipped in a way old rows cannot parse: add a new
field with a default, or a new kind.
"""

from __future__ import annotations

from console.client.outbox import OutboxEntry
from console.client.writes.base import (
    Context,
    Moot,
    Request,
    Settled,
    UnknownWrite,
    Write,
    not_cached,
)
from console.client.writes.booking_followups import KeepReference, WithdrawMessages
from console.client.writes.bookings import Book, Cancel, Reschedule
from console.client.writes.callbacks import CallbackOutcome, CreateCallback, ReleaseCallback
from console.client.writes.callers import CreateCaller, UpdateCaller
from console.client.writes.calls import AttachCaller, NoteCall, StartCall, WrapUp
from console.client.writes.reports import CloseReport, ReportProvider

# Every kind of queued write, by the kind its outbox rows carry.
REGISTRY: dict[str, type[Write]] = {
    write.kind: write
    for write in (
        CreateCaller,
        UpdateCaller,
        StartCall,
        AttachCaller,
        Book,
        Cancel,
        Reschedule,
        WithdrawMessages,
        WrapUp,
        ReportProvider,
        CloseReport,
        KeepReference,
        NoteCall,
        CallbackOutcome,
        ReleaseCallback,
        CreateCallback,
    )
}

__all__ = [
    "REGISTRY",
    "Context",
    "Moot",
    "Request",
    "Settled",
    "UnknownWrite",
    "Write",
    "describe_entry",
    "not_cached",
    "replay_keys",
    "write_for",
]


def write_for(entry: OutboxEntry) -> Write:
    """The write an outbox row holds (an :class:`UnknownWrite` for a kind this version of the
    desk does not know: never sent, a barrier)."""
    return REGISTRY.get(entry.kind, UnknownWrite).from_entry(entry)


def replay_keys(entry: OutboxEntry) -> frozenset | None:
    """What a queued write touches, for ordering the replay (None: a barrier). A kind that
    does not say (it does not override ``replay_keys``) is a barrier without reading the row."""
    kind = REGISTRY.get(entry.kind, UnknownWrite)
    if kind.replay_keys is Write.replay_keys:
        return None
    return kind.from_entry(entry).replay_keys()


def describe_entry(entry: OutboxEntry) -> str:
    """One line for a person: what this queued write does."""
    return write_for(entry).describe()
