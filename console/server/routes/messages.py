"""Messages to callers: a caller's messages and their status; withdrawing a booking's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from console.domain.models import CallerMessage
from console.server import audit, bookings, callers, idempotency
from console.server.calls import check_call
from console.server.deps import (
    AgentDep,
    CallIdDep,
    DatabaseDep,
    IdempotencyKey,
    WriterDep,
    path_id,
)
from console.server.errors import not_found
from console.server.messages import outbox
from console.server.openapi import REFERENCE_PATTERN, errors

router = APIRouter(tags=["messages"])


@router.get(
    "/v1/callers/{caller_id}/messages",
    response_model=list[CallerMessage],
    responses=errors(404, 422),
)
def for_caller(
    caller_id: Annotated[int, path_id("caller")],
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
        call_id = check_call(connection, agent, call_id, "X-Call-Id")
        found = outbox.for_caller(connection, caller_id, limit)
        audit.record(
            connection, agent, "read", "messages", caller_id, caller_id=caller_id, call_id=call_id
        )
    return found


@router.post(
    "/v1/bookings/{reference}/messages/withdraw",
    response_model=list[CallerMessage],
    responses=errors(403, 404, 422),
)
def withdraw(
    reference: Annotated[
        str, Path(pattern=REFERENCE_PATTERN, description="the booking's reference")
    ],
    agent: WriterDep,
    database: DatabaseDep,
    idempotency_key: IdempotencyKey = None,
) -> list[CallerMessage]:
    """Switch messages off for one booking after it was made (the booked dialog's switch):
    its messages still queued become ``cancelled``; one already sent or being sent is not
    recalled. Answers with the booking's messages. Doing it twice changes nothing more."""

    def effect(connection) -> tuple[int, list]:  # type: ignore[no-untyped-def]
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
        found = outbox.for_bookings(connection, [row.id]).get(row.id, [])
        return 200, [message.model_dump(mode="json") for message in found]

    return idempotency.run(
        database,
        agent,
        idempotency_key,
        f"POST /v1/bookings/{reference}/messages/withdraw",
        None,
        effect,
    )[1]
