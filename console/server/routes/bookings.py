"""Bookings: confirm, list, cancel, reschedule.

The writes answer with the JSON of the ``Booking`` the effect built and validated (the same that
is stored for a retry under the idempotency key), as a ready response: FastAPI does not validate
and serialise it a second time. ``response_model`` still documents it.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from console.domain.models import (
    Booking,
    BookingIn,
    CancelIn,
    ProvisionalReferenceIn,
    RescheduleIn,
)
from console.server import bookings, callers, idempotency
from console.server.deps import AgentDep, CallIdDep, DatabaseDep, IdempotencyKey, WriterDep
from console.server.errors import not_found

router = APIRouter(prefix="/v1/bookings", tags=["bookings"])


@router.post("", response_model=Booking, status_code=201)
def create(
    payload: BookingIn,
    agent: WriterDep,
    database: DatabaseDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def effect(connection) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
        booking = bookings.create(connection, agent, payload, idempotency_key)
        return 201, booking.model_dump(mode="json")

    status, body = idempotency.run(
        database, agent, idempotency_key, "POST /v1/bookings", payload.model_dump(), effect
    )
    return JSONResponse(body, status_code=status)


@router.get("", response_model=list[Booking])
def list_for_caller(
    _agent: AgentDep,
    database: DatabaseDep,
    caller: int = Query(..., description="caller id"),
    include_past: bool = False,
) -> list[Booking]:
    with database.read() as connection:
        if not callers.exists(connection, caller):
            raise not_found("caller", caller)
        return bookings.for_caller(connection, caller, include_past)


@router.get("/{reference}", response_model=Booking)
def read(reference: str, _agent: AgentDep, database: DatabaseDep) -> Booking:
    with database.read() as connection:
        return bookings.to_model(connection, bookings.get_row(connection, reference))


@router.post("/{reference}/cancel", response_model=Booking)
def cancel(
    reference: str,
    agent: WriterDep,
    database: DatabaseDep,
    call_id: CallIdDep,
    payload: CancelIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = payload or CancelIn()

    def effect(connection) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
        booking = bookings.cancel(
            connection, agent, reference, payload.reason, payload.call_id or call_id
        )
        return 200, booking.model_dump(mode="json")

    status, body = idempotency.run(
        database,
        agent,
        idempotency_key,
        f"POST /v1/bookings/{reference}/cancel",
        payload.model_dump(),
        effect,
    )
    return JSONResponse(body, status_code=status)


@router.post("/{reference}/reschedule", response_model=Booking, status_code=201)
def reschedule(
    reference: str,
    payload: RescheduleIn,
    agent: WriterDep,
    database: DatabaseDep,
    call_id: CallIdDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def effect(connection) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
        booking = bookings.reschedule(
            connection,
            agent,
            reference,
            payload.hold_id,
            payload.slot_id,
            payload.call_id or call_id,
            idempotency_key,
            payload.provisional_reference,
        )
        return 201, booking.model_dump(mode="json")

    status, body = idempotency.run(
        database,
        agent,
        idempotency_key,
        f"POST /v1/bookings/{reference}/reschedule",
        payload.model_dump(),
        effect,
    )
    return JSONResponse(body, status_code=status)


@router.put("/{reference}/provisional-reference", response_model=Booking)
def keep_provisional_reference(
    reference: str,
    payload: ProvisionalReferenceIn,
    agent: WriterDep,
    database: DatabaseDep,
) -> Booking:
    """Keep the provisional reference (``P-…``) the desk gave the caller as an alias of the
    booking: for a booking the desk sent online without hearing back. The same again changes
    nothing; 409 `provisional_reference_set` when the booking keeps another one."""
    with database.write() as connection:
        return bookings.keep_provisional(
            connection, agent, reference, payload.provisional_reference
        )
