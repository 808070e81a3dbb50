"""Calls, wrap-ups, and the change feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from console.server.schema import audit_log


def test_a_call_from_start_to_wrap_up(api) -> None:
    caller = api.world.callers["janez"]
    call = api.post("/v1/calls", json={"direction": "inbound"})
    assert call.status_code == 201
    call = call.json()
    assert call["caller_id"] is None and call["ended_at"] is None
    attached = api.patch(f"/v1/calls/{call['id']}", json={"caller_id": caller}).json()
    assert attached["caller_id"] == caller
    follow_up = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = api.post(
        f"/v1/calls/{call['id']}/wrapup",
        json={
            "disposition": "callback",
            "notes": "Wants a morning slot.\nCall back tomorrow.",
            "follow_up_at": follow_up,
            "follow_up_note": "offer 8:00",
            "after_call_work_seconds": 35,
        },
    )
    assert response.status_code == 200, response.text
    wrapped = response.json()
    assert wrapped["disposition"] == "callback"
    assert wrapped["notes"].splitlines() == ["Wants a morning slot.", "Call back tomorrow."]
    assert (
        wrapped["ended_at"] and wrapped["wrapped_at"] and wrapped["after_call_work_seconds"] == 35
    )
    recent = api.get("/v1/calls", params={"caller": caller}).json()
    assert [c["id"] for c in recent] == [call["id"]]
    assert recent[0]["agent_name"] == "Test agent"
    again = api.post(f"/v1/calls/{call['id']}/wrapup", json={"disposition": "booked"})
    assert again.status_code == 409 and again.json()["error"] == "call_wrapped"


def test_wrap_up_refuses_unknown_codes_and_other_agents(api) -> None:
    call = api.post("/v1/calls", json={}).json()
    bad = api.post(f"/v1/calls/{call['id']}/wrapup", json={"disposition": "whatever"})
    assert bad.status_code == 422 and bad.json()["field"] == "disposition"
    assert "booked" in bad.json()["message"]
    other = api.post(f"/v1/calls/{call['id']}/wrapup", "agent2", json={"disposition": "booked"})
    assert other.status_code == 403
    empty = api.post(f"/v1/calls/{call['id']}/wrapup", json={"disposition": ""})
    assert empty.status_code == 422


def test_the_change_feed_covers_every_write_in_order(api) -> None:
    start = api.get("/v1/changes").json()["last_seq"]
    caller = api.post("/v1/callers", json={"first_name": "Ana", "last_name": "Kos"}).json()
    hold = api.hold(api.world.slots[0])
    booking = api.post(
        "/v1/bookings", json={"caller_id": caller["id"], "hold_id": hold["id"]}
    ).json()
    api.post(f"/v1/bookings/{booking['reference']}/cancel", json={})
    call = api.post("/v1/calls", json={"caller_id": caller["id"]}).json()
    api.post(f"/v1/calls/{call['id']}/wrapup", json={"disposition": "cancelled"})
    page = api.get("/v1/changes", params={"since": start}).json()
    seen = [(c["entity"], c["op"]) for c in page["changes"]]
    assert seen == [
        ("caller", "created"),
        ("slot", "held"),
        ("booking", "created"),
        ("slot", "booked"),
        ("booking", "cancelled"),
        ("slot", "freed"),
        ("call", "started"),
        ("agent_state", "changed"),  # the agent is on the call
        ("call", "wrapped"),
        ("agent_state", "changed"),  # ... and ready again
    ]
    seqs = [c["seq"] for c in page["changes"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert page["last_seq"] == seqs[-1]
    assert page["changes"][2]["data"]["reference"] == booking["reference"]
    # Paging: since the last seen, nothing more; with a limit, exactly that many.
    assert api.get("/v1/changes", params={"since": seqs[-1]}).json() == {
        "changes": [],
        "last_seq": seqs[-1],
    }
    assert len(api.get("/v1/changes", params={"since": start, "limit": 3}).json()["changes"]) == 3


def test_every_write_is_audited_with_agent_and_call(api) -> None:
    call = api.post("/v1/calls", json={}).json()
    booking = api.book(api.world.slots[0], call_id=call["id"])
    api.post(f"/v1/bookings/{booking['reference']}/cancel", json={"call_id": call["id"]})
    with api.database.read() as connection:
        rows = connection.execute(
            select(
                audit_log.c.action, audit_log.c.entity, audit_log.c.call_id, audit_log.c.agent_id
            )
            .where(audit_log.c.call_id == call["id"])
            .order_by(audit_log.c.id)
        ).all()
    agent = api.world.agents["agent"]
    assert [tuple(r) for r in rows] == [
        ("create", "call", call["id"], agent),
        ("create", "booking", call["id"], agent),
        ("cancel", "booking", call["id"], agent),
    ]


def test_the_feed_says_where_it_ends_and_whose_each_change_was(api) -> None:
    before = api.get("/v1/changes", params={"limit": 5000}).json()["last_seq"]
    assert api.get("/v1/changes/latest").json() == {"changes": [], "last_seq": before}
    api.hold(api.world.slots[0])
    end = api.get("/v1/changes/latest").json()["last_seq"]
    change = api.get("/v1/changes").json()["changes"][-1]
    assert end == change["seq"]
    assert change["agent_id"] == api.world.agents["agent"]
    assert change["data"]["service_id"] == api.world.services["ue-id-card"]
