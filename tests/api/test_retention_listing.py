"""``GET /v1/retention`` lists every period the service keeps something for or prunes by:
every ``[retention]`` setting (found from the settings model, so a setting added without
being listed fails here), the messages' and the callback queue's ``keep_days``; each field
documented in the OpenAPI schema with the setting it shows. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import time

import pytest
import support
from fastapi.testclient import TestClient

from console.config import RetentionSection
from console.server.app import create_app
from console.server.db import Database
from console.server.messages.settings import MessageSettings
from console.server.settings import CallbackSettings, RetentionSettings, ServerSettings

# Every setting set away from its default, so that each listed value is seen to be its own.
RETENTION = RetentionSettings(
    idempotency_days=31,
    changes_days=32,
    holds_days=8,
    agent_states_days=401,
    past_slots_days=33,
    provider_history_days=731,
    closed_reports_days=366,
    audit_days=400,
    daily=True,
    daily_at=time(4, 30),
    abandon_calls_after_hours=13.5,
)
SETTINGS = {
    "retention": RETENTION,
    "messages": MessageSettings(keep_days=402),
    "callbacks": CallbackSettings(keep_days=403),
}


@pytest.fixture
def served(database_url_param: str) -> Iterator[tuple[TestClient, support.World]]:
    database = Database.open(database_url_param)
    world = support.build_world(database)
    app = create_app(
        ServerSettings(database=database_url_param, **SETTINGS),  # type: ignore[arg-type]
        database,
        migrate=False,
    )
    with TestClient(app) as client:
        yield client, world
    database.dispose()


def _fields(client: TestClient) -> dict[str, dict]:
    schema = client.get("/openapi.json").json()
    ref = schema["paths"]["/v1/retention"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"]


def test_every_retention_setting_is_listed_and_documented(served) -> None:
    client, _world = served
    fields = _fields(client)
    shown = {name for field in fields.values() for name in field.get("x-settings", [])}
    settings = {f"[retention] {f.name}" for f in dataclasses.fields(RetentionSettings)}
    assert settings - shown == set(), "a [retention] setting GET /v1/retention does not list"
    assert {"[messages] keep_days", "[callbacks] keep_days"} <= shown
    # config.toml's [retention] is the same set of settings the service keeps.
    assert set(RetentionSection.model_fields) == {f.name for f in dataclasses.fields(RETENTION)}
    for name, field in fields.items():
        assert field.get("description"), f"{name} has no description"
    required = set(
        client.get("/openapi.json").json()["components"]["schemas"]["RetentionPeriods"]["required"]
    )
    assert set(fields) == required  # the service always sends each


def test_each_period_shows_its_own_setting(served) -> None:
    client, world = served
    answer = client.get("/v1/retention", headers=world.headers("agent"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    for name, field in _fields(client).items():
        settings = field.get("x-settings", [])
        if len(settings) != 1:
            continue
        section, key = settings[0].strip("[").split("] ")
        assert body[name] == getattr(SETTINGS[section], key), name
    assert body["daily_prune_at"] == "04:30"
    assert body["feed_starts_after"] == 0
    assert client.get("/v1/retention").status_code == 401  # a token is needed


def test_what_is_off_is_null(database_url_param: str) -> None:
    database = Database.open(database_url_param)
    world = support.build_world(database)
    off = dataclasses.replace(RETENTION, daily=False, audit_days=0, abandon_calls_after_hours=0)
    app = create_app(
        ServerSettings(database=database_url_param, retention=off), database, migrate=False
    )
    with TestClient(app) as client:
        body = client.get("/v1/retention", headers=world.headers("agent")).json()
    database.dispose()
    assert body["daily_prune_at"] is None
    assert body["audit_days"] is None and body["abandon_calls_after_hours"] is None
    assert body["message_days"] == MessageSettings().keep_days
