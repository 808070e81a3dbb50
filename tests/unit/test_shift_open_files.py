"""The shift benchmark's open-files count: SQLite's descriptors of closed connections, kept for
reuse, are told apart from leaks (``benchmarks.console_probe.sqlite_kept_descriptors``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from benchmarks.console_probe import _open_files, sqlite_kept_descriptors


def _of(path: Path) -> dict[str, int]:
    """This test's database's open descriptors (the test process may hold other tests')."""
    return {name: count for name, count in _open_files().items() if name.startswith(str(path))}


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute("SELECT count(*) FROM t").fetchall()
    return connection


def test_a_closed_connections_kept_descriptor_is_set_apart_and_a_leaked_one_is_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "central.db"
    first = sqlite3.connect(path)
    first.execute("PRAGMA journal_mode=WAL")
    first.execute("CREATE TABLE t (x)")
    first.commit()
    first.execute("SELECT count(*) FROM t").fetchall()
    try:
        assert sqlite_kept_descriptors(_of(path)) == 0
        before = sum(_of(path).values())

        # A burst of two more connections, closed: SQLite keeps their database descriptors
        # (the first still holds its lock), and reuses them for the next ones.
        burst = [_connect(path), _connect(path)]
        for connection in burst:
            connection.close()
        after_burst = _of(path)
        assert sqlite_kept_descriptors(after_burst) == 2
        assert sum(after_burst.values()) - 2 == before
        again = _connect(path)
        again.close()
        assert sqlite_kept_descriptors(_of(path)) == 2  # reused: no more than the burst

        # A connection left open is not "kept": its WAL file is open too, so it counts.
        leaked = _connect(path)
        try:
            files = _of(path)
            assert sqlite_kept_descriptors(files) == 1
            assert sum(files.values()) - sqlite_kept_descriptors(files) > before
        finally:
            leaked.close()
    finally:
        first.close()
