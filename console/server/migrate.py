"""Bring a database's schema to the newest migration (Alembic, run in-process).

Alembic (with Mako, which its script machinery imports) costs about a quarter of a second to
import, on every start of the console and the service. A database already at the newest
migration needs none of it: :func:`upgrade` first compares the database's ``alembic_version``
with the head revision read straight from the migration files' ``revision`` and
``down_revision`` lines, and only imports Alembic when they differ or when the files cannot be
read that simply (a branch, a merge, a file of another shape).

On PostgreSQL the migration runs under an advisory lock, and the database is looked at again
once the lock is held: of several processes starting at once on an empty database (``serve``'s
workers, several servers), one migrates and the others find it done. (``serve`` also migrates
once itself before it starts its workers.) On SQLite a migration's transaction takes the write
lock from its first statement, which serialises them the same way.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSIONS = MIGRATIONS / "versions"

_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision(versions: Path = VERSIONS) -> str | None:
    """The newest migration's revision id, from the files in ``versions`` without importing
    them or Alembic; None when that is not certain (no files, a file whose revision is not a
    plain string, a merge, several heads): then only Alembic can tell."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(versions.glob("*.py")):
        found: dict[str, object] = {}
        for name, value in _ASSIGNMENT.findall(path.read_text(encoding="utf-8")):
            if name in found:
                return None
            try:
                found[name] = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                return None
        revision, parent = found.get("revision"), found.get("down_revision", ...)
        if not isinstance(revision, str) or not (parent is None or isinstance(parent, str)):
            return None
        revisions.add(revision)
        if parent is not None:
            parents.add(parent)
    heads = revisions - parents
    if len(heads) != 1 or not parents <= revisions:
        return None
    return heads.pop()


def current_revisions(engine: Engine) -> list[str] | None:
    """What the database's ``alembic_version`` holds; None if it has no such table."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return sorted(str(row[0]) for row in rows)
    except DBAPIError:
        return None


def at_head(engine: Engine) -> bool:
    """True when the database is certainly at the newest migration."""
    head = head_revision()
    return head is not None and current_revisions(engine) == [head]


MIGRATION_LOCK = 7_031_227  # an application-wide advisory lock number (the feed's is ..226)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision``; a database already there is left alone."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command

    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), revision)
        return
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:number)"), {"number": MIGRATION_LOCK})
        lock.commit()
        try:
            if revision == "head" and at_head(engine):
                return  # another process migrated while this one waited
            command.upgrade(alembic_config(engine), revision)
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:number)"), {"number": MIGRATION_LOCK})
            lock.commit()
