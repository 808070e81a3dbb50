"""Agent states: what a desk may report, what is kept (intervals, presence, the feed), when a
silent desk is unreachable, and how calls move the state. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from floor_clock import FakeClock, today
from sqlalchemy import select

from console.server.schema import agent_presence, agent_states


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    return FakeClock(FakeClock.local(today(), 9)).install(monkeypatch)


def put(api, body: dict, who: str = "agent"):  # type: ignore[no-untyped-def]
    return api.client.put("/v1/desk/state", json=body, headers=api.world.headers(who))


def feed(api, since: int = 0) -> list[dict]:  # type: ignore[no-untyped-def]
    changes = api.get("/v1/changes", params={"since": since}).json()["changes"]
    return [change for change in changes if change["entity"] == "agent_state"]


def intervals(api, who: str = "agent") -> list[tuple]:  # type: ignore[no-untyped-def]
    column = agent_states.c
    with api.database.read() as connection:
        rows = connection.execute(
            select(column.state, column.reason, column.call_id, column.started_at, column.ended_at)
            .where(column.agent_id == api.world.agents[who])
            .order_by(column.id)
        ).all()
    return [tuple(row) for row in rows]


def wait(api, clock: FakeClock, seconds: int, body: dict) -> None:  # type: ignore[no-untyped-def]
    """Let ``seconds`` pass while the desk heartbeats ``body`` every 10 s, as a desk does."""
    for _ in range(seconds // 10):
        clock.advance(10)
        assert put(api, body).json()["changed"] is False
    clock.advance(seconds % 10)


def floor_agent(api, who: str = "agent") -> dict:  # type: ignore[no-untyped-def]
    response = api.get("/v1/floor", "supervisor")
    assert response.status_code == 200, response.text
    return next(a for a in response.json()["agents"] if a["id"] == api.world.agents[who])


def test_a_report_is_kept_and_a_heartbeat_changes_nothing_but_the_time(api, clock) -> None:  # type: ignore[no-untyped-def]
    first = put(api, {"state": "ready", "queued_writes": 0, "sync_issues": 0})
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["state"], body["changed"]) == ("ready", True)
    assert body["heartbeat_seconds"] == 10 and body["unreachable_after_seconds"] == 30
    assert [r["code"] for r in body["away_reasons"]] == ["break", "lunch", "meeting", "training"]
    assert len(feed(api)) == 1
    for _ in range(3):
        clock.advance(10)
        beat = put(api, {"state": "ready", "queued_writes": 0, "sync_issues": 0})
        assert beat.status_code == 200 and beat.json()["changed"] is False
        assert beat.json()["last_seen_at"] == FakeClock.wire(clock.now())
        assert beat.json()["since"] == body["since"]
    assert len(feed(api)) == 1  # heartbeats write no feed row
    assert len(intervals(api)) == 1  # ... and no interval
    mine = api.get("/v1/desk/state").json()
    assert (mine["state"], mine["since"]) == ("ready", body["since"])


def test_every_change_is_an_interval_and_a_feed_row(api, clock) -> None:  # type: ignore[no-untyped-def]
    start = clock.now()
    put(api, {"state": "ready"})
    wait(api, clock, 60, {"state": "ready"})
    away = put(api, {"state": "away", "reason": "break", "queued_writes": 0})
    assert away.json()["changed"] is True and away.json()["reason"] == "break"
    wait(api, clock, 300, {"state": "away", "reason": "break"})
    put(api, {"state": "away", "reason": "meeting"})  # another reason is another state
    wait(api, clock, 100, {"state": "away", "reason": "meeting", "queued_writes": 0})
    put(api, {"state": "ready", "queued_writes": 2})
    clock.advance(5)
    counts = put(api, {"state": "ready", "queued_writes": 0, "sync_issues": 1})
    assert counts.json()["changed"] is True  # the outbox's counts changed: the floor shows them
    clock.advance(5)
    replay = put(api, {"state": "ready", "queued_writes": 0, "sync_issues": 1, "replayed": 2})
    assert replay.json()["replayed"] == 2
    assert replay.json()["replayed_at"] == FakeClock.wire(clock.now())
    clock.advance(5)
    put(api, {"state": "signed_out"})
    rows = feed(api)
    assert [(c["op"], c["data"]["state"], c["data"]["previous"]) for c in rows] == [
        ("changed", "ready", None),
        ("changed", "away", "ready"),
        ("changed", "away", "away"),
        ("changed", "ready", "away"),
        ("updated", "ready", "ready"),
        ("replayed", "ready", "ready"),
        ("changed", "signed_out", "ready"),
    ]
    assert all(c["entity_id"] == api.world.agents["agent"] for c in rows)
    assert rows[2]["data"]["reason"] == "meeting"
    assert rows[4]["data"]["sync_issues"] == 1 and rows[5]["data"]["replayed"] == 2

    def at(seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    assert intervals(api) == [
        ("ready", None, None, at(0), at(60)),
        ("away", "break", None, at(60), at(360)),
        ("away", "meeting", None, at(360), at(460)),
        ("ready", None, None, at(460), at(475)),
        ("signed_out", None, None, at(475), None),
    ]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"state": "away"}, "reason", "break, lunch, meeting, training"),
        ({"state": "away", "reason": "nap"}, "reason", "Unknown reason 'nap'"),
        ({"state": "ready", "reason": "break"}, "reason", "only with 'away'"),
        ({"state": "ready", "call_id": 1}, "call_id", "on_call or after_call_work"),
        ({"state": "away", "reason": "break", "service_id": 1}, "service_id", "on_call"),
        ({"state": "sleeping"}, "state", ""),
        ({"state": "ready", "queued_writes": -1}, "queued_writes", ""),
        ({"state": "ready", "call_id": 2**63}, "call_id", ""),
        ({"state": "ready", "desk": "x"}, "desk", ""),
        ({"state": "on_call", "call_id": 999_999}, "call_id", "not one of this agent's calls"),
        ({"state": "on_call", "service_id": 999_999}, "service_id", "No service"),
    ],
)
def test_a_bad_report_is_a_422_naming_the_field(api, clock, body, field, words) -> None:  # type: ignore[no-untyped-def]
    response = put(api, body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert words in response.json()["message"]
    assert feed(api) == []


def test_another_agents_call_is_refused(api, clock) -> None:  # type: ignore[no-untyped-def]
    call = api.post("/v1/calls", "agent2", json={}).json()
    response = put(api, {"state": "on_call", "call_id": call["id"]})
    assert response.status_code == 422 and response.json()["field"] == "call_id"


def test_who_may_report_and_who_may_read_the_floor(api, clock) -> None:  # type: ignore[no-untyped-def]
    assert put(api, {"state": "ready"}, "supervisor").status_code == 403
    assert put(api, {"state": "ready"}, "admin").status_code == 200
    assert api.client.put("/v1/desk/state", json={"state": "ready"}).status_code == 401
    assert api.get("/v1/floor", "agent").status_code == 403
    assert api.get("/v1/floor", "agent").json()["error"] == "forbidden"
    assert api.get("/v1/floor", "supervisor").status_code == 200
    assert api.get("/v1/floor", "admin").status_code == 200
    path = f"/v1/floor/agents/{api.world.agents['agent']}/calls"
    assert api.get(path, "agent").status_code == 403
    assert api.get(path, "supervisor").status_code == 200
    assert api.get("/v1/desk/state", "supervisor").json()["state"] == "signed_out"


def test_a_silent_desk_is_unreachable_after_the_configured_time(api, clock) -> None:  # type: ignore[no-untyped-def]
    put(api, {"state": "ready", "queued_writes": 4})
    reported = clock.now()
    clock.advance(30)
    assert floor_agent(api)["state"] == "ready"  # 30 s is not yet more than 30 s
    clock.advance(1)
    shown = floor_agent(api)
    assert shown["state"] == "unreachable" and shown["reported_state"] == "ready"
    assert shown["since"] == shown["last_seen_at"] == FakeClock.wire(reported)
    assert shown["queued_writes"] == 4
    alerts = api.get("/v1/floor", "supervisor").json()["alerts"]
    assert [(a["kind"], a["agent_id"], a["queued_writes"]) for a in alerts] == [
        ("unreachable_with_queue", api.world.agents["agent"], 4)
    ]
    assert feed(api)[-1]["data"]["state"] == "ready"  # nothing was written to say so
    clock.advance(60)
    back = put(api, {"state": "ready", "queued_writes": 0, "replayed": 4})
    assert back.json()["changed"] is True and back.json()["since"] == FakeClock.wire(clock.now())
    assert feed(api)[-1]["data"]["previous"] == "unreachable"
    # The silence counts in no state: the old interval ends at the last report.
    assert [(row[0], row[3], row[4]) for row in intervals(api)] == [
        ("ready", reported, reported),
        ("ready", clock.now(), None),
    ]
    assert floor_agent(api)["state"] == "ready"


def test_a_signed_out_desk_is_never_unreachable(api, clock) -> None:  # type: ignore[no-untyped-def]
    put(api, {"state": "signed_out"})
    clock.advance(3600)
    assert floor_agent(api)["state"] == "signed_out"
    assert floor_agent(api, "agent2")["state"] == "signed_out"  # never reported at all


def test_a_call_moves_the_state_and_its_wrap_up_makes_the_agent_ready(api, clock) -> None:  # type: ignore[no-untyped-def]
    put(api, {"state": "ready"})
    clock.advance(10)
    started = clock.now()
    call = api.post("/v1/calls", json={"caller_id": api.world.callers["janez"]}).json()
    mine = api.get("/v1/desk/state").json()
    assert (mine["state"], mine["call_id"]) == ("on_call", call["id"])
    wait(api, clock, 120, {"state": "on_call"})
    shown = floor_agent(api)
    assert shown["call"] == {
        "id": call["id"],
        "started_at": FakeClock.wire(started),
        "talk_seconds": 120,
        "service_id": None,
        "service_name": None,
        "service_name_en": None,
    }
    # The desk says which service it is looking at; then the caller hangs up.
    service = api.world.services["ue-id-card"]
    put(api, {"state": "on_call", "service_id": service})
    assert floor_agent(api)["call"]["service_name"] == "Osebna izkaznica"
    wait(api, clock, 30, {"state": "on_call", "call_id": call["id"]})
    talk_ended = clock.now()
    acw = put(api, {"state": "after_call_work", "call_id": call["id"]})
    assert acw.json()["changed"] is True and acw.json()["service_id"] == service
    wait(api, clock, 40, {"state": "after_call_work"})
    shown = floor_agent(api)
    assert shown["state"] == "after_call_work" and shown["call"]["talk_seconds"] == 150
    assert shown["seconds_in_state"] == 40
    wrapped = api.post(
        f"/v1/calls/{call['id']}/wrapup",
        json={
            "disposition": "information",
            "after_call_work_seconds": 40,
            "ended_at": FakeClock.wire(talk_ended),
        },
    )
    assert wrapped.status_code == 200, wrapped.text
    mine = api.get("/v1/desk/state").json()
    assert (mine["state"], mine["call_id"], mine["since"]) == (
        "ready",
        None,
        FakeClock.wire(clock.now()),
    )
    assert [row[0] for row in intervals(api)] == [
        "ready",
        "on_call",
        "after_call_work",
        "ready",
    ]
    # A heartbeat about the call, sent before the desk learned of the wrap-up, changes nothing.
    late = put(api, {"state": "after_call_work", "call_id": call["id"]})
    assert late.status_code == 200 and late.json()["state"] == "ready"
    assert late.json()["changed"] is False


def test_a_wrap_up_without_a_reported_after_call_work_records_it(api, clock) -> None:  # type: ignore[no-untyped-def]
    call = api.post("/v1/calls", json={}).json()
    started = clock.now()
    clock.advance(200)
    ended = clock.now()
    clock.advance(25)
    api.post(
        f"/v1/calls/{call['id']}/wrapup",
        json={"disposition": "information", "ended_at": FakeClock.wire(ended)},
    )
    assert [(row[0], row[3], row[4]) for row in intervals(api)] == [
        ("on_call", started, ended),
        ("after_call_work", ended, clock.now()),
        ("ready", clock.now(), None),
    ]
    ops = [(c["data"]["state"], c["data"]["source"]) for c in feed(api)]
    assert ops == [("on_call", "call"), ("ready", "wrapup")]


def test_a_wrap_up_of_another_call_leaves_the_state(api, clock) -> None:  # type: ignore[no-untyped-def]
    first = api.post("/v1/calls", json={}).json()
    clock.advance(5)
    put(api, {"state": "away", "reason": "meeting"})
    clock.advance(5)
    api.post(f"/v1/calls/{first['id']}/wrapup", json={"disposition": "dropped"})
    assert api.get("/v1/desk/state").json()["state"] == "away"


def test_the_presence_row_is_one_per_agent(api, clock) -> None:  # type: ignore[no-untyped-def]
    for state in ("ready", "signed_out", "ready"):
        put(api, {"state": state})
        clock.advance(1)
    with api.database.read() as connection:
        rows = connection.execute(select(agent_presence.c.agent_id)).all()
    assert [row[0] for row in rows] == [api.world.agents["agent"]]
