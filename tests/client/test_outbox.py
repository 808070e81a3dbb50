"""Outbox: append-only, committed at once, replayed in order, each row with one fixed key."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from console.client.cache import LocalCache
from console.client.outbox import CONFLICT, DONE, FAILED, PENDING, Outbox


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "desk.db"


def test_an_append_is_committed_before_it_returns(path: Path) -> None:
    cache = LocalCache(path)
    outbox = Outbox(cache.db)
    entry = outbox.append("book", {"slot_id": 5, "caller_id": 2})
    # Another connection (another process, after a crash) sees the row at once.
    other = sqlite3.connect(path)
    rows = other.execute("SELECT seq, kind, state, idempotency_key FROM outbox").fetchall()
    other.close()
    assert rows == [(entry.seq, "book", PENDING, entry.idempotency_key)]
    assert entry.idempotency_key.startswith("ac-")
    cache.close()


def test_rows_come_back_in_order_with_their_keys(path: Path) -> None:
    cache = LocalCache(path)
    outbox = Outbox(cache.db)
    first = outbox.append("create_caller", {"local_id": -1, "caller": {"first_name": "A"}})
    second = outbox.append("book", {"caller_id": -1, "slot_id": 7}, key="ac-fixed-key-1")
    third = outbox.append("wrap_up", {"call_id": -2})
    assert [e.seq for e in outbox.pending()] == [first.seq, second.seq, third.seq]
    assert outbox.next_pending() == first
    assert outbox.by_key("ac-fixed-key-1") == second
    assert outbox.find("create_caller", local_id=-1) == [first]
    assert outbox.find("book", local_id=-1) == []
    assert outbox.size() == 3
    cache.close()


def test_a_key_is_used_once(path: Path) -> None:
    cache = LocalCache(path)
    outbox = Outbox(cache.db)
    outbox.append("book", {}, key="ac-same-key-0001")
    with pytest.raises(sqlite3.IntegrityError):
        outbox.append("book", {}, key="ac-same-key-0001")
    assert outbox.size() == 1
    cache.close()


def test_progress_of_a_row(path: Path) -> None:
    cache = LocalCache(path)
    outbox = Outbox(cache.db)
    rows = [outbox.append("book", {"n": n}) for n in range(4)]
    outbox.record_attempt(rows[0].seq, "connection refused")
    again = outbox.get(rows[0].seq)
    assert again.state == PENDING and again.attempts == 1
    assert again.last_error == "connection refused"
    outbox.set_request(rows[0].seq, {"method": "POST", "path": "/v1/bookings", "body": {"n": 0}})
    assert outbox.get(rows[0].seq).request["path"] == "/v1/bookings"
    # The payload and the key never change.
    assert outbox.get(rows[0].seq).payload == {"n": 0}
    assert outbox.get(rows[0].seq).idempotency_key == rows[0].idempotency_key
    outbox.mark_done(rows[0].seq, {"reference": "K7M4PXY"})
    outbox.mark_conflict(rows[1].seq, "slot_booked: taken")
    outbox.mark_failed(rows[2].seq, "422 invalid")
    assert outbox.get(rows[0].seq).result == {"reference": "K7M4PXY"}
    assert outbox.get(rows[0].seq).attempts == 2
    assert outbox.counts() == {PENDING: 1, DONE: 1, CONFLICT: 1, FAILED: 1}
    assert [e.seq for e in outbox.pending()] == [rows[3].seq]
    assert [e.seq for e in outbox.entries(states=(CONFLICT, FAILED))] == [
        rows[1].seq,
        rows[2].seq,
    ]
    cache.close()


def test_an_append_inside_a_cache_transaction_commits_with_it(path: Path) -> None:
    cache = LocalCache(path)
    outbox = Outbox(cache.db)
    with pytest.raises(RuntimeError), cache.transaction(durable=True):
        cache.set_meta("provisional", "x")
        outbox.append("book", {"slot_id": 1})
        raise RuntimeError("the UI crashed before the booking was shown")
    assert outbox.size() == 0
    assert cache.get_meta("provisional") is None
    with cache.transaction(durable=True):
        cache.set_meta("provisional", "y")
        outbox.append("book", {"slot_id": 1})
    assert outbox.size() == 1 and cache.get_meta("provisional") == "y"
    cache.close()


def test_an_append_is_never_made_without_syncing_to_disk(path: Path) -> None:
    cache = LocalCache(path)
    outbox = Outbox(cache.db)
    assert cache.is_durable()
    with cache.transaction():  # copies of the service's data: a killed process keeps them
        assert not cache.is_durable()
        with pytest.raises(AssertionError, match="durable"):
            outbox.append("book", {"slot_id": 1})
    assert cache.is_durable()
    cache.close()


def test_the_queue_survives_reopening(path: Path) -> None:
    cache = LocalCache(path)
    keys = [
        Outbox(cache.db).append("cancel", {"reference": f"R{n}"}).idempotency_key for n in range(3)
    ]
    cache.close()
    reopened = LocalCache(path)
    assert [e.idempotency_key for e in Outbox(reopened.db).pending()] == keys
    reopened.close()
