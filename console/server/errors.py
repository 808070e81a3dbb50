"""Errors the API answers with: JSON ``{"error", "message", "field"}``, never a traceback.

Every failure takes this one shape, whatever raised it: a rule of the service
(:class:`ApiProblem`), a validator of the domain (``InvalidValue``), FastAPI's request
validation, Starlette's routing (404, 405), a body the guard refused (413, malformed JSON:
``console.server.guard``), or a bug (500, logged; the connection stays usable).

``field`` names the input at fault the way the client sent it: a body property
(``caller_id``, ``phones.2`` for the third phone), a query or path parameter (``from``,
``caller_id``), a header by its name (``X-Call-Id``, ``Idempotency-Key``), or ``body`` for a
body that is not JSON at all. :data:`ERROR_CODES` lists every code with its status; the
README's API section shows the same table.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from console.domain.errors import InvalidValue

log = logging.getLogger(__name__)

# Every error code the API answers with: (status, code, when). The README lists the same. A
# record the path names and that does not exist is 404; one a body or header names is 422 with
# that ``field`` (the request is wrong, not the address).
ERROR_CODES: tuple[tuple[int, str, str], ...] = (
    (401, "unauthorized", "no token, a malformed Authorization header, or a revoked token"),
    (403, "forbidden", "a supervisor's write; another agent's hold or call"),
    (404, "not_found", "no such endpoint"),
    (404, "booking_not_found", "no booking with the reference in the path"),
    (404, "caller_not_found", "no caller with the id in the path or ?caller="),
    (404, "call_not_found", "no call with the id in the path"),
    (404, "doctor_not_found", "no doctor with the id in the path"),
    (404, "hold_not_found", "no hold with the id in the path or hold_id"),
    (404, "report_not_found", "no report with the id in the path"),
    (404, "slot_not_found", "no slot with the id in the path or slot_id"),
    (404, "callback_not_found", "no callback with the id in the path"),
    (404, "agent_not_found", "no agent with the id in the path"),
    (405, "method_not_allowed", "the path exists, the method does not (see Allow)"),
    (409, "slot_booked", "the slot is booked"),
    (409, "slot_held", "another agent holds the slot"),
    (409, "slot_blocked", "the office blocked the slot"),
    (409, "slot_past", "the slot has started"),
    (409, "hold_not_yours", "the hold belongs to another agent"),
    (409, "hold_released", "the hold was released"),
    (409, "hold_expired", "the hold expired"),
    (409, "booking_cancelled", "the booking is cancelled and cannot change"),
    (409, "booking_rescheduled", "the booking was rescheduled and cannot change"),
    (409, "booking_no_show", "the booking is marked no-show and cannot change"),
    (409, "booking_changed", "the booking changed meanwhile"),
    (409, "caller_exists", "another caller has this EMŠO or ZZZS number"),
    (409, "call_wrapped", "the call is wrapped up already"),
    (409, "report_closed", "the report is closed already"),
    (409, "reference_exhausted", "no free booking reference could be drawn (never seen)"),
    (409, "callback_claimed", "another agent is working on the callback"),
    (409, "callback_closed", "the callback is closed already"),
    (409, "callback_not_due", "the callback is not due yet"),
    (409, "callback_assigned", "the callback is kept for another agent for now"),
    (409, "callback_not_claimed", "claim the callback first"),
    (409, "callback_in_call", "the callback was reached in a call: that call's wrap-up closes it"),
    (409, "callback_busy", "the number's callback is changing: retry"),
    (409, "outside_hours", "outside the callback hours"),
    (409, "call_busy", "the telephone system's call is being recorded by another request: retry"),
    (
        409,
        "caller_has_booking",
        "the caller has an active booking at an overlapping time (send allow_overlap: true "
        "to book anyway), or one of a service that allows one per caller",
    ),
    (409, "provisional_reference_set", "the booking keeps another provisional reference"),
    (409, "ambiguous_reference", "two bookings keep this provisional reference: look it up"),
    (410, "resync", "a change-feed cursor older than the feed keeps, or past its end: reload"),
    (413, "body_too_large", "the body is over the limit"),
    (
        422,
        "invalid",
        "a value is malformed, out of range or missing; `field` names it (`body`: "
        "the body is not UTF-8 JSON, or nests too deeply)",
    ),
    (422, "query_too_short", "a caller search of fewer than 2 characters"),
    (422, "caller_not_found", "caller_id in the body names no caller"),
    (422, "call_not_found", "call_id (body) or X-Call-Id names no call of this agent's"),
    (422, "provider_not_found", "referred_provider_id names no doctor"),
    (422, "idempotency_key_reused", "this agent sent the Idempotency-Key with another request"),
    (422, "time_in_future", "started_at or ended_at over 5 minutes ahead of the service's clock"),
    (422, "time_too_old", "started_at older than the idempotency window ([retention])"),
    (500, "internal", "a bug: logged, answered in this shape; never expected"),
    (503, "busy", "the database could not take the request in time; retry after Retry-After"),
    (503, "unavailable", "/health, /healthz: the database did not answer (in 3 s)"),
)


class ApiProblem(Exception):
    """Raised anywhere below a route to answer with ``status`` and a clear message."""

    def __init__(self, status: int, error: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.field = field


def not_found(what: str, ident: object) -> ApiProblem:
    return ApiProblem(404, f"{what}_not_found", f"No {what.replace('_', ' ')} {ident}.")


def conflict(error: str, message: str, field: str | None = None) -> ApiProblem:
    return ApiProblem(409, error, message, field)


def forbidden(message: str) -> ApiProblem:
    return ApiProblem(403, "forbidden", message)


def unprocessable(message: str, field: str | None = None, error: str = "invalid") -> ApiProblem:
    return ApiProblem(422, error, message, field)


def body(error: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": error, "message": message, "field": field}


# Headers the API reads, by their lower-case name (FastAPI's error location) -> as documented.
HEADER_NAMES = {
    "x-call-id": "X-Call-Id",
    "idempotency-key": "Idempotency-Key",
    "authorization": "Authorization",
}
_LOCATIONS = ("body", "query", "path", "header", "cookie")


def field_of(location: tuple[Any, ...] | list[Any]) -> str | None:
    """The input a validation error's location names, as the client sent it."""
    parts = list(location)
    kind = parts.pop(0) if parts and parts[0] in _LOCATIONS else None
    if kind == "header" and parts:
        return HEADER_NAMES.get(str(parts[0]).lower(), str(parts[0]))
    if kind == "body" and not parts:
        return "body"
    # A union's branch name ("function-after[...]", "int") is pydantic's, not the client's.
    named = [str(part) for part in parts if not (isinstance(part, str) and "[" in part)]
    return ".".join(named) or kind


def allowed_methods(request: Request) -> list[str]:
    """Every method the OpenAPI document lists for this request's path (405's and OPTIONS'
    ``Allow``), and OPTIONS."""
    table = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        table = []
        for path, operations in request.app.openapi()["paths"].items():
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))
            listed = {method.upper() for method in operations}
            table.append((path, re.compile(f"^{pattern}$"), listed))
        request.app.state.allowed_methods = table
    methods: set[str] = set()
    # A literal path (/v1/callbacks/claim) is its own resource, not one of a template's
    # (/v1/callbacks/{callback_id}): the document's methods for it are its own.
    matching = [
        (path, listed) for path, pattern, listed in table if pattern.match(request.url.path)
    ]
    literal = [listed for path, listed in matching if "{" not in path]
    for listed in literal or [listed for _, listed in matching]:
        methods |= listed
    return [*sorted(methods), "OPTIONS"] if methods else []


def install(app: FastAPI) -> None:
    """Route every kind of failure through one JSON shape."""

    @app.exception_handler(ApiProblem)
    async def _problem(_request: Request, exc: ApiProblem) -> JSONResponse:
        return JSONResponse(body(exc.error, exc.message, exc.field), status_code=exc.status)

    @app.exception_handler(InvalidValue)
    async def _invalid(_request: Request, exc: InvalidValue) -> JSONResponse:
        return JSONResponse(body("invalid", exc.message, exc.field), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        field = field_of(first.get("loc", ()))
        if first.get("type") == "json_invalid":  # the guard parses bodies first: a safety net
            return JSONResponse(body("invalid", "The body is not valid JSON.", "body"), 422)
        message = first.get("msg", "Invalid request.")
        if field:
            message = f"{field}: {message}"
        return JSONResponse(body("invalid", message, field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            503: "busy",
        }
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            allow = ", ".join(allowed_methods(request))
            headers["Allow"] = allow
            if request.method == "OPTIONS":
                return Response(status_code=204, headers=headers)
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and message == "Not Found":
            message = "No such endpoint; see /openapi.json."
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed here; use {headers['Allow']}."
        return JSONResponse(
            body(codes.get(exc.status_code, "error"), message),
            status_code=exc.status_code,
            headers=headers or None,
        )
