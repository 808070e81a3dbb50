"""What a desk that worked offline sends, as the API takes it: a call's own start and end
(within sane bounds), a provisional reference kept as the booking's alias (found by lookup and
``GET /v1/bookings/{ref}``), and a line added to a call's record after its wrap-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from console.domain.reference import check_symbol
from console.server.schema import bookings


def provisional(body: str = "ACDEFH") -> str:
    return "P-" + body + check_symbol(body)


def iso(value: datetime) -> str:
    return value.isoformat()


# -- a call's own times ---------------------------------------------------------------------------


def test_a_call_made_offline_keeps_its_own_start_and_end(api) -> None:  # type: ignore[no-untyped-def]
    began = datetime.now(UTC) - timedelta(hours=2, minutes=7)
    ended = began + timedelta(minutes=4, seconds=30)
    started = api.post("/v1/calls", json={"caller_id": None, "started_at": iso(began)})
    assert started.status_code == 201, started.text
    call = started.json()
    assert datetime.fromisoformat(call["started_at"]) == began
    wrapped = api.post(
        f"/v1/calls/{call['id']}/wrapup",
        json={
            "disposition": "information",
            "ended_at": iso(ended),
            "after_call_work_seconds": 40,
        },
    )
    assert wrapped.status_code == 200, wrapped.text
    done = wrapped.json()
    assert datetime.fromisoformat(done["ended_at"]) == ended
    # Handle time is talk (start to end, by the desk's clock) plus after-call work.
    assert done["handle_seconds"] == 270 + 40
    assert api.get(f"/v1/calls/{call['id']}").json()["handle_seconds"] == 310


def test_a_call_without_times_is_timed_by_the_service(api) -> None:  # type: ignore[no-untyped-def]
    before = datetime.now(UTC)
    call = api.post("/v1/calls", json={}).json()
    assert before <= datetime.fromisoformat(call["started_at"]) <= datetime.now(UTC)
    assert call["handle_seconds"] is None


def test_call_times_out_of_bounds_are_refused_naming_the_field(api) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    ahead = api.post("/v1/calls", json={"started_at": iso(now + timedelta(hours=1))})
    assert ahead.status_code == 422
    assert (ahead.json()["field"], ahead.json()["error"]) == ("started_at", "time_in_future")
    old = api.post("/v1/calls", json={"started_at": iso(now - timedelta(days=31))})
    assert old.status_code == 422
    assert (old.json()["field"], old.json()["error"]) == ("started_at", "time_too_old")
    # A desk's clock a little ahead is taken as now, not refused.
    skewed = api.post("/v1/calls", json={"started_at": iso(now + timedelta(minutes=2))})
    assert skewed.status_code == 201
    assert datetime.fromisoformat(skewed.json()["started_at"]) <= datetime.now(UTC)
    call = api.post("/v1/calls", json={"started_at": iso(now - timedelta(minutes=10))}).json()
    future_end = api.post(
        f"/v1/calls/{call['id']}/wrapup",
        json={"disposition": "information", "ended_at": iso(now + timedelta(hours=2))},
    )
    assert future_end.status_code == 422 and future_end.json()["field"] == "ended_at"
    early_end = api.post(
        f"/v1/calls/{call['id']}/wrapup",
        json={"disposition": "information", "ended_at": iso(now - timedelta(hours=1))},
    )
    assert early_end.status_code == 422 and early_end.json()["field"] == "ended_at"


# -- a provisional reference kept as an alias -----------------------------------------------------


def test_a_provisional_reference_finds_its_booking_everywhere(api) -> None:  # type: ignore[no-untyped-def]
    given = provisional()
    made = api.book(api.world.slots[0], provisional_reference=given)
    assert made["provisional_reference"] == given
    for typed in (given, given.lower(), f"{given[:5]} {given[5:8]} {given[8]}"):
        found = api.get(f"/v1/bookings/{typed}")
        assert found.status_code == 200, found.text
        assert found.json()["reference"] == made["reference"]
        hits = api.get("/v1/callers", params={"q": typed}).json()
        assert hits["kind"] == "reference"
        assert [c["id"] for c in hits["callers"]] == [api.world.callers["janez"]]
        assert hits["callers"][0]["matched_on"] == "reference"
    assert api.get(f"/v1/bookings/{provisional('ACDEFJ')}").status_code == 404


def test_a_mistyped_provisional_reference_is_said_to_be_mistyped(api) -> None:  # type: ignore[no-untyped-def]
    """P- and a code whose check fails: 422 on the reference saying the check failed (it said
    "must have 7 characters, got 8", as if P- were not a form the document allows)."""
    given = provisional()
    wrong = given[:-1] + next(s for s in "ACDEF" if s != given[-1])
    for typed in (wrong, wrong.lower(), f"{wrong[:5]} {wrong[5:8]} {wrong[8]}"):
        answer = api.get(f"/v1/bookings/{typed}")
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert body["field"] == "reference"
        assert body["message"].startswith("Provisional reference: ") and "check" in body["message"]


def test_a_reschedule_keeps_the_provisional_reference_of_the_new_booking(api) -> None:  # type: ignore[no-untyped-def]
    old = api.book(api.world.slots[0])
    given = provisional("MNPRTU")
    moved = api.post(
        f"/v1/bookings/{old['reference']}/reschedule",
        json={"slot_id": api.world.slots[1], "provisional_reference": given},
    )
    assert moved.status_code == 201, moved.text
    assert api.get(f"/v1/bookings/{given}").json()["reference"] == moved.json()["reference"]


def test_a_provisional_reference_kept_after_the_fact(api) -> None:  # type: ignore[no-untyped-def]
    """The desk's booking went online but its answer never came: the request did not carry
    the provisional reference the caller was then given; it is kept afterwards (a PUT)."""
    made = api.book(api.world.slots[0])
    given = provisional("VWXY34")
    path = f"/v1/bookings/{made['reference']}/provisional-reference"
    for _twice in range(2):
        kept = api.client.put(
            path, headers=api.world.headers(), json={"provisional_reference": given}
        )
        assert kept.status_code == 200, kept.text
        assert kept.json()["provisional_reference"] == given
    other = api.client.put(
        path, headers=api.world.headers(), json={"provisional_reference": provisional("679ACD")}
    )
    assert other.status_code == 409 and other.json()["error"] == "provisional_reference_set"
    not_mine = api.client.put(
        path, headers=api.world.headers("agent2"), json={"provisional_reference": given}
    )
    assert not_mine.status_code == 403
    supervisor = api.client.put(
        path, headers=api.world.headers("supervisor"), json={"provisional_reference": given}
    )
    assert supervisor.status_code == 403
    feed = api.get("/v1/changes", params={"since": 0}).json()["changes"]
    assert feed[-1]["data"]["provisional_reference"] == given


def test_a_malformed_provisional_reference_is_refused_naming_the_field(api) -> None:  # type: ignore[no-untyped-def]
    good = provisional()
    mistyped = good[:-1] + ("A" if good[-1] != "A" else "C")  # the check character fails
    for bad in ("P-12345", "K7M4PXR", mistyped):
        response = api.post(
            "/v1/bookings",
            json={
                "caller_id": api.world.callers["janez"],
                "slot_id": api.world.slots[0],
                "provisional_reference": bad,
            },
        )
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["field"] == "provisional_reference"


def test_two_bookings_given_one_provisional_reference_are_told_apart(api) -> None:  # type: ignore[no-untyped-def]
    """Two desks may, rarely, draw the same code offline: lookup lists both callers, and the
    booking read asks to look the caller up instead of guessing."""
    given = provisional()
    first = api.book(api.world.slots[0], caller="janez", provisional_reference=given)
    second = api.book(api.world.slots[1], caller="marija")
    with api.database.write() as connection:
        connection.execute(
            update(bookings)
            .where(bookings.c.reference == second["reference"])
            .values(provisional_reference=given)
        )
    hits = api.get("/v1/callers", params={"q": given}).json()
    assert {c["id"] for c in hits["callers"]} == {
        api.world.callers["janez"],
        api.world.callers["marija"],
    }
    both = api.get(f"/v1/bookings/{given}")
    assert both.status_code == 409 and both.json()["error"] == "ambiguous_reference"
    assert api.get(f"/v1/bookings/{first['reference']}").status_code == 200


# -- a line added to a call's record --------------------------------------------------------------


def test_a_line_is_added_to_a_wrapped_up_call(api) -> None:  # type: ignore[no-untyped-def]
    call = api.post("/v1/calls", json={}).json()
    api.post(f"/v1/calls/{call['id']}/wrapup", json={"disposition": "booked", "notes": "P-X"})
    key = {"Idempotency-Key": "note-key-0001"}
    for _twice in range(2):  # a retry under the same key adds it once
        noted = api.post(
            f"/v1/calls/{call['id']}/notes", json={"note": "rebooked as A3C 9KM T"}, headers=key
        )
        assert noted.status_code == 200, noted.text
    notes = noted.json()["notes"]
    assert notes.startswith("P-X\n[") and notes.endswith("Test agent] rebooked as A3C 9KM T")
    assert notes.count("rebooked") == 1
    other = api.post(f"/v1/calls/{call['id']}/notes", "agent2", json={"note": "x"})
    assert other.status_code == 403
    empty = api.post(f"/v1/calls/{call['id']}/notes", json={"note": ""})
    assert empty.status_code == 422 and empty.json()["field"] == "note"


def test_a_line_added_before_the_wrap_up_stays_after_it(api) -> None:  # type: ignore[no-untyped-def]
    call = api.post("/v1/calls", json={}).json()
    api.post(f"/v1/calls/{call['id']}/notes", json={"note": "slot taken; rebooked"})
    wrapped = api.post(
        f"/v1/calls/{call['id']}/wrapup", json={"disposition": "booked", "notes": "booked"}
    ).json()
    assert wrapped["notes"].startswith("booked\n[") and wrapped["notes"].endswith("rebooked")
