"""Issue 12, item 22: the embedded central database holds every caller's EMŠO number: it is
created 0600 (and its -wal and -shm) in a 0700 folder, like the desk's cache, whatever the
umask; a file an older version left readable by others is tightened."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from console.client.embedded import open_embedded
from console.config import Config, DemoSection


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def small_demo(folder: Path) -> Config:
    return Config(data_dir=str(folder), demo=DemoSection(callers=20, days=1, directory_data=""))


def test_the_embedded_database_is_private_from_its_first_start(tmp_path: Path) -> None:
    folder = tmp_path / "home" / "agent-console"
    previous = os.umask(0o022)  # an ordinary login: files 0644, folders 0755
    try:
        service = open_embedded(small_demo(folder))
        try:
            with service.database.write() as connection:  # a write: -wal and -shm exist now
                connection.execute(text("UPDATE agents SET name = name"))
            database = folder / "central.db"
            files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
            assert mode(folder) == 0o700
        finally:
            service.database.dispose()
    finally:
        os.umask(previous)


def test_a_readable_database_left_by_an_older_version_is_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "agent-console"
    first = open_embedded(small_demo(folder))
    first.database.dispose()
    database = folder / "central.db"
    database.chmod(0o644)
    folder.chmod(0o755)
    again = open_embedded(small_demo(folder))
    try:
        assert mode(database) == 0o600 and mode(folder) == 0o700
    finally:
        again.database.dispose()
