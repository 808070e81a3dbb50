"""Callbacks: the queue, claims, attempts; the telephone system's events; desks' extensions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.responses import JSONResponse

from console.domain.callbacks import (
    AttemptIn,
    Callback,
    CallbackCancelIn,
    CallbackIn,
    CallbackPage,
    ClaimIn,
    DeskExtension,
    ExtensionIn,
    TelephonyEvent,
    TelephonyEventResult,
)
from console.domain.models import Agent, ApiError, Line
from console.server import callback_claims, callbacks, clock, idempotency, telephony
from console.server.deps import (
    AgentDep,
    DatabaseDep,
    IdempotencyKey,
    SettingsDep,
    TelephonyDep,
    WriterDep,
    path_id,
    token_holder,
)

router = APIRouter(prefix="/v1", tags=["callbacks"])

CallbackId = Annotated[int, path_id("callback")]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    described = {
        403: "a supervisor (read-only), or a token of the wrong role",
        404: "no such callback",
        409: "the callback is claimed by another agent, closed, in its call (reached), not due, "
        "or outside the hours",
        422: "bad input: the field is named",
    }
    return {code: {"model": ApiError, "description": described[code]} for code in codes}


STATUSES = "active (open and claimed, the default), open, claimed, done, failed, cancelled, closed"


@router.get("/callbacks", response_model=CallbackPage, responses=_errors(403, 422))
def queue(
    _agent: AgentDep,
    database: DatabaseDep,
    settings: SettingsDep,
    status: str | None = Query(
        None,
        pattern="^(active|open|claimed|done|failed|cancelled|closed)$",
        description=STATUSES,
    ),
    number: Annotated[
        Line | None, Query(max_length=40, description="one number's callbacks")
    ] = None,
    limit: int = Query(200, ge=1, le=1000),
) -> CallbackPage:
    """The callback queue in its order (an agent's own ones first when they claim), or the
    closed ones, newest first; with the callback hours and whether they are open now."""
    with database.read() as connection:
        return callbacks.page(
            connection, settings.callbacks, clock.now(), status=status, number=number, limit=limit
        )


@router.get("/callbacks/{callback_id:int}", response_model=Callback, responses=_errors(403, 404))
def read(
    callback_id: CallbackId, _agent: AgentDep, database: DatabaseDep, settings: SettingsDep
) -> Any:
    with database.read() as connection:
        return callbacks.get(connection, callback_id, settings.callbacks, clock.now())


@router.post(
    "/callbacks",
    response_model=Callback,
    status_code=201,
    responses={
        200: {"model": Callback, "description": "merged into the number's open callback"},
        **_errors(403, 422),
    },
)
def create(
    payload: CallbackIn,
    agent: WriterDep,
    database: DatabaseDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """An agent's callback (a follow-up, or a sync issue that needs the caller): 201 a new
    one, or 200 when the number already had an open callback (one number, one open callback:
    the request's due time, owner and note are merged into it)."""

    def effect(connection) -> tuple[int, Any]:  # type: ignore[no-untyped-def]
        created, callback = callbacks.create(
            connection, agent, payload, settings.callbacks, clock.now()
        )
        return (201 if created else 200), callback.model_dump(mode="json")

    status, body = idempotency.run(
        database, agent, idempotency_key, "POST /v1/callbacks", payload.model_dump(mode="json"),
        effect,
    )  # fmt: skip
    return JSONResponse(body, status_code=status)


@router.post(
    "/callbacks/claim",
    response_model=Callback,
    responses={204: {"description": "no callback is due now"}, **_errors(403, 404, 409, 422)},
)
def claim(
    agent: WriterDep,
    database: DatabaseDep,
    settings: SettingsDep,
    payload: Annotated[ClaimIn | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Lease the next due callback to this agent for ``[callbacks] lease_minutes`` (or the one
    named, if it is due); 204 when none is due (outside the callback hours nothing is). Agents
    claiming at once never get the same callback. Replay with the same Idempotency-Key gets the
    same callback back."""
    chosen = payload.callback_id if payload else None

    def effect(connection) -> tuple[int, Any]:  # type: ignore[no-untyped-def]
        found = callback_claims.claim(connection, agent, settings.callbacks, clock.now(), chosen)
        return (200, found.model_dump(mode="json")) if found else (204, None)

    status, body = idempotency.run(
        database,
        agent,
        idempotency_key,
        "POST /v1/callbacks/claim",
        {"callback_id": chosen},
        effect,
    )
    if status == 204:
        return Response(status_code=204)
    return JSONResponse(body)


@router.post(
    "/callbacks/{callback_id:int}/attempts",
    response_model=Callback,
    responses=_errors(403, 404, 409, 422),
)
def attempt(
    callback_id: CallbackId,
    payload: AttemptIn,
    agent: WriterDep,
    database: DatabaseDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """One try at calling back, by the agent who claimed it. ``reached`` names the agent's
    console call it goes on in (``call_id``, required): the callback stays claimed by that
    agent, held by the call (no lease lapses it; a further attempt or a release is 409
    ``callback_in_call``), and the call's wrap-up closes it as done (``reached``, the call
    linked), or the service's sweep of abandoned calls does; a call already wrapped up closes
    it at once. ``declined`` closes it as done, ``wrong_number`` fails it, ``no_answer`` and
    ``busy`` put it back in the queue after ``[callbacks] retry_minutes`` until
    ``max_attempts``, then fail it. A desk may replay an attempt made offline (with its
    ``at``) as long as nobody else claimed the callback."""

    def effect(connection) -> tuple[int, Any]:  # type: ignore[no-untyped-def]
        found = callback_claims.attempt(
            connection, agent, callback_id, payload, settings.callbacks, clock.now()
        )
        return 200, found.model_dump(mode="json")

    return JSONResponse(
        idempotency.run(
            database,
            agent,
            idempotency_key,
            f"POST /v1/callbacks/{callback_id}/attempts",
            payload.model_dump(mode="json"),
            effect,
        )[1]
    )


@router.post(
    "/callbacks/{callback_id:int}/release",
    response_model=Callback,
    responses=_errors(403, 404, 409),
)
def release(
    callback_id: CallbackId,
    agent: WriterDep,
    database: DatabaseDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Give a claimed callback back to the queue as it was."""

    def effect(connection) -> tuple[int, Any]:  # type: ignore[no-untyped-def]
        found = callback_claims.release(
            connection, agent, callback_id, settings.callbacks, clock.now()
        )
        return 200, found.model_dump(mode="json")

    return JSONResponse(
        idempotency.run(
            database, agent, idempotency_key, f"POST /v1/callbacks/{callback_id}/release", {},
            effect,
        )[1]
    )  # fmt: skip


@router.post(
    "/callbacks/{callback_id:int}/cancel",
    response_model=Callback,
    responses=_errors(403, 404, 409, 422),
)
def cancel(
    callback_id: CallbackId,
    agent: WriterDep,
    database: DatabaseDep,
    settings: SettingsDep,
    payload: Annotated[CallbackCancelIn | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Cancel an open callback (not one another agent is working on)."""
    reason = payload.reason if payload else ""

    def effect(connection) -> tuple[int, Any]:  # type: ignore[no-untyped-def]
        found = callback_claims.cancel(
            connection, agent, callback_id, reason, settings.callbacks, clock.now()
        )
        return 200, found.model_dump(mode="json")

    return JSONResponse(
        idempotency.run(
            database,
            agent,
            idempotency_key,
            f"POST /v1/callbacks/{callback_id}/cancel",
            {"reason": reason},
            effect,
        )[1]
    )


# --- the telephone system -----------------------------------------------------------------------


@router.post(
    "/telephony/events",
    response_model=TelephonyEventResult,
    tags=["telephony"],
    responses=_errors(403, 422),
)
def telephony_event(
    event: Annotated[TelephonyEvent, Body()],
    _system: TelephonyDep,
    database: DatabaseDep,
    settings: SettingsDep,
) -> Any:
    """A call event from the telephone system (a token of the ``telephony`` role only):
    ``ringing {call_id, extension, number, line}``, ``answered {call_id, extension}``,
    ``missed {call_id, number, queue, waited_seconds}``, each with an optional ``at``.
    Idempotent by ``call_id``: a repeat answers ``applied: false`` and changes nothing. A
    ringing call goes into the change feed (entity ``ringing``) with the callers matched by its
    number; a missed one opens (or adds a try to) the number's callback; an answered one closes
    it as ``reached_us``."""
    with database.write() as connection:
        now = clock.now()
        result = telephony.record_event(connection, event, settings.callbacks, now)
        telephony.prune_now_and_then(connection, settings.callbacks, now)
    return result


@router.get("/telephony/extensions", response_model=list[DeskExtension], tags=["telephony"])
def extensions(
    _anyone: Annotated[Agent, Depends(token_holder)], database: DatabaseDep
) -> list[DeskExtension]:
    """The extensions the desks signed in declared (the telephone system's token may read
    this too, to ring them)."""
    with database.read() as connection:
        return telephony.signed_in_extensions(connection, clock.now())


@router.put(
    "/telephony/extension",
    response_model=DeskExtension,
    tags=["telephony"],
    responses=_errors(403, 422),
)
def declare_extension(payload: ExtensionIn, agent: WriterDep, database: DatabaseDep) -> Any:
    """This agent's desk answers this extension: ``ringing`` events for it are this desk's.
    A desk declares it when it signs in; it moves from any desk that declared it before."""
    with database.write() as connection:
        return telephony.declare_extension(connection, agent, payload.extension, clock.now())


@router.delete("/telephony/extension", status_code=204, tags=["telephony"], responses=_errors(403))
def release_extension(agent: WriterDep, database: DatabaseDep) -> Response:
    """The desk signs out: its extension is no longer this agent's."""
    with database.write() as connection:
        telephony.release_extension(connection, agent)
    return Response(status_code=204)
