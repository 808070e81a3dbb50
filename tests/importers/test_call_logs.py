"""Asterisk's queue_log and CDR imported, on SQLite and PostgreSQL: calls recorded once by their
id, a malformed line refused by file, line and field with nothing written, and a number's
callback open exactly when its last call did not get through."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from synthetic_calls import Call, at, cdr_line, write_cdr, write_queue_log

from console.server.db import Database
from console.server.importers.call_logs import LogFormatError
from console.server.importers.cdr import import_cdr
from console.server.importers.queue_log import import_queue_log
from console.server.schema import callbacks, changes, telephony_calls
from console.server.settings import CallbackSettings

SETTINGS = CallbackSettings()
NOW = datetime(2026, 12, 1, 12, 0)  # the import runs at this moment (naive UTC)
A, B, C = "041234567", "031555111", "0038640111222"  # as a telephone system writes them
A164, B164, C164 = "+38641234567", "+38631555111", "+38640111222"


def count(database: Database, table) -> int:  # type: ignore[no-untyped-def]
    with database.read() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def open_callbacks(database: Database) -> dict[str, int]:
    with database.read() as connection:
        rows = connection.execute(
            select(callbacks.c.number, callbacks.c.tries).where(
                callbacks.c.status.in_(["open", "claimed"])
            )
        )
        return {number: tries for number, tries in rows}


def import_log(kind: str, database: Database, path: Path, **kwargs):  # type: ignore[no-untyped-def]
    if kind == "queue_log":
        return import_queue_log(database, path, SETTINGS, now=NOW, **kwargs)
    return import_cdr(database, path, SETTINGS, now=NOW, **kwargs)


def write(kind: str, path: Path, calls: list[Call], extra: list[str] | None = None) -> Path:
    if kind == "queue_log":
        return write_queue_log(path, calls, extra or [])
    return write_cdr(path, calls, extra or [])


DAY = [
    Call("1764661500.1", A, at(2026, 11, 24, 8, 5), "abandon"),
    Call("1764661800.2", B, at(2026, 11, 24, 8, 10), "answered"),
    Call("1764662400.3", C, at(2026, 11, 24, 8, 20), "timeout"),
    Call("1764663000.4", C, at(2026, 11, 24, 8, 30), "key"),
    Call("1764663600.5", "anonymous", at(2026, 11, 24, 8, 40), "abandon"),
]


@pytest.mark.parametrize("kind", ["queue_log", "cdr"])
def test_calls_are_recorded_and_the_missed_ones_wait_for_a_callback(
    database: Database, tmp_path: Path, kind: str
) -> None:
    path = write(kind, tmp_path / "log", DAY)
    seen: list[str] = []
    result = import_log(
        kind, database, path, progress=lambda label, done, total: seen.append(label)
    )
    assert (result.calls.read, result.calls.new) == (5, 5)
    assert (result.calls.callbacks.opened, result.calls.callbacks.closed) == (2, 0)
    assert open_callbacks(database) == {A164: 1, C164: 2}
    assert count(database, telephony_calls) == 5
    assert "Reading log" in seen and "Recording calls" in seen and "Updating callbacks" in seen
    assert "5 calls, 5 new" in result.message and "2 opened" in result.message
    with database.read() as connection:
        waited = connection.execute(
            select(callbacks.c.waiting_since).where(callbacks.c.number == C164)
        ).scalar_one()
    assert waited == at(2026, 11, 24, 8, 20).astimezone(UTC).replace(tzinfo=None)


@pytest.mark.parametrize("kind", ["queue_log", "cdr"])
def test_a_reimport_and_duplicate_ids_change_nothing(
    database: Database, tmp_path: Path, kind: str
) -> None:
    path = write(kind, tmp_path / "log", DAY)
    import_log(kind, database, path)
    with database.read() as connection:
        feed = connection.execute(select(func.count()).select_from(changes)).scalar_one()
    again = import_log(kind, database, path)
    assert (again.calls.new, again.calls.updated, again.calls.unchanged) == (0, 0, 5)
    doubled = path.read_text() * 2  # the same calls twice in one file
    (tmp_path / "doubled").write_text(doubled)
    twice = import_log(kind, database, tmp_path / "doubled")
    assert twice.calls.read == 5 and twice.calls.new == 0
    assert open_callbacks(database) == {A164: 1, C164: 2}
    assert count(database, telephony_calls) == 5
    with database.read() as connection:
        assert connection.execute(select(func.count()).select_from(changes)).scalar_one() == feed


QUEUE_LOG_ERRORS = [
    ("yesterday|1.1|ue|NONE|ENTERQUEUE||041234567|1", "time"),
    ("99999999999999|1.1|ue|NONE|ENTERQUEUE||041234567|1", "time"),
    ("1764661500|1.1|ue", "event"),
    ("1764661500|NONE|ue|NONE|ABANDON|1|1|5", "callid"),
    ("1764661500|1.1|ue|NONE|ENTERQUEUE|", "callerid"),
    ("1764661500|1.1|ue|NONE|ENTERQUEUE||04x1234|1", "callerid"),
    ("1764661500|1.1|ue|NONE|ABANDON|1|1|soon", "waittime"),
    ("1764661500|1.1|ue|PJSIP/101|CONNECT|x|1.2|3", "holdtime"),
]


@pytest.mark.parametrize(("line", "field"), QUEUE_LOG_ERRORS)
def test_a_malformed_queue_log_line_is_refused_and_nothing_is_written(
    database: Database, tmp_path: Path, line: str, field: str
) -> None:
    path = write_queue_log(tmp_path / "queue_log", DAY, extra=[line])
    lines = path.read_text().splitlines()
    with pytest.raises(LogFormatError) as refused:
        import_log("queue_log", database, path)
    assert (refused.value.file, refused.value.line, refused.value.field) == (
        "queue_log",
        len(lines),
        field,
    )
    assert str(refused.value).startswith(f"queue_log, line {len(lines)}, field {field}: ")
    assert count(database, telephony_calls) == 0 and count(database, callbacks) == 0


GOOD = dict(src="041234567", start=at(2026, 11, 24, 9, 0), disposition="NO ANSWER", uniqueid="9.1")
CDR_ERRORS = [
    (cdr_line(**GOOD).rsplit(",", 3)[0], "columns", []),  # 15 fields
    (cdr_line(**GOOD) + ',"x","y"', "columns", []),  # 20 fields
    (cdr_line(**GOOD).replace('"2026-11-24 09:00:00"', '"24. 11. 2026 9:00"', 1), "start", []),
    (cdr_line(**GOOD).replace('"NO ANSWER"', '"MISSED"'), "disposition", []),
    (cdr_line(**GOOD).replace(",40,0,", ",forty,0,"), "duration", []),
    # In an inbound context the caller id must be a number (or withheld); without contexts a
    # src that is not an outside number is an extension or a SIP user, not an inbound call.
    (cdr_line(**{**GOOD, "src": "041 23x 567"}), "src", ["from-trunk"]),
]


@pytest.mark.parametrize(("line", "field", "contexts"), CDR_ERRORS)
def test_a_malformed_cdr_line_is_refused_and_nothing_is_written(
    database: Database, tmp_path: Path, line: str, field: str, contexts: list[str]
) -> None:
    path = write_cdr(tmp_path / "Master.csv", DAY, extra=[line])
    with pytest.raises(LogFormatError) as refused:
        import_log("cdr", database, path, contexts=contexts)
    assert (refused.value.file, refused.value.line, refused.value.field) == (
        "Master.csv",
        len(DAY) + 1,
        field,
    )
    assert count(database, telephony_calls) == 0 and count(database, callbacks) == 0


def test_a_queued_call_is_finished_by_the_next_file(database: Database, tmp_path: Path) -> None:
    enter = int(at(2026, 11, 24, 15, 59).timestamp())
    first = tmp_path / "queue_log.1"
    first.write_text(f"{enter}|77.1|ue|NONE|ENTERQUEUE||{A}|1\n")
    import_log("queue_log", database, first)
    assert open_callbacks(database) == {}  # still waiting when the file was rotated
    second = tmp_path / "queue_log"
    second.write_text(f"{enter + 90}|77.1|ue|NONE|ABANDON|3|1|90\n")
    result = import_log("queue_log", database, second)
    assert result.calls.updated == 1
    assert open_callbacks(database) == {A164: 1}


def test_a_call_through_two_queues_got_through_if_either_answered(
    database: Database, tmp_path: Path
) -> None:
    t = int(at(2026, 11, 24, 10, 0).timestamp())
    path = tmp_path / "queue_log"
    path.write_text(
        f"{t}|5.1|ue|NONE|ENTERQUEUE||{A}|1\n"
        f"{t + 60}|5.1|ue|NONE|EXITWITHTIMEOUT|1|1|60\n"
        f"{t + 61}|5.1|overflow|NONE|ENTERQUEUE||{A}|1\n"
        f"{t + 80}|5.1|overflow|SIP/107|CONNECT|19|5.9|2\n"
        f"{t}|6.1|ue|NONE|ENTERQUEUE||{B}|1\n"
        f"{t + 60}|6.1|ue|NONE|EXITWITHTIMEOUT|1|1|60\n"
        f"{t + 61}|6.1|overflow|NONE|ENTERQUEUE||{B}|1\n"
        f"{t + 200}|6.1|overflow|NONE|EXITEMPTY|1|1|139\n"
    )
    import_log("queue_log", database, path)
    assert open_callbacks(database) == {B164: 1}
    with database.read() as connection:
        answered = connection.execute(
            select(telephony_calls.c.extension).where(telephony_calls.c.call_id == "5.1")
        ).scalar_one()
    assert answered == "107"


@pytest.mark.parametrize("kind", ["queue_log", "cdr"])
def test_open_exactly_when_the_last_call_did_not_get_through(
    database: Database, tmp_path: Path, kind: str
) -> None:
    rng = random.Random(15)
    numbers = [f"040{100000 + i:06d}" for i in range(40)]
    calls = []
    for index, number in enumerate(numbers):
        for n in range(rng.randint(1, 5)):
            start = at(2026, 11, 23, 8, 0) + timedelta(minutes=rng.randint(0, 5 * 24 * 60))
            outcome = rng.choice(["answered", "answered", "abandon", "timeout", "empty", "key"])
            calls.append(Call(f"{int(start.timestamp())}.{index}{n}", number, start, outcome))
    rng.shuffle(calls)
    # Each file holds some calls (out of time order between the files), and the later
    # file is imported first.
    first, second = calls[: len(calls) // 2], calls[len(calls) // 2 :]
    import_log(kind, database, write(kind, tmp_path / "second", second))
    import_log(kind, database, write(kind, tmp_path / "first", first))
    expected: dict[str, int] = {}
    for number in numbers:
        mine = sorted((c for c in calls if c.number == number), key=lambda c: c.start)
        if mine[-1].got_through:
            continue
        answered = [c.start for c in mine if c.got_through]
        expected["+386" + number[1:]] = sum(
            1 for c in mine if not c.got_through and (not answered or c.start > answered[-1])
        )
    assert open_callbacks(database) == expected
    assert count(database, telephony_calls) == len(calls)


def test_events_and_imports_of_the_same_calls_agree(database: Database, tmp_path: Path) -> None:
    from console.domain.callbacks import MissedEvent
    from console.server import telephony

    start = at(2026, 11, 24, 8, 5)
    with database.write() as connection:  # the webhook told us first
        telephony.record_event(
            connection,
            MissedEvent(
                event="missed",
                call_id="1764661500.1",
                number=A,
                waited_seconds=40,
                at=start + timedelta(seconds=40),
            ),
            SETTINGS,
            NOW,
        )
    later = Call("1764700000.9", A, at(2026, 11, 24, 14, 0), "answered")
    result = import_log("queue_log", database, write_queue_log(tmp_path / "q", [DAY[0], later]))
    assert (result.calls.new, result.calls.unchanged) == (1, 1)
    assert result.calls.callbacks.closed == 1
    with database.read() as connection:
        closed = connection.execute(select(callbacks.c.status, callbacks.c.result)).one()
    assert tuple(closed) == ("done", "reached_us")


def test_cdr_reads_only_inbound_lines(database: Database, tmp_path: Path) -> None:
    start = at(2026, 11, 25, 9, 0)
    lines = [
        # an agent calling out (from an extension to an outside number)
        cdr_line(src="101", dst="041999888", start=start, disposition="NO ANSWER", uniqueid="o.1"),
        # an internal call
        cdr_line(src="101", dst="102", start=start, disposition="BUSY", uniqueid="o.2"),
        # a caller whose first leg rang out, then a second leg answered (forked CDRs)
        cdr_line(src=A, start=start, disposition="NO ANSWER", uniqueid="i.1"),
        cdr_line(src=A, start=start, disposition="ANSWERED", uniqueid="i.1", waited=60),
        # no uniqueid logged: identified by channel and start
        cdr_line(src=B, start=start, disposition="BUSY", uniqueid=None),
        cdr_line(src=C, start=start, disposition="CONGESTION", uniqueid="i.3", userfield=False),
    ]
    path = tmp_path / "Master.csv"
    path.write_text("\n".join(lines) + "\n")
    result = import_log("cdr", database, path)
    assert result.calls.read == 3
    assert open_callbacks(database) == {B164: 1, C164: 1}
    assert import_log("cdr", database, path).calls.new == 0  # the id-less line too


def test_cdr_inbound_contexts_and_utc_times(database: Database, tmp_path: Path) -> None:
    start = at(2026, 11, 25, 9, 0)
    lines = [
        # the trunk delivers the DID as dst: inbound only by its context
        cdr_line(
            src=A,
            dst="015001234",
            start=start,
            disposition="NO ANSWER",
            uniqueid="c.1",
            context="from-pstn",
            utc=True,
        ),
        cdr_line(
            src=B,
            dst="015001234",
            start=start,
            disposition="NO ANSWER",
            uniqueid="c.2",
            context="from-internal",
            utc=True,
        ),
    ]
    path = tmp_path / "Master.csv"
    path.write_text("\n".join(lines) + "\n")
    import_log("cdr", database, path, utc=True, contexts=["from-pstn"])
    assert open_callbacks(database) == {A164: 1}
    with database.read() as connection:
        started = connection.execute(select(telephony_calls.c.started_at)).scalar_one()
    assert started == start.astimezone(UTC).replace(tzinfo=None)


def test_calls_older_than_kept_are_skipped(database: Database, tmp_path: Path) -> None:
    old = Call("1600000000.1", A, at(2020, 9, 13, 14, 0), "abandon")
    result = import_log("queue_log", database, write_queue_log(tmp_path / "q", [old, *DAY[:1]]))
    assert (result.calls.read, result.calls.too_old, result.calls.new) == (2, 1, 1)
