"""Sync issues: queued writes the replay could not do by itself, for the agent to resolve.

``slot_taken`` (the slot went to someone else while the desk was offline), ``refused`` (the
service said no; ``message`` says why) and ``blocked`` (it needed a write that was refused).
They live in the desk's cache (``issues``) until the agent resolves them: :meth:`Issues.rebook`
one of the nearest free slots, :meth:`Issues.to_follow_up` (a callback owed to the caller) or
:meth:`Issues.dismiss`. Nothing the replay could not do is ever dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from console.client.api import CentralApi, new_idempotency_key
from console.client.cache import LocalCache, utcnow
from console.client.outbox import Outbox
from console.domain.calendar import TZ
from console.domain.callbacks import Callback, CallbackIn, CallbackSource
from console.domain.models import Booking, Call, CallDirection, Slot, WrapUpIn

NEAREST = 5


def local_time(value: datetime) -> str:
    return value.astimezone(TZ).strftime("%d. %m. %Y %H:%M")


@dataclass
class SyncIssue:
    """A queued write the replay could not do by itself; the agent resolves it.

    ``kind``: ``slot_taken`` (the slot went to someone else: :meth:`Issues.rebook` one of
    ``nearest`` or :meth:`Issues.to_follow_up`), ``refused`` (the service said no, ``message``
    says why), ``blocked`` (it depended on a write that was refused), ``callback_claimed`` and
    ``callback_closed`` (a callback's outcome made offline, not recorded: another agent claimed
    the callback meanwhile, or it was closed; ``details`` say what and how).
    """

    id: int
    kind: str
    action: str  # the outbox row's kind: book, reschedule, create_caller, cancel, ...
    message: str
    outbox_seq: int
    created_at: datetime
    caller_id: int | None = None
    caller_name: str = ""
    caller_phone: str | None = None
    reference: str | None = None  # the provisional reference the caller was given
    original_reference: str | None = None  # a reschedule: the booking that stays as it was
    slot: Slot | None = None  # the slot the caller wanted
    nearest: list[Slot] = field(default_factory=list)  # free slots closest to it
    call_id: int | None = None
    notes: str = ""
    error: str | None = None  # the service's error code (``slot_booked``, ``caller_exists``, ...)
    resolved_at: datetime | None = None
    resolution: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # what a kind needs besides

    def to_json(self) -> dict:
        data = asdict(self)
        data["slot"] = self.slot.model_dump(mode="json") if self.slot else None
        data["nearest"] = [s.model_dump(mode="json") for s in self.nearest]
        for name in ("id", "kind", "outbox_seq", "created_at", "resolved_at", "resolution"):
            data.pop(name)
        return data

    @classmethod
    def from_row(cls, row: dict) -> SyncIssue:
        data = dict(row["data"])
        slot = data.pop("slot", None)
        nearest = data.pop("nearest", [])
        return cls(
            id=row["id"],
            kind=row["kind"],
            outbox_seq=row["outbox_seq"],
            created_at=row["created_at"],
            resolved_at=row["resolved_at"],
            resolution=row["resolution"],
            slot=Slot.model_validate(slot) if slot else None,
            nearest=[Slot.model_validate(s) for s in nearest],
            **data,
        )


async def nearest_free(api: CentralApi, wanted: Slot, count: int = NEAREST) -> list[Slot]:
    """Free slots for the same service closest in time to the one wanted, the same location
    first."""
    now = utcnow()
    start = max(now, wanted.starts_at - timedelta(days=3))
    end = max(wanted.starts_at, now) + timedelta(days=14)
    page = await api.slots(wanted.service_id, start=start, end=end, limit=200)
    candidates = [s for s in page.slots if s.id != wanted.id]
    if not candidates:
        page = await api.slots(wanted.service_id, limit=50)
        candidates = [s for s in page.slots if s.id != wanted.id]
    candidates.sort(
        key=lambda s: (
            s.location_id != wanted.location_id,
            abs((s.starts_at - wanted.starts_at).total_seconds()),
        )
    )
    return candidates[:count]


class Writer(Protocol):
    """The writes resolving an issue makes (the desk's Store: online, or queued again)."""

    async def book(
        self,
        caller_id: int,
        *,
        hold_id: int | None = None,
        slot_id: int | None = None,
        call_id: int | None = None,
        notes: str = "",
        idempotency_key: str | None = None,
    ) -> Booking: ...

    async def reschedule(
        self,
        reference: str,
        *,
        hold_id: int | None = None,
        slot_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> Booking: ...

    async def start_call(
        self,
        caller_id: int | None = None,
        direction: CallDirection = CallDirection.INBOUND,
        idempotency_key: str | None = None,
    ) -> Call: ...

    async def wrap_up(
        self, call_id: int, wrap_up: WrapUpIn, idempotency_key: str | None = None
    ) -> Call: ...

    async def add_call_note(
        self, call_id: int, note: str, idempotency_key: str | None = None
    ) -> Call: ...
    async def create_callback(
        self, callback: CallbackIn, idempotency_key: str | None = None
    ) -> Callback: ...

    def real_id(self, kind: str, local: int) -> int | None: ...


async def callback_owed(
    writer: Writer,
    *,
    number: str,
    note: str,
    due_at: datetime,
    caller_id: int | None,
    call_id: int | None,
    idempotency_key: str,
) -> Callback:
    """A callback the agent owes a caller after an outage (source ``sync_issue``, kept for
    this agent), naming the caller and the call by their real ids: by now the replay has
    made every provisional id real or found it refused."""
    return await writer.create_callback(
        CallbackIn(
            number=number,
            source=CallbackSource.SYNC_ISSUE.value,
            due_at=due_at,
            note=note[:1000],
            caller_id=writer.real_id("caller", caller_id) if caller_id else None,
            call_id=writer.real_id("call", call_id) if call_id else None,
            assign="me",
        ),
        idempotency_key=idempotency_key,
    )


class Issues:
    """The desk's open sync issues, and resolving them (``on_change`` after each change)."""

    def __init__(
        self,
        cache: LocalCache,
        outbox: Outbox,
        api: CentralApi,
        writer: Writer,
        on_change: Callable[[], None],
    ) -> None:
        self.cache = cache
        self.outbox = outbox
        self.api = api
        self.writer = writer
        self.on_change = on_change

    def open(self) -> list[SyncIssue]:
        """Open sync issues, oldest first."""
        return [SyncIssue.from_row(row) for row in self.cache.issues()]

    def get(self, issue_id: int) -> SyncIssue | None:
        row = self.cache.issue(issue_id)
        return SyncIssue.from_row(row) if row else None

    def add(self, issue: SyncIssue) -> int:
        """Record an issue (in the caller's transaction); its id."""
        return self.cache.add_issue(issue.outbox_seq, issue.kind, issue.to_json())

    def settle_for(self, outbox_seq: int, resolution: str) -> None:
        """Close the open issue of that outbox row, if there is one."""
        row = self.cache.issue_for(outbox_seq)
        if row is not None:
            self.cache.resolve_issue(row["id"], resolution)

    async def refresh_nearest(self, issue: SyncIssue) -> SyncIssue:
        """Fetch the free slots nearest to the wanted one again (they go fast)."""
        if issue.slot is None:
            return issue
        issue.nearest = await nearest_free(self.api, issue.slot)
        self.cache.update_issue(issue.id, issue.to_json())
        return issue

    def _key(self, issue: SyncIssue, suffix: str) -> str:
        """An idempotency key derived from the failed write's: resolving twice does it once."""
        entry = self.outbox.get(issue.outbox_seq)
        return f"{entry.idempotency_key if entry else new_idempotency_key()}-{suffix}"[:80]

    def _resolve(self, issue: SyncIssue, resolution: str) -> None:
        self.cache.resolve_issue(issue.id, resolution)
        self.on_change()

    async def rebook(self, issue: SyncIssue, slot_id: int) -> Booking:
        """Book ``slot_id`` (one of ``issue.nearest``, or any other) for the issue's caller —
        a reschedule of the original booking if that is what failed, in the call the failed
        booking was made in — and close the issue."""
        if issue.kind != "slot_taken" or issue.caller_id is None:
            raise ValueError("Only a booking whose slot was taken can be rebooked.")
        key = self._key(issue, f"rb{slot_id}")
        if issue.action == "reschedule" and issue.original_reference:
            booking = await self.writer.reschedule(
                issue.original_reference, slot_id=slot_id, idempotency_key=key
            )
        else:
            booking = await self.writer.book(
                issue.caller_id,
                slot_id=slot_id,
                call_id=issue.call_id,
                notes=issue.notes,
                idempotency_key=key,
            )
        self._resolve(issue, f"rebooked as {booking.reference}")
        return booking

    async def to_follow_up(
        self,
        issue: SyncIssue,
        note: str,
        *,
        at: datetime | None = None,
        disposition: str = "callback",
        notes: str | None = None,
    ) -> Call | Callback:
        """Owe the issue's caller a callback, then close the issue: with a phone to call, a
        callback in the queue (source ``sync_issue``, kept for this agent, due at ``at``,
        default in 15 minutes); without one, an outbound call wrapped up with ``disposition``
        and a follow-up at ``at`` (the service makes that a callback too). ``notes``: what
        happened, in the agent's language (default: in English, from the issue)."""
        caller_id = issue.caller_id
        if issue.caller_phone:
            callback = await callback_owed(
                self.writer,
                number=issue.caller_phone,
                note=f"{note} — {notes or self._what(issue)}",
                due_at=at or utcnow() + timedelta(minutes=15),
                caller_id=caller_id,
                call_id=issue.call_id,
                idempotency_key=self._key(issue, "cb"),
            )
            self._resolve(issue, "follow-up: " + note)
            return callback
        if caller_id is not None and caller_id < 0:
            caller_id = self.writer.real_id("caller", caller_id)
        call = await self.writer.start_call(
            caller_id, CallDirection.OUTBOUND, idempotency_key=self._key(issue, "fc")
        )
        wrapped = await self.writer.wrap_up(
            call.id,
            WrapUpIn(
                disposition=disposition,
                notes=notes or self._what(issue),
                follow_up_at=at or utcnow() + timedelta(minutes=15),
                follow_up_note=note,
            ),
            idempotency_key=self._key(issue, "fw"),
        )
        self._resolve(issue, "follow-up: " + note)
        return wrapped

    async def note_on_call(self, issue: SyncIssue, note: str, suffix: str) -> Call | None:
        """Add ``note`` to the record of the call the issue's write was made in (what finally
        became of it), keyed on the issue (``suffix``: one note per way of settling it)."""
        call_id = issue.call_id
        if call_id is not None and call_id < 0:
            call_id = self.writer.real_id("call", call_id)
        if call_id is None:
            return None
        return await self.writer.add_call_note(
            call_id, note, idempotency_key=self._key(issue, f"n{suffix}")
        )

    @staticmethod
    def _what(issue: SyncIssue) -> str:
        """What the issue was about, for the follow-up's record."""
        wanted = (
            f" ({local_time(issue.slot.starts_at)}, {issue.slot.location_name})"
            if issue.slot
            else ""
        )
        reference = f" {issue.reference}" if issue.reference else ""
        return f"Sync issue: booking{reference}{wanted} not confirmed: {issue.message}"

    def dismiss(self, issue: SyncIssue, note: str = "") -> None:
        """The agent has dealt with an issue another way (e.g. fixed and re-entered a caller the
        service refused): close it, with a note for the record."""
        self._resolve(issue, "dismissed" + (f": {note}" if note else ""))
