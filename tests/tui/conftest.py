"""The console under test: the real app over the embedded service on a seeded SQLite file.

The demo database is seeded once per session on a fixed date (``TODAY``, a Monday in 2030)
and copied for each test, so tests and screenshots never depend on the real date. Three
callers are added with known details for tests to look up.
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from snapshot_text import describe_mismatch, snapshot_path
from textual.pilot import Pilot
from textual.widgets import DataTable
from tui_shared import TODAY, wait_floor  # noqa: F401  (for the fixtures here)

from console.app import AgentConsole
from console.clock import Clock
from console.config import (
    CacheSection,
    Config,
    DemoSection,
    FloorSection,
    MessagesSection,
    UiSection,
)
from console.domain.models import Agent, CallerIn, Role
from console.server import callers
from console.server.db import Database
from console.server.migrate import upgrade
from console.server.seed import seed
from widgets.textual_internals import screenshot_module

SIZE = (120, 36)

KNOWN_CALLERS = {
    "janez": CallerIn(
        first_name="Janez",
        last_name="Kovač",
        emso="0101990500003",
        phones=["041 234 567"],
        zzzs_number="123456789",
    ),
    "spela": CallerIn(
        first_name="Špela",
        last_name="Česnik",
        phones=["+386 31 555 111"],
        flags=["interpreter"],
        notes="Prefers mornings.",
    ),
    "marija": CallerIn(first_name="Marija", last_name="Novak", phones=["01 234 56 78"]),
}


@pytest.fixture(scope="session")
def seeded_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("seeded")
    database = Database.open(data / "central.db")
    upgrade(database.engine)
    seed(database, callers=300, days=10, start=TODAY, random_seed=7)
    with database.write() as connection:
        system = Agent(id=0, name="tests", role=Role.ADMIN)
        for new in KNOWN_CALLERS.values():
            callers.create(connection, system, new)
    database.dispose()
    return data


@pytest.fixture
def data_dir(seeded_data_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "desk"
    shutil.copytree(seeded_data_dir, target)
    return target


@pytest.fixture
def make_app(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., AgentConsole]:
    """``make_app(language="sl", role="agent", keys={...})``: a console on this test's copy of
    the data (``sync_seconds``: how often its desk polls the change feed; ``keys`` as ``[keys]``
    in config.toml; ``messages`` as ``[messages]``: by default the embedded service queues
    messages and nothing in the console sends them, whatever listens on this machine's ports;
    ``mailbox``: as ``[demo] mailbox``, off unless asked for);
    ``clock``: the desk's clock, injected, with ``today=None`` so that it is not
    shifted to ``TODAY``)."""

    monkeypatch.setenv("USER", "mojca")  # the demo desk's agent is named after $USER

    def make(
        language: str = "sl",
        role: str = "agent",
        sync_seconds: float = 2.0,
        keys: dict[str, str] | None = None,
        floor: FloorSection | None = None,
        messages: MessagesSection | None = None,
        mailbox: bool = False,
        clock: Clock | None = None,
        **ui: object,
    ) -> AgentConsole:
        config = Config(
            data_dir=str(data_dir),
            demo=DemoSection(callers=300, days=10, mailbox=mailbox),
            cache=CacheSection(sync_seconds=sync_seconds),
            ui=UiSection(
                **{"timers": False, "today": TODAY, "search_delay_ms": 0, **ui}, language=language
            ),
            keys=keys or {},
            floor=floor or FloorSection(),
            messages=messages or MessagesSection(sender=False),
        )
        return AgentConsole(config, role=Role(role), clock=clock)

    return make


async def wait_ready(pilot: Pilot) -> None:
    """Wait until the console has connected and shows the lookup screen (a supervisor's
    console starts on the floor: it is switched to the lookup, as F2 would)."""
    from console.screens.lookup import LookupScreen

    app = pilot.app
    for _ in range(200):
        if app.desk is not None and isinstance(app.screen, LookupScreen):
            await pilot.pause()
            return
        if app.desk is not None and app.reads_floor and type(app.screen).__name__ == "FloorScreen":
            await app.switch_mode("lookup")
        await pilot.pause(0.05)
    raise AssertionError(f"console did not become ready; screen is {app.screen!r}")


@pytest.fixture
def ready() -> Callable:
    return wait_ready


@pytest.fixture
def snap_compare(snap_compare, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """The plugin's ``snap_compare``, with two additions:

    - before the screenshot, it waits until every table on the screen has sized its columns
      (DataTable does that when its message queue is idle, which on a loaded machine can come
      after the plugin's own short pause: a screenshot of a table still at its first widths);
    - on a mismatch it prints how the screen's text differs, so a CI log alone shows what
      changed (the HTML report stays on the machine that ran it)."""
    taken: list[str] = []
    screenshots = screenshot_module()
    take = screenshots.take_svg_screenshot

    def recording(*args, **kwargs) -> str:
        taken.append(take(*args, **kwargs))
        return taken[-1]

    monkeypatch.setattr(screenshots, "take_svg_screenshot", recording)

    def compare(*args, run_before=None, **kwargs) -> bool:
        async def then_tables_sized(pilot: Pilot) -> None:
            if run_before is not None:
                result = run_before(pilot)
                if inspect.isawaitable(result):
                    await result
            await tables_sized(pilot)

        matched = snap_compare(*args, run_before=then_tables_sized, **kwargs)
        node = request.node
        expected = snapshot_path(node.path, node.cls.__name__ if node.cls else None, node.name)
        if not matched and taken and expected.is_file():
            print(f"Snapshot mismatch, {expected.name}:")
            print(describe_mismatch(expected.read_text(encoding="utf-8"), taken[-1]))
        return matched

    return compare


async def tables_sized(pilot: Pilot) -> None:
    """Wait until no DataTable on the screen has rows or cells waiting to be measured."""
    for _ in range(250):
        pending = [
            table
            for table in pilot.app.screen.query(DataTable)
            if table._require_update_dimensions or table._updated_cells
        ]
        if not pending:
            return
        await pilot.pause(0.02)
    raise AssertionError(f"tables never sized their columns: {pending!r}")
