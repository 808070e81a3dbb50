"""Issue 12 item 4: a desk lists its calls left open (``GET /v1/calls?mine=true&open=true``)
to offer them for wrap-up; the service closes calls left open too long as ``abandoned``."""

from __future__ import annotations


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
