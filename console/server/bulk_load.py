"""The bulk loader: writes millions of rows (slots, callers, their phones) fast, in one
transaction.

The bulk tables bypass SQLAlchemy: rows come as plain tuples in chunks and are written with the
DB-API's ``executemany`` on SQLite and ``COPY`` on PostgreSQL (:class:`BulkWriter`). For a
national load, a second process generates the rows while this one writes them
(:class:`Producer`). Around the load: SQLite's pragmas for one big write, the bulk tables'
secondary indexes dropped before and rebuilt after, PostgreSQL's sequences moved past the ids
the rows set, and fresh planner statistics. What the rows are is the demo's business
(:mod:`console.server.seed_calendar`, :mod:`console.server.seed_people`); when and in which
order to load is :func:`console.server.seed.seed`'s.
"""

from __future__ import annotations

import gc
import os
import pickle
import sqlite3
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

import console
from console.server.seed_calendar import SLOT_COLUMNS, slot_rows, stored
from console.server.seed_catalogue import Catalogue
from console.server.seed_people import CALLER_COLUMNS, PHONE_COLUMNS, caller_chunks, name_texts

ProgressCallback = Callable[[str, int, int], None]

# The tables loaded in bulk: their secondary indexes are built after the load.
BULK_TABLES = ("slots", "callers", "caller_phones")
# Tables whose ids the seed sets itself: PostgreSQL's sequences must be moved past them.
EXPLICIT_ID_TABLES = ("locations", "services", "providers", "callers")


class BulkLoadError(RuntimeError):
    """The load could not be completed (the generator process ended, rows went missing)."""


# --- set-up and tear-down ---------------------------------------------------------------------


def sqlite_bulk_mode(driver: Any, *, on: bool) -> None:
    """Pragmas for one big load on this connection (outside a transaction), and back."""
    cursor = driver.cursor()
    statements: tuple[str, ...]
    if on:
        # No fsync (a crash mid-load loses only the load), a cache big enough for the indexes,
        # and no foreign-key lookups for rows that are consistent by construction.
        statements = (
            "PRAGMA synchronous=OFF",
            "PRAGMA cache_size=-1000000",
            "PRAGMA temp_store=MEMORY",
            "PRAGMA foreign_keys=OFF",
            "PRAGMA threads=2",  # helper threads for the sorts that build indexes
        )
    else:
        statements = (
            "PRAGMA synchronous=NORMAL",
            "PRAGMA cache_size=-2000",
            "PRAGMA temp_store=DEFAULT",
            "PRAGMA foreign_keys=ON",
            "PRAGMA threads=0",
            "PRAGMA journal_mode=WAL",  # as Database.open sets it
        )
    for statement in statements:
        cursor.execute(statement)
    if on and _sqlite_is_empty(cursor):
        _sqlite_rollback_journal(cursor)
    cursor.close()


def _sqlite_is_empty(cursor: Any) -> bool:
    found = cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM callers) OR EXISTS (SELECT 1 FROM locations)"
    ).fetchone()
    return not found[0]


def _sqlite_rollback_journal(cursor: Any) -> None:
    """Load an empty database with a rollback journal instead of the WAL: the commit then
    writes each page once, into the database file, instead of into the WAL and again at the
    checkpoint (a gigabyte on the national dataset; the journal of an empty database stays
    small, and a failed load still rolls back). Only when this is the file's one connection
    (the switch needs that; it is not waited for): a server already serving it keeps the WAL
    and with it its readers during the load. Back to the WAL when the load is over."""
    timeout = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        cursor.execute("PRAGMA journal_mode=DELETE").fetchall()
    except sqlite3.OperationalError:  # another connection has the file open: keep the WAL
        pass
    finally:
        cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")


def drop_secondary_indexes(connection: Connection) -> list[str]:
    """Drop the bulk tables' secondary indexes; return the statements that recreate them.

    Building an index once from the loaded rows (a sort) is far cheaper than updating it for
    every row. On SQLite that covers the indexes made with CREATE INDEX (the UNIQUE
    constraints of CREATE TABLE cannot be dropped); on PostgreSQL also the unique constraints.
    Primary keys stay. All of it is inside the seed's transaction: a failed load restores them.
    """
    recreate: list[str] = []
    tables = ", ".join(f"'{table}'" for table in BULK_TABLES)
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({tables}) ORDER BY name"
        ).all()
        for name, sql in rows:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
            recreate.append(sql)
        return recreate
    constraints = connection.exec_driver_sql(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE contype = 'u' AND conrelid::regclass::text IN ({tables}) ORDER BY conname"
    ).all()
    for table, name, definition in constraints:
        connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        recreate.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    indexes = connection.exec_driver_sql(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        f"WHERE i.schemaname = current_schema() AND i.tablename IN ({tables}) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
        "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass) "
        "ORDER BY i.indexname"
    ).all()
    for name, definition in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
        recreate.append(definition)
    return recreate


def move_sequences(connection: Connection) -> None:
    """PostgreSQL: move each serial past the ids the seed set itself."""
    for table in EXPLICIT_ID_TABLES:
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
        )


def analyze(connection: Connection) -> None:
    """Fresh planner statistics for the tables that were just loaded."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("ANALYZE")
    else:
        for table in ("locations", "services", "providers", "provider_services", "slots",
                      "callers", "caller_phones", "provider_facts", "location_facts"):  # fmt: skip
            connection.exec_driver_sql(f"ANALYZE {table}")


# --- writing the bulk tables ------------------------------------------------------------------


def write_slots(
    connection: Connection,
    catalogue: Catalogue,
    days: list[date],
    progress: ProgressCallback,
    *,
    chunk: int,
    producer: Producer | None = None,
) -> int:
    """Every slot, in chunks of ``chunk`` rows; generated by the producer process when there is
    one (this process only writes them), else here. The same rows in the same order either
    way. Returns how many slots there were."""
    if producer is not None:
        chunks = producer.slot_chunks(catalogue, days)
        total = next(chunks)
    else:
        rows = list(slot_rows(catalogue, days))
        total = len(rows)
        chunks = (rows[lo : lo + chunk] for lo in range(0, total, chunk))
    progress("slots", 0, max(total, 1))
    done = 0
    for part in chunks:
        writer = BulkWriter(connection, "slots", SLOT_COLUMNS, 5, constants={"status": "'free'"})
        done += writer.write(part)
        writer.close()
        progress("slots", min(total, done), total)
    if done != total:
        raise BulkLoadError(f"the slot generator stopped after {done} of {total} slots")
    if not total:
        progress("slots", 1, 1)
    return total


def write_callers(
    connection: Connection,
    count: int,
    random_seed: int,
    now: datetime,
    progress: ProgressCallback,
    *,
    chunk: int,
    producer: Producer | None = None,
) -> int:
    """``count`` callers with their phones, in chunks of ``chunk`` callers; generated by the
    producer process when there is one, else here (the same rows either way). Returns how many
    phone numbers there were."""
    progress("callers", 0, max(count, 1))
    stamp = stored(now)
    chunks = (
        producer.chunks()
        if producer is not None
        else (
            (rows, phones, len(rows))
            for rows, phones in caller_chunks(count, random_seed, stamp, chunk)
        )
    )
    phone_count = 0
    done = 0
    for rows, phones, size in chunks:
        writer = BulkWriter(connection, "callers", CALLER_COLUMNS, 12, {"notes": "''"})
        writer.write(rows)
        writer.close()
        writer = BulkWriter(connection, "caller_phones", PHONE_COLUMNS, 4)
        phone_count += writer.write(phones)
        writer.close()
        done += size
        progress("callers", done, count)
    if count == 0:
        progress("callers", 1, 1)
    if done != count:
        raise BulkLoadError(f"the caller generator stopped after {done} of {count} callers")
    return phone_count


class BulkWriter:
    """Appends rows to one table: ``executemany`` on SQLite, one ``COPY`` on PostgreSQL."""

    def __init__(
        self,
        connection: Connection,
        table: str,
        columns: str,
        width: int,
        constants: dict[str, str] | None = None,
    ) -> None:
        self.sqlite = connection.dialect.name == "sqlite"
        driver = connection.connection.driver_connection
        assert driver is not None, "a connection that is open has its driver's connection"
        self.cursor = driver.cursor()
        constants = constants or {}
        if self.sqlite:
            names = ", ".join([columns, *constants])
            values = ", ".join(["?"] * width + list(constants.values()))
            self.sql = f"INSERT INTO {table} ({names}) VALUES ({values})"
            self.copy = None
        else:
            # Columns left out of the COPY take their defaults (status 'free', notes '').
            self.copy_manager = self.cursor.copy(f"COPY {table} ({columns}) FROM STDIN")
            self.copy = self.copy_manager.__enter__()

    def write(self, rows: Iterable[tuple] | bytes) -> int:
        """Write ``rows`` (or ready COPY text); return how many rows there were."""
        if isinstance(rows, bytes):
            assert self.copy is not None, "COPY text is only for PostgreSQL"
            self.copy.write(rows)
            return rows.count(b"\n")
        if self.copy is None:
            self.cursor.executemany(self.sql, rows)
            return self.cursor.rowcount
        write_row = self.copy.write_row
        count = 0
        for count, row in enumerate(rows, 1):  # noqa: B007
            write_row(row)
        return count

    def close(self) -> None:
        if self.copy is not None:
            self.copy_manager.__exit__(None, None, None)
        self.cursor.close()


# --- generating the rows in a second process ---------------------------------------------------


class Producer:
    """Generates callers in a child process while this one writes them to the database.

    Worth it from a few hundred thousand callers on: generating a row costs about a third as
    much as writing it, and the two overlap on a machine with two cores. It generates the
    slots first (:meth:`slot_chunks`: the catalogue reaches it through a file once it is
    built), then the callers: this process only writes rows. For SQLite, chunks
    cross the pipe column by column (cheaper to pickle than row tuples); for PostgreSQL, as
    ready-made ``COPY`` text, so this process only passes bytes on. Either way the rows are
    the ones :func:`~console.server.seed_people.caller_chunks` gives in-process.

    The child is a plain ``python -c`` running :func:`_produce`, not a multiprocessing
    process: spawning one re-imports the caller's ``__main__``, which reruns any script that
    calls :func:`console.server.seed.seed` without an ``if __name__ == "__main__"`` guard.
    """

    def __init__(
        self, count: int, random_seed: int, now: datetime, chunk: int, copy_text: bool
    ) -> None:
        package_root = str(Path(console.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        arguments = [str(count), str(random_seed), stored(now), str(chunk), str(int(copy_text))]
        self.process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdout is not None and self.process.stdin is not None
        self.stream = self.process.stdout
        self.orders = self.process.stdin

    def _message(self) -> Any:
        header = _read_exactly(self.stream, _HEADER.size)
        data = _read_exactly(self.stream, _HEADER.unpack(header)[0]) if header else b""
        if not data:
            code = self.process.wait()
            raise BulkLoadError(f"the generator process ended unexpectedly (exit {code})")
        return pickle.loads(data)

    def _order(self, line: str) -> None:
        """Tell the child which slots to generate (a file) or none (an empty line)."""
        if not self.orders.closed:
            try:
                self.orders.write(line.encode() + b"\n")
                self.orders.close()
            except BrokenPipeError:
                pass  # it died: reading from it says so

    def slot_chunks(self, catalogue: Catalogue, days: list[date]) -> Iterator[Any]:
        """The number of slots, then the slot rows per chunk (as
        :func:`~console.server.seed_calendar.slot_rows` gives them here), generated by the
        child from ``catalogue``."""
        fd, path = tempfile.mkstemp(prefix="agent-console-seed-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as file:
                pickle.dump((catalogue, days), file, protocol=pickle.HIGHEST_PROTOCOL)
            self._order(path)
            _, total = self._message()
        finally:
            Path(path).unlink(missing_ok=True)  # the child read it before it answered
        yield total
        while True:
            size, columns = self._message()
            if size == 0:
                return
            yield columns if isinstance(columns, bytes) else zip(*columns, strict=True)

    def chunks(self) -> Iterator[tuple[Iterable[tuple] | bytes, Iterable[tuple] | bytes, int]]:
        """(caller rows, phone rows, number of callers) per chunk."""
        self._order("")  # no slots were asked for: straight to the callers
        while True:
            size, rows, phones = self._message()
            if size == 0:
                return
            if isinstance(rows, bytes):
                yield rows, phones, size
            else:
                yield zip(*rows, strict=True), zip(*phones, strict=True), size

    def close(self) -> None:
        self._order("")
        self.stream.close()
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)


def _read_exactly(stream: Any, size: int) -> bytes:
    """``size`` bytes from a pipe, or fewer only at its end."""
    data = stream.read(size)
    while data and len(data) < size:
        more = stream.read(size - len(data))
        if not more:
            break
        data += more
    return data


_HEADER = struct.Struct("<Q")
_CHILD = "import sys; from console.server.bulk_load import _produce; _produce(sys.argv[1:])"


def _produce(arguments: list[str]) -> None:
    """The child process: write each chunk to stdout, length first, then an empty chunk."""
    gc.disable()
    count, random_seed, now, chunk, copy_text = arguments
    out = sys.stdout.buffer

    def send(message: tuple) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_HEADER.pack(len(data)))
        out.write(data)

    try:
        if copy_text == "1":
            _refuse_copy_specials()
        callers = caller_chunks(int(count), int(random_seed), now, int(chunk))
        slots_from = sys.stdin.readline().strip()
        if slots_from:
            with open(slots_from, "rb") as file:
                catalogue, days = pickle.load(file)
            rows = list(slot_rows(catalogue, days))
            send(("slots", len(rows)))
            for lo in range(0, len(rows), int(chunk)):
                part = rows[lo : lo + int(chunk)]
                if copy_text == "1":
                    send((len(part), _slot_copy_text(part)))
                else:
                    send((len(part), tuple(zip(*part, strict=True))))
            send((0, ()))
            del rows
        for rows, phones in callers:
            if copy_text == "1":
                send((len(rows), _caller_copy_text(rows), _phone_copy_text(phones)))
            else:
                send(
                    (
                        len(rows),
                        tuple(zip(*rows, strict=True)),
                        tuple(zip(*phones, strict=True)),
                    )
                )
        send((0, (), ()))
        out.flush()
    except BrokenPipeError:
        pass  # the parent stopped reading: it failed or was interrupted


_NULL = "\\N"


def _refuse_copy_specials() -> None:
    """COPY's text format takes a tab, newline or backslash only escaped: the callers' rows are
    made without escaping, so no name may hold one (checked once, for the whole pool)."""
    for text in name_texts():
        if any(ch in text for ch in "\t\n\r\\"):
            raise BulkLoadError(f"the name {text!r} has a character the bulk load cannot take")


def _caller_copy_text(rows: list[tuple]) -> bytes:
    """Rows in COPY's text format. No value holds a tab, newline or backslash: the name pools
    are checked for them once (:func:`_refuse_copy_specials`), the rest is digits and ASCII."""
    return "".join(
        [
            f"{i}\t{first}\t{last}\t{folded}\t{emso}\t{zzzs or _NULL}\t{birth}\t"
            f"{email or _NULL}\t{language}\t{flags}\t{stamps[0]}\t{stamps[1]}\n"
            for i, first, last, folded, emso, zzzs, birth, email, language, flags, *stamps in rows
        ]
    ).encode()


def _slot_copy_text(rows: list[tuple]) -> bytes:
    return "".join(
        [f"{provider}\t{location}\t{service}\t{starts}\t{ends}\n"
         for provider, location, service, starts, ends in rows]
    ).encode()  # fmt: skip


def _phone_copy_text(rows: list[tuple]) -> bytes:
    return "".join(
        [f"{caller}\t{number}\t{label}\t{position}\n" for caller, number, label, position in rows]
    ).encode()
