"""Bookings: confirm, list, cancel, reschedule.

The writes answer with the JSON of the ``Booking`` the effect built and validated (the same that
is stored for a retry under the idempotency key), as a ready response: FastAPI does not validate
and serialise it a second time. ``response_model`` still documents it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from console.domain.models import (
    Booking,
    BookingIn,
    CancelIn,
    ProvisionalReferenceIn,
    RescheduleIn,
)
from console.server import bookings, callers, idempotency
from console.server.deps import (
    AgentDep,
    CallIdDep,
    DatabaseDep,
    IdempotencyKey,
    SettingsDep,
    WriterDep,
    query_id,
)
from console.server.errors import not_found
from console.server.messages import outbox
from console.server.openapi import BOOKING_REFERENCE_PATTERN, REFERENCE_PATTERN, errors

router = APIRouter(prefix="/v1/bookings", tags=["bookings"])

Reference = Annotated[
    str,
    Path(
        pattern=REFERENCE_PATTERN,
        description="the booking's reference: 7 symbols of ACDEFHJKMNPRTUVWXY34679 (any case), "
        "the last a check symbol; grouped 3-3-1 by a space or a dash, or not at all "
        "(K7M4PXY, K7M 4PX Y). A mistyped one (the check fails) is 422.",
    ),
]
ReferenceOrProvisional = Annotated[
    str,
    Path(
        pattern=BOOKING_REFERENCE_PATTERN,
        description="the booking's reference: 7 symbols of ACDEFHJKMNPRTUVWXY34679 (any case), "
        "the last a check symbol; grouped 3-3-1 by a space or a dash, or not at all "
        "(K7M4PXY, K7M 4PX Y). Or the provisional reference a desk gave the caller offline, "
        "which the booking keeps as an alias: P- and such a reference (P-K7M4PXY). A mistyped "
        "one (the check fails) is 422.",
    ),
]


@router.post(
    "",
    response_model=Booking,
    status_code=201,
    responses=errors(403, 404, 409, 413, 422),
)
def create(
    payload: BookingIn,
    agent: WriterDep,
    database: DatabaseDep,
    call_id: CallIdDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Book a held slot (``hold_id``, this agent's hold) or a free one (``slot_id``)."""

    def effect(connection: Connection) -> tuple[int, dict]:
        booking = bookings.create(
            connection,
            agent,
            payload,
            idempotency_key,
            header_call_id=call_id,
            message_settings=settings.messages,
        )
        return 201, booking.model_dump(mode="json")

    status, body = idempotency.run(
        database,
        agent,
        idempotency_key,
        "POST /v1/bookings",
        payload.model_dump(),
        effect,
    )
    return JSONResponse(body, status_code=status)


@router.get("", response_model=list[Booking], responses=errors(404, 422))
def list_for_caller(
    _agent: AgentDep,
    database: DatabaseDep,
    caller: Annotated[int, query_id("caller")],
    include_past: bool = False,
) -> list[Booking]:
    with database.read() as connection:
        if not callers.exists(connection, caller):
            raise not_found("caller", caller)
        return outbox.attach(connection, bookings.for_caller(connection, caller, include_past))


@router.get("/{reference}", response_model=Booking, responses=errors(404, 409, 422))
def read(reference: ReferenceOrProvisional, _agent: AgentDep, database: DatabaseDep) -> Booking:
    with database.read() as connection:
        booking = bookings.to_model(connection, bookings.get_row(connection, reference))
        return outbox.attach(connection, [booking])[0]


@router.post(
    "/{reference}/cancel",
    response_model=Booking,
    responses=errors(403, 404, 409, 413, 422),
)
def cancel(
    reference: Reference,
    agent: WriterDep,
    database: DatabaseDep,
    call_id: CallIdDep,
    settings: SettingsDep,
    payload: CancelIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Cancel a booking and free its slot. Any agent may cancel any agent's booking; the audit
    log records who did, and whose booking it was."""
    payload = payload or CancelIn()

    def effect(connection: Connection) -> tuple[int, dict]:
        booking = bookings.cancel(
            connection,
            agent,
            reference,
            payload.reason,
            payload.call_id,
            header_call_id=call_id,
            message_settings=settings.messages,
            notify=payload.notify,
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


@router.post(
    "/{reference}/reschedule",
    response_model=Booking,
    status_code=201,
    responses=errors(403, 404, 409, 413, 422),
)
def reschedule(
    reference: Reference,
    payload: RescheduleIn,
    agent: WriterDep,
    database: DatabaseDep,
    call_id: CallIdDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Book another slot for the booking's caller and retire the booking, atomically."""

    def effect(connection: Connection) -> tuple[int, dict]:
        booking = bookings.reschedule(
            connection,
            agent,
            reference,
            payload.hold_id,
            payload.slot_id,
            payload.call_id,
            idempotency_key,
            header_call_id=call_id,
            message_settings=settings.messages,
            notify=payload.notify,
            provisional=payload.provisional_reference,
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


@router.put(
    "/{reference}/provisional-reference",
    response_model=Booking,
    responses=errors(403, 404, 409, 413, 422),
)
def keep_provisional_reference(
    reference: Reference,
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
