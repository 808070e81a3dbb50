"""Errors the API answers with: JSON ``{"error", "message", "field"}``, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from console.domain.errors import InvalidValue

log = logging.getLogger(__name__)


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


def conflict(error: str, message: str) -> ApiProblem:
    return ApiProblem(409, error, message)


def forbidden(message: str) -> ApiProblem:
    return ApiProblem(403, "forbidden", message)


def unprocessable(message: str, field: str | None = None, error: str = "invalid") -> ApiProblem:
    return ApiProblem(422, error, message, field)


def _body(error: str, message: str, field: str | None = None) -> dict:
    return {"error": error, "message": message, "field": field}


def install(app: FastAPI) -> None:
    """Route every kind of failure through one JSON shape."""

    @app.exception_handler(ApiProblem)
    async def _problem(_request: Request, exc: ApiProblem) -> JSONResponse:
        return JSONResponse(_body(exc.error, exc.message, exc.field), status_code=exc.status)

    @app.exception_handler(InvalidValue)
    async def _invalid(_request: Request, exc: InvalidValue) -> JSONResponse:
        return JSONResponse(_body("invalid", exc.message, exc.field), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
        field = ".".join(location) or None
        message = first.get("msg", "Invalid request.")
        if field:
            message = f"{field}: {message}"
        return JSONResponse(_body("invalid", message, field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            503: "busy",
        }
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and message == "Not Found":
            message = "No such endpoint; see /openapi.json."
        return JSONResponse(
            _body(codes.get(exc.status_code, "error"), message),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(
            _body("internal", "The central service failed; the error is logged."),
            status_code=500,
        )
