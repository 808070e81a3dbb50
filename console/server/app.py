"""The central booking service as an ASGI app: ``create_app(settings)``."""

from __future__ import annotations

from fastapi import FastAPI

from console.server import errors
from console.server.db import Database
from console.server.guard import MAX_BODY_BYTES, Guard
from console.server.migrate import upgrade
from console.server.openapi import describe
from console.server.routes import bookings, callers, calls, directory, reference, slots
from console.server.settings import ServerSettings

API_DESCRIPTION = f"""The central booking service of agent-console: callers, slots, holds,
bookings, calls and their wrap-ups, and a change feed. Every request carries
`Authorization: Bearer <token>`; supervisors' tokens read everything and write nothing (403).
Errors are JSON: `{{"error": code, "message": text, "field": name-or-null}}`; `field` names the
body property, parameter or header at fault.

Limits: a body of at most {MAX_BODY_BYTES // 1024} KiB (413 beyond); ids from 1 to 2^53-1;
times from 2000-01-01 to 2099-12-31; text without control characters (notes may keep line
breaks and tabs); every string and list has the maximum length its schema states. Every write
takes an `Idempotency-Key` (8-80 visible ASCII characters, unique per agent): a retry with the
same key and body is applied once and answered the same."""


def create_app(
    settings: ServerSettings, database: Database | None = None, *, migrate: bool = True
) -> FastAPI:
    """Build the app over ``settings.database`` (or an open ``database``), migrating it first."""
    database = database or Database.open(settings.database)
    if migrate:
        upgrade(database.engine)
    app = FastAPI(
        title="agent-console central service",
        version="1",
        description=API_DESCRIPTION,
    )
    app.state.database = database
    app.state.settings = settings
    app.state.token_cache = {}
    errors.install(app)
    app.add_middleware(Guard)
    for module in (reference, callers, slots, bookings, calls, directory):
        app.include_router(module.router)

    @app.get("/health", tags=["reference"])
    def health() -> dict[str, str]:
        """Liveness probe; needs no token."""
        with database.read() as connection:
            connection.exec_driver_sql("SELECT 1")
        return {"status": "ok"}

    describe(app, sorted(settings.disposition_codes()))
    return app
