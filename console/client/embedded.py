"""The embedded central service: the real FastAPI app in-process, on a local SQLite file.

With no server URL configured, the console opens ``central.db`` in its data directory,
migrates it, seeds demo data on first start, and talks to the app through httpx's ASGI
transport. The desk's own token is created once and kept in ``desk-token`` (mode 0600).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import event, func, select

from console.config import Config
from console.domain.models import Role
from console.server.agents import (
    agent_for_token,
    create_agent,
    name_demo_agent_after_the_person,
)
from console.server.app import create_app
from console.server.db import Database
from console.server.migrate import upgrade
from console.server.schema import locations

EMBEDDED_BASE_URL = "http://embedded"
# SQLite's page cache for each pooled connection of the embedded service, in KiB (SQLite's
# default is 2,000). The embedded service answers one desk, yet its pool keeps every connection
# a burst of requests opened (the first sync opens dozens), each with a full cache: on the
# 2.1M-caller benchmark that was ~70 MB of the console's memory. Pages not cached here are
# read again from the operating system's file cache.
PAGE_CACHE_KIB = 512
TOKEN_FILE = "desk-token"
ProgressCallback = Callable[[str, int, int], None]


@dataclass
class EmbeddedService:
    app: FastAPI
    database: Database
    token: str

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.app)


def needs_seeding(database: Database) -> bool:
    with database.read() as connection:
        return connection.execute(select(func.count()).select_from(locations)).scalar_one() == 0


def open_embedded(
    config: Config,
    *,
    role: Role = Role.AGENT,
    progress: ProgressCallback | None = None,
) -> EmbeddedService:
    """Open (migrating and, the first time, seeding) the embedded service. Slow the first
    time: call it from a worker thread and pass ``progress`` to show a bar."""
    database = Database.open(config.service_database)
    limit_page_cache(database)
    upgrade(database.engine)
    if needs_seeding(database):
        from console.server.seed import seed

        seed(
            database,
            callers=config.demo.callers,
            days=config.demo.days,
            progress=progress,
            directory_data=config.demo_lists(),  # the real doctor lists, when they are there
        )
    token = _desk_token(config.data_path, database, role)
    app = create_app(config.server_settings(), database, migrate=False)
    return EmbeddedService(app=app, database=database, token=token)


def limit_page_cache(database: Database, kib: int = PAGE_CACHE_KIB) -> None:
    """Give every connection the embedded service opens a page cache of ``kib`` KiB."""
    if database.engine.dialect.name != "sqlite":
        return

    @event.listens_for(database.engine, "connect")
    def _small_cache(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA cache_size=-{int(kib)}")
        cursor.close()

    database.engine.dispose()  # any connection opened before has SQLite's default


def _desk_token(data_path: Path, database: Database, role: Role) -> str:
    path = data_path / (TOKEN_FILE if role is Role.AGENT else f"{TOKEN_FILE}-{role.value}")
    if path.is_file():
        token = path.read_text().strip()
        with database.read() as connection:
            agent = agent_for_token(connection, token)
        if agent is not None:
            if agent.name.endswith(f" (demo {agent.role.value})"):  # a desk named the old way
                with database.write() as connection:
                    name_demo_agent_after_the_person(connection, agent)
            return token
    # The person at the desk, by name: the status bar adds the role, reports and calls name
    # whoever made them ("Desk (demo agent) (agent)" said neither in any language).
    name = os.environ.get("USER", "desk").capitalize()
    with database.write() as connection:
        _, token = create_agent(connection, name, role)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token
