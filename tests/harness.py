"""What many tests share: waiting for the console, and a known world served on a port.

Importable from any test as ``import harness`` (pytest puts ``tests/`` on ``sys.path``):

- :func:`settle`: let the console's workers finish, and what they lead to;
- :func:`until`: let the console run until a condition holds;
- :func:`served_world`: a copy of the migrated SQLite template with :mod:`support`'s known
  world in it, served by uvicorn on a loopback port (:class:`served.Central`);
- :func:`serving`: serve a database that is already filled, and stop and close it after.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import support
from served import Central
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from console.server.db import Database

QUIET_PAUSES = 3  # settled: this many pauses in a row found no worker running


async def settle(pilot: Pilot, rounds: int = 300) -> None:
    """Let workers finish, and the messages, workers and screens they lead to: done when
    three pauses in a row find no worker running. A worker cancelled by a newer one (an
    exclusive search after the next keystroke) is expected and does not end the wait. The
    Store's sync loop is not a worker: it keeps running."""
    app = pilot.app
    quiet = 0
    for _ in range(rounds):
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause(0.02)
        quiet = 0 if any(worker.is_running for worker in app.workers) else quiet + 1
        if quiet == QUIET_PAUSES:
            return
    raise AssertionError("the console did not settle")


async def until(
    pilot: Pilot,
    predicate: Callable[[], bool],
    timeout: float = 30.0,
    what: Callable[[], str] | None = None,
) -> float:
    """Let the console run until ``predicate`` holds; returns how long that took. Fails after
    ``timeout`` seconds, saying what ``what`` saw instead."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError("timed out waiting" + (f"; saw: {what()}" if what else ""))
        await pilot.pause(0.05)
    return time.monotonic() - started


@contextlib.contextmanager
def serving(database: Database, path: Path) -> Iterator[Central]:
    """``database`` (the SQLite file ``path``) served on a loopback port until the block
    ends; then the port is closed and the database disposed of."""
    central = Central(database, str(path))
    central.start()
    try:
        yield central
    finally:
        central.stop()
        database.dispose()


@contextlib.contextmanager
def served_world(
    template: Path, folder: Path, *, days: int = 3, slots_per_day: int = 6
) -> Iterator[tuple[Central, Database, support.World]]:
    """A copy of the migrated SQLite ``template`` in ``folder`` with the known world of
    :func:`support.build_world` in it, served until the block ends."""
    path = folder / "central.db"
    shutil.copyfile(template, path)
    database = Database.open(path)
    world = support.build_world(database, days=days, slots_per_day=slots_per_day)
    with serving(database, path) as central:
        yield central, database, world
