"""Slots, holds, bookings, cancel and reschedule: the booking engine's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import support
from sqlalchemy import update

from console.server.schema import holds, slots


def test_slots_come_earliest_first_and_filter_by_location_and_region(api) -> None:
    service = api.world.services["ue-id-card"]
    found = api.get("/v1/slots", params={"service": service, "limit": 50}).json()["slots"]
    starts = [s["starts_at"] for s in found]
    assert starts == sorted(starts)
    assert len(found) == 2 * 6 * 3  # two counters, six slots a day, three days
    assert {s["location_name"] for s in found} == {"UE Ljubljana, Izpostava Center"}
    assert found[0]["status"] == "free"
    gp = api.world.services["health-gp"]
    assert (
        api.get("/v1/slots", params={"service": gp, "region": "Osrednjeslovenska"}).json()["slots"]
        == []
    )
    maribor = api.get("/v1/slots", params={"service": gp, "region": "Podravska"}).json()["slots"]
    assert len(maribor) == 18 and all(s["provider_name"] == "dr. Ana Novak" for s in maribor)
    by_location = api.get(
        "/v1/slots", params={"service": gp, "location": api.world.locations["ue-center"]}
    ).json()["slots"]
    assert by_location == []


def test_slot_window_and_limit(api) -> None:
    service = api.world.services["health-gp"]
    first_day = api.world.days[0]
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    response = api.get(
        "/v1/slots",
        params={
            "service": service,
            "from": start.isoformat(),
            "to": (start + timedelta(days=1)).isoformat(),
            "limit": 4,
        },
    )
    found = response.json()["slots"]
    assert len(found) == 4
    assert all(s["starts_at"].startswith(first_day.isoformat()) for s in found)
    bad = api.get(
        "/v1/slots", params={"service": service, "from": start.isoformat(), "to": start.isoformat()}
    )
    assert bad.status_code == 422


def test_a_held_slot_leaves_the_free_list_and_others_get_a_clear_409(api) -> None:
    slot = support.slots_of(api.world, "dr-novak")[0]
    hold = api.hold(slot)
    assert hold["slot"]["status"] == "held"
    assert hold["agent_id"] == api.world.agents["agent"]
    free = api.get("/v1/slots", params={"service": api.world.services["health-gp"]}).json()
    assert slot not in [s["id"] for s in free["slots"]]
    response = api.post("/v1/holds", "agent2", json={"slot_id": slot})
    assert response.status_code == 409
    assert response.json()["error"] == "slot_held"
    assert "Another agent is holding this slot until" in response.json()["message"]
    response = api.post(
        "/v1/bookings", "agent2", json={"caller_id": api.world.callers["spela"], "slot_id": slot}
    )
    assert response.status_code == 409 and response.json()["error"] == "slot_held"
    # Holding again extends one's own hold rather than failing.
    again = api.hold(slot)
    assert again["id"] == hold["id"] and again["expires_at"] >= hold["expires_at"]


def test_releasing_a_hold_frees_the_slot(api) -> None:
    slot = api.world.slots[0]
    hold = api.hold(slot)
    assert api.delete(f"/v1/holds/{hold['id']}", "agent2").status_code == 403
    assert api.delete(f"/v1/holds/{hold['id']}").status_code == 204
    assert api.hold(slot, "agent2")["agent_id"] == api.world.agents["agent2"]


def test_an_expired_hold_lets_another_agent_in_and_cannot_be_booked(api) -> None:
    slot = api.world.slots[0]
    hold = api.hold(slot)
    with api.database.write() as connection:
        connection.execute(
            update(holds)
            .where(holds.c.id == hold["id"])
            .values(created_at=datetime(2020, 1, 1), expires_at=datetime(2020, 1, 1, 0, 3))
        )
    response = api.post(
        "/v1/bookings", json={"caller_id": api.world.callers["janez"], "hold_id": hold["id"]}
    )
    assert response.status_code == 409 and response.json()["error"] == "hold_expired"
    assert api.hold(slot, "agent2")["agent_id"] == api.world.agents["agent2"]


def test_booking_through_a_hold(api) -> None:
    slot = api.world.slots[3]
    hold = api.hold(slot)
    response = api.post(
        "/v1/bookings",
        json={
            "caller_id": api.world.callers["janez"],
            "hold_id": hold["id"],
            "notes": "wheelchair",
        },
    )
    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["status"] == "confirmed"
    assert booking["slot"]["id"] == slot and booking["slot"]["status"] == "booked"
    assert len(booking["reference"]) == 7
    assert booking["reference_display"].replace(" ", "") == booking["reference"]
    assert booking["service"]["documents"] == ["Stara osebna izkaznica", "Fotografija"]
    assert booking["location"]["code"] == "ue-center"
    # The hold is consumed: it cannot be booked twice, and the slot is gone from the list.
    again = api.post(
        "/v1/bookings", json={"caller_id": api.world.callers["spela"], "hold_id": hold["id"]}
    )
    assert again.status_code == 409 and again.json()["error"] == "hold_released"
    assert api.get(f"/v1/bookings/{booking['reference']}").json()["id"] == booking["id"]
    listed = api.get("/v1/bookings", params={"caller": api.world.callers["janez"]}).json()
    assert [b["reference"] for b in listed] == [booking["reference"]]


def test_another_agents_hold_cannot_be_used(api) -> None:
    hold = api.hold(api.world.slots[0], "agent2")
    response = api.post(
        "/v1/bookings", json={"caller_id": api.world.callers["janez"], "hold_id": hold["id"]}
    )
    assert response.status_code == 409 and response.json()["error"] == "hold_not_yours"


def test_a_booked_slot_is_a_clear_409(api) -> None:
    slot = api.world.slots[0]
    api.book(slot)
    for path, body in (
        ("/v1/bookings", {"caller_id": api.world.callers["spela"], "slot_id": slot}),
        ("/v1/holds", {"slot_id": slot}),
    ):
        response = api.post(path, "agent2", json=body)
        assert response.status_code == 409
        assert response.json() == {
            "error": "slot_booked",
            "message": "This slot was just booked by someone else; pick another.",
            "field": None,
        }


def test_past_and_blocked_slots_cannot_be_booked(api) -> None:
    past, blocked = api.world.slots[0], api.world.slots[1]
    with api.database.write() as connection:
        connection.execute(
            update(slots)
            .where(slots.c.id == past)
            .values(starts_at=datetime(2020, 1, 1, 8), ends_at=datetime(2020, 1, 1, 8, 15))
        )
        connection.execute(update(slots).where(slots.c.id == blocked).values(status="blocked"))
    for slot, error in ((past, "slot_past"), (blocked, "slot_blocked")):
        response = api.post(
            "/v1/bookings", json={"caller_id": api.world.callers["janez"], "slot_id": slot}
        )
        assert response.status_code == 409 and response.json()["error"] == error


def test_booking_an_unknown_caller_or_without_a_slot_is_422(api) -> None:
    response = api.post("/v1/bookings", json={"caller_id": 99999, "slot_id": api.world.slots[0]})
    assert response.status_code == 422 and response.json()["field"] == "caller_id"
    response = api.post("/v1/bookings", json={"caller_id": api.world.callers["janez"]})
    assert response.status_code == 422 and "hold_id or slot_id" in response.json()["message"]


def test_the_same_idempotency_key_makes_one_booking_and_the_same_answer(api) -> None:
    body = {"caller_id": api.world.callers["janez"], "slot_id": api.world.slots[0]}
    key = {"Idempotency-Key": "desk7-0001-booking"}
    first = api.post("/v1/bookings", json=body, headers=key)
    second = api.post("/v1/bookings", json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    listed = api.get("/v1/bookings", params={"caller": api.world.callers["janez"]}).json()
    assert len(listed) == 1
    other = api.post("/v1/bookings", json={**body, "slot_id": api.world.slots[1]}, headers=key)
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
    short = api.post("/v1/bookings", json=body, headers={"Idempotency-Key": "x"})
    assert short.status_code == 422


def test_cancel_frees_the_slot_and_cannot_be_repeated(api) -> None:
    slot = api.world.slots[0]
    booking = api.book(slot)
    response = api.post(
        f"/v1/bookings/{booking['reference_display']}/cancel", json={"reason": "caller is ill"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert api.hold(slot, "agent2")["slot_id"] == slot
    again = api.post(f"/v1/bookings/{booking['reference']}/cancel", json={})
    assert again.status_code == 409 and again.json()["error"] == "booking_cancelled"
    assert "cannot be changed" in again.json()["message"]


def test_a_mistyped_reference_is_refused_not_matched(api) -> None:
    booking = api.book(api.world.slots[0])
    code = booking["reference"]
    alphabet = "ACDEFHJKMNPRTUVWXY34679"
    wrong = code[:2] + next(c for c in alphabet if c != code[2]) + code[3:]
    response = api.post(f"/v1/bookings/{wrong}/cancel", json={})
    assert response.status_code == 422 and response.json()["field"] == "reference"


def test_reschedule_is_an_atomic_supersede(api) -> None:
    old_slot, new_slot = api.world.slots[0], api.world.slots[5]
    old = api.book(old_slot, notes="bring glasses")
    hold = api.hold(new_slot)
    response = api.post(f"/v1/bookings/{old['reference']}/reschedule", json={"hold_id": hold["id"]})
    assert response.status_code == 201, response.text
    new = response.json()
    assert new["status"] == "confirmed" and new["slot"]["id"] == new_slot
    assert new["replaces"] == old["reference"] and new["notes"] == "bring glasses"
    assert new["reference"] != old["reference"]
    retired = api.get(f"/v1/bookings/{old['reference']}").json()
    assert retired["status"] == "rescheduled" and retired["superseded_by"] == new["reference"]
    # The old slot is free again; the old booking can never come back.
    assert api.hold(old_slot, "agent2")["slot_id"] == old_slot
    for path in ("cancel", "reschedule"):
        response = api.post(
            f"/v1/bookings/{old['reference']}/{path}",
            json={"slot_id": api.world.slots[6]} if path == "reschedule" else {},
        )
        assert response.status_code == 409 and response.json()["error"] == "booking_rescheduled"


def test_reschedule_to_a_taken_slot_changes_nothing(api) -> None:
    mine = api.book(api.world.slots[0])
    theirs = api.book(api.world.slots[1], caller="spela", who="agent2")
    response = api.post(
        f"/v1/bookings/{mine['reference']}/reschedule", json={"slot_id": theirs["slot"]["id"]}
    )
    assert response.status_code == 409 and response.json()["error"] == "slot_booked"
    assert api.get(f"/v1/bookings/{mine['reference']}").json()["status"] == "confirmed"
    same = api.post(
        f"/v1/bookings/{mine['reference']}/reschedule", json={"slot_id": api.world.slots[0]}
    )
    assert same.status_code == 422
