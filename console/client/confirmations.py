"""Confirmations to pass on: a booking made offline (or sent online without an answer) that the
replay has confirmed under its real reference.

The agent read the caller a provisional reference (``P-…``); the service keeps it as an alias
of the booking, so it still finds the booking, but the caller should have the real one too.
Each confirmed booking leaves a :class:`Confirmation` in the desk's cache (written in the
replay's transaction, whether the console or ``agent-console sync`` replayed it) until the
agent passes it on: told the caller (:meth:`Confirmations.told`) or turned into a callback to
read it out (:meth:`Confirmations.to_follow_up`). Passed-on confirmations are kept for
``KEEP_DAYS``, then dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from console.client.cache import LocalCache, utcnow
from console.client.issues import Writer, callback_owed
from console.domain.callbacks import Callback
from console.domain.models import Call, CallDirection, WrapUpIn

KEEP_DAYS = 30  # passed-on confirmations are dropped after this
FOLLOW_UP_MINUTES = 15


@dataclass
class Confirmation:
    """A provisional reference the replay confirmed, to pass on to the caller."""

    id: int
    provisional: str  # P-… as the caller was given it
    reference: str  # the real one
    caller_id: int | None
    caller_name: str
    caller_phone: str | None
    starts_at: datetime
    location_name: str
    call_id: int | None  # the call the booking was made in
    created_at: datetime
    passed_on_at: datetime | None = None
    passed_on: str | None = None  # how: "told", "callback …"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("id", "created_at", "passed_on_at", "passed_on"):
            data.pop(name)
        data["starts_at"] = self.starts_at.isoformat()
        return data

    @classmethod
    def from_row(cls, row: dict) -> Confirmation:
        data = dict(row["data"])
        data["starts_at"] = datetime.fromisoformat(data["starts_at"])
        return cls(
            id=row["id"],
            created_at=row["created_at"],
            passed_on_at=row["passed_on_at"],
            passed_on=row["passed_on"],
            **data,
        )


class Confirmations:
    """The desk's confirmations still to pass on (``on_change`` after each change)."""

    def __init__(self, cache: LocalCache, writer: Writer, on_change: Callable[[], None]) -> None:
        self.cache = cache
        self.writer = writer
        self.on_change = on_change

    def open(self) -> list[Confirmation]:
        """Confirmations not passed on yet, oldest first."""
        return [Confirmation.from_row(row) for row in self.cache.confirmations()]

    def told(self, confirmation: Confirmation) -> None:
        """The agent told the caller the real reference (e.g. still on the line)."""
        self.cache.pass_on_confirmation(confirmation.id, "told")
        self.on_change()

    async def to_follow_up(
        self, confirmation: Confirmation, notes: str, note: str, *, at: datetime | None = None
    ) -> Call | Callback:
        """A callback to read the real reference out to the caller, due in
        ``FOLLOW_UP_MINUTES``, keyed on the confirmation (doing it twice makes one): with the
        caller's phone, straight into the callbacks queue (source ``sync_issue``, kept for
        this agent, ``note`` and ``notes`` its note), and no call is made up for it (the floor
        counts calls); without a phone, nobody can call back: an outbound call wrapped up as
        a callback records it (``notes`` for the call, ``note`` for the follow-up)."""
        # A caller with messages switched on also gets the replayed booking's confirmation,
        # which carries the real reference.
        key = f"ac-confirm-{confirmation.id}-{confirmation.reference}"
        due = at or utcnow() + timedelta(minutes=FOLLOW_UP_MINUTES)
        if confirmation.caller_phone:
            callback = await callback_owed(
                self.writer,
                number=confirmation.caller_phone,
                note=f"{note} — {notes}",
                due_at=due,
                caller_id=confirmation.caller_id,
                call_id=confirmation.call_id,
                idempotency_key=f"{key}-callback",
            )
            self.cache.pass_on_confirmation(confirmation.id, f"callback {callback.id}")
            self.on_change()
            return callback
        call = await self.writer.start_call(
            confirmation.caller_id, CallDirection.OUTBOUND, idempotency_key=f"{key}-call"
        )
        wrapped = await self.writer.wrap_up(
            call.id,
            WrapUpIn(disposition="callback", notes=notes, follow_up_at=due, follow_up_note=note),
            idempotency_key=f"{key}-wrap",
        )
        self.cache.pass_on_confirmation(confirmation.id, f"callback (call {wrapped.id})")
        self.on_change()
        return wrapped
