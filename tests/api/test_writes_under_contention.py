"""Writes under contention: a busy database is a 503, never a 500; the answer to a booking is
what reading it back shows; the change feed never lets a reader skip a row committed late."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from console.server import changes, db
from console.server.schema import changes as changes_table


def _sqlite_only(api) -> None:
    if api.database.dialect != "sqlite":
        pytest.skip("SQLite's write lock")


def test_a_booking_answers_what_reading_it_back_shows(api) -> None:
    by_slot = api.book(api.world.slots[0], notes="needs an interpreter")
    hold = api.hold(api.world.slots[1])
    call = api.post("/v1/calls", json={"caller_id": api.world.callers["spela"]}).json()
    through_hold = api.post(
        "/v1/bookings",
        json={
            "caller_id": api.world.callers["spela"],
            "hold_id": hold["id"],
            "call_id": call["id"],
        },
    )
    assert through_hold.status_code == 201, through_hold.text
    moved = api.post(
        f"/v1/bookings/{by_slot['reference']}/reschedule", json={"slot_id": api.world.slots[2]}
    )
    assert moved.status_code == 201, moved.text
    for answer in (through_hold.json(), moved.json()):
        assert api.get(f"/v1/bookings/{answer['reference']}").json() == answer
    assert moved.json()["replaces"] == by_slot["reference"]
    assert through_hold.json()["call_id"] == call["id"]
    assert through_hold.json()["slot"]["status"] == "booked"
    assert through_hold.json()["slot"]["held_until"] is None
    old = api.get(f"/v1/bookings/{by_slot['reference']}").json()
    assert old["status"] == "rescheduled" and old["superseded_by"] == moved.json()["reference"]
    # The first booking's answer, too, is what is read back, apart from what the reschedule
    # changed since: its status, its successor, and its slot is free again.
    assert old["slot"]["status"] == "free"
    assert {
        **old,
        "status": "confirmed",
        "superseded_by": None,
        "slot": {**old["slot"], "status": "booked"},
    } == by_slot


def test_a_writer_queued_too_long_gets_503_with_retry_after_and_its_retry_books(
    api, monkeypatch
) -> None:
    _sqlite_only(api)
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 300)
    holding, release = threading.Event(), threading.Event()

    def long_write() -> None:  # another request of this process, holding the write lock
        with api.database.write():
            holding.set()
            release.wait(30)

    writer = threading.Thread(target=long_write)
    writer.start()
    try:
        assert holding.wait(10)
        body = {"caller_id": api.world.callers["janez"], "slot_id": api.world.slots[0]}
        key = {"Idempotency-Key": "desk3-busy-0001"}
        busy = api.post("/v1/bookings", json=body, headers=key)
        assert busy.status_code == 503, busy.text
        assert busy.headers["Retry-After"] == "1"
        assert busy.json()["message"] == "The database is busy; try again in a moment."
        assert busy.json()["error"] == "busy"
    finally:
        release.set()
        writer.join()
    retried = api.post("/v1/bookings", json=body, headers=key)
    assert retried.status_code == 201, retried.text
    listed = api.get("/v1/bookings", params={"caller": api.world.callers["janez"]}).json()
    assert [b["reference"] for b in listed] == [retried.json()["reference"]]


def test_another_process_holding_the_database_gets_503_not_500(api, monkeypatch) -> None:
    _sqlite_only(api)
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 300)
    api.database.engine.dispose()  # new connections wait 0.3 s for SQLite's lock, not 10 s
    other = sqlite3.connect(make_url(str(api.database.engine.url)).database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        busy = api.post(
            "/v1/bookings",
            json={"caller_id": api.world.callers["janez"], "slot_id": api.world.slots[0]},
        )
        assert busy.status_code == 503, busy.text
        assert busy.headers["Retry-After"] == "1"
        # Reading is never held up by a writer.
        assert api.get(f"/v1/slots/{api.world.slots[0]}").status_code == 200
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert api.book(api.world.slots[0])["slot"]["id"] == api.world.slots[0]


def test_feed_rows_are_appended_at_commit_and_vanish_on_rollback(api) -> None:
    with api.database.read() as connection:
        start = changes.last_seq(connection)
    with pytest.raises(RuntimeError), api.database.write() as connection:
        changes.record(connection, "call", 1, "started", None)
        raise RuntimeError("the effect failed")
    with api.database.write() as connection:
        changes.record(connection, "call", 1, "started", None)
        changes.record_many(
            connection, [("call", 2, "started", {}), ("call", 3, "started", {})], None
        )
        # Recorded, not yet written: the rows are the transaction's last statement.
        assert (
            connection.execute(
                select(func.count()).select_from(changes_table).where(changes_table.c.seq > start)
            ).scalar_one()
            == 0
        )
    with api.database.read() as connection:
        rows = changes.since(connection, start, 10)
    assert [(c.entity_id, c.op) for c in rows] == [(1, "started"), (2, "started"), (3, "started")]
    assert [c.seq for c in rows] == sorted(c.seq for c in rows)


def test_a_feed_reader_waits_for_a_row_drawn_earlier_but_committed_later(api) -> None:
    """PostgreSQL hands out sequence numbers at insert and shows rows at commit: a writer that
    drew a smaller number may commit after one that drew a larger. A reader must then not move
    past the larger one while the smaller one can still appear."""
    if api.database.dialect != "postgresql":
        pytest.skip("SQLite commits writers one at a time, in sequence order")
    database = api.database
    with database.read() as connection:
        start = changes.last_seq(connection)
    drawn, commit = threading.Event(), threading.Event()

    def slow_writer() -> None:  # draws its number, then takes its time to commit
        with database.engine.begin() as connection:
            changes.record(connection, "call", 1, "started", None)  # appended at once
            drawn.set()
            commit.wait(30)

    slow = threading.Thread(target=slow_writer)
    slow.start()
    try:
        assert drawn.wait(10)
        with database.write() as connection:  # draws a larger number and commits first
            changes.record(connection, "call", 2, "started", None)
        pages: list[list] = []

        def reader() -> None:
            with database.read() as connection:
                pages.append(changes.since(connection, start, 100))

        polling = threading.Thread(target=reader)
        polling.start()
        polling.join(0.5)
        # The reader waits for the slow writer instead of answering the later row alone.
        assert polling.is_alive() and not pages
    finally:
        commit.set()
        slow.join()
    polling.join(10)
    assert [(c.entity_id, c.seq > start) for c in pages[0]] == [(1, True), (2, True)]
    assert pages[0][0].seq < pages[0][1].seq
    end = api.get("/v1/changes/latest").json()["last_seq"]
    assert end == pages[0][1].seq
