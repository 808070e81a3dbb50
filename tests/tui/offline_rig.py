"""What the console's offline tests share: a desk's console against a central service that the
test stops, starts or cuts off, and the helpers that read what the console shows.

Importable by name from the TUI tests (``from offline_rig import …``):

- :class:`DeskRig`: a known world (:mod:`support`) in a central database, a desk directory,
  and the console of the known agent pointed at the service (``console()``), with ``rows``
  to read the central database and ``other_agent`` for a second desk over HTTP;
- :class:`ServedRig` and :func:`served_rig`: that world served by uvicorn in a thread
  (:class:`served.Central`), stopped and started mid-test;
- :func:`ready_and_synced`, :func:`look_up`, :func:`open_caller`, :func:`confirm`;
  :func:`shown_text`, :func:`status_text`, :func:`notifications`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import support
from harness import served_world, settle, until
from served import Central
from textual.geometry import Region
from textual.pilot import Pilot

from console.app import AgentConsole
from console.config import Config, ServerSection, UiSection
from console.screens.booking_dialogs import BookedDialog
from console.screens.lookup import LookupScreen
from console.server.db import Database
from widgets.status_bar import StatusBar

SIZE = (120, 36)
# A stopped service refuses connections at once, so failover does not wait for this; it only
# has to be long enough that a busy test machine never times out a live request.
TIMEOUT = 3.0


def desk_console(
    url: str, data_dir: Path, *, timeout: float, language: str = "en", **sections: Any
) -> AgentConsole:
    """The known agent's console on ``url``, its desk in ``data_dir``, without timers or the
    search's debounce; ``sections``: more of the config (e.g. ``telephony=``)."""
    config = Config(
        server=ServerSection(url=url, token=support.TOKENS["agent"], timeout_seconds=timeout),
        data_dir=str(data_dir),
        ui=UiSection(timers=False, search_delay_ms=0, language=language),
        **sections,
    )
    return AgentConsole(config)


@dataclass
class DeskRig:
    """A known world in a central database, and a desk that reaches it at ``desk_url``."""

    database: Database
    world: support.World
    data_dir: Path

    timeout = TIMEOUT  # the desk's request timeout

    @property
    def desk_url(self) -> str:
        """Where the desk's console reaches the service."""
        raise NotImplementedError

    @property
    def service_url(self) -> str:
        """Where the service itself answers (another desk goes there)."""
        return self.desk_url

    def console(self, language: str = "en") -> AgentConsole:
        return desk_console(self.desk_url, self.data_dir, timeout=self.timeout, language=language)

    def other_agent(self) -> httpx.Client:
        return httpx.Client(base_url=self.service_url, headers=self.world.headers("agent2"))

    def rows(self, query: Any) -> list:
        with self.database.read() as connection:
            return list(connection.execute(query))


@dataclass
class ServedRig(DeskRig):
    """The world served by uvicorn in a thread of the test: ``central.stop()`` makes its port
    refuse connections, as a dead server's does; ``central.start()`` brings it back."""

    central: Central = field(kw_only=True)

    @property
    def desk_url(self) -> str:
        return self.central.url


@contextmanager
def served_rig(
    template: Path, folder: Path, *, days: int = 3, slots_per_day: int = 6
) -> Iterator[ServedRig]:
    """:func:`harness.served_world` as a :class:`ServedRig`, the desk in ``folder/desk``."""
    with served_world(template, folder, days=days, slots_per_day=slots_per_day) as served:
        central, database, world = served
        yield ServedRig(database, world, folder / "desk", central=central)


async def ready_and_synced(pilot: Pilot, timeout: float = 30.0) -> AgentConsole:
    """The lookup screen is up and the desk has filled its cache once."""
    app = pilot.app
    assert isinstance(app, AgentConsole)

    def seen() -> str:  # what the console was doing instead, for a failure's message
        store = getattr(app, "store", None)
        return (
            f"screen {type(app.screen).__name__}, desk {app.desk is not None}, "
            f"connection {app.connection_state}, "
            f"last sync {store.last_sync if store is not None else None}"
        )

    await until(
        pilot,
        lambda: app.desk is not None and isinstance(app.screen, LookupScreen),
        timeout,
        seen,
    )
    await until(pilot, lambda: app.store.last_sync is not None, timeout, seen)
    await settle(pilot)
    return app


def shown_text(widget: Any) -> str:
    """What a widget shows on screen, as plain text."""
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, *widget.size)))


def status_text(app: Any) -> str:
    return str(app.screen.query_one(StatusBar).render())


def notifications(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


async def look_up(pilot: Pilot, text: str) -> LookupScreen:
    await pilot.press("f2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LookupScreen)
    screen.search_box.focus()
    screen.search_box.value = text
    await settle(pilot)
    return screen


async def open_caller(pilot: Pilot, text: str) -> LookupScreen:
    """Search and open the one caller found."""
    screen = await look_up(pilot, text)
    assert len(screen.results.callers) == 1, screen.results.callers
    await pilot.press("enter")
    await settle(pilot)
    return screen


async def confirm(pilot: Pilot) -> BookedDialog:
    """Confirm the hold dialog on screen: the booked dialog."""
    await pilot.press("ctrl+s")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, BookedDialog)
    return dialog
