"""The central booking service as an ASGI app: ``create_app(settings)``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from console.domain.models import ApiError, Health, RetentionPeriods
from console.server import changes, errors
from console.server.db import Database
from console.server.deps import AgentDep
from console.server.feed_wait import FeedWatcher, feed_end
from console.server.guard import MAX_BODY_BYTES, Guard
from console.server.logs import RequestLog
from console.server.migrate import upgrade
from console.server.openapi import describe
from console.server.retention import DailyPrune
from console.server.routes import (
    bookings,
    callbacks,
    callers,
    calls,
    directory,
    floor,
    reference,
    slots,
)
from console.server.routes import messages as message_routes
from console.server.schema import meta_info
from console.server.settings import ServerSettings

API_DESCRIPTION = f"""The central booking service of agent-console: callers, slots, holds,
bookings, calls and their wrap-ups, and a change feed. Every request carries
`Authorization: Bearer <token>` (except `/health` and `/healthz`); supervisors' tokens read
everything and write nothing (403); the telephone system's token (role `telephony`) posts call
events and nothing else. Errors are JSON: `{{"error": code, "message": text, "field":
name-or-null}}`; `field` names the body property, parameter or header at fault.

Limits: a body of at most {MAX_BODY_BYTES // 1024} KiB (413 beyond); ids from 1 to 2^53-1;
times from 2000-01-01 to 2099-12-31; text without control characters (notes may keep line
breaks and tabs); every string and list has the maximum length its schema states. Every write
takes an `Idempotency-Key` (8-80 visible ASCII characters, unique per agent): a retry with the
same key and body is applied once and answered the same."""

HEALTH_TIMEOUT_SECONDS = 3.0


class HealthProbe:
    """Whether the database answers a query, within :data:`HEALTH_TIMEOUT_SECONDS`.

    Requests that arrive while a probe is running wait for that probe instead of starting their
    own, so a database that hangs never holds more than one thread, however often a load
    balancer asks.
    """

    def __init__(self, database: Database, timeout: float) -> None:
        self.database = database
        self.timeout = timeout
        self._running: asyncio.Future | None = None

    def _query(self) -> None:
        with self.database.read() as connection:  # reads the file (SQLite) / a round trip
            connection.execute(select(meta_info.c.key).limit(1)).all()

    async def problem(self) -> str | None:
        """None when the database answered; otherwise what went wrong."""
        loop = asyncio.get_running_loop()
        if self._running is None or self._running.done() or self._running.get_loop() is not loop:
            self._running = asyncio.ensure_future(run_in_threadpool(self._query))
        try:
            await asyncio.wait_for(asyncio.shield(self._running), self.timeout)
        except TimeoutError:
            return f"The database did not answer within {self.timeout:g} s."
        except Exception as exc:
            return f"The database did not answer: {type(exc).__name__}: {exc}".splitlines()[0]
        return None


def create_app(
    settings: ServerSettings,
    database: Database | None = None,
    *,
    migrate: bool = True,
    serving: bool = False,
) -> FastAPI:
    """Build the app over ``settings.database`` (or an open ``database``), migrating it first.

    ``serving``: run as ``agent-console serve`` does: requests are logged as an operator wants
    them (:class:`console.server.logs.RequestLog`) and, unless ``[retention] daily`` is off, the
    database is pruned once a day (:class:`console.server.retention.DailyPrune`).
    """
    database = database or Database.open(settings.database)
    if migrate:
        upgrade(database.engine)
    daily = DailyPrune(database, settings.retention) if serving else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        retention = settings.retention
        if daily is not None and (retention.daily or retention.abandon_calls_after_hours):
            daily.start()  # the daily prune, and closing calls left open too long
        try:
            yield
        finally:
            if daily is not None:
                await run_in_threadpool(daily.stop)

    app = FastAPI(
        title="agent-console central service",
        version="1",
        description=API_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.database = database
    app.state.settings = settings
    app.state.token_cache = {}
    app.state.daily_prune = daily
    app.state.feed_watcher = FeedWatcher(lambda: feed_end(database))
    errors.install(app)
    app.add_middleware(Guard)
    for module in (
        reference,
        callers,
        slots,
        bookings,
        calls,
        directory,
        callbacks,
        message_routes,
        floor,
    ):
        app.include_router(module.router)
    if serving:
        app.add_middleware(RequestLog)

    probe = HealthProbe(database, HEALTH_TIMEOUT_SECONDS)
    unhealthy: dict[int | str, dict[str, Any]] = {
        503: {
            "model": ApiError,
            "description": "`unavailable`: the database did not answer (or not in time)",
        }
    }

    async def health_answer() -> JSONResponse:
        problem = await probe.problem()
        if problem is not None:
            return JSONResponse(
                {"error": "unavailable", "message": problem, "field": None}, status_code=503
            )
        return JSONResponse({"status": "ok"})

    @app.get("/healthz", tags=["operations"], response_model=Health, responses=unhealthy)
    async def healthz() -> JSONResponse:
        """For systemd, containers and load balancers; needs no token. 200 when the database
        answers a query in time (3 s), 503 when it does not."""
        return await health_answer()

    @app.get("/health", tags=["operations"], response_model=Health, responses=unhealthy)
    async def health() -> JSONResponse:
        """The same as `/healthz` (the desks probe this one)."""
        return await health_answer()

    @app.get("/v1/retention", tags=["operations"], response_model=RetentionPeriods)
    def retention(_agent: AgentDep) -> RetentionPeriods:
        """Every period the service keeps something for, or prunes by: each of `[retention]`
        (each field's `x-settings` names its setting), and the messages' and the callback
        queue's. A desk never replays a queued write older than `idempotency_key_days`."""
        with database.read() as connection:
            starts_after = changes.pruned_through(connection)
        policy = settings.retention
        return RetentionPeriods(
            idempotency_key_days=policy.idempotency_days,
            change_feed_days=policy.changes_days,
            hold_days=policy.holds_days,
            audit_days=policy.audit_days or None,
            feed_starts_after=starts_after,
            agent_states_days=policy.agent_states_days,
            past_slots_days=policy.past_slots_days,
            provider_history_days=policy.provider_history_days,
            closed_reports_days=policy.closed_reports_days,
            abandon_calls_after_hours=policy.abandon_calls_after_hours or None,
            daily_prune_at=f"{policy.daily_at:%H:%M}" if policy.daily else None,
            message_days=settings.messages.keep_days,
            callback_days=settings.callbacks.keep_days,
        )

    describe(app, sorted(settings.disposition_codes()))
    return app
