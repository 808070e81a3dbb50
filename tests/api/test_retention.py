"""Retention on the central service: ``agent-console prune`` after a day of bookings, the change
feed's 410 for a cursor older than what is kept, and one pruner at a time. SQLite and
PostgreSQL; the service's clock (``console.server.clock.now``) is moved, not waited for."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from console import cli
from console.server import changes, clock, retention
from console.server.app import create_app
from console.server.retention import DailyPrune, prune, prune_lock
from console.server.schema import (
    agent_states,
    audit_log,
    bookings,
    callers,
    calls,
    holds,
    idempotency_keys,
)
from console.server.schema import changes as changes_table
from console.server.settings import RetentionSettings, ServerSettings

DEFAULTS = RetentionSettings()


def count(api, table) -> int:  # type: ignore[no-untyped-def]
    with api.database.read() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def rows(api, table) -> list[tuple]:  # type: ignore[no-untyped-def]
    with api.database.read() as connection:
        return [tuple(r) for r in connection.execute(select(table).order_by(*table.primary_key))]


def a_day_of_calls(api, calls_made: int = 8) -> list[str]:  # type: ignore[no-untyped-def]
    """Calls as desks make them: a call, the caller's card (audited), a hold, a booking and a
    wrap-up, each write with an Idempotency-Key; a hold let go and one left to expire."""
    references = []
    names = ["janez", "spela", "marija"]
    for number in range(calls_made):
        key = f"desk1-{number:04d}"
        caller = api.world.callers[names[number % 3]]
        call = api.post(
            "/v1/calls",
            json={"caller_id": caller, "direction": "inbound"},
            headers={"Idempotency-Key": f"{key}-call"},
        ).json()
        call_header = {"X-Call-Id": str(call["id"])}
        card = api.client.get(
            f"/v1/callers/{caller}", headers={**api.world.headers(), **call_header}
        )
        assert card.status_code == 200
        hold = api.hold(api.world.slots[number])
        booked = api.post(
            "/v1/bookings",
            json={"caller_id": caller, "hold_id": hold["id"], "call_id": call["id"]},
            headers={"Idempotency-Key": f"{key}-book", **call_header},
        )
        assert booked.status_code == 201, booked.text
        references.append(booked.json()["reference"])
        wrapped = api.post(
            f"/v1/calls/{call['id']}/wrapup",
            json={"disposition": "booked", "notes": f"call {number}"},
            headers={"Idempotency-Key": f"{key}-wrap"},
        )
        assert wrapped.status_code == 200, wrapped.text
    let_go = api.hold(api.world.slots[calls_made])
    assert api.delete(f"/v1/holds/{let_go['id']}").status_code == 204
    api.hold(api.world.slots[calls_made + 1])  # expires on its own
    return references


def moved_clock(monkeypatch: pytest.MonkeyPatch, days: float) -> datetime:
    later = clock.now() + timedelta(days=days)
    real = clock.now
    monkeypatch.setattr(clock, "now", lambda: real() + timedelta(days=days))
    return later


def test_45_days_after_a_day_of_bookings_prune_leaves_every_booking_and_no_key(
    api, database_url_param, monkeypatch, capsys
) -> None:
    references = a_day_of_calls(api)
    kept = {table.name: rows(api, table) for table in (bookings, callers, calls)}
    feed_before = count(api, changes_table)
    assert count(api, idempotency_keys) == 3 * 8 and feed_before > 30
    assert count(api, audit_log) > 0 and count(api, holds) == 10

    moved_clock(monkeypatch, 45)
    assert cli.main(["prune", "--db", database_url_param]) == 0
    printed = capsys.readouterr().out
    assert f"{'idempotency_keys':<18} {24:>10,} removed" in printed
    assert "holds" in printed and "changes" in printed and "audit_log" in printed

    assert count(api, idempotency_keys) == 0
    assert count(api, changes_table) < feed_before
    assert count(api, holds) <= 1  # the newest hold row stays (its id is never reused)
    for table in (bookings, callers, calls):
        assert rows(api, table) == kept[table.name], table.name  # bookings, calls, wrap-ups
    assert count(api, audit_log) > 0  # audit rows are kept unless an operator says otherwise
    for reference in references:
        assert api.get(f"/v1/bookings/{reference}").json()["status"] == "confirmed"


def test_a_dry_run_counts_and_deletes_nothing(api, database_url_param, monkeypatch) -> None:
    a_day_of_calls(api, 3)
    before = {t.name: count(api, t) for t in (idempotency_keys, changes_table, holds)}
    report = prune(api.database, DEFAULTS, now=clock.now() + timedelta(days=45), dry_run=True)
    assert report.removed["idempotency_keys"] == 9
    assert report.removed["changes"] == before["changes"]
    assert report.removed["holds"] == before["holds"] - 1
    assert {t.name: count(api, t) for t in (idempotency_keys, changes_table, holds)} == before


def test_only_what_is_older_than_its_period_goes(api, monkeypatch) -> None:
    a_day_of_calls(api, 2)  # day 0: 6 keys, 4 holds
    moved_clock(monkeypatch, 20)
    newer = a_day_of_calls_later(api)  # day 20: one more key
    report = prune(api.database, DEFAULTS, now=clock.now() + timedelta(days=15))  # day 35
    assert report.removed["idempotency_keys"] == 6  # day 0's; day 20's is 15 days old
    assert count(api, idempotency_keys) == 1
    assert report.removed["holds"] == 3 and count(api, holds) == 1  # the newest row stays
    with api.database.read() as connection:
        first = connection.execute(select(changes_table).order_by(changes_table.c.seq)).first()
    assert first.entity == changes.PRUNED_ENTITY
    assert first.seq < newer  # the newer day's changes are all still there
    page = api.get("/v1/changes", params={"since": first.seq}).json()
    assert page["changes"][0]["seq"] > first.seq
    assert any(c["seq"] == newer for c in page["changes"])


def test_an_agents_past_states_go_after_their_period_and_the_current_one_stays(
    api, monkeypatch
) -> None:
    """A desk's states are history (time in each state); they grow with every call, so past
    ones go after ``agent_states_days``; the agent's current state never does."""
    for state in ("ready", "away", "ready"):
        body = {"state": state, "reason": "break"} if state == "away" else {"state": state}
        assert api.client.put("/v1/desk/state", json=body, headers=api.world.headers()).is_success
    assert count(api, agent_states) == 3
    kept = RetentionSettings(agent_states_days=30)
    assert (
        prune(api.database, kept, now=clock.now() + timedelta(days=29)).removed["agent_states"] == 0
    )
    report = prune(api.database, kept, now=clock.now() + timedelta(days=31))
    assert report.removed["agent_states"] == 2
    with api.database.read() as connection:
        left = connection.execute(select(agent_states.c.state, agent_states.c.ended_at)).all()
    assert [tuple(row) for row in left] == [("ready", None)]
    state = api.client.get("/v1/desk/state", headers=api.world.headers()).json()
    assert state["state"] == "ready"


def a_day_of_calls_later(api) -> int:  # type: ignore[no-untyped-def]
    """One more write with a key (the world's slots are past by then: a new caller); returns
    its change's sequence number."""
    response = api.post(
        "/v1/callers",
        json={"first_name": "Eva", "last_name": "Zupan"},
        headers={"Idempotency-Key": "desk1-later-caller"},
    )
    assert response.status_code == 201, response.text
    return api.get("/v1/changes/latest").json()["last_seq"]


def test_a_cursor_older_than_the_feed_gets_410_resync(api, monkeypatch) -> None:
    api.post("/v1/callers", json={"first_name": "Ana", "last_name": "Kos"})
    early = api.get("/v1/changes/latest").json()["last_seq"]
    a_day_of_calls(api, 3)
    pruned_last = api.get("/v1/changes/latest").json()["last_seq"]
    moved_clock(monkeypatch, 31)
    newer = api.post("/v1/callers", json={"first_name": "Eva", "last_name": "Zupan"}).json()
    head = api.get("/v1/changes/latest").json()["last_seq"]
    prune(api.database, DEFAULTS)

    for stale in (0, 1, early, pruned_last - 1):  # a brand-new cursor, a pruned one, ...
        gone = api.get("/v1/changes", params={"since": stale})
        assert gone.status_code == 410, (stale, gone.text)
        body = gone.json()
        assert body["error"] == "resync" and body["field"] == "since"
        assert "/v1/changes/latest" in body["message"]
    # The newest pruned change's own number is a cursor that missed nothing.
    fresh = api.get("/v1/changes", params={"since": pruned_last})
    assert fresh.status_code == 200, fresh.text
    assert [c["entity_id"] for c in fresh.json()["changes"]] == [newer["id"]]
    # A desk that starts now starts at the head and never sees a 410.
    assert api.get("/v1/changes", params={"since": head}).json() == {
        "changes": [],
        "last_seq": head,
    }
    policy = api.get("/v1/retention").json()
    assert policy["feed_starts_after"] == pruned_last
    assert policy["idempotency_key_days"] == 30 and policy["change_feed_days"] == 30


def test_a_cursor_past_the_end_of_the_feed_gets_410(api) -> None:
    api.post("/v1/callers", json={"first_name": "Ana", "last_name": "Kos"})
    head = api.get("/v1/changes/latest").json()["last_seq"]
    assert api.get("/v1/changes", params={"since": head}).status_code == 200
    ahead = api.get("/v1/changes", params={"since": head + 50})
    assert ahead.status_code == 410 and ahead.json()["error"] == "resync"
    assert "restored" in ahead.json()["message"]


def test_a_feed_never_pruned_answers_cursor_zero_with_everything(api) -> None:
    head = api.get("/v1/changes/latest").json()["last_seq"]
    page = api.get("/v1/changes", params={"since": 0})
    assert page.status_code == 200 and page.json()["last_seq"] == head > 0


def test_the_feed_is_right_after_every_batch(api) -> None:
    """Pruned a few rows at a time, every committed state answers right: the marker's own
    number and later cursors get every change after them, earlier ones a 410."""
    for number in range(12):
        api.post("/v1/callers", json={"first_name": "Ana", "last_name": f"Kos{number}"})
    with api.database.read() as connection:
        seqs = connection.execute(select(changes_table.c.seq).order_by("seq")).scalars().all()
        through = changes.prunable_through(connection, clock.now() + timedelta(seconds=1))
    assert through == seqs[-1]
    removed = 0
    while True:
        with api.database.write() as connection:
            batch = changes.prune_batch(connection, seqs[8], 3)
        if not batch:
            break
        removed += batch
        with api.database.read() as connection:
            marker = changes.pruned_through(connection)
        answered = api.get("/v1/changes", params={"since": marker}).json()["changes"]
        assert [c["seq"] for c in answered] == [s for s in seqs if s > marker]
        assert api.get("/v1/changes", params={"since": marker - 1}).status_code == 410
    assert removed == 9 and marker == seqs[8]


def test_prune_deletes_in_batches_while_desks_book(api, monkeypatch) -> None:
    for number in range(30):
        api.post(
            "/v1/callers",
            json={"first_name": "Ana", "last_name": f"Kos{number}"},
            headers={"Idempotency-Key": f"desk1-caller-{number:04d}"},
        )
    later = clock.now() + timedelta(days=45)
    report_box: list = []
    worker = threading.Thread(
        target=lambda: report_box.append(prune(api.database, DEFAULTS, now=later, batch_size=2))
    )
    worker.start()
    booked = [api.book(slot)["reference"] for slot in api.world.slots[:6]]
    worker.join(60)
    assert report_box and report_box[0].removed["idempotency_keys"] == 30
    assert len(set(booked)) == 6
    assert count(api, bookings) == 6


def test_audit_rows_go_only_where_set_and_only_once_exported(
    api, database_url_param, monkeypatch, tmp_path, capsys
) -> None:
    a_day_of_calls(api, 3)
    audited = count(api, audit_log)
    assert audited >= 6
    moved_clock(monkeypatch, 400)
    keep_forever = prune(api.database, DEFAULTS)
    assert keep_forever.removed["audit_log"] == 0
    yearly = RetentionSettings(audit_days=365)
    not_exported = prune(api.database, yearly)
    assert not_exported.removed["audit_log"] == 0
    assert any("export audit" in note for note in not_exported.notes)

    out = tmp_path / "audit.csv"
    assert cli.main(["export", "audit", "-o", str(out), "--db", database_url_param]) == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("id,at,agent_id,agent,call_id,action")
    assert len(lines) == 1 + audited
    assert f"{audited} audit row(s)" in capsys.readouterr().err
    # Written once: a second export has only the header; the file is never overwritten.
    assert cli.main(["export", "audit", "-o", str(out), "--db", database_url_param]) == 2
    again = tmp_path / "again.csv"
    assert cli.main(["export", "audit", "-o", str(again), "--db", database_url_param]) == 0
    assert len(again.read_text(encoding="utf-8-sig").splitlines()) == 1

    exported = prune(api.database, yearly)
    assert exported.removed["audit_log"] == audited - 1  # the newest row stays
    assert count(api, audit_log) == 1


def test_only_one_process_prunes_at_a_time(api, database_url_param, capsys) -> None:
    with prune_lock(api.database) as mine:
        assert mine
        with prune_lock(api.database) as second:
            assert not second
        assert cli.main(["prune", "--db", database_url_param]) == 1
        assert "another prune is running" in capsys.readouterr().out
    with prune_lock(api.database) as again:
        assert again


def test_of_many_workers_one_prunes_once_a_day(api, monkeypatch) -> None:
    a_day_of_calls(api, 2)
    later = clock.now() + timedelta(days=45)
    workers = [DailyPrune(api.database, DEFAULTS) for _ in range(4)]
    start = threading.Barrier(len(workers))
    reports: list = []

    def tick(worker: DailyPrune) -> None:
        start.wait()
        reports.append(worker.tick(later))

    threads = [threading.Thread(target=tick, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    done = [r for r in reports if r is not None]
    assert len(reports) == 4 and len(done) == 1
    assert done[0].removed["idempotency_keys"] == 6
    assert retention.last_prune(api.database) == later
    # Until the next scheduled time nobody prunes again; after it, one does.
    due = retention.latest_due(later, DEFAULTS.daily_at)
    before_next = due + timedelta(days=1, minutes=-1)
    assert all(w.tick(later) is None and w.tick(before_next) is None for w in workers)
    after_next = due + timedelta(days=1, minutes=1)
    assert sum(w.tick(after_next) is not None for w in workers) == 1


@pytest.mark.parametrize(
    ("now", "due"),
    [
        ("2027-01-12T01:59:00", "2027-01-11T02:00:00"),  # 03:00 CET is 02:00 UTC
        ("2027-01-12T02:00:00", "2027-01-12T02:00:00"),
        ("2027-03-28T00:59:00", "2027-03-27T02:00:00"),  # the spring change: 03:00 CEST
        ("2027-03-28T01:00:00", "2027-03-28T01:00:00"),
        ("2027-10-31T01:59:00", "2027-10-30T01:00:00"),  # the autumn change: 03:00 CET
        ("2027-10-31T02:00:00", "2027-10-31T02:00:00"),
    ],
)
def test_the_daily_time_follows_the_date_and_summer_time(now: str, due: str) -> None:
    at = DEFAULTS.daily_at
    assert retention.latest_due(datetime.fromisoformat(now), at) == datetime.fromisoformat(due)


def test_serve_prunes_by_itself_and_stops_with_the_service(api, database_url_param) -> None:
    """The app as `serve` runs it starts its daily prune with the service and stops it with
    the service; the loop prunes when due without being asked."""
    settings = ServerSettings(database=database_url_param)
    app = create_app(settings, api.database, migrate=False, serving=True)
    with TestClient(app):
        daily = app.state.daily_prune
        assert daily is not None and daily._thread is not None and daily._thread.is_alive()
    assert daily._thread is None  # stopped with the service
    # Neither the daily prune nor closing abandoned calls (which runs every check, even with
    # daily = false): no thread at all.
    off = RetentionSettings(daily=False, abandon_calls_after_hours=0)
    quiet = create_app(
        ServerSettings(database=database_url_param, retention=off),
        api.database,
        migrate=False,
        serving=True,
    )
    with TestClient(quiet):
        assert quiet.state.daily_prune._thread is None

    a_day_of_calls(api, 2)
    assert retention.last_prune(api.database) is None
    loop = DailyPrune(api.database, DEFAULTS, check_seconds=0.05, first_check_seconds=0)
    loop.start()
    try:
        deadline = time.monotonic() + 30
        while retention.last_prune(api.database) is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        loop.stop()
    assert retention.last_prune(api.database) is not None  # never pruned before: due at once
