"""``LocalCache``: what a desk keeps on its own disk to keep working while the central service
is unreachable.

One SQLite file (sqlite-utils, WAL) per central service, in the user's data directory, created
with mode 0600 (its ``-wal`` and ``-shm`` files too): personal data on a shared machine is
readable by the agent's account only. Commits that append to the outbox are synced to disk
(``synchronous=FULL``: they survive a power cut); copies of the service's data are not (they
survive a killed console, and can be fetched again). It holds

- reference data: services, locations, providers, wrap-up codes, and who this desk's agent is;
- the slot window: the free slots of every service for the next ``window_days`` (30 by default),
  kept fresh from the change feed (``slots``);
- callers this desk has opened or created recently, at most ``caller_limit`` (500) of them, the
  least recently touched dropped first — not the whole population: personal data stays central;
- bookings and calls this desk has seen or made;
- ``meta``: the change-feed cursor (``last_seq``), the last successful sync (``last_sync_at``),
  the counter for provisional ids;
- ``idmap``: provisional ids and references (made offline) mapped to the real ones;
- ``issues``: what the replay could not do by itself (see ``console.client.issues.SyncIssue``);
- the outbox (``console.client.outbox``) lives in the same file, so a provisional booking and
  its queued write are committed in one transaction: both or neither.

Every model is stored as its JSON next to the few indexed columns the offline queries need.
Times in those columns are UTC text of one fixed width, so they compare as strings.
Provisional rows (made offline, not yet confirmed by the central service) have negative ids.

The cache is used from one thread (the console's event loop); its statements are short.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from console.domain.errors import InvalidValue
from console.domain.models import (
    Agent,
    Booking,
    BookingStatus,
    Call,
    Caller,
    CallerSummary,
    Disposition,
    Location,
    Provider,
    Service,
    Slot,
    SlotStatus,
)
from console.domain.query import MIN_QUERY_LENGTH, find_callers
from console.domain.reference import PROVISIONAL_PREFIX, is_reference_shaped, parse_reference
from console.domain.text import fold

DEFAULT_CALLER_LIMIT = 500
BUSY_TIMEOUT_SECONDS = 10.0
FILE_MODE = 0o600
_WORD = re.compile(r"[a-z0-9]+")


def _name_words(last_name: str, first_name: str) -> str:
    """A caller's name as the cache searches it: its words folded, each after a space, so a
    word after a hyphen or an apostrophe (Novak-Kos, D'Amico) starts a word, as on the central
    service."""
    return "".join(f" {word}" for word in _WORD.findall(fold(f"{last_name} {first_name}")))


_FILE_SLUG = re.compile(r"[^a-z0-9]+")
# The callers each kind of lookup finds by its value (see console.domain.query.find_callers).
_HITS = {
    "reference": "SELECT caller_id FROM bookings WHERE reference = ?",
    # A booking made offline (its reference), or the confirmed one that keeps it as an alias.
    "provisional": "SELECT caller_id FROM bookings WHERE reference = ?1 "
    "OR json_extract(json, '$.provisional_reference') = ?1",
    "emso": "SELECT id FROM callers WHERE emso = ?",
    "zzzs": "SELECT id FROM callers WHERE zzzs_number = ?",
}


class ProvisionalBooking(Booking):
    """A booking made offline: its ``reference`` is ``P-`` and a local code, and the central
    service has not confirmed it yet. Tell the caller it will be confirmed."""

    provisional: bool = True


def cache_path(data_path: Path | str, server_url: str) -> Path:
    """The cache file for one central service: ``desk-<host>-<hash>.db`` in ``data_path``.

    One file per service, so a desk pointed at another service never mixes their callers,
    slots or queued writes.
    """
    slug = _FILE_SLUG.sub("-", server_url.lower().split("://")[-1]).strip("-")[:40] or "server"
    digest = hashlib.sha1(server_url.encode()).hexdigest()[:8]
    return Path(data_path) / f"desk-{slug}-{digest}.db"


def desk_caches(data_path: Path | str) -> list[Path]:
    """The desk cache files in ``data_path`` (one per central service used), by name."""
    folder = Path(data_path)
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob("desk-*.db") if path.is_file())


def ts(value: datetime) -> str:
    """A time as the cache's sortable UTC text (naive times are taken to be UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_ts(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json(model: Any) -> str:
    return model.model_dump_json()


def _after(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class LocalCache:
    """The desk's local SQLite cache; see the module docstring."""

    def __init__(self, path: Path | str, *, caller_limit: int = DEFAULT_CALLER_LIMIT) -> None:
        self.path = Path(path)
        self.caller_limit = caller_limit
        self._statements: dict[tuple, str] = {}  # (table, columns, pk, ignore) -> upsert SQL
        if not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, mode=0o700)
        previous = os.umask(0o077)  # the -wal and -shm files SQLite creates get 0600 too
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
            os.close(fd)
            connection = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_SECONDS,
            )
            self.db = Database(connection)
            self.db.enable_wal()
            connection.execute("PRAGMA synchronous=FULL")  # an outbox row survives power loss
            connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            self._create_tables()
            self._respell_names()
        finally:
            os.umask(previous)
        self._tighten_permissions()

    # -- files and schema -----------------------------------------------------------------

    def _tighten_permissions(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            file = Path(f"{self.path}{suffix}")
            with contextlib.suppress(FileNotFoundError):
                if file.stat().st_mode & 0o077:
                    file.chmod(FILE_MODE)

    def _create_tables(self) -> None:
        db = self.db
        with db.atomic():
            db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
            for name in ("services", "dispositions"):
                db.table(name).create(
                    {"id": str if name == "dispositions" else int, "position": int, "json": str},
                    pk="id",
                    if_not_exists=True,
                )
            db.table("locations").create(
                {"id": int, "region": str, "json": str}, pk="id", if_not_exists=True
            )
            db.table("providers").create(
                {"id": int, "location_id": int, "json": str}, pk="id", if_not_exists=True
            )
            db.table("slots").create(
                {
                    "id": int,
                    "service_id": int,
                    "location_id": int,
                    "provider_id": int,
                    "region": str,
                    "starts_at": str,
                    "status": str,
                    "held_until": str,
                    "json": str,
                },
                pk="id",
                not_null={"service_id", "starts_at", "status"},
                if_not_exists=True,
            )
            db.table("slots").create_index(["service_id", "starts_at"], if_not_exists=True)
            db.table("callers").create(
                {
                    "id": int,
                    "name_folded": str,
                    "emso": str,
                    "zzzs_number": str,
                    "provisional": int,
                    "stale": int,
                    "touched_at": str,
                    "json": str,
                },
                pk="id",
                if_not_exists=True,
            )
            db.table("callers").create_index(["emso"], if_not_exists=True)
            db.table("callers").create_index(["zzzs_number"], if_not_exists=True)
            db.table("callers").create_index(["touched_at"], if_not_exists=True)
            db.table("caller_phones").create(
                {"caller_id": int, "number": str}, pk=("caller_id", "number"), if_not_exists=True
            )
            db.table("caller_phones").create_index(["number"], if_not_exists=True)
            db.table("bookings").create(
                {
                    "id": int,
                    "reference": str,
                    "caller_id": int,
                    "slot_id": int,
                    "starts_at": str,
                    "status": str,
                    "created_by": int,
                    "provisional": int,
                    "json": str,
                },
                pk="id",
                if_not_exists=True,
            )
            db.table("bookings").create_index(["reference"], unique=True, if_not_exists=True)
            db.table("bookings").create_index(["caller_id"], if_not_exists=True)
            db.table("bookings").create_index(["slot_id"], if_not_exists=True)
            # rekey_call finds the bookings of a call made offline by this expression.
            db.execute(
                "CREATE INDEX IF NOT EXISTS idx_bookings_call_id "
                "ON bookings (json_extract(json, '$.call_id'))"
            )
            db.table("calls").create(
                {
                    "id": int,
                    "caller_id": int,
                    "agent_id": int,
                    "started_at": str,
                    "provisional": int,
                    "json": str,
                },
                pk="id",
                if_not_exists=True,
            )
            db.table("calls").create_index(["caller_id"], if_not_exists=True)
            db.table("holds").create(
                {"id": int, "slot_id": int, "expires_at": str, "local": int},
                pk="id",
                if_not_exists=True,
            )
            db.table("idmap").create(
                {"kind": str, "local": str, "real": str}, pk=("kind", "local"), if_not_exists=True
            )
            db.table("issues").create(
                {
                    "id": int,
                    "outbox_seq": int,
                    "kind": str,
                    "created_at": str,
                    "resolved_at": str,
                    "resolution": str,
                    "json": str,
                },
                pk="id",
                if_not_exists=True,
            )
            db.table("confirmations").create(
                {
                    "id": int,
                    "provisional": str,
                    "created_at": str,
                    "passed_on_at": str,
                    "passed_on": str,
                    "json": str,
                },
                pk="id",
                if_not_exists=True,
            )

    @contextlib.contextmanager
    def transaction(self, *, durable: bool = False) -> Iterator[None]:
        """Everything in the block commits together (nested blocks are savepoints).

        ``durable=True`` (what the outbox needs) syncs the commit to disk: it survives a power
        cut. Otherwise (copies of the service's data, which can be fetched again, and the
        replay's bookkeeping, which the idempotency keys make safe to repeat) the commit
        survives a killed process but skips the sync: a hundred times faster on some disks.
        """
        if durable or self.db.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        self.db.conn.execute("PRAGMA synchronous=NORMAL")
        try:
            with self.db.atomic():
                yield
        finally:
            self.db.conn.execute("PRAGMA synchronous=FULL")

    def is_durable(self) -> bool:
        """True when a commit now would be synced to disk."""
        return self.db.conn.execute("PRAGMA synchronous").fetchone()[0] >= 2

    def close(self) -> None:
        self.db.close()

    def _upsert(
        self,
        table: str,
        rows: Iterable[dict],
        pk: tuple[str, ...] = ("id",),
        *,
        ignore: bool = False,
    ) -> None:
        """Insert ``rows`` (dicts with the same keys) into ``table``; a row whose primary key is
        there already replaces the columns given (``ignore``: is left as it is). Plain SQL, one
        statement prepared per shape: sqlite-utils' upsert reads the table's schema on every
        call, a quarter of a replay's time on the desk."""
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return
        columns = tuple(first)
        key = (table, columns, pk, ignore)
        sql = self._statements.get(key)
        if sql is None:
            names = ", ".join(columns)
            marks = ", ".join("?" * len(columns))
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in pk)
            action = "NOTHING" if ignore or not updates else f"UPDATE SET {updates}"
            sql = self._statements[key] = (
                f"INSERT INTO {table} ({names}) VALUES ({marks}) "
                f"ON CONFLICT ({', '.join(pk)}) DO {action}"
            )
        values = [tuple(first.values())]
        values.extend(tuple(row[c] for c in columns) for row in rows)
        if len(values) == 1:
            self.db.conn.execute(sql, values[0])
        else:
            self.db.conn.executemany(sql, values)

    def _rows(self, sql: str, params: dict | tuple = ()) -> list[dict]:
        return list(self.db.query(sql, params))

    def _one(self, sql: str, params: dict | tuple = ()) -> dict | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    # -- meta -----------------------------------------------------------------------------

    @property
    def server_url(self) -> str | None:
        """The central service this cache is for (recorded by ``Store.open``)."""
        return self.get_meta("server_url")

    @server_url.setter
    def server_url(self, value: str) -> None:
        if self.get_meta("server_url") != value:
            self.set_meta("server_url", value)

    @staticmethod
    def recorded_server(path: Path | str) -> str | None:
        """The service a cache file records, read without opening it as a cache (nothing is
        created or changed); None for a file of an earlier version, or not a cache."""
        try:
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        except sqlite3.Error:
            return None
        try:
            row = connection.execute("SELECT value FROM meta WHERE key = 'server_url'").fetchone()
        except sqlite3.Error:
            return None
        finally:
            connection.close()
        return row[0] if row else None

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return row["value"] if row else default

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    @property
    def last_seq(self) -> int | None:
        """The change-feed cursor: the last sequence number applied to this cache."""
        value = self.get_meta("last_seq")
        return int(value) if value is not None else None

    @last_seq.setter
    def last_seq(self, value: int) -> None:
        self.set_meta("last_seq", str(value))

    @property
    def last_sync_at(self) -> datetime | None:
        return from_ts(self.get_meta("last_sync_at"))

    @last_sync_at.setter
    def last_sync_at(self, value: datetime) -> None:
        self.set_meta("last_sync_at", ts(value))

    def next_local_id(self) -> int:
        """A new negative id for a provisional caller, call, booking or hold."""
        with self.transaction(durable=True):
            current = int(self.get_meta("next_local_id", "-1") or -1)
            self.set_meta("next_local_id", str(current - 1))
        return current

    # -- who and reference data -----------------------------------------------------------

    def put_agent(self, agent: Agent) -> None:
        self.set_meta("agent", _json(agent))

    def agent(self) -> Agent | None:
        raw = self.get_meta("agent")
        return Agent.model_validate_json(raw) if raw else None

    def put_services(self, services: list[Service]) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM services")
            self._upsert(
                "services",
                ({"id": s.id, "position": i, "json": _json(s)} for i, s in enumerate(services)),
            )

    def services(self) -> list[Service]:
        rows = self._rows("SELECT json FROM services ORDER BY position")
        return [Service.model_validate_json(r["json"]) for r in rows]

    def service(self, service_id: int) -> Service | None:
        row = self._one("SELECT json FROM services WHERE id = ?", (service_id,))
        return Service.model_validate_json(row["json"]) if row else None

    def put_locations(self, locations: list[Location], *, replace: bool = True) -> None:
        with self.transaction():
            if replace:
                self.db.execute("DELETE FROM locations")
            self._upsert(
                "locations", ({"id": x.id, "region": x.region, "json": _json(x)} for x in locations)
            )

    def locations(self, region: str | None = None) -> list[Location]:
        if region:
            rows = self._rows("SELECT json FROM locations WHERE region = ? ORDER BY id", (region,))
        else:
            rows = self._rows("SELECT json FROM locations ORDER BY id")
        found = [Location.model_validate_json(r["json"]) for r in rows]
        return sorted(found, key=lambda x: (fold(x.name), x.id))

    def location(self, location_id: int) -> Location | None:
        row = self._one("SELECT json FROM locations WHERE id = ?", (location_id,))
        return Location.model_validate_json(row["json"]) if row else None

    def put_providers(self, providers: list[Provider], *, replace: bool = True) -> None:
        with self.transaction():
            if replace:
                self.db.execute("DELETE FROM providers")
            self._upsert(
                "providers",
                ({"id": p.id, "location_id": p.location_id, "json": _json(p)} for p in providers),
            )

    def providers(
        self,
        *,
        service: int | None = None,
        location: int | None = None,
        specialty: str | None = None,
        accepting: bool | None = None,
        limit: int = 500,
    ) -> list[Provider]:
        rows = self._rows("SELECT json FROM providers ORDER BY id")
        found = []
        for row in rows:
            provider = Provider.model_validate_json(row["json"])
            if service is not None and service not in provider.service_ids:
                continue
            if location is not None and provider.location_id != location:
                continue
            if specialty is not None and provider.specialty != specialty:
                continue
            if accepting is not None and provider.accepts_new_patients is not accepting:
                continue
            found.append(provider)
        return found[:limit]

    def put_dispositions(self, dispositions: list[Disposition]) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM dispositions")
            self._upsert(
                "dispositions",
                (
                    {"id": d.code, "position": i, "json": _json(d)}
                    for i, d in enumerate(dispositions)
                ),
            )

    def dispositions(self) -> list[Disposition]:
        rows = self._rows("SELECT json FROM dispositions ORDER BY position")
        return [Disposition.model_validate_json(r["json"]) for r in rows]

    # -- the slot window ------------------------------------------------------------------

    @staticmethod
    def _slot_row(slot: Slot) -> dict:
        return {
            "id": slot.id,
            "service_id": slot.service_id,
            "location_id": slot.location_id,
            "provider_id": slot.provider_id,
            "region": slot.region,
            "starts_at": ts(slot.starts_at),
            "status": slot.status.value,
            "held_until": ts(slot.held_until) if slot.held_until else None,
            "json": _json(slot),
        }

    def put_slots(self, slots: list[Slot]) -> None:
        if slots:
            self._upsert("slots", (self._slot_row(s) for s in slots))

    def replace_window(self, service_id: int, slots: list[Slot], end: datetime) -> None:
        """The free slots of one service up to ``end``, as just fetched: earlier rows go."""
        with self.transaction():
            self.db.execute(
                "DELETE FROM slots WHERE service_id = ? AND starts_at < ?", (service_id, ts(end))
            )
            self.put_slots(slots)

    def drop_past_slots(self, now: datetime | None = None) -> None:
        self.db.execute("DELETE FROM slots WHERE starts_at <= ?", (ts(now or utcnow()),))

    def slot(self, slot_id: int) -> Slot | None:
        row = self._one("SELECT * FROM slots WHERE id = ?", (slot_id,))
        return self._slot_from(row) if row else None

    @staticmethod
    def _slot_from(row: dict) -> Slot:
        slot = Slot.model_validate_json(row["json"])
        return slot.model_copy(
            update={"status": SlotStatus(row["status"]), "held_until": from_ts(row["held_until"])}
        )

    def set_slot_status(
        self, slot_id: int, status: SlotStatus, held_until: datetime | None = None
    ) -> bool:
        """Record what the feed said about a slot; False if the slot is not in the window."""
        cursor = self.db.execute(
            "UPDATE slots SET status = ?, held_until = ? WHERE id = ?",
            (status.value, ts(held_until) if held_until else None, slot_id),
        )
        return cursor.rowcount > 0

    def slot_count(self) -> int:
        row = self._one("SELECT count(*) AS n FROM slots WHERE status != 'booked'")
        return int(row["n"]) if row else 0

    def locally_taken(self, slot_id: int, now: datetime | None = None) -> str | None:
        """'booked' or 'held' if this desk booked or holds the slot provisionally."""
        if self._one(
            "SELECT 1 FROM bookings WHERE slot_id = ? AND provisional = 1 AND status = 'confirmed'",
            (slot_id,),
        ):
            return "booked"
        if self._one(
            "SELECT 1 FROM holds WHERE slot_id = ? AND local = 1 AND expires_at > ?",
            (slot_id, ts(now or utcnow())),
        ):
            return "held"
        return None

    def free_slots(
        self,
        service_id: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        location_id: int | None = None,
        region: str | None = None,
        provider_id: int | None = None,
        limit: int = 20,
        now: datetime | None = None,
    ) -> list[Slot]:
        """Cached free slots, earliest first, minus those this desk holds or booked offline.

        A slot the feed said was held counts as free again once the hold has run out (the
        service records no change when a hold expires).
        """
        now_text = ts(now or utcnow())
        start_text = max(ts(start), now_text) if start else now_text
        where = [
            "service_id = :service",
            "starts_at > :now",
            "starts_at >= :start",
            "(status = 'free' OR (status = 'held' AND (held_until IS NULL OR held_until <= :now)))",
            "id NOT IN (SELECT slot_id FROM holds WHERE local = 1 AND expires_at > :now)",
            "id NOT IN (SELECT slot_id FROM bookings WHERE provisional = 1 "
            "AND status = 'confirmed')",
        ]
        params: dict[str, Any] = {
            "service": service_id,
            "now": now_text,
            "start": start_text,
            "limit": limit,
        }
        if end is not None:
            where.append("starts_at < :end")
            params["end"] = ts(end)
        if location_id is not None:
            where.append("location_id = :location")
            params["location"] = location_id
        if region:
            where.append("region = :region")
            params["region"] = region
        if provider_id is not None:
            where.append("provider_id = :provider")
            params["provider"] = provider_id
        rows = self._rows(
            f"SELECT * FROM slots WHERE {' AND '.join(where)} ORDER BY starts_at, id LIMIT :limit",
            params,
        )
        return [
            self._slot_from(row).model_copy(update={"status": SlotStatus.FREE, "held_until": None})
            for row in rows
        ]

    # -- holds (this desk's) --------------------------------------------------------------

    def put_hold(self, hold_id: int, slot_id: int, expires_at: datetime, *, local: bool) -> None:
        self._upsert(
            "holds",
            [
                {
                    "id": hold_id,
                    "slot_id": slot_id,
                    "expires_at": ts(expires_at),
                    "local": int(local),
                }
            ],
        )

    def hold(self, hold_id: int) -> dict | None:
        """``{"id", "slot_id", "expires_at", "local"}`` of a hold this desk made."""
        row = self._one("SELECT * FROM holds WHERE id = ?", (hold_id,))
        if row:
            row["expires_at"] = from_ts(row["expires_at"])
        return row

    def remove_hold(self, hold_id: int) -> None:
        self.db.execute("DELETE FROM holds WHERE id = ?", (hold_id,))

    def remove_holds_on(self, slot_id: int) -> None:
        self.db.execute("DELETE FROM holds WHERE slot_id = ?", (slot_id,))

    # -- callers --------------------------------------------------------------------------

    def _respell_names(self) -> None:
        """Callers cached before names were kept as words (``Novak-Kos`` as `` novak-kos``):
        spelled as :func:`_name_words` spells them, so a word after a hyphen is found."""
        rows = self.db.execute(
            "SELECT id, name_folded FROM callers WHERE name_folded GLOB '*[^ a-z0-9]*'"
        ).fetchall()
        if rows:
            with self.transaction():
                for caller_id, folded in rows:
                    words = "".join(f" {word}" for word in _WORD.findall(folded))
                    self.db.execute(
                        "UPDATE callers SET name_folded = ? WHERE id = ?", [words, caller_id]
                    )

    def put_caller(self, caller: Caller, *, provisional: bool = False) -> None:
        """Remember a caller this desk opened or created; the oldest beyond the limit go."""
        with self.transaction():
            self._upsert(
                "callers",
                [
                    {
                        "id": caller.id,
                        "name_folded": _name_words(caller.last_name, caller.first_name),
                        "emso": caller.emso,
                        "zzzs_number": caller.zzzs_number,
                        "provisional": int(provisional),
                        "stale": 0,
                        "touched_at": ts(utcnow()),
                        "json": _json(caller),
                    }
                ],
            )
            self.db.execute("DELETE FROM caller_phones WHERE caller_id = ?", (caller.id,))
            self._upsert(
                "caller_phones",
                ({"caller_id": caller.id, "number": p.number} for p in caller.phones),
                ("caller_id", "number"),
                ignore=True,
            )
            self.prune_callers()

    def caller(self, caller_id: int) -> Caller | None:
        row = self._one("SELECT json FROM callers WHERE id = ?", (caller_id,))
        return Caller.model_validate_json(row["json"]) if row else None

    def is_stale(self, caller_id: int) -> bool:
        row = self._one("SELECT stale FROM callers WHERE id = ?", (caller_id,))
        return bool(row and row["stale"])

    def mark_caller_stale(self, caller_id: int) -> None:
        """Another desk changed this caller: the copy here may be out of date."""
        self.db.execute("UPDATE callers SET stale = 1 WHERE id = ?", (caller_id,))

    def mark_all_callers_stale(self) -> list[int]:
        """Every caller the service knows may have changed unseen (a resync): mark them all;
        their ids."""
        with self.transaction():
            self.db.execute("UPDATE callers SET stale = 1 WHERE provisional = 0")
            return self._ids("SELECT id FROM callers WHERE provisional = 0 ORDER BY id", ())

    def has_caller(self, caller_id: int) -> bool:
        return self._one("SELECT 1 FROM callers WHERE id = ?", (caller_id,)) is not None

    def callers_with(self, *, emso: str | None = None, zzzs: str | None = None) -> list[Caller]:
        column, value = ("emso", emso) if emso else ("zzzs_number", zzzs)
        if not value:
            return []
        rows = self._rows(f"SELECT json FROM callers WHERE {column} = ?", (value,))
        return [Caller.model_validate_json(r["json"]) for r in rows]

    def caller_count(self) -> int:
        row = self._one("SELECT count(*) AS n FROM callers")
        return int(row["n"]) if row else 0

    def prune_callers(self, limit: int | None = None) -> int:
        """Keep the ``limit`` most recently touched callers (provisional ones always stay),
        and drop the bookings and calls of the others that this desk's agent did not make."""
        limit = self.caller_limit if limit is None else limit
        agent = self.agent()
        me = agent.id if agent else -1
        with self.transaction():
            doomed = [
                row["id"]
                for row in self._rows(
                    "SELECT id FROM callers WHERE provisional = 0 "
                    "ORDER BY touched_at DESC, id DESC LIMIT -1 OFFSET ?",
                    (limit,),
                )
            ]
            if not doomed:
                return 0
            marks = ",".join("?" * len(doomed))
            self.db.execute(f"DELETE FROM callers WHERE id IN ({marks})", doomed)
            self.db.execute(f"DELETE FROM caller_phones WHERE caller_id IN ({marks})", doomed)
            self.db.execute(
                f"DELETE FROM bookings WHERE caller_id IN ({marks}) "
                "AND provisional = 0 AND created_by != ?",
                [*doomed, me],
            )
            self.db.execute(
                f"DELETE FROM calls WHERE caller_id IN ({marks}) "
                "AND provisional = 0 AND agent_id != ?",
                [*doomed, me],
            )
        return len(doomed)

    def remove_caller(self, caller_id: int) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM callers WHERE id = ?", (caller_id,))
            self.db.execute("DELETE FROM caller_phones WHERE caller_id = ?", (caller_id,))

    def search_callers(self, query: str, limit: int = 20) -> tuple[str, list[CallerSummary], bool]:
        """Search the cached callers only, read the way the central service reads a query.

        Returns how the query was read, the callers sorted by name, and whether there were
        more than ``limit``.
        """
        text = query.strip()

        def lookup(kind: str, value: str) -> tuple[list[CallerSummary], bool]:
            if kind == "name":
                return self._search_names(value, limit)
            if kind == "phone":
                ids = self._ids(
                    "SELECT DISTINCT caller_id FROM caller_phones WHERE number >= ? AND number < ?",
                    (value, _after(value)),
                )
                found = self._summaries(ids, kind, limit + 1)
                return found[:limit], len(found) > limit
            ids = self._ids(_HITS[kind], (value,))
            matched = "reference" if kind == "provisional" else kind
            return self._summaries(ids, matched, limit), False

        return find_callers(text, lookup)

    def _search_names(self, text: str, limit: int) -> tuple[list[CallerSummary], bool]:
        """Cached callers with a name word starting with every word of ``text``, sorted by name,
        and whether there were more than ``limit``."""
        words = _WORD.findall(fold(text))[:4]
        if not words or sum(len(w) for w in words) < MIN_QUERY_LENGTH:
            return [], False
        # Every word of the query starts a word of the name (words are [a-z0-9]: no escaping;
        # name_folded is its words, each after a space: see _name_words).
        conditions = " AND ".join("name_folded LIKE ?" for _ in words)
        ids = self._ids(
            f"SELECT id FROM callers WHERE {conditions}", tuple(f"% {w}%" for w in words)
        )
        found = self._summaries(ids, "name", limit + 1)
        return found[:limit], len(found) > limit

    def _ids(self, sql: str, params: tuple) -> list[int]:
        return [next(iter(row.values())) for row in self._rows(sql, params)]

    def _summaries(self, ids: list[int], kind: str, limit: int) -> list[CallerSummary]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._rows(
            f"SELECT json FROM callers WHERE id IN ({marks}) ORDER BY name_folded, id LIMIT ?",
            (*ids, limit),
        )
        summaries = []
        for row in rows:
            caller = Caller.model_validate_json(row["json"])
            summaries.append(
                CallerSummary(
                    id=caller.id,
                    first_name=caller.first_name,
                    last_name=caller.last_name,
                    birth_date=caller.birth_date,
                    phones=[p.number for p in caller.phones],
                    emso=caller.emso,
                    zzzs_number=caller.zzzs_number,
                    matched_on=kind,
                )
            )
        return summaries

    # -- bookings and calls ---------------------------------------------------------------

    def put_booking(self, booking: Booking, *, provisional: bool = False) -> None:
        with self.transaction():
            # A reference is unique: a row under another id with it is an older copy.
            self.db.execute(
                "DELETE FROM bookings WHERE reference = ? AND id != ?",
                (booking.reference, booking.id),
            )
            self._upsert(
                "bookings",
                [
                    {
                        "id": booking.id,
                        "reference": booking.reference,
                        "caller_id": booking.caller_id,
                        "slot_id": booking.slot.id,
                        "starts_at": ts(booking.slot.starts_at),
                        "status": booking.status.value,
                        "created_by": booking.created_by,
                        "provisional": int(provisional),
                        "json": booking.model_dump_json(),
                    }
                ],
            )

    def _booking_from(self, row: dict) -> Booking:
        if row["provisional"]:
            return ProvisionalBooking.model_validate_json(row["json"])
        return Booking.model_validate_json(row["json"])

    def booking(self, reference: str) -> Booking | None:
        row = self._one("SELECT * FROM bookings WHERE reference = ?", (reference,))
        return self._booking_from(row) if row else None

    def booking_by_id(self, booking_id: int) -> Booking | None:
        row = self._one("SELECT * FROM bookings WHERE id = ?", (booking_id,))
        return self._booking_from(row) if row else None

    def bookings_for(
        self, caller_id: int, *, include_past: bool = False, now: datetime | None = None
    ) -> list[Booking]:
        sql = "SELECT * FROM bookings WHERE caller_id = ?"
        params: tuple = (caller_id,)
        if not include_past:
            sql += " AND starts_at >= ?"
            params = (caller_id, ts(now or utcnow()))
        rows = self._rows(sql + " ORDER BY starts_at, id", params)
        return [self._booking_from(row) for row in rows]

    def set_booking_status(
        self, reference: str, status: BookingStatus, superseded_by: str | None = None
    ) -> Booking | None:
        row = self._one("SELECT * FROM bookings WHERE reference = ?", (reference,))
        if row is None:
            return None
        booking = self._booking_from(row)
        update: dict[str, Any] = {"status": status}
        if superseded_by is not None:
            update["superseded_by"] = superseded_by
        changed = booking.model_copy(update=update)
        self.put_booking(changed, provisional=bool(row["provisional"]))
        return changed

    def remove_booking(self, booking_id: int) -> None:
        self.db.execute("DELETE FROM bookings WHERE id = ?", (booking_id,))

    def put_call(self, call: Call, *, provisional: bool = False) -> None:
        self._upsert(
            "calls",
            [
                {
                    "id": call.id,
                    "caller_id": call.caller_id,
                    "agent_id": call.agent_id,
                    "started_at": ts(call.started_at),
                    "provisional": int(provisional),
                    "json": call.model_dump_json(),
                }
            ],
        )

    def call(self, call_id: int) -> Call | None:
        row = self._one("SELECT json FROM calls WHERE id = ?", (call_id,))
        return Call.model_validate_json(row["json"]) if row else None

    def calls(
        self,
        *,
        caller_id: int | None = None,
        agent_id: int | None = None,
        limit: int = 20,
        open_only: bool = False,
    ) -> list[Call]:
        where, params = [], []
        if open_only:  # not wrapped up (a wrap-up queued offline is applied to the copy)
            where.append("json_extract(json, '$.wrapped_at') IS NULL")
        if caller_id is not None:
            where.append("caller_id = ?")
            params.append(caller_id)
        if agent_id is not None:
            where.append("agent_id = ?")
            params.append(agent_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._rows(
            f"SELECT json FROM calls {clause} ORDER BY started_at DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [Call.model_validate_json(r["json"]) for r in rows]

    def drop_history(self, older_than: datetime) -> None:
        """Forget confirmed bookings and calls from before ``older_than`` (never provisional
        ones: their writes may still wait in the outbox)."""
        with self.transaction():
            self.db.execute(
                "DELETE FROM bookings WHERE provisional = 0 AND starts_at < ?", (ts(older_than),)
            )
            self.db.execute(
                "DELETE FROM calls WHERE provisional = 0 AND started_at < ?", (ts(older_than),)
            )

    def remove_call(self, call_id: int) -> None:
        self.db.execute("DELETE FROM calls WHERE id = ?", (call_id,))

    def rekey_caller(self, local_id: int, real: Caller) -> None:
        """A provisional caller is now ``real``: its bookings and calls follow it."""
        with self.transaction():
            self.remove_caller(local_id)
            self.put_caller(real)
            for table in ("bookings", "calls"):
                self.db.execute(
                    f"UPDATE {table} SET caller_id = ?, json = json_set(json, '$.caller_id', ?) "
                    "WHERE caller_id = ?",
                    (real.id, real.id, local_id),
                )

    def rekey_call(self, local_id: int, real: Call) -> None:
        with self.transaction():
            self.remove_call(local_id)
            self.put_call(real)
            self.db.execute(
                "UPDATE bookings SET json = json_set(json, '$.call_id', ?) "
                "WHERE json_extract(json, '$.call_id') = ?",
                (real.id, local_id),
            )

    # -- provisional ids ------------------------------------------------------------------

    def map_id(self, kind: str, local: int | str, real: int | str) -> None:
        self._upsert(
            "idmap", [{"kind": kind, "local": str(local), "real": str(real)}], ("kind", "local")
        )

    def real_id(self, kind: str, local: int | str) -> str | None:
        row = self._one("SELECT real FROM idmap WHERE kind = ? AND local = ?", (kind, str(local)))
        return row["real"] if row else None

    # -- sync issues ----------------------------------------------------------------------

    def add_issue(self, outbox_seq: int, kind: str, data: dict) -> int:
        cursor = self.db.execute(
            "INSERT INTO issues (outbox_seq, kind, created_at, json) VALUES (?, ?, ?, ?)",
            (outbox_seq, kind, ts(utcnow()), json.dumps(data, default=str)),
        )
        return int(cursor.lastrowid or 0)

    def issues(self, *, include_resolved: bool = False) -> list[dict]:
        clause = "" if include_resolved else "WHERE resolved_at IS NULL"
        rows = self._rows(f"SELECT * FROM issues {clause} ORDER BY id")
        for row in rows:
            row["data"] = json.loads(row.pop("json"))
            row["created_at"] = from_ts(row["created_at"])
            row["resolved_at"] = from_ts(row["resolved_at"])
        return rows

    def issue(self, issue_id: int) -> dict | None:
        found = [i for i in self.issues(include_resolved=True) if i["id"] == issue_id]
        return found[0] if found else None

    def issue_for(self, outbox_seq: int) -> dict | None:
        found = [i for i in self.issues() if i["outbox_seq"] == outbox_seq]
        return found[0] if found else None

    def update_issue(self, issue_id: int, data: dict) -> None:
        self.db.execute(
            "UPDATE issues SET json = ? WHERE id = ?", (json.dumps(data, default=str), issue_id)
        )

    def resolve_issue(self, issue_id: int, resolution: str) -> None:
        self.db.execute(
            "UPDATE issues SET resolved_at = ?, resolution = ? WHERE id = ?",
            (ts(utcnow()), resolution, issue_id),
        )

    # -- confirmations to pass on (console.client.confirmations) ---------------------------

    def add_confirmation(self, confirmation: Any) -> int:
        """Record a provisional reference the replay confirmed (a
        :class:`~console.client.confirmations.Confirmation`); the same one again changes
        nothing. Confirmations passed on more than 30 days ago go."""
        found = self._one(
            "SELECT id FROM confirmations WHERE provisional = ?", (confirmation.provisional,)
        )
        if found:
            return int(found["id"])
        now = utcnow()
        self.db.execute(
            "DELETE FROM confirmations WHERE passed_on_at IS NOT NULL AND passed_on_at < ?",
            (ts(now - timedelta(days=30)),),
        )
        cursor = self.db.execute(
            "INSERT INTO confirmations (provisional, created_at, json) VALUES (?, ?, ?)",
            (confirmation.provisional, ts(now), json.dumps(confirmation.to_json(), default=str)),
        )
        return int(cursor.lastrowid or 0)

    def confirmations(self, *, include_passed_on: bool = False) -> list[dict]:
        clause = "" if include_passed_on else "WHERE passed_on_at IS NULL"
        rows = self._rows(f"SELECT * FROM confirmations {clause} ORDER BY id")
        return [
            {
                "id": row["id"],
                "created_at": from_ts(row["created_at"]),
                "passed_on_at": from_ts(row["passed_on_at"]),
                "passed_on": row["passed_on"],
                "data": json.loads(row["json"]),
            }
            for row in rows
        ]

    def pass_on_confirmation(self, confirmation_id: int, how: str) -> None:
        self.db.execute(
            "UPDATE confirmations SET passed_on_at = ?, passed_on = ? WHERE id = ?",
            (ts(utcnow()), how, confirmation_id),
        )

    def open_issue_count(self) -> int:
        row = self._one("SELECT count(*) AS n FROM issues WHERE resolved_at IS NULL")
        return int(row["n"]) if row else 0


def reference_or_none(text: str) -> str | None:
    """The 7-symbol code of a real reference, or None (provisional, malformed)."""
    if text.upper().startswith(PROVISIONAL_PREFIX) or not is_reference_shaped(text):
        return None
    try:
        return parse_reference(text)
    except InvalidValue:
        return None
