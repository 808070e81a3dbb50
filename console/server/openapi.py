"""What the OpenAPI document says beyond the routes themselves: every error each operation can
answer (with the one error model), the bearer scheme, and the configured wrap-up codes.

Routes declare their own errors with :func:`errors`; every ``/v1`` operation can also answer
401 (no valid token) and 503 ``busy``, every one that takes a body 413, and every one that a
role is refused 403 (the telephone system's token everywhere but its own routes; anyone else's
on those); :func:`describe` adds those, so the document lists each status the service can send.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from console.domain.models import ApiError
from console.domain.reference import ALPHABET
from console.server.deps import current_agent, telephony_system

_SYMBOL = f"[{ALPHABET}{ALPHABET.lower()}]"
# A booking reference as typed: 3-3-1 symbols, grouped by a space or a dash, or not at all.
REFERENCE_PATTERN = f"^{_SYMBOL}{{3}}[ -]?{_SYMBOL}{{3}}[ -]?{_SYMBOL}$"
# The same, or a provisional reference a desk gave offline (P-, then a booking reference).
BOOKING_REFERENCE_PATTERN = (
    f"{REFERENCE_PATTERN}|^[Pp][ -]?{_SYMBOL}{{3}}[ -]?{_SYMBOL}{{3}}[ -]?{_SYMBOL}$"
)

_MEANING = {
    401: "no token, a malformed Authorization header, or an unknown or revoked token",
    403: "a role that may not do this: a supervisor's token (read-only) on a write, the "
    "telephone system's token anywhere but /v1/telephony, another role's on the telephone "
    "system's routes; or another agent's hold or call",
    404: "the record the path names does not exist",
    409: "a conflict with the current state: the slot is taken or held, the booking or call "
    "has changed, the caller exists",
    413: "the body is over the limit",
    422: "bad input: `field` names it (a body property, a parameter, or a header)",
    503: "busy: the database could not take the request in time; retry after Retry-After "
    "seconds with the same Idempotency-Key",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: these statuses, each with the error model."""
    return {status: {"model": ApiError, "description": _MEANING[status]} for status in statuses}


def _never_null(schema: dict[str, Any]) -> None:
    """A parameter is left out, never null: a query string or a header has no null."""
    options = schema.get("anyOf")
    if options and any(option.get("type") == "null" for option in options):
        kept = [option for option in options if option.get("type") != "null"]
        del schema["anyOf"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    if schema.get("default", ...) is None:
        del schema["default"]


def _calls(dependant: Dependant) -> set[Any]:
    """Every dependency function a route runs, however deep."""
    found = {dependant.call} if dependant.call is not None else set()
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def _refusing_roles(app: FastAPI) -> set[tuple[str, str]]:
    """(path, method) of each operation that refuses some role with 403 before it runs: those
    that depend on :func:`~console.server.deps.current_agent` (the telephone system's token
    is refused) or on :func:`~console.server.deps.telephony_system` (every other token is)."""
    gates = {current_agent, telephony_system}
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):  # the routes of the included routers too
        if isinstance(context.original_route, APIRoute) and _calls(context.dependant) & gates:
            path = context.path_format or ""
            found |= {(path, method.lower()) for method in context.methods or ()}
    return found


def describe(app: FastAPI, disposition_codes: list[str]) -> None:
    """Build the document once, with the statuses every operation shares and the codes a
    wrap-up takes."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        refusing = _refusing_roles(app)
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                for parameter in operation.get("parameters", []):
                    _never_null(parameter["schema"])
                responses = operation.setdefault("responses", {})
                shared = [503] if not path.startswith("/v1/") else [401, 503]
                if "requestBody" in operation:  # the guard's limit applies to every body
                    shared.append(413)
                if (path, method) in refusing:
                    shared.append(403)
                for status in shared:
                    responses.setdefault(
                        str(status),
                        {
                            "description": _MEANING[status],
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ApiError"}
                                }
                            },
                        },
                    )
                for status, response in responses.items():
                    content = response.get("content", {}).get("application/json", {})
                    if content.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                        content["schema"] = {"$ref": "#/components/schemas/ApiError"}
                        response["description"] = _MEANING[int(status)]
                if "503" in responses:
                    responses["503"]["headers"] = {
                        "Retry-After": {
                            "description": "seconds to wait before retrying",
                            "schema": {"type": "integer"},
                        }
                    }
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ApiError", ApiError.model_json_schema())
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        wrap_up = components.get("WrapUpIn", {}).get("properties", {}).get("disposition")
        if wrap_up is not None:
            wrap_up["enum"] = sorted(disposition_codes)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
