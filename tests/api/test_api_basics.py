"""Authentication, roles, reference data, errors: the API's edges."""

from __future__ import annotations

import pytest


def test_me_answers_with_the_tokens_agent(api) -> None:
    response = api.get("/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": api.world.agents["agent"],
        "name": "Test agent",
        "role": "agent",
    }
    assert api.get("/v1/me", "supervisor").json()["role"] == "supervisor"


@pytest.mark.parametrize(
    "headers, message",
    [
        ({}, "Send 'Authorization: Bearer <token>'."),
        ({"Authorization": "Basic abc"}, "The Authorization header must be 'Bearer <token>'."),
        ({"Authorization": "Bearer nope"}, "This token is unknown or revoked."),
    ],
)
def test_missing_or_bad_token_is_401_with_a_clear_message(api, headers, message) -> None:
    response = api.client.get("/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "message": message, "field": None}


def test_reference_data(api) -> None:
    services = api.get("/v1/services").json()
    assert {s["code"] for s in services} == {"ue-id-card", "health-gp"}
    id_card = next(s for s in services if s["code"] == "ue-id-card")
    assert id_card["duration_minutes"] == 15
    assert "Fotografija" in id_card["documents"]
    locations = api.get("/v1/locations").json()
    assert {loc["region"] for loc in locations} == {"Osrednjeslovenska", "Podravska"}
    assert [loc["code"] for loc in api.get("/v1/locations?region=Podravska").json()] == [
        "zd-maribor"
    ]
    providers = api.get(f"/v1/providers?service={api.world.services['health-gp']}").json()
    assert [p["code"] for p in providers] == ["dr-novak"]
    assert providers[0]["accepts_new_patients"] is True
    codes = [d["code"] for d in api.get("/v1/dispositions").json()]
    assert codes[0] == "booked" and "callback" in codes


def test_unknown_endpoint_is_json_404(api) -> None:
    response = api.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_openapi_describes_every_contract_path(api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/me",
        "/v1/callers",
        "/v1/callers/{caller_id}",
        "/v1/services",
        "/v1/locations",
        "/v1/providers",
        "/v1/slots",
        "/v1/holds",
        "/v1/holds/{hold_id}",
        "/v1/bookings",
        "/v1/bookings/{reference}/cancel",
        "/v1/bookings/{reference}/reschedule",
        "/v1/calls",
        "/v1/calls/{call_id}/wrapup",
        "/v1/changes",
    ):
        assert path in paths, path


def test_health_needs_no_token(api) -> None:
    assert api.client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/v1/callers", {"first_name": "Ana", "last_name": "Kos"}),
        ("patch", "/v1/callers/{caller}", {"notes": "x"}),
        ("post", "/v1/holds", {"slot_id": "{slot}"}),
        ("post", "/v1/bookings", {"caller_id": "{caller}", "slot_id": "{slot}"}),
        ("post", "/v1/calls", {}),
    ],
)
def test_supervisor_can_write_nothing(api, method, path, body) -> None:
    caller = api.world.callers["janez"]
    slot = api.world.slots[0]
    path = path.format(caller=caller)
    body = {
        k: (caller if v == "{caller}" else slot if v == "{slot}" else v) for k, v in body.items()
    }
    response = getattr(api, method)(path, "supervisor", json=body)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert "read-only" in response.json()["message"]


def test_supervisor_cannot_cancel_reschedule_release_or_wrap_up(api) -> None:
    booking = api.book(api.world.slots[0])
    hold = api.hold(api.world.slots[1])
    call = api.post("/v1/calls", json={}).json()
    for path, body in (
        (f"/v1/bookings/{booking['reference']}/cancel", {}),
        (f"/v1/bookings/{booking['reference']}/reschedule", {"slot_id": api.world.slots[2]}),
        (f"/v1/calls/{call['id']}/wrapup", {"disposition": "booked"}),
    ):
        assert api.post(path, "supervisor", json=body).status_code == 403
    assert api.delete(f"/v1/holds/{hold['id']}", "supervisor").status_code == 403
    assert api.patch(f"/v1/calls/{call['id']}", "supervisor", json={}).status_code == 403
    # ... and reads everything.
    assert api.get(f"/v1/callers/{api.world.callers['janez']}", "supervisor").status_code == 200
    assert api.get(f"/v1/bookings/{booking['reference']}", "supervisor").status_code == 200
    assert api.get("/v1/changes", "supervisor").status_code == 200


@pytest.mark.parametrize(
    "path, body",
    [
        ("/v1/callers", {"first_name": "Ana"}),
        ("/v1/callers", {"first_name": "Ana", "last_name": "Kos", "surprise": 1}),
        ("/v1/callers", "not json"),
        ("/v1/holds", {"slot_id": "abc"}),
        ("/v1/bookings", {"caller_id": 1}),
        ("/v1/calls", {"direction": "sideways"}),
    ],
)
def test_bad_payloads_are_422_never_500(api, path, body) -> None:
    kwargs = {"content": body} if isinstance(body, str) else {"json": body}
    response = api.post(path, **kwargs)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid"
    assert response.json()["message"]


@pytest.mark.parametrize(
    "path",
    ["/v1/callers/999999", "/v1/slots/999999", "/v1/calls/999999", "/v1/bookings/KMKMKM4"],
)
def test_missing_things_are_404(api, path) -> None:
    response = api.get(path)
    assert response.status_code in (404, 422), response.text
    if response.status_code == 404:
        assert response.json()["error"].endswith("not_found")
