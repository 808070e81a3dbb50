"""Issue 12 item 4: a desk lists its calls left open (``GET /v1/calls?mine=true&open=true``)
to offer them for wrap-up; the service closes calls left open too long as ``abandoned``."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from console.domain.calendar import TZ
from console.server import retention as retention_module
from console.server.abandoned import ABANDONED, close_abandoned
from console.server.retention import DailyPrune
from console.server.settings import RetentionSettings


def test_open_calls_are_this_agents_not_wrapped_up_ones(api) -> None:
    first = api.post("/v1/calls", json={}).json()
    second = api.post("/v1/calls", json={"caller_id": api.world.callers["janez"]}).json()
    api.post(f"/v1/calls/{first['id']}/wrapup", json={"disposition": "information"})
    api.post("/v1/calls", "agent2", json={})  # another agent's open call
    found = api.get("/v1/calls", params={"mine": "true", "open": "true"})
    assert found.status_code == 200
    assert [c["id"] for c in found.json()] == [second["id"]]
    assert found.json()[0]["wrapped_at"] is None and found.json()[0]["disposition"] is None
    every = api.get("/v1/calls", params={"mine": "true"}).json()
    assert {c["id"] for c in every} == {first["id"], second["id"]}


def test_a_bad_open_parameter_is_a_422_naming_it(api) -> None:
    bad = api.get("/v1/calls", params={"mine": "true", "open": "maybe"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "open"


def _started_ago(api, hours: float, who: str = "agent", **body) -> dict:
    started = (datetime.now(UTC) - timedelta(hours=hours)).isoformat()
    response = api.post("/v1/calls", who, json={"started_at": started, **body})
    assert response.status_code == 201, response.text
    return response.json()


def test_calls_left_open_too_long_are_closed_as_abandoned_visibly(api) -> None:
    old = _started_ago(api, 13, caller_id=api.world.callers["janez"])
    recent = _started_ago(api, 2)
    done = _started_ago(api, 14)
    api.post(f"/v1/calls/{done['id']}/wrapup", json={"disposition": "information"})
    since = api.get("/v1/changes/latest").json()["last_seq"]

    assert close_abandoned(api.database, 12) == 1
    assert close_abandoned(api.database, 12) == 0  # once

    closed = api.get(f"/v1/calls/{old['id']}").json()
    assert closed["disposition"] == ABANDONED and closed["wrapped_at"] is not None
    assert closed["ended_at"] is None  # when it really ended is unknown: no talk time made up
    assert "Closed as abandoned: open longer than 12 h" in closed["notes"]
    assert api.get(f"/v1/calls/{recent['id']}").json()["wrapped_at"] is None
    assert api.get(f"/v1/calls/{done['id']}").json()["disposition"] == "information"
    # The change feed says so, and a desk no longer lists it as open.
    feed = api.get("/v1/changes", params={"since": since}).json()["changes"]
    assert [(c["entity"], c["entity_id"], c["op"]) for c in feed] == [
        ("call", old["id"], "abandoned")
    ]
    assert feed[0]["data"]["disposition"] == ABANDONED
    left = api.get("/v1/calls", params={"mine": "true", "open": "true"}).json()
    assert [c["id"] for c in left] == [recent["id"]]
    # A late wrap-up of the abandoned call is refused: it was closed once.
    late = api.post(f"/v1/calls/{old['id']}/wrapup", json={"disposition": "booked"})
    assert late.status_code == 409 and late.json()["error"] == "call_wrapped"


def test_the_floor_counts_abandoned_calls_among_the_days_dispositions(api) -> None:
    call = _started_ago(api, 0.05)  # three minutes ago: today (the floor counts by the start)
    assert close_abandoned(api.database, 0.01) == 1
    today = api.get("/v1/floor", "supervisor").json()["today"]
    started = datetime.fromisoformat(call["started_at"]).astimezone(TZ).date()
    if started.isoformat() == today["date"]:  # (not if midnight passed in between)
        assert {"code": ABANDONED, "count": 1} in today["dispositions"]


def test_zero_hours_never_closes_a_call(api) -> None:
    _started_ago(api, 100)
    assert close_abandoned(api.database, 0) == 0
    assert len(api.get("/v1/calls", params={"mine": "true", "open": "true"}).json()) == 1


def test_the_service_closes_them_by_itself_in_its_maintenance_loop(api, database_url_param) -> None:
    old = _started_ago(api, 30)
    retention = RetentionSettings(daily=False, abandon_calls_after_hours=24)
    loop = DailyPrune(api.database, retention, check_seconds=0.05, first_check_seconds=0)
    loop.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if api.get(f"/v1/calls/{old['id']}").json()["disposition"] == ABANDONED:
                break
            time.sleep(0.05)
    finally:
        loop.stop()
    assert api.get(f"/v1/calls/{old['id']}").json()["disposition"] == ABANDONED
    assert retention_module.last_prune(api.database) is None  # daily = false: no prune
