"""The callback figures for the supervisor's floor, by SQL, on both engines: worked out by hand
from a known day, including the day the clocks go back (25 local hours)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from console.domain.calendar import TZ
from console.server.callback_figures import floor_figures
from console.server.db import Database
from console.server.schema import agents, callbacks, calls, telephony_calls
from console.server.settings import CallbackSettings


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ).astimezone(UTC).replace(tzinfo=None)


@pytest.fixture
def database(database_url_param: str) -> Iterator[Database]:
    database = Database.open(database_url_param)
    with database.write() as connection:
        connection.execute(
            insert(agents).values(id=1, name="A", role="agent", token_hash="x", created_at=local(
                2026, 1, 1, 0, 0))
        )  # fmt: skip
        connection.execute(
            insert(calls).values(id=1, agent_id=1, direction="outbound",
                                 started_at=local(2026, 11, 25, 10, 30))
        )  # fmt: skip
    yield database
    database.dispose()


def callback(number: str, status: str, since: datetime, **extra: object) -> dict:
    row = {
        "number": number,
        "source": "missed_call",
        "status": status,
        "created_at": since,
        "waiting_since": since,
        "due_at": since,
        "rank_at": since,
        "tries": 1,
        "result": None,
        "closed_at": None,
        "claimed_by": None,
        "lease_expires_at": None,
        "call_id": None,
    }
    return row | extra


def missed(call_id: str, at: datetime) -> dict:
    return {
        "call_id": call_id,
        "number": "+38641000000",
        "state": "missed",
        "started_at": at,
        "source": "webhook",
        "recorded_at": at,
    }


def test_the_figures_of_a_day(database: Database) -> None:
    now = local(2026, 11, 25, 11, 30)
    with database.write() as connection:
        connection.execute(
            insert(callbacks),
            [
                callback("+38641000001", "open", local(2026, 11, 25, 8, 15)),  # the oldest
                callback("+38641000002", "open", local(2026, 11, 25, 11, 0),
                         due_at=local(2026, 11, 25, 14, 0)),  # not due yet
                callback("+38641000003", "claimed", local(2026, 11, 25, 9, 0), claimed_by=1,
                         lease_expires_at=now + timedelta(minutes=5)),
                callback("+38641000004", "claimed", local(2026, 11, 25, 9, 30), claimed_by=1,
                         lease_expires_at=now - timedelta(minutes=1)),  # lapsed: due again
                callback("+38641000005", "done", local(2026, 11, 24, 9, 0), result="reached",
                         closed_at=local(2026, 11, 25, 9, 0)),
                callback("+38641000006", "done", local(2026, 11, 25, 8, 0), result="reached_us",
                         closed_at=local(2026, 11, 25, 10, 0)),
                callback("+38641000007", "failed", local(2026, 11, 25, 8, 0),
                         result="no_answer", closed_at=local(2026, 11, 25, 10, 30)),
                callback("+38641000008", "cancelled", local(2026, 11, 25, 8, 0),
                         result="cancelled", closed_at=local(2026, 11, 25, 10, 30)),
                callback("+38641000009", "done", local(2026, 11, 23, 8, 0), result="reached",
                         closed_at=local(2026, 11, 24, 15, 0)),  # yesterday
                # Reached an hour ago, its call not wrapped up yet: held by the call (its lease
                # long lapsed), neither due again nor reached today until the wrap-up.
                callback("+38641000010", "claimed", local(2026, 11, 25, 9, 45), claimed_by=1,
                         lease_expires_at=now - timedelta(minutes=50), call_id=1),
            ],
        )  # fmt: skip
        connection.execute(
            insert(telephony_calls),
            [
                missed("m1", local(2026, 11, 25, 8, 1)),
                missed("m2", local(2026, 11, 25, 8, 59)),
                missed("m3", local(2026, 11, 25, 10, 30)),
                missed("m4", local(2026, 11, 24, 23, 59)),  # yesterday
                {**missed("a1", local(2026, 11, 25, 9, 0)), "state": "answered"},
            ],
        )
    with database.read() as connection:
        figures = floor_figures(connection, CallbackSettings(), now)
    assert (figures.queue_length, figures.due_now, figures.claimed) == (5, 2, 2)
    assert figures.oldest_wait_seconds == 3 * 3600 + 15 * 60
    assert (figures.closed_today, figures.reached_today) == (3, 2)
    assert figures.reached_share == pytest.approx(2 / 3)
    assert figures.missed_today == 3
    per_hour = {h.hour: h.missed for h in figures.missed_per_hour}
    assert len(per_hour) == 24 and per_hour[8] == 2 and per_hour[10] == 1 and per_hour[9] == 0


def test_outside_the_hours_nothing_is_due_and_an_empty_day_has_no_share(
    database: Database,
) -> None:
    now = local(2026, 11, 28, 10, 0)  # Saturday
    with database.write() as connection:
        connection.execute(insert(callbacks), [callback("+38641000001", "open", now)])
    with database.read() as connection:
        figures = floor_figures(connection, CallbackSettings(), now)
    assert (figures.queue_length, figures.due_now, figures.oldest_wait_seconds) == (1, 0, 0)
    assert figures.reached_share is None and figures.closed_today == 0


def test_the_day_the_clocks_go_back_has_25_hours(database: Database) -> None:
    now = local(2026, 10, 25, 23, 0)
    with database.write() as connection:
        connection.execute(
            insert(telephony_calls),
            [
                missed("x1", datetime(2026, 10, 25, 0, 30)),  # 02:30 CEST, the first 2 o'clock
                missed("x2", datetime(2026, 10, 25, 1, 30)),  # 02:30 CET, the second
            ],
        )
    with database.read() as connection:
        figures = floor_figures(connection, CallbackSettings(), now)
    hours = [h.hour for h in figures.missed_per_hour]
    assert len(hours) == 25 and hours.count(2) == 2
    assert [h.missed for h in figures.missed_per_hour if h.hour == 2] == [1, 1]
