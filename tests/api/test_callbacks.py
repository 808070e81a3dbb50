"""Callbacks through the API, on SQLite and PostgreSQL: the telephone system's events, the queue,
claims and their leases, attempts and back-off, the callback hours, and what closes a callback.

The service's clock is injected (``console.server.clock.now``): every test runs at a known
moment, a working Wednesday morning unless it says otherwise.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from console.domain.calendar import TZ
from console.server import clock
from console.server.abandoned import close_abandoned
from console.server.agents import create_agent
from console.server.schema import callbacks

PBX = "tok-pbx"
JANEZ = "+38641234567"  # the support world's callers' numbers
SPELA = "+38631555111"
UNKNOWN = "+38640111222"


def local(*args: int) -> datetime:
    """A Ljubljana wall-clock time as the service stores it (naive UTC)."""
    return datetime(*args, tzinfo=TZ).astimezone(UTC).replace(tzinfo=None)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock(local(2026, 11, 25, 10, 0))  # a Wednesday
    monkeypatch.setattr(clock, "now", frozen)
    return frozen


@pytest.fixture
def pbx(api) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with api.database.write() as connection:
        create_agent(connection, "Asterisk", "telephony", token=PBX)
    return {"Authorization": f"Bearer {PBX}"}


def event(api, pbx: dict[str, str], **body: object) -> dict:  # type: ignore[no-untyped-def]
    response = api.client.post("/v1/telephony/events", headers=pbx, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def missed(api, pbx, call_id: str, number: str, **extra: object) -> dict:  # type: ignore[no-untyped-def]
    return event(api, pbx, event="missed", call_id=call_id, number=number, **extra)


def queue(api, status: str | None = None, who: str = "agent") -> list[dict]:  # type: ignore[no-untyped-def]
    params = {"status": status} if status else {}
    response = api.get("/v1/callbacks", who, params=params)
    assert response.status_code == 200, response.text
    return response.json()["callbacks"]


def claim(api, who: str = "agent", **kwargs: object):  # type: ignore[no-untyped-def]
    return api.post("/v1/callbacks/claim", who, **kwargs)


def attempt(api, callback_id: int, outcome: str, who: str = "agent", **extra: object):  # type: ignore[no-untyped-def]
    return api.post(
        f"/v1/callbacks/{callback_id}/attempts", who, json={"outcome": outcome, **extra}
    )


def outbound_call(api, who: str = "agent") -> int:  # type: ignore[no-untyped-def]
    """A console call for a callback reached (``reached`` names the call it goes on in)."""
    response = api.post("/v1/calls", who, json={"direction": "outbound"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def wrap_up(api, call_id: int, who: str = "agent"):  # type: ignore[no-untyped-def]
    response = api.post(f"/v1/calls/{call_id}/wrapup", who, json={"disposition": "booked"})
    assert response.status_code == 200, response.text
    return response.json()


def changes_of(api, entity: str, since: int = 0) -> list[dict]:  # type: ignore[no-untyped-def]
    found = api.get("/v1/changes", params={"since": since, "limit": 5000}).json()["changes"]
    return [change for change in found if change["entity"] == entity]


# --- events -------------------------------------------------------------------------------------


def test_a_missed_call_opens_a_callback_and_its_repeat_changes_nothing(api, pbx, now) -> None:
    first = missed(api, pbx, "1700000000.1", "041 234 567", queue="ue", waited_seconds=90)
    assert first["applied"] and first["number"] == JANEZ
    assert first["caller_ids"] == [api.world.callers["janez"]]
    assert first["callback_status"] == "open"
    again = missed(api, pbx, "1700000000.1", "041 234 567", queue="ue", waited_seconds=90)
    assert not again["applied"] and again["callback_id"] == first["callback_id"]
    [callback] = queue(api)
    assert callback["number"] == JANEZ and callback["source"] == "missed_call"
    assert callback["tries"] == 1 and callback["caller_ids"] == [api.world.callers["janez"]]
    assert datetime.fromisoformat(callback["waiting_since"]) == clock.from_db(
        now.at - timedelta(seconds=90)
    )


def test_repeated_missed_calls_add_tries_not_rows_and_move_the_number_ahead(api, pbx, now) -> None:
    missed(api, pbx, "a.1", SPELA)  # Špela waits longest, but tried once
    now.advance(minutes=20)
    for index in range(3):  # Janez tries three times, 20 minutes after her first try
        missed(api, pbx, f"b.{index}", JANEZ)
        now.advance(minutes=1)
    rows = queue(api)
    assert [(c["number"], c["tries"]) for c in rows] == [(JANEZ, 3), (SPELA, 1)]
    with api.database.read() as connection:
        open_rows = connection.execute(select(callbacks.c.number)).all()
    assert len(open_rows) == 2


def test_an_answered_call_closes_the_callback_as_reached_us(api, pbx, now) -> None:
    opened = missed(api, pbx, "c.1", JANEZ)
    now.advance(minutes=5)
    event(api, pbx, event="ringing", call_id="c.2", extension="101", number=JANEZ)
    answered = event(api, pbx, event="answered", call_id="c.2", extension="101")
    assert answered["applied"] and answered["callback_status"] == "done"
    closed = api.get(f"/v1/callbacks/{opened['callback_id']}").json()
    assert closed["status"] == "done" and closed["result"] == "reached_us"
    assert queue(api) == []
    assert not event(api, pbx, event="answered", call_id="c.2", extension="101")["applied"]


def test_an_answer_older_than_the_missed_call_leaves_it_open(api, pbx, now) -> None:
    missed(api, pbx, "d.1", JANEZ)
    earlier = (clock.from_db(now.at) - timedelta(hours=1)).isoformat()
    event(api, pbx, event="ringing", call_id="d.0", extension="101", number=JANEZ, at=earlier)
    event(api, pbx, event="answered", call_id="d.0", extension="101", at=earlier)
    [callback] = queue(api)
    assert callback["status"] == "open"


def test_withheld_numbers_open_no_callback(api, pbx, now) -> None:
    for index, number in enumerate(["anonymous", "", None, "101"]):
        result = missed(api, pbx, f"e.{index}", number)
        assert result["applied"] and result["number"] is None and result["callback_id"] is None
    assert queue(api) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "missed", "call_id": "f.1", "number": "04x 123"}, "missed.number"),
        ({"event": "missed", "call_id": "f.1", "number": "041 234 567\x00"}, "missed.number"),
        ({"event": "ringing", "call_id": "f.1", "number": JANEZ}, "ringing.extension"),
        ({"event": "hung_up", "call_id": "f.1"}, None),
        ({"event": "missed", "call_id": "a b", "number": JANEZ}, "missed.call_id"),
        ({"event": "missed", "call_id": "f.1", "waited_seconds": -1}, "missed.waited_seconds"),
        ({"event": "missed", "call_id": "f.1", "at": "2099-01-01T00:00:00Z"}, "missed.at"),
    ],
)
def test_bad_events_are_refused_naming_the_field(api, pbx, now, body, field) -> None:
    response = api.client.post("/v1/telephony/events", headers=pbx, json=body)
    assert response.status_code == 422, response.text
    if field:
        assert response.json()["field"] == field


def test_only_the_telephony_role_posts_events(api, pbx, now) -> None:
    body = {"event": "missed", "call_id": "g.1", "number": JANEZ}
    for who in ("agent", "supervisor", "admin"):
        assert api.post("/v1/telephony/events", who, json=body).status_code == 403
    assert api.client.post("/v1/telephony/events", json=body).status_code == 401
    assert queue(api) == []


def test_a_telephony_token_can_do_nothing_else(api, pbx, now) -> None:
    allowed = {
        ("POST", "/v1/telephony/events"),
        ("GET", "/v1/telephony/extensions"),
        ("GET", "/health"),  # needs no token at all
        ("GET", "/healthz"),  # the same, for load balancers
    }
    tried = 0
    for path, operations in api.client.app.openapi()["paths"].items():
        concrete = re.sub(r"\{[a-z_]+\}", "1", path)
        for method in operations:
            if (method.upper(), path) in allowed:
                continue
            response = api.client.request(method.upper(), concrete, headers=pbx, json={})
            assert response.status_code == 403, (method, path, response.text)
            tried += 1
    assert tried > 30


def test_ringing_goes_into_the_feed_with_the_callers_matched_by_the_number(api, pbx, now) -> None:
    twin = api.post(
        "/v1/callers", json={"first_name": "Jana", "last_name": "Kovač", "phones": [JANEZ]}
    ).json()
    desk = api.client.put(
        "/v1/telephony/extension", headers=api.world.headers("agent2"), json={"extension": "102"}
    )
    assert desk.status_code == 200
    since = api.get("/v1/changes/latest").json()["last_seq"]
    event(api, pbx, event="ringing", call_id="h.1", extension="102", number="041 234 567",
          line="UE")  # fmt: skip
    event(api, pbx, event="ringing", call_id="h.2", extension="101", number=UNKNOWN)
    event(api, pbx, event="ringing", call_id="h.2", extension="101", number=UNKNOWN)  # repeat
    rings = changes_of(api, "ringing", since)
    assert [c["data"]["call_id"] for c in rings] == ["h.1", "h.2"]
    assert rings[0]["data"] == {
        "call_id": "h.1",
        "line": "UE",
        "extension": "102",
        "number": JANEZ,
        "caller_ids": sorted([api.world.callers["janez"], twin["id"]]),
        "agent_id": api.world.agents["agent2"],
    }
    assert rings[1]["data"]["caller_ids"] == [] and rings[1]["data"]["agent_id"] is None
    event(api, pbx, event="answered", call_id="h.1", extension="102")
    assert [c["op"] for c in changes_of(api, "ringing", since)] == [
        "ringing",
        "ringing",
        "answered",
    ]


def test_desks_declare_their_extensions(api, pbx, now) -> None:
    put = api.client.put
    assert put("/v1/telephony/extension", headers=api.world.headers(), json={"extension": "101"})
    moved = put(
        "/v1/telephony/extension", headers=api.world.headers("agent2"), json={"extension": "101"}
    )
    assert moved.status_code == 200
    listed = api.client.get("/v1/telephony/extensions", headers=pbx).json()
    assert [(e["extension"], e["agent_id"]) for e in listed] == [
        ("101", api.world.agents["agent2"])
    ]
    assert (
        api.client.delete(
            "/v1/telephony/extension", headers=api.world.headers("agent2")
        ).status_code
        == 204
    )
    assert api.client.get("/v1/telephony/extensions", headers=pbx).json() == []
    refused = put(
        "/v1/telephony/extension", headers=api.world.headers("supervisor"), json={"extension": "1"}
    )
    assert refused.status_code == 403
    bad = put("/v1/telephony/extension", headers=api.world.headers(), json={"extension": "1 2"})
    assert bad.status_code == 422


def test_a_long_poll_answers_when_a_change_comes(api, pbx, now) -> None:
    since = api.get("/v1/changes/latest").json()["last_seq"]
    quiet = api.get("/v1/changes", params={"since": since, "wait": 0.3}).json()
    assert quiet == {"changes": [], "last_seq": since}

    def ring_later() -> None:
        time.sleep(0.5)
        event(api, pbx, event="ringing", call_id="i.1", extension="101", number=JANEZ)

    ringer = threading.Thread(target=ring_later)
    ringer.start()
    try:
        page = api.get("/v1/changes", params={"since": since, "wait": 20}).json()
    finally:
        ringer.join()
    assert [(c["entity"], c["data"]["call_id"]) for c in page["changes"]] == [("ringing", "i.1")]
    assert page["last_seq"] == page["changes"][-1]["seq"]
    too_long = api.get("/v1/changes", params={"since": since, "wait": 600})
    assert too_long.status_code == 422 and too_long.json()["field"] == "wait"


# --- the queue and claims -----------------------------------------------------------------------


def test_claims_take_the_oldest_first_and_answer_204_when_none_is_due(api, pbx, now) -> None:
    assert claim(api).status_code == 204
    missed(api, pbx, "j.1", SPELA)
    now.advance(minutes=1)
    missed(api, pbx, "j.2", UNKNOWN)
    first = claim(api).json()
    second = claim(api, "agent2").json()
    assert (first["number"], second["number"]) == (SPELA, UNKNOWN)
    assert first["status"] == "claimed" and first["claimed_by"] == api.world.agents["agent"]
    assert datetime.fromisoformat(first["lease_expires_at"]) == clock.from_db(
        now.at + timedelta(minutes=10)
    )
    assert first["caller_ids"] == [api.world.callers["spela"]] and second["caller_ids"] == []
    assert claim(api).status_code == 204
    assert [c["status"] for c in queue(api, "claimed")] == ["claimed", "claimed"]
    assert queue(api, "open") == []


def test_a_lapsed_lease_puts_the_callback_back(api, pbx, now) -> None:
    opened = missed(api, pbx, "k.1", JANEZ)
    assert claim(api).json()["id"] == opened["callback_id"]
    now.advance(minutes=9)
    assert claim(api, "agent2").status_code == 204
    now.advance(minutes=2)  # the first desk went away: its lease ran out
    [lapsed] = queue(api, "open")
    assert lapsed["id"] == opened["callback_id"] and lapsed["status"] == "open"
    assert lapsed["lease_expires_at"] is None and queue(api, "claimed") == []
    taken = claim(api, "agent2").json()
    assert (
        taken["id"] == opened["callback_id"] and taken["claimed_by"] == api.world.agents["agent2"]
    )
    late = attempt(api, opened["callback_id"], "no_answer")
    assert late.status_code == 409 and late.json()["error"] == "callback_claimed"
    ops = [c["op"] for c in changes_of(api, "callback")]
    assert ops == ["created", "claimed", "claimed"]


def test_a_desk_back_from_an_outage_can_still_record_its_attempt(api, pbx, now) -> None:
    opened = missed(api, pbx, "l.1", JANEZ)
    claim(api)
    made_at = clock.from_db(now.at + timedelta(minutes=2))
    call_id = outbound_call(api)  # the desk's call, replayed before its outcome
    now.advance(minutes=40)  # offline; the lease lapsed, and nobody claimed it since
    done = attempt(
        api, opened["callback_id"], "reached", at=made_at.isoformat(), note="booked",
        call_id=call_id,
    )  # fmt: skip
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "claimed" and body["call_id"] == call_id
    assert datetime.fromisoformat(body["attempts"][0]["at"]) == made_at
    wrap_up(api, call_id)  # the wrap-up, replayed after it
    closed = api.get(f"/v1/callbacks/{opened['callback_id']}").json()
    assert (closed["status"], closed["result"]) == ("done", "reached")


def test_no_answer_and_busy_retry_after_the_back_off_then_fail(api, pbx, now) -> None:
    callback_id = missed(api, pbx, "m.1", JANEZ)["callback_id"]
    assert claim(api).json()["id"] == callback_id
    first = attempt(api, callback_id, "no_answer").json()
    assert first["status"] == "open" and first["attempt_count"] == 1
    assert datetime.fromisoformat(first["due_at"]) == clock.from_db(now.at + timedelta(minutes=30))
    now.advance(minutes=29)
    assert claim(api).status_code == 204
    now.advance(minutes=1)
    assert claim(api).json()["id"] == callback_id
    second = attempt(api, callback_id, "busy").json()
    assert datetime.fromisoformat(second["due_at"]) == clock.from_db(
        now.at + timedelta(minutes=120)
    )
    now.advance(minutes=120)
    claim(api, "agent2")
    third = attempt(api, callback_id, "no_answer", "agent2").json()
    assert third["status"] == "failed" and third["result"] == "no_answer"
    assert [a["outcome"] for a in third["attempts"]] == ["no_answer", "busy", "no_answer"]
    assert claim(api).status_code == 204
    closed = attempt(api, callback_id, "reached", "agent2")
    assert closed.status_code == 409 and closed.json()["error"] == "callback_closed"


def test_a_new_missed_call_makes_a_retried_callback_due_at_once(api, pbx, now) -> None:
    callback_id = missed(api, pbx, "n.1", JANEZ)["callback_id"]
    claim(api)
    attempt(api, callback_id, "busy")
    now.advance(minutes=5)
    missed(api, pbx, "n.2", JANEZ)
    assert claim(api).json()["id"] == callback_id


@pytest.mark.parametrize(
    ("outcome", "status", "result"),
    [
        ("declined", "done", "declined"),
        ("wrong_number", "failed", "wrong_number"),
    ],
)
def test_outcomes_that_close_at_once(api, pbx, now, outcome, status, result) -> None:
    callback_id = missed(api, pbx, "o.1", JANEZ)["callback_id"]
    claim(api)
    call = api.post("/v1/calls", json={"direction": "outbound"}).json()
    done = attempt(api, callback_id, outcome, call_id=call["id"]).json()
    assert (done["status"], done["result"]) == (status, result)
    assert done["attempts"][0]["call_id"] == call["id"]
    assert queue(api) == []


def test_reached_keeps_the_callback_with_its_call_until_the_wrap_up(api, pbx, now) -> None:
    callback_id = missed(api, pbx, "o.2", JANEZ)["callback_id"]
    claim(api)
    call_id = outbound_call(api)
    reached = attempt(api, callback_id, "reached", call_id=call_id)
    assert reached.status_code == 200, reached.text
    body = reached.json()
    assert (body["status"], body["result"], body["call_id"]) == ("claimed", None, call_id)
    assert body["claimed_by"] == api.world.agents["agent"] and body["lease_expires_at"] is None
    assert body["attempts"][0]["call_id"] == call_id
    # A long call: the lease would have lapsed long ago; the call holds the callback.
    now.advance(hours=2)
    assert claim(api, "agent2").status_code == 204
    assert [c["id"] for c in queue(api, "claimed")] == [callback_id]
    assert queue(api, "open") == []
    taken = claim(api, "agent2", json={"callback_id": callback_id})
    assert taken.status_code == 409 and taken.json()["error"] == "callback_claimed"
    # Nothing else is taken on it meanwhile: the wrap-up closes it.
    for refused in (
        attempt(api, callback_id, "no_answer"),
        api.post(f"/v1/callbacks/{callback_id}/release"),
    ):
        assert refused.status_code == 409 and refused.json()["error"] == "callback_in_call"
    assert attempt(api, callback_id, "busy", "agent2").json()["error"] == "callback_claimed"
    # The caller calling in meanwhile does not close it as reached_us either.
    janez = api.world.callers["janez"]
    api.post("/v1/calls", "agent2", json={"direction": "inbound", "caller_id": janez})
    assert api.get(f"/v1/callbacks/{callback_id}").json()["status"] == "claimed"

    wrap_up(api, call_id)
    done = api.get(f"/v1/callbacks/{callback_id}").json()
    assert (done["status"], done["result"], done["call_id"]) == ("done", "reached", call_id)
    assert datetime.fromisoformat(done["closed_at"]) == clock.from_db(now.at)
    assert queue(api) == []


def test_reached_needs_the_agents_own_call(api, pbx, now) -> None:
    callback_id = missed(api, pbx, "o.3", JANEZ)["callback_id"]
    claim(api)
    bare = attempt(api, callback_id, "reached")
    assert bare.status_code == 422 and bare.json()["field"] == "call_id"
    missing = attempt(api, callback_id, "reached", call_id=999_999)
    assert missing.status_code == 422 and missing.json()["field"] == "call_id"
    others = attempt(api, callback_id, "reached", call_id=outbound_call(api, "agent2"))
    assert others.status_code == 422 and others.json()["field"] == "call_id"
    assert api.get(f"/v1/callbacks/{callback_id}").json()["attempts"] == []


def test_reached_in_a_call_already_wrapped_up_closes_it_at_once(api, pbx, now) -> None:
    """A desk's replay: the call and its wrap-up reached the service before the outcome."""
    callback_id = missed(api, pbx, "o.4", JANEZ)["callback_id"]
    claim(api)
    call_id = outbound_call(api)
    wrap_up(api, call_id)
    done = attempt(api, callback_id, "reached", call_id=call_id).json()
    assert (done["status"], done["result"], done["call_id"]) == ("done", "reached", call_id)


def test_a_reached_callback_whose_call_is_abandoned_is_done_with_it(api, pbx, now) -> None:
    """The desk died in the call and never came back: the service's sweep of calls left open
    ([retention] abandon_calls_after_hours) closes the call, and the callback with it."""
    callback_id = missed(api, pbx, "o.5", JANEZ)["callback_id"]
    claim(api)
    call_id = outbound_call(api)
    attempt(api, callback_id, "reached", call_id=call_id)
    now.advance(hours=13)
    assert close_abandoned(api.database, 12) == 1
    done = api.get(f"/v1/callbacks/{callback_id}").json()
    assert (done["status"], done["result"], done["call_id"]) == ("done", "reached", call_id)
    assert [c["op"] for c in changes_of(api, "callback")][-1] == "closed"


def test_attempts_need_the_claim(api, pbx, now) -> None:
    callback_id = missed(api, pbx, "p.1", JANEZ)["callback_id"]
    unclaimed = attempt(api, callback_id, "reached")
    assert unclaimed.status_code == 409 and unclaimed.json()["error"] == "callback_not_claimed"
    claim(api)
    other = attempt(api, callback_id, "reached", "agent2")
    assert other.status_code == 409 and other.json()["error"] == "callback_claimed"
    assert attempt(api, callback_id, "reached", "supervisor").status_code == 403
    assert attempt(api, 999_999, "reached").status_code == 404
    bad = attempt(api, callback_id, "maybe")
    assert bad.status_code == 422 and bad.json()["field"] == "outcome"
    future = attempt(api, callback_id, "reached", at="2099-01-01T00:00:00Z")
    assert future.status_code == 422 and future.json()["field"] == "at"


def test_claims_and_attempts_replay_with_their_idempotency_keys(api, pbx, now) -> None:
    missed(api, pbx, "q.1", JANEZ)
    missed(api, pbx, "q.2", SPELA)
    key = {"Idempotency-Key": "claim-0001-abcdef"}
    first = claim(api, headers=key).json()
    replay = claim(api, headers=key)
    assert replay.status_code == 200 and replay.json() == first
    other = claim(api, headers={"Idempotency-Key": "claim-0002-abcdef"}).json()
    assert other["id"] != first["id"]
    empty_key = {"Idempotency-Key": "claim-0003-abcdef"}
    assert claim(api, headers=empty_key).status_code == 204
    missed(api, pbx, "q.3", UNKNOWN)
    assert claim(api, headers=empty_key).status_code == 204  # the same answer as the first time
    outcome_key = {"Idempotency-Key": "attempt-0001-abcdef"}
    body = {"outcome": "reached", "call_id": outbound_call(api)}
    done = api.post(f"/v1/callbacks/{first['id']}/attempts", headers=outcome_key, json=body)
    again = api.post(f"/v1/callbacks/{first['id']}/attempts", headers=outcome_key, json=body)
    assert done.status_code == again.status_code == 200 and done.json() == again.json()
    assert len(api.get(f"/v1/callbacks/{first['id']}").json()["attempts"]) == 1


def test_release_gives_it_back_and_only_its_holder_may(api, pbx, now) -> None:
    callback_id = missed(api, pbx, "r.1", JANEZ)["callback_id"]
    claim(api)
    refused = api.post(f"/v1/callbacks/{callback_id}/release", "agent2")
    assert refused.status_code == 409 and refused.json()["error"] == "callback_claimed"
    released = api.post(f"/v1/callbacks/{callback_id}/release")
    assert released.status_code == 200 and released.json()["status"] == "open"
    assert api.post(f"/v1/callbacks/{callback_id}/release").status_code == 200  # again: the same
    assert claim(api, "agent2").json()["id"] == callback_id


def test_claiming_a_named_callback(api, pbx, now) -> None:
    older = missed(api, pbx, "s.1", SPELA)["callback_id"]
    newer = missed(api, pbx, "s.2", JANEZ)["callback_id"]
    assert claim(api, json={"callback_id": newer}).json()["id"] == newer
    taken = claim(api, "agent2", json={"callback_id": newer})
    assert taken.status_code == 409 and taken.json()["error"] == "callback_claimed"
    assert claim(api, json={"callback_id": newer}).json()["id"] == newer  # its holder: renewed
    assert claim(api, json={"callback_id": 424242}).status_code == 404
    assert claim(api, "agent2").json()["id"] == older


def test_cancel(api, pbx, now) -> None:
    callback_id = missed(api, pbx, "t.1", JANEZ)["callback_id"]
    cancelled = api.post(f"/v1/callbacks/{callback_id}/cancel", json={"reason": "duplicate"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and "duplicate" in cancelled.json()["note"]
    again = api.post(f"/v1/callbacks/{callback_id}/cancel")
    assert again.status_code == 409 and again.json()["error"] == "callback_closed"
    assert queue(api, "cancelled")[0]["id"] == callback_id


# --- the callback hours -------------------------------------------------------------------------


def test_nothing_is_claimed_at_the_weekend_and_it_shows_when_it_may_be_called(
    api, pbx, now
) -> None:
    now.at = local(2026, 11, 28, 10, 0)  # a Saturday
    callback_id = missed(api, pbx, "u.1", JANEZ)["callback_id"]
    assert claim(api).status_code == 204
    page = api.get("/v1/callbacks").json()
    assert page["window"]["open_now"] is False
    assert page["window"]["holidays"] is True  # the desk tells the hours by the same rule
    monday = clock.from_db(local(2026, 11, 30, 8, 0))
    assert datetime.fromisoformat(page["window"]["next_open_at"]) == monday
    assert datetime.fromisoformat(page["callbacks"][0]["callable_from"]) == monday
    named = claim(api, json={"callback_id": callback_id})
    assert named.status_code == 409 and named.json()["error"] == "outside_hours"
    now.at = local(2026, 11, 30, 7, 59)
    assert claim(api).status_code == 204
    now.at = local(2026, 11, 30, 8, 0)
    assert claim(api).json()["id"] == callback_id


def test_nothing_is_claimed_on_a_holiday_around_christmas(api, pbx, now) -> None:
    now.at = local(2026, 12, 24, 15, 30)  # Thursday, a working day
    missed(api, pbx, "v.1", JANEZ)
    missed(api, pbx, "v.2", SPELA)
    assert claim(api).status_code == 200
    now.at = local(2026, 12, 24, 16, 0)  # the hours end at 16:00
    assert claim(api).status_code == 204
    now.at = local(2026, 12, 25, 10, 0)  # Christmas, a Friday: a holiday
    assert claim(api).status_code == 204
    page = api.get("/v1/callbacks", params={"status": "open"}).json()
    monday = clock.from_db(local(2026, 12, 28, 8, 0))  # 26 Dec is a holiday and a Saturday
    assert datetime.fromisoformat(page["callbacks"][0]["callable_from"]) == monday
    now.at = local(2026, 12, 28, 8, 0)
    assert claim(api).status_code == 200


# --- what closes a callback, and agents' callbacks ----------------------------------------------


def test_an_inbound_console_call_for_the_caller_closes_it_as_reached_us(api, pbx, now) -> None:
    janez = missed(api, pbx, "w.1", JANEZ)["callback_id"]
    spela = missed(api, pbx, "w.2", SPELA)["callback_id"]
    marija = missed(api, pbx, "w.3", "01 234 56 78")["callback_id"]
    now.advance(minutes=3)
    api.post("/v1/calls", json={"direction": "outbound", "caller_id": api.world.callers["janez"]})
    assert api.get(f"/v1/callbacks/{janez}").json()["status"] == "open"  # we called: not them
    api.post("/v1/calls", json={"direction": "inbound", "caller_id": api.world.callers["janez"]})
    assert api.get(f"/v1/callbacks/{janez}").json()["result"] == "reached_us"
    call = api.post("/v1/calls", json={"direction": "inbound"}).json()
    api.patch(f"/v1/calls/{call['id']}", json={"caller_id": api.world.callers["spela"]})
    assert api.get(f"/v1/callbacks/{spela}").json()["result"] == "reached_us"
    assert api.get(f"/v1/callbacks/{marija}").json()["status"] == "open"


def test_a_wrap_up_follow_up_becomes_a_callback_for_that_agent(api, pbx, now) -> None:
    call = api.post(
        "/v1/calls", json={"direction": "inbound", "caller_id": api.world.callers["janez"]}
    ).json()
    tomorrow = clock.from_db(now.at + timedelta(days=1))
    wrapped = api.post(
        f"/v1/calls/{call['id']}/wrapup",
        json={
            "disposition": "callback",
            "follow_up_at": tomorrow.isoformat(),
            "follow_up_note": "offer a morning slot",
        },
    )
    assert wrapped.status_code == 200, wrapped.text
    [callback] = queue(api)
    assert callback["number"] == JANEZ and callback["source"] == "agent_follow_up"
    assert callback["assigned_to"] == api.world.agents["agent"]
    assert callback["origin_call_id"] == call["id"] and callback["caller_id"] == call["caller_id"]
    assert callback["note"] == "offer a morning slot" and callback["tries"] == 0
    assert datetime.fromisoformat(callback["due_at"]) == tomorrow
    assert claim(api).status_code == 204  # not due yet
    now.advance(days=1)
    assert claim(api, "agent2").status_code == 204  # kept for its agent first
    assert claim(api).json()["id"] == callback["id"]


def test_an_assigned_callback_goes_first_and_to_the_pool_after_a_while(api, pbx, now) -> None:
    waiting = missed(api, pbx, "aa.1", JANEZ)["callback_id"]  # the pool's, waiting longer
    now.advance(minutes=5)
    created = api.post("/v1/callbacks", json={"number": "031 555 111", "note": "papers ready"})
    assert created.status_code == 201, created.text
    mine = created.json()["id"]
    assert claim(api, "agent2").json()["id"] == waiting  # not theirs
    api.post(f"/v1/callbacks/{waiting}/release", "agent2")
    assert claim(api).json()["id"] == mine  # its agent's own first
    api.post(f"/v1/callbacks/{mine}/release")
    now.advance(minutes=121)  # overdue for its agent: anyone's, and first
    assert claim(api, "agent2").json()["id"] == mine


def test_a_follow_up_for_the_pool_or_another_number(api, pbx, now) -> None:
    call = api.post("/v1/calls", json={"direction": "inbound"}).json()
    body = {
        "disposition": "callback",
        "follow_up_at": clock.from_db(now.at).isoformat(),
        "follow_up_number": "040 111 222",
        "follow_up_assign": "pool",
    }
    bad = api.post(f"/v1/calls/{call['id']}/wrapup", json={**body, "follow_up_number": "12x"})
    assert bad.status_code == 422 and bad.json()["field"] == "follow_up_number"
    assert api.post(f"/v1/calls/{call['id']}/wrapup", json=body).status_code == 200
    [callback] = queue(api)
    assert callback["number"] == UNKNOWN and callback["assigned_to"] is None
    nobody = api.post("/v1/calls", json={"direction": "inbound"}).json()
    plain = api.post(
        f"/v1/calls/{nobody['id']}/wrapup",
        json={"disposition": "callback", "follow_up_at": clock.from_db(now.at).isoformat()},
    )
    assert plain.status_code == 200  # no caller, no number: the follow-up stays on the call
    assert len(queue(api)) == 1


def test_posted_callbacks_merge_into_the_numbers_open_one(api, pbx, now) -> None:
    missed(api, pbx, "x.1", JANEZ)
    due = clock.from_db(now.at + timedelta(hours=2))
    merged = api.post(
        "/v1/callbacks",
        json={"number": "+386 41 234 567", "note": "wants Tuesday", "due_at": due.isoformat()},
    )
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["source"] == "missed_call" and body["note"] == "wants Tuesday"
    assert datetime.fromisoformat(body["due_at"]) == due and body["tries"] == 1
    created = api.post(
        "/v1/callbacks", json={"number": "01 234 56 78", "source": "sync_issue", "assign": "pool"}
    )
    assert created.status_code == 201 and created.json()["source"] == "sync_issue"
    assert len(queue(api)) == 2
    assert api.post("/v1/callbacks", "supervisor", json={"number": JANEZ}).status_code == 403
    bad = api.post("/v1/callbacks", json={"number": "12345678901234567890"})
    assert bad.status_code == 422 and bad.json()["field"] == "number"
    unknown = api.post("/v1/callbacks", json={"number": JANEZ, "caller_id": 10**9})
    assert unknown.status_code == 422 and unknown.json()["field"] == "caller_id"
    assert len(queue(api, who="supervisor")) == 2  # supervisors read


def test_the_database_allows_one_open_callback_per_number(api, pbx, now) -> None:
    missed(api, pbx, "y.1", JANEZ)
    row = {
        "number": JANEZ,
        "source": "missed_call",
        "status": "claimed",
        "claimed_by": api.world.agents["agent"],
        "lease_expires_at": now.at,
        "created_at": now.at,
        "waiting_since": now.at,
        "due_at": now.at,
        "rank_at": now.at,
    }
    with pytest.raises(IntegrityError), api.database.write() as connection:
        connection.execute(insert(callbacks).values(**row))
    closed = {**row, "status": "done", "result": "reached", "closed_at": now.at}
    with api.database.write() as connection:  # closed ones: as many as there were
        connection.execute(insert(callbacks).values(**closed))
        connection.execute(insert(callbacks).values(**closed))


def test_callback_changes_go_into_the_feed(api, pbx, now) -> None:
    callback_id = missed(api, pbx, "z.1", JANEZ)["callback_id"]
    missed(api, pbx, "z.2", JANEZ)
    claim(api)
    call_id = outbound_call(api)
    attempt(api, callback_id, "reached", call_id=call_id)
    wrap_up(api, call_id)
    found = changes_of(api, "callback")
    assert [c["op"] for c in found] == ["created", "updated", "claimed", "attempted", "closed"]
    assert {c["entity_id"] for c in found} == {callback_id}
    reached = found[3]["data"]
    assert reached["status"] == "claimed" and reached["call_id"] == call_id
    assert reached["lease_expires_at"] is None
    last = found[-1]["data"]
    assert last["number"] == JANEZ and last["status"] == "done" and last["result"] == "reached"
    assert found[1]["data"]["tries"] == 2


def test_the_openapi_document_describes_callbacks_and_telephony(api) -> None:
    doc = api.client.get("/openapi.json").json()
    paths = doc["paths"]
    claim_answers = paths["/v1/callbacks/claim"]["post"]["responses"]
    assert {"200", "204", "403", "409", "422"} <= set(claim_answers)
    assert claim_answers["409"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ApiError"
    )
    for path, method, codes in [
        ("/v1/callbacks", "post", {"201", "200", "403", "422"}),
        ("/v1/callbacks", "get", {"200", "403", "422"}),
        ("/v1/callbacks/{callback_id}/attempts", "post", {"200", "403", "404", "409", "422"}),
        ("/v1/callbacks/{callback_id}/release", "post", {"200", "403", "404", "409"}),
        ("/v1/telephony/events", "post", {"200", "403", "422"}),
    ]:
        assert codes <= set(paths[path][method]["responses"]), (path, method)
    event = paths["/v1/telephony/events"]["post"]["requestBody"]["content"]["application/json"]
    assert {"RingingEvent", "AnsweredEvent", "MissedEvent"} <= {
        ref["$ref"].rsplit("/", 1)[-1] for ref in event["schema"]["oneOf"]
    }
    assert "wait" in {p["name"] for p in paths["/v1/changes"]["get"]["parameters"]}
    schemas = doc["components"]["schemas"]
    assert {"Callback", "CallbackPage", "AttemptIn", "TelephonyEventResult"} <= set(schemas)
    assert "telephony" in schemas["Role"]["enum"]
    assert "ringing" in schemas["Change"]["properties"]["entity"]["description"]
