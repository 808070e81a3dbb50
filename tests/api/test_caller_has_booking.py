"""Issue 12, item 2: one caller, two bookings at one time (or two of a one-per-caller service)
are refused with 409 ``caller_has_booking`` unless the request says so; the rule
"at most one active booking per caller" is set per service."""

from __future__ import annotations

from sqlalchemy import update
from support import slots_of

from console.server import errors
from console.server.schema import services


def test_an_overlapping_booking_for_one_caller_takes_an_explicit_override(api) -> None:  # type: ignore[no-untyped-def]
    first = slots_of(api.world, "counter-1")[0]
    same_hour = slots_of(api.world, "counter-2")[0]  # another counter, the same 08:00
    made = api.book(first)
    refused = api.post(
        "/v1/bookings", json={"caller_id": api.world.callers["janez"], "slot_id": same_hour}
    )
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert (body["error"], body["field"]) == ("caller_has_booking", "allow_overlap")
    assert made["reference_display"] in body["message"]
    for not_a_boolean in ("true", 1, None):
        wrong = api.post(
            "/v1/bookings",
            json={
                "caller_id": api.world.callers["janez"],
                "slot_id": same_hour,
                "allow_overlap": not_a_boolean,
            },
        )
        assert wrong.status_code == 422 and wrong.json()["field"] == "allow_overlap", wrong.text
    # Another caller at the same hour, and the same caller at another hour: no question.
    api.book(same_hour, caller="spela")
    api.book(slots_of(api.world, "counter-2")[3])
    # A cancelled booking no longer counts; the override books anyway.
    api.post(f"/v1/bookings/{made['reference']}/cancel", json={})
    again = slots_of(api.world, "counter-1")[3]  # overlaps the counter-2 booking above
    assert (
        api.post(
            "/v1/bookings", json={"caller_id": api.world.callers["janez"], "slot_id": again}
        ).json()["error"]
        == "caller_has_booking"
    )
    api.book(again, allow_overlap=True)


def test_a_service_that_allows_one_booking_per_caller(api) -> None:  # type: ignore[no-untyped-def]
    with api.database.write() as connection:
        connection.execute(
            update(services)
            .where(services.c.id == api.world.services["ue-id-card"])
            .values(one_booking_per_caller=True)
        )
    listed = {s["code"]: s for s in api.get("/v1/services").json()}
    assert listed["ue-id-card"]["one_booking_per_caller"] is True
    assert listed["health-gp"]["one_booking_per_caller"] is False
    counter = slots_of(api.world, "counter-1")
    made = api.book(counter[0])
    for override in (False, True):  # the rule is not overridden: reschedule instead
        refused = api.post(
            "/v1/bookings",
            json={
                "caller_id": api.world.callers["janez"],
                "slot_id": counter[5],
                "allow_overlap": override,
            },
        )
        assert refused.status_code == 409 and refused.json()["error"] == "caller_has_booking"
        assert "reschedule" in refused.json()["message"]
    api.book(counter[5], caller="spela")  # another caller
    api.book(slots_of(api.world, "dr-novak")[5])  # another service, another time
    moved = api.post(f"/v1/bookings/{made['reference']}/reschedule", json={"slot_id": counter[2]})
    assert moved.status_code == 201, moved.text  # the booking moved does not count


def test_a_reschedule_onto_another_booking_of_the_callers_time(api) -> None:  # type: ignore[no-untyped-def]
    counter = slots_of(api.world, "counter-1")
    doctor = slots_of(api.world, "dr-novak")
    api.book(doctor[0])  # 08:00, at the doctor's
    moving = api.book(counter[3])
    body = {"slot_id": counter[0]}  # 08:00 too
    refused = api.post(f"/v1/bookings/{moving['reference']}/reschedule", json=body)
    assert refused.status_code == 409 and refused.json()["error"] == "caller_has_booking"
    moved = api.post(
        f"/v1/bookings/{moving['reference']}/reschedule", json={**body, "allow_overlap": True}
    )
    assert moved.status_code == 201, moved.text


def test_the_code_is_listed_and_documented(api) -> None:  # type: ignore[no-untyped-def]
    assert (409, "caller_has_booking") in {(s, c) for s, c, _ in errors.ERROR_CODES}
    document = api.get("/openapi.json").json()
    booking_in = document["components"]["schemas"]["BookingIn"]["properties"]["allow_overlap"]
    assert booking_in["type"] == "boolean" and "caller_has_booking" in booking_in["description"]
    reschedule_in = document["components"]["schemas"]["RescheduleIn"]["properties"]
    assert "allow_overlap" in reschedule_in
    assert "409" in document["paths"]["/v1/bookings"]["post"]["responses"]
