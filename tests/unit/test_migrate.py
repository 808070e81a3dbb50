"""Migrations: a database already at the newest migration is recognised without Alembic, and
anything else still goes through Alembic."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from console.server import migrate
from console.server.migrate import current_revisions, head_revision, upgrade


def alembic_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def write(folder: Path, name: str, body: str) -> None:
    (folder / name).write_text(f'"""{name}"""\n\nimport sqlalchemy as sa\n\n{body}\n')


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert head_revision() == alembic_head()


def test_head_of_a_chain_in_any_file_order(tmp_path: Path) -> None:
    write(tmp_path, "b.py", 'revision = "0002"\ndown_revision = "0001"')
    write(tmp_path, "a.py", "revision: str = '0001'\ndown_revision: str | None = None  # first")
    write(tmp_path, "c.py", 'revision = "0003"\ndown_revision = "0002"\nbranch_labels = None')
    assert head_revision(tmp_path) == "0003"


@pytest.mark.parametrize(
    "files",
    [
        {},  # no migrations
        {  # two heads
            "a.py": 'revision = "0001"\ndown_revision = None',
            "b.py": 'revision = "0002"\ndown_revision = "0001"',
            "c.py": 'revision = "0003"\ndown_revision = "0001"',
        },
        {  # a merge
            "a.py": 'revision = "0001"\ndown_revision = None',
            "b.py": 'revision = "0002"\ndown_revision = "0001"',
            "c.py": 'revision = "0003"\ndown_revision = "0001"',
            "d.py": 'revision = "0004"\ndown_revision = ("0002", "0003")',
        },
        {"a.py": "revision = make_id()\ndown_revision = None"},  # not a plain string
        {"a.py": 'down_revision = None\nrevision = "0001"\nrevision = "0002"'},
        {"a.py": 'revision = "0002"\ndown_revision = "0001"'},  # its parent is missing
        {"a.py": 'revision = "0001"'},  # no down_revision line
    ],
)
def test_no_head_when_only_alembic_can_tell(tmp_path: Path, files: dict[str, str]) -> None:
    for name, body in files.items():
        write(tmp_path, name, body)
    assert head_revision(tmp_path) is None


def test_a_database_at_head_skips_alembic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'central.db'}")
    assert current_revisions(engine) is None  # a new file: no alembic_version yet
    upgrade(engine)  # through Alembic
    assert current_revisions(engine) == [alembic_head()]

    from alembic import command

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Alembic ran for a database already at head")

    monkeypatch.setattr(command, "upgrade", refuse)
    upgrade(engine)  # at head: Alembic is not asked
    engine.dispose()


def test_a_database_behind_is_upgraded(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'central.db'}")
    upgrade(engine, "0001")
    assert current_revisions(engine) == ["0001"]
    upgrade(engine)
    assert current_revisions(engine) == [alembic_head()]
    engine.dispose()


def test_when_the_head_is_uncertain_alembic_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'central.db'}")
    upgrade(engine)
    monkeypatch.setattr(migrate, "head_revision", lambda: None)
    asked: list[str] = []

    from alembic import command

    monkeypatch.setattr(command, "upgrade", lambda config, revision: asked.append(revision))
    upgrade(engine)
    assert asked == ["head"]
    engine.dispose()
