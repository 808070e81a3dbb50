"""The API under test: the real FastAPI app over a real database, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import support
from fastapi.testclient import TestClient

from console.server.app import create_app
from console.server.db import Database
from console.server.settings import ServerSettings


@dataclass
class Api:
    client: TestClient
    world: support.World
    database: Database

    def get(self, path: str, who: str = "agent", headers: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
        return self.client.get(
            path, headers={**self.world.headers(who), **(headers or {})}, **kwargs
        )

    def post(self, path: str, who: str = "agent", headers: dict | None = None, **kwargs):
        return self.client.post(
            path, headers={**self.world.headers(who), **(headers or {})}, **kwargs
        )

    def patch(self, path: str, who: str = "agent", headers: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
        return self.client.patch(
            path, headers={**self.world.headers(who), **(headers or {})}, **kwargs
        )

    def delete(self, path: str, who: str = "agent", headers: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
        return self.client.delete(
            path, headers={**self.world.headers(who), **(headers or {})}, **kwargs
        )

    def hold(self, slot_id: int, who: str = "agent") -> dict:
        response = self.post("/v1/holds", who, json={"slot_id": slot_id})
        assert response.status_code == 201, response.text
        return response.json()

    def book(self, slot_id: int, caller: str = "janez", who: str = "agent", **extra) -> dict:
        response = self.post(
            "/v1/bookings",
            who,
            json={"caller_id": self.world.callers[caller], "slot_id": slot_id, **extra},
        )
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def api(database_url_param: str) -> Iterator[Api]:
    database = Database.open(database_url_param)
    world = support.build_world(database)
    settings = ServerSettings(database=database_url_param, hold_minutes=3)
    app = create_app(settings, database, migrate=False)
    with TestClient(app) as client:
        yield Api(client=client, world=world, database=database)
    database.dispose()
