"""What every kind of queued write has: :class:`Write`, the :class:`Context` it works in, the
:class:`Request` it sends on replay, and the outcomes a replay may meet (:class:`Moot`,
:class:`Settled`). See the package's docstring for how they fit together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict

from console.client.api import ApiRefused, Attempt, CentralApi, Unreachable
from console.client.cache import LocalCache, utcnow
from console.client.directory_cache import DirectoryCache
from console.client.issues import SyncIssue
from console.client.outbox import Outbox, OutboxEntry
from console.client.provisional import IdMap
from console.domain.models import Agent, Role, Slot

P = TypeVar("P", bound=BaseModel)  # the payload stored in the outbox row
A = TypeVar("A")  # what the desk asked for (the entry point's arguments)
R = TypeVar("R")  # what the desk gets back: the service's answer, or the provisional one


@dataclass
class Context:
    """What a write may use: the desk's cache, its id map, its outbox (to find the write that
    made a provisional id), its copy of the directory, and the registry of kinds. Never the
    Store, never the network (the network is passed to the few steps that need it)."""

    cache: LocalCache
    ids: IdMap
    outbox: Outbox
    directory: DirectoryCache
    registry: Mapping[str, type[Write]] = field(default_factory=dict)

    def me(self) -> Agent:
        """This desk's agent as last seen online."""
        agent = self.cache.agent()
        return agent or Agent(id=0, name="", role=Role.AGENT)

    def creator_of(self, kind: str, local: int | str) -> OutboxEntry | None:
        """The queued write that made the provisional ``kind`` ``local`` (see
        :attr:`Write.creates`)."""
        for write in self.registry.values():
            for made, name in write.creates:
                if made == kind:
                    rows = self.outbox.find(write.kind, **{name: local})
                    if rows:
                        return rows[0]
        return None


def not_cached(what: str) -> Unreachable:
    """The answer offline when the cache does not have ``what``."""
    return Unreachable(
        f"The central service is unreachable and {what} is not in this desk's local cache."
    )


@dataclass(frozen=True)
class Request:
    """What a queued write sends, with the real ids; frozen with the row once sent without an
    answer, so that every retry sends exactly it under the same idempotency key.

    ``sent_online``: the request the desk sent online whose answer never came (the write was
    queued then): it may have been done, so the replay sends it byte for byte first, under the
    same key, and gets the first answer. Refused, it was never done (nothing is stored under
    its key), and the row's own request goes instead."""

    method: str
    path: str
    body: Any = None
    call_id: int | None = None  # the call it is made in (X-Call-Id), not the desk's current one
    keyed: bool = True  # sent with the row's idempotency key (PATCHes are idempotent as they are)
    sent_online: bool = False

    def to_json(self) -> dict[str, Any]:
        data = {
            "method": self.method,
            "path": self.path,
            "body": self.body,
            "call_id": self.call_id,
            "keyed": self.keyed,
        }
        if self.sent_online:
            data["sent_online"] = True
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Request:
        return cls(
            method=data["method"],
            path=data["path"],
            body=data.get("body"),
            call_id=data.get("call_id"),
            keyed=data.get("keyed", True),
            sent_online=data.get("sent_online", False),
        )

    @classmethod
    def lost(cls, attempt: Attempt) -> Request:
        """The online request ``attempt`` as the queued row keeps it."""
        return cls(
            attempt.method,
            attempt.path,
            attempt.body,
            attempt.call_id,
            keyed=attempt.idempotency_key is not None,
            sent_online=True,
        )

    def same_as(self, other: Request) -> bool:
        """The same request on the wire (whatever the desk knows of where it came from)."""
        return self.to_json() | {"sent_online": False} == other.to_json() | {"sent_online": False}

    async def send(self, api: CentralApi, key: str) -> Any:
        return await api.send(
            self.method,
            self.path,
            json=self.body,
            idempotency_key=key if self.keyed else None,
            call_id=self.call_id,
        )


class Moot(Exception):
    """A write has nothing left to do (e.g. cancelling a booking that was never confirmed).
    ``settles``: the outbox row whose issue this closes, if any."""

    def __init__(self, reason: str, settles: int | None = None) -> None:
        super().__init__(reason)
        self.settles = settles


@dataclass(frozen=True)
class Settled:
    """A write done without sending it (a caller matched to an existing one): the answer
    :meth:`Write.applied` records, and notes for the row's result."""

    answer: Any
    notes: dict[str, Any] = field(default_factory=dict)


class Write(Generic[P, A, R]):
    """One kind of queued write. The class is the kind; an instance is one queued write.

    The desk's side (class methods, the entry point's arguments ``ask``): :meth:`check`,
    :meth:`prepare`, :meth:`ready`, :meth:`online`, then offline :meth:`make` and
    :meth:`provisional`. The replay's side (instance methods, from the outbox row):
    :meth:`replay_keys`, :meth:`request`, :meth:`applied`, and when it goes wrong
    :meth:`settle`, :meth:`dropped`, :meth:`issue`. :meth:`describe` for people.
    """

    kind: ClassVar[str]
    Payload: ClassVar[type[BaseModel]]
    # Sent with an idempotency key, and asked again with it: the same answer (a PATCH is not).
    keyed: ClassVar[bool] = True
    # The provisional ids this write makes: (what, the payload field that holds it).
    creates: ClassVar[tuple[tuple[str, str], ...]] = ()
    # Refusals that mean "taken meanwhile": a ``slot_taken`` issue instead of ``refused``.
    conflicts: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, payload: P, entry: OutboxEntry | None = None) -> None:
        self.payload = payload
        self.entry = entry

    @classmethod
    def from_entry(cls, entry: OutboxEntry) -> Self:
        """The write an outbox row holds (rows of every earlier version replay as they are)."""
        return cls(cls.Payload.model_validate(entry.payload), entry)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        """The payload as the outbox row stores it."""
        return self.payload.model_dump(mode="json")

    # -- the desk's side ------------------------------------------------------------------

    @classmethod
    def check(cls, ask: A) -> None:
        """Refuse what is wrong whatever the connection (before anything else)."""

    @classmethod
    def prepare(cls, ctx: Context, ask: A) -> A:
        """``ask`` as both paths need it (e.g. a slot held offline becomes the slot)."""
        return ask

    @classmethod
    def ready(cls, ctx: Context, ask: A) -> bool:
        """Whether it can go to the service now: every id it names is known there."""
        return True

    @classmethod
    async def online(cls, api: CentralApi, ctx: Context, ask: A, key: str | None) -> R:
        """Do it on the service (its :class:`CentralApi` method) and write the answer through
        to the cache."""
        raise NotImplementedError

    @classmethod
    def make(cls, ctx: Context, ask: A) -> Self:
        """Offline: check it as the service would, and make the write to queue (new
        provisional ids are drawn here). Runs in the transaction that queues it."""
        raise NotImplementedError

    @classmethod
    def make_sent(cls, ctx: Context, ask: A) -> Self:
        """As :meth:`make`, for a write sent online whose answer was lost (queued with the
        request as sent): without the offline checks the service has already made."""
        return cls.make(ctx, ask)

    def after_lost_answer(self, ctx: Context) -> list[Write]:
        """Sent online and queued when the answer never came: writes to queue right after it
        (in the same transaction), for what the request sent online did not carry."""
        return []

    def provisional(self, ctx: Context) -> R:
        """Offline: the result the desk works with until the replay (a caller or booking with
        a provisional id, a call wrapped up, ...), written to the cache in the transaction that
        queues the write."""
        raise NotImplementedError

    def result(self, ctx: Context) -> R:
        """The same write asked again (the same idempotency key): its result as it stands
        now, the real one once replayed."""
        raise NotImplementedError

    # -- the replay's side ----------------------------------------------------------------

    def replay_keys(self) -> frozenset | None:
        """What it touches, to order the replay: two writes that share a key are sent one after
        the other, in order. None: a barrier (it waits for every earlier write, and every
        later one waits for it): what frees a slot, changes what a caller is matched on, or
        is not known to be independent of anything."""
        return None

    def request(self, ctx: Context) -> Request:
        """The request to send, with the real ids. Raises
        :class:`~console.client.provisional.Unresolved` when an id it needs has none (its
        write was refused), :class:`Moot` when there is nothing left to do."""
        raise NotImplementedError

    async def settle(
        self, api: CentralApi, ctx: Context, refusal: ApiRefused | None = None
    ) -> Settled | None:
        """Done another way, without sending it (before the first send; and after a refusal,
        ``refusal``)? Default: no."""
        return None

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        """The service did it: make the provisional ids real and refresh the cache (in the
        replay's transaction); returns what the outbox row records."""
        raise NotImplementedError

    @property
    def wanted(self) -> Slot | None:
        """The slot it wanted, if any: a conflict offers the free slots nearest to it."""
        return None

    def conflict(self, ctx: Context, message: str, nearest: list[Slot]) -> SyncIssue:
        """A refusal in :attr:`conflicts`: the issue offering ``nearest`` instead; undo what it
        showed provisionally (in the replay's transaction)."""
        raise NotImplementedError

    def dropped(self, ctx: Context) -> None:
        """It will not happen (refused, or blocked): undo what it showed provisionally."""

    def issue(self, ctx: Context, kind: str, message: str) -> SyncIssue:
        """The sync issue that tells the agent it was not done (``kind``: refused, blocked)."""
        data = self.payload.model_dump()
        caller_ref = data.get("caller_id")
        caller_id = ctx.ids.real_int("caller", caller_ref) if caller_ref is not None else None
        snapshot = data.get("caller") if isinstance(data.get("caller"), dict) else None
        if snapshot is None and caller_ref is not None:
            snapshot = caller_snapshot(ctx, caller_id if caller_id is not None else caller_ref)
        slot = data.get("slot")
        return SyncIssue(
            id=0,
            kind=kind,
            action=self.entry.kind if self.entry else self.kind,
            message=message,
            outbox_seq=self.entry.seq if self.entry else 0,
            created_at=utcnow(),
            caller_id=caller_id if caller_id is not None else caller_ref,
            caller_name=(snapshot or {}).get("name", ""),
            caller_phone=(snapshot or {}).get("phone"),
            reference=data.get("new_reference") or data.get("reference"),
            slot=Slot.model_validate(slot) if slot else None,
            call_id=ctx.ids.real_int("call", data.get("call_id")),
            notes=data.get("notes", ""),
        )

    def describe(self) -> str:
        """One line for a person: what this write does."""
        return self.kind


class UnknownPayload(BaseModel):
    model_config = ConfigDict(extra="allow")


class UnknownWrite(Write[UnknownPayload, None, None]):
    """An outbox row of a kind this version of the desk does not know (written by a newer
    one): kept, never sent, shown as its kind, and a barrier."""

    kind = "unknown"
    Payload = UnknownPayload

    def request(self, ctx: Context) -> Request:
        raise TypeError(f"unknown outbox kind {self.entry.kind if self.entry else '?'!r}")

    def describe(self) -> str:
        return self.entry.kind if self.entry else self.kind


def caller_snapshot(ctx: Context, caller_id: int) -> dict[str, Any]:
    """The caller's name and first phone, as a queued write keeps them for its issue."""
    caller = ctx.cache.caller(caller_id)
    if caller is None:
        return {"name": "", "phone": None}
    return {
        "name": f"{caller.first_name} {caller.last_name}",
        "phone": caller.phones[0].number if caller.phones else None,
    }


class KeySet:
    """Collects replay keys, leaving out the empty ones."""

    def __init__(self) -> None:
        self.keys: set[tuple[str, Any]] = set()

    def add(self, kind: str, value: Any) -> KeySet:
        if value is not None:
            self.keys.add((kind, value))
        return self

    def frozen(self) -> frozenset:
        return frozenset(self.keys)
