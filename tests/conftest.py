"""Fixtures shared by the whole suite.

- Every test runs with its own data and config directories: nothing touches the user's files.
- ``database_url`` is parametrised over SQLite and PostgreSQL. PostgreSQL comes from
  ``AGENT_CONSOLE_TEST_PG_URL`` (``.ci/run`` starts a server and sets it); without it the
  PostgreSQL cases skip on a developer's machine and fail in CI (``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from console.server.db import Database, database_url
from console.server.migrate import upgrade

PG_ENV = "AGENT_CONSOLE_TEST_PG_URL"


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in list(os.environ):
        if variable.startswith("AGENT_CONSOLE_") and variable != PG_ENV:
            monkeypatch.delenv(variable)
    monkeypatch.setenv("AGENT_CONSOLE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AGENT_CONSOLE_CONFIG", str(tmp_path / "no-config.toml"))
    (tmp_path / "no-config.toml").write_text("# tests: every default\n")


def postgres_url_or_skip() -> str:
    url = os.environ.get(PG_ENV)
    if url:
        return url
    message = f"PostgreSQL tests need {PG_ENV} (bash .ci/run starts a server and sets it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def postgres_server() -> str:
    """The test PostgreSQL server's URL, for a test that makes its own databases on it."""
    return postgres_url_or_skip()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database.open(path)
    upgrade(database.engine)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[tuple[str, str]]:
    """A migrated database to clone: (server URL, template name)."""
    server = postgres_url_or_skip()
    name = f"ac_template_{uuid.uuid4().hex[:8]}"
    _admin(server, f'CREATE DATABASE "{name}"')
    database = Database.open(_with_database(server, name))
    upgrade(database.engine)
    database.dispose()
    yield server, name
    _drop_database(server, name)


def _with_database(server: str, name: str) -> str:
    return make_url(database_url(server)).set(database=name).render_as_string(hide_password=False)


def _drop_database(server: str, name: str) -> None:
    """Drop a test database; an autovacuum worker still in it (owned by the superuser, so
    FORCE may not end it) gets a few moments to leave."""
    for _attempt in range(10):
        try:
            _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except ProgrammingError:
            time.sleep(0.5)
    _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(server: str, statement: str) -> None:
    engine = create_engine(database_url(server), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url_param(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database on each backend; yields its URL."""
    if request.param == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "central.db"
        shutil.copyfile(template, path)
        yield str(path)
        return
    server, template = request.getfixturevalue("_postgres_template")
    name = f"ac_test_{uuid.uuid4().hex[:10]}"
    _admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _with_database(server, name)
    _drop_database(server, name)
