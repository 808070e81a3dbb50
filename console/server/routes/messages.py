"""Messages to callers: a caller's messages and their status; withdrawing a booking's."""

from __future__ import annotations

from fastapi import APIRouter, Query

from console.domain.models import CallerMessage
from console.server import audit, bookings, callers
from console.server.deps import AgentDep, CallIdDep, DatabaseDep, WriterDep
from console.server.errors import not_found
from console.server.messages import outbox

router = APIRouter(tags=["messages"])


@router.get("/v1/callers/{caller_id}/messages", response_model=list[CallerMessage])
def for_caller(
    caller_id: int,
    agent: AgentDep,
    database: DatabaseDep,
    call_id: CallIdDep,
    limit: int = Query(50, ge=1, le=200, description="the newest this many"),
) -> list[CallerMessage]:
    """The caller's confirmations, changes, cancellations and reminders, newest first, each
    with its status: queued, sending, sent, failed (with the server's reason) or cancelled
    (withdrawn or made moot, with why). Read like the caller's card: audited."""
    with database.write() as connection:
        if not callers.exists(connection, caller_id):
            raise not_found("caller", caller_id)
        found = outbox.for_caller(connection, caller_id, limit)
        audit.record(
            connection, agent, "read", "messages", caller_id, caller_id=caller_id, call_id=call_id
        )
    return found


@router.post("/v1/bookings/{reference}/messages/withdraw", response_model=list[CallerMessage])
def withdraw(reference: str, agent: WriterDep, database: DatabaseDep) -> list[CallerMessage]:
    """Switch messages off for one booking after it was made (the booked dialog's switch):
    its messages still queued become ``cancelled``; one already sent or being sent is not
    recalled. Answers with the booking's messages. Doing it twice changes nothing more."""
    with database.write() as connection:
        row = bookings.get_row(connection, reference)
        outbox.withdraw(connection, row.id)
        audit.record(
            connection,
            agent,
            "update",
            "messages",
            row.id,
            caller_id=row.caller_id,
            detail=f"withdrawn for {row.reference}",
        )
        return outbox.for_bookings(connection, [row.id]).get(row.id, [])
