"""Retention: the central service keeps only what it must (``[retention]`` in config.toml).

What goes, and when (defaults):

- idempotency keys, 30 days after their first use (``idempotency_days``): a desk never replays
  a queued write older than that;
- the change feed, 30 days (``changes_days``): an older cursor gets ``410 resync`` (see
  ``console.server.changes``);
- released and expired holds, 7 days (``holds_days``);
- agents' past states, 400 days (``agent_states_days``); the current state stays;
- past free slots, 30 days after they ended (``past_slots_days``), only those no booking (even
  a cancelled one) and no kept hold refers to;
- the directory's history of changes between lists, 730 days (``provider_history_days``), but
  each doctor's newest change stays; with it the record of list loads no kept change refers to
  (the newest load of each list stays);
- closed directory reports, 365 days after closing (``closed_reports_days``);
- audit rows only where an operator set ``audit_days`` (at least 365; 0 keeps them), and only
  rows ``agent-console export audit`` has written out.

Bookings, callers, calls and wrap-ups are never pruned, nor a slot a booking refers to.

:func:`prune` deletes in batches of :data:`BATCH` rows, each its own short transaction, and
lets other writers in between, so desks keep booking while it runs. On SQLite the freed pages
then go back to the file system (``PRAGMA incremental_vacuum``) where the database was created
with incremental auto-vacuum (every database this version creates); an older file reuses them
for new rows, and ``agent-console prune --vacuum`` switches it once (a full ``VACUUM``). On
PostgreSQL the freed space is reused by new rows (``VACUUM`` runs after a prune).

``serve`` prunes once a day by itself (:class:`DailyPrune`, in every worker process): only one
process at a time prunes (:func:`prune_lock`: a PostgreSQL advisory lock, or a lease row on
SQLite), and only if nobody did since the last scheduled time.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    text,
)

from console.domain.calendar import TZ
from console.server import changes, clock
from console.server.abandoned import close_abandoned
from console.server.db import Database, DatabaseBusy
from console.server.schema import (
    agent_states,
    audit_log,
    bookings,
    directory_imports,
    holds,
    idempotency_keys,
    meta_info,
    provider_history,
    provider_reports,
    services,
    slots,
)
from console.server.settings import RetentionSettings

log = logging.getLogger(__name__)

BATCH = 1_000  # rows per delete transaction
PAUSE_SECONDS = 0.005  # between batches: the writers waiting meanwhile go first
VACUUM_PAGES = 2_000  # pages given back per incremental_vacuum statement (8 MB at 4 KiB)
TABLES = (
    "idempotency_keys",
    "changes",
    "holds",
    "slots",  # after holds: a slot whose last hold just went may go too
    "agent_states",
    "provider_history",
    "directory_imports",  # after provider_history: a load whose changes just went may go too
    "provider_reports",
    "audit_log",
)


PRUNE_LOCK = 7_031_227  # PostgreSQL advisory lock of the one process that prunes
LEASE_KEY = "retention.prune_lease"  # SQLite: who prunes, until when
LEASE = timedelta(hours=1)
LAST_PRUNE_KEY = "retention.last_prune"


@dataclass
class PruneReport:
    """What one prune removed (or, with ``dry_run``, would remove), table by table."""

    dry_run: bool
    removed: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    feed_starts_after: int = 0  # the change feed's marker after the prune
    freed_bytes: int | None = None  # SQLite pages given back; None: not on this database
    seconds: float = 0.0
    stopped: bool = False  # stopped early (the service is shutting down)

    @property
    def total(self) -> int:
        return sum(self.removed.values())

    def summary(self) -> str:
        """One line for the service's log."""
        verb = "would remove" if self.dry_run else "removed"
        tables = ", ".join(f"{name} {count}" for name, count in self.removed.items())
        line = f"prune {verb}: {tables} in {self.seconds:.1f} s"
        if self.freed_bytes:
            line += f"; {self.freed_bytes / 1e6:.1f} MB given back to the file system"
        if self.stopped:
            line += "; stopped early, the rest goes next time"
        return line


# --- meta_info -------------------------------------------------------------------------------


def get_meta(connection: Connection, key: str) -> str | None:
    return connection.execute(select(meta_info.c.value).where(meta_info.c.key == key)).scalar()


def set_meta(connection: Connection, key: str, value: str) -> None:
    connection.execute(delete(meta_info).where(meta_info.c.key == key))
    connection.execute(insert(meta_info).values(key=key, value=value))


def last_prune(database: Database) -> datetime | None:
    """When a prune last completed (naive UTC), None if never."""
    with database.read() as connection:
        value = get_meta(connection, LAST_PRUNE_KEY)
    return datetime.fromisoformat(value) if value else None


# --- what goes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """Rows of ``table`` that may go, by primary key ``key``, oldest first by ``order``."""

    table: Table
    key: ColumnElement
    order: ColumnElement
    condition: ColumnElement


def _rules(retention: RetentionSettings, now: datetime) -> list[_Rule]:
    """Batched deletes; the change feed is pruned separately (it keeps a marker row)."""
    keys_cutoff = now - timedelta(days=retention.idempotency_days)
    holds_cutoff = now - timedelta(days=retention.holds_days)
    # The newest hold (and audit row) always stays, so a SQLite rowid is never handed out a
    # second time, even when every other row has gone.
    newest_hold = select(func.max(holds.c.id)).scalar_subquery()
    rules = [
        _Rule(
            idempotency_keys,
            idempotency_keys.c.key,
            idempotency_keys.c.created_at,
            idempotency_keys.c.created_at < keys_cutoff,
        ),
        _Rule(
            holds,
            holds.c.id,
            holds.c.id,
            and_(
                or_(
                    holds.c.released_at < holds_cutoff,
                    and_(holds.c.released_at.is_(None), holds.c.expires_at < holds_cutoff),
                ),
                holds.c.id < newest_hold,
            ),
        ),
    ]
    # An agent's past states, ended before the cutoff; the open one (the current state) stays.
    states_cutoff = now - timedelta(days=retention.agent_states_days)
    rules.append(
        _Rule(
            agent_states,
            agent_states.c.id,
            agent_states.c.id,
            and_(agent_states.c.ended_at.is_not(None), agent_states.c.ended_at < states_cutoff),
        )
    )
    # The directory's history: each doctor's newest change stays, whatever its age.
    history_cutoff = now - timedelta(days=retention.provider_history_days)
    newer_change = provider_history.alias("newer_change")
    rules.append(
        _Rule(
            provider_history,
            provider_history.c.id,
            provider_history.c.id,
            and_(
                provider_history.c.at < history_cutoff,
                select(newer_change.c.id)
                .where(
                    newer_change.c.provider_id == provider_history.c.provider_id,
                    newer_change.c.id > provider_history.c.id,
                )
                .exists(),
            ),
        )
    )
    # The record of list loads: one no kept change refers to; the newest of each list stays
    # (the importer reads the date of the newest list loaded).
    newer_load = directory_imports.alias("newer_load")
    rules.append(
        _Rule(
            directory_imports,
            directory_imports.c.id,
            directory_imports.c.id,
            and_(
                directory_imports.c.imported_at < history_cutoff,
                ~select(provider_history.c.id)
                .where(provider_history.c.import_id == directory_imports.c.id)
                .exists(),
                select(newer_load.c.id)
                .where(
                    newer_load.c.source == directory_imports.c.source,
                    newer_load.c.list_name == directory_imports.c.list_name,
                    newer_load.c.id > directory_imports.c.id,
                )
                .exists(),
            ),
        )
    )
    # Agents' directory reports, closed long ago; open ones stay. (A report is closed after it
    # was made, so created_at before the cutoff too: the status index narrows the search.)
    reports_cutoff = now - timedelta(days=retention.closed_reports_days)
    rules.append(
        _Rule(
            provider_reports,
            provider_reports.c.id,
            provider_reports.c.id,
            and_(
                provider_reports.c.status == "closed",
                provider_reports.c.created_at < reports_cutoff,
                provider_reports.c.closed_at < reports_cutoff,
            ),
        )
    )
    if retention.audit_days:
        audit_cutoff = now - timedelta(days=retention.audit_days)
        newest_audit = select(func.max(audit_log.c.id)).scalar_subquery()
        rules.append(
            _Rule(
                audit_log,
                audit_log.c.id,
                audit_log.c.id,
                and_(
                    audit_log.c.exported_at.is_not(None),
                    audit_log.c.at < audit_cutoff,
                    audit_log.c.id < newest_audit,
                ),
            )
        )
    return rules


def _slot_rules(database: Database, retention: RetentionSettings, now: datetime) -> list[_Rule]:
    """Past free slots no booking (even a cancelled one) and no kept hold refers to: one rule
    per service, so that each walks the free slots' (service, start) index."""
    cutoff = now - timedelta(days=retention.past_slots_days)
    # The newest slot always stays, so a SQLite rowid is never handed out a second time.
    newest_slot = select(func.max(slots.c.id)).scalar_subquery()
    past_and_free = and_(
        slots.c.status == "free",
        slots.c.starts_at < cutoff,
        slots.c.ends_at < cutoff,
        ~select(bookings.c.id).where(bookings.c.slot_id == slots.c.id).exists(),
        ~select(holds.c.id).where(holds.c.slot_id == slots.c.id).exists(),
        slots.c.id < newest_slot,
    )
    with database.read() as connection:
        service_ids = connection.execute(select(services.c.id).order_by(services.c.id)).scalars()
        return [
            _Rule(
                slots, slots.c.id, slots.c.starts_at, and_(slots.c.service_id == sid, past_and_free)
            )
            for sid in service_ids
        ]


def _count(database: Database, table: Table, condition: ColumnElement) -> int:
    with database.read() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(table).where(condition)
            ).scalar_one()
        )


def _delete_batches(
    database: Database, rule: _Rule, batch_size: int, stop: Callable[[], bool]
) -> tuple[int, bool]:
    """Delete what ``rule`` selects, ``batch_size`` rows a transaction; (removed, stopped)."""
    removed = 0
    chosen = select(rule.key).where(rule.condition).order_by(rule.order).limit(batch_size)
    # The condition again on the outer statement: were the key not unique (idempotency keys
    # scoped per agent), no newer row that shares it goes.
    statement = delete(rule.table).where(rule.condition, rule.key.in_(chosen.scalar_subquery()))
    while True:
        if stop():
            return removed, True
        with database.write() as connection:
            count = connection.execute(statement).rowcount
        removed += count
        if count < batch_size:
            return removed, False
        time.sleep(PAUSE_SECONDS)


def _prune_feed(
    database: Database,
    retention: RetentionSettings,
    now: datetime,
    dry_run: bool,
    batch_size: int,
    stop: Callable[[], bool],
) -> tuple[int, int, bool]:
    """(changes removed, marker after, stopped)."""
    cutoff = now - timedelta(days=retention.changes_days)
    with database.read() as connection:
        through = changes.prunable_through(connection, cutoff)
        marker = changes.pruned_through(connection)
        if dry_run:
            count = changes.count_prunable(connection, through) if through > marker else 0
            return count, max(through, marker), False
    removed = 0
    while through > marker:
        if stop():
            return removed, marker, True
        with database.write() as connection:
            count = changes.prune_batch(connection, through, batch_size)
            marker = changes.pruned_through(connection)
        if count == 0:
            break
        removed += count
        time.sleep(PAUSE_SECONDS)
    return removed, marker, False


def prune(
    database: Database,
    retention: RetentionSettings,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH,
    stop: Callable[[], bool] | None = None,
) -> PruneReport:
    """Apply ``retention`` as of ``now`` (naive UTC; default: the service's clock).

    Take :func:`prune_lock` around it when other processes might prune the same database.
    """
    started = time.perf_counter()
    now = now or clock.now()
    stop = stop or (lambda: False)
    report = PruneReport(dry_run=dry_run, removed=dict.fromkeys(TABLES, 0))
    rules = {rule.table.name: rule for rule in _rules(retention, now)}
    for name in TABLES:
        if name == "changes":
            removed, marker, stopped = _prune_feed(
                database, retention, now, dry_run, batch_size, stop
            )
            report.feed_starts_after = marker
        else:
            removed, stopped = 0, False
            if name == "slots":
                table_rules = _slot_rules(database, retention, now)
            else:
                table_rules = [rules[name]] if name in rules else []
            for rule in table_rules:
                if dry_run:
                    removed += _count(database, rule.table, rule.condition)
                    continue
                count, stopped = _delete_batches(database, rule, batch_size, stop)
                removed += count
                if stopped:
                    break
        report.removed[name] = removed
        if stopped:
            report.stopped = True
            break
    report.notes.extend(_audit_notes(database, retention, now))
    if not dry_run and report.total:
        report.freed_bytes = reclaim_space(database)
        if report.freed_bytes is None and database.dialect == "sqlite":
            report.notes.append(
                "This SQLite file reuses the space of deleted rows for new ones, but does not "
                "give it back to the file system (it was created without incremental "
                "auto-vacuum). Run `agent-console prune --vacuum` once, at a quiet hour, to "
                "switch it."
            )
    if not dry_run and not report.stopped:
        with database.write() as connection:
            set_meta(connection, LAST_PRUNE_KEY, now.isoformat())
    report.seconds = time.perf_counter() - started
    return report


def _audit_notes(database: Database, retention: RetentionSettings, now: datetime) -> list[str]:
    if not retention.audit_days:
        return []
    cutoff = now - timedelta(days=retention.audit_days)
    waiting = _count(
        database, audit_log, and_(audit_log.c.exported_at.is_(None), audit_log.c.at < cutoff)
    )
    if not waiting:
        return []
    return [
        f"{waiting} audit rows are older than {retention.audit_days} days but were never "
        "exported, so they stay: run `agent-console export audit` first."
    ]


# --- space -------------------------------------------------------------------------------------


def auto_vacuum_mode(database: Database) -> str | None:
    """SQLite's auto_vacuum mode ('none', 'full', 'incremental'); None on PostgreSQL."""
    if database.dialect != "sqlite":
        return None
    with database.read() as connection:
        mode = connection.exec_driver_sql("PRAGMA auto_vacuum").scalar_one()
    return {0: "none", 1: "full", 2: "incremental"}.get(int(mode), str(mode))


def reclaim_space(database: Database) -> int | None:
    """After deletes: on SQLite in incremental auto-vacuum mode, give the free pages back to the
    file system, :data:`VACUUM_PAGES` at a time, each in its writers' turn; returns the bytes
    given back (None when the file is not in that mode). On PostgreSQL, ``VACUUM`` the pruned
    tables so their space is reused (it never blocks reads or writes); returns None."""
    if database.dialect != "sqlite":
        with database.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            connection.execute(text(f"VACUUM {', '.join(TABLES)}"))
        return None
    if auto_vacuum_mode(database) != "incremental":
        return None
    freed = 0
    with database.engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
        while True:
            free = raw.execute("PRAGMA freelist_count").fetchone()[0]
            if not free:
                break
            try:
                with database.writer_turn():
                    # executescript steps the pragma to its end (execute frees a single page).
                    raw.executescript(f"PRAGMA incremental_vacuum({VACUUM_PAGES})")
            except (sqlite3.OperationalError, DatabaseBusy):
                log.warning("the database stayed busy: the rest of its free pages go next time")
                break
            freed += min(free, VACUUM_PAGES) * page_size
            time.sleep(PAUSE_SECONDS)
        raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    return freed


def switch_to_incremental(database: Database) -> tuple[int, int]:
    """Switch an older SQLite file to incremental auto-vacuum: a full ``VACUUM``, which
    rewrites the file (it needs as much free disk again, and writes wait until it ends).
    Returns the file's size in bytes before and after."""
    if database.dialect != "sqlite":
        raise ValueError("only a SQLite database has an auto-vacuum mode")
    path = database.engine.url.database or ""
    before = _file_bytes(path)
    with database.writer_turn(), database.engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA auto_vacuum=INCREMENTAL")
        raw.execute("VACUUM")
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    return before, _file_bytes(path)


def _file_bytes(path: str) -> int:
    return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))


# --- one process at a time ---------------------------------------------------------------------


@contextmanager
def prune_lock(database: Database) -> Iterator[bool]:
    """Yield True if this process may prune now, False if another one is pruning."""
    if database.dialect == "postgresql":
        with database.engine.connect() as connection:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": PRUNE_LOCK}
            ).scalar_one()
            connection.commit()
            try:
                yield bool(got)
            finally:
                if got:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PRUNE_LOCK})
                    connection.commit()
        return
    holder = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    with database.write() as connection:
        current = get_meta(connection, LEASE_KEY)
        now = clock.now()
        if current and datetime.fromisoformat(current.split(" ", 1)[0]) > now:
            got = False
        else:
            set_meta(connection, LEASE_KEY, f"{(now + LEASE).isoformat()} {holder}")
            got = True
    try:
        yield got
    finally:
        if got:
            with database.write() as connection:
                current = get_meta(connection, LEASE_KEY)
                if current and current.split(" ", 1)[-1] == holder:
                    connection.execute(delete(meta_info).where(meta_info.c.key == LEASE_KEY))


# --- once a day, by itself -----------------------------------------------------------------------


def latest_due(now: datetime, at: clock_time) -> datetime:
    """The latest scheduled time (``at``, local to Europe/Ljubljana) at or before ``now``,
    both naive UTC. Worked out from the clock each time: it follows the date and summer
    time."""
    local = now.replace(tzinfo=UTC).astimezone(TZ)
    due = datetime.combine(local.date(), at, TZ)
    if due > local:
        due = datetime.combine(local.date() - timedelta(days=1), at, TZ)
    return due.astimezone(UTC).replace(tzinfo=None)


class DailyPrune:
    """Prunes once a day at ``retention.daily_at``, from a thread of one service process.

    Every worker process of ``serve`` runs one; they check each minute whether a prune is due
    (none has completed since the latest scheduled time, or ever) and only one of them, the
    one that gets :func:`prune_lock`, prunes. A service that was down at the time prunes when
    it is next up.
    """

    def __init__(
        self,
        database: Database,
        retention: RetentionSettings,
        *,
        check_seconds: float = 60.0,
        first_check_seconds: float = 30.0,
    ) -> None:
        self.database = database
        self.retention = retention
        self.check_seconds = check_seconds
        self.first_check_seconds = first_check_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._done_for: datetime | None = None  # the due time a prune is known to have covered

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="daily-prune", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        wait = self.first_check_seconds
        while not self._stopping.wait(wait):
            wait = self.check_seconds
            try:  # calls left open too long: closed as abandoned (every check, not daily)
                close_abandoned(self.database, self.retention.abandon_calls_after_hours)
            except Exception:
                log.exception("closing abandoned calls failed; tried again at the next check")
            if not self.retention.daily:
                continue
            try:
                self.tick()
            except Exception:  # a database that is down now may be up at the next check
                log.exception("the daily prune failed; it is tried again at the next check")

    def tick(self, now: datetime | None = None) -> PruneReport | None:
        """Prune if due and no other process is pruning; the report, or None."""
        now = now or clock.now()
        due = latest_due(now, self.retention.daily_at)
        if self._done_for is not None and self._done_for >= due:
            return None
        done = last_prune(self.database)
        if done is not None and done >= due:
            self._done_for = due
            return None
        with prune_lock(self.database) as mine:
            if not mine:
                return None
            done = last_prune(self.database)  # another process may have just finished one
            if done is not None and done >= due:
                self._done_for = due
                return None
            report = prune(self.database, self.retention, now=now, stop=self._stopping.is_set)
        log.info(report.summary())
        for note in report.notes:
            log.warning(note)
        if not report.stopped:
            self._done_for = due
        return report
