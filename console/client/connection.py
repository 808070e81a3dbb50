"""The desk's connection to the central service: ``online``, ``offline`` or ``syncing``.

- A request that raises :class:`~console.client.api.Unreachable` turns the desk ``offline``
  (:meth:`Connection.went_offline`); reads then come from the cache and writes queue.
- Offline, the sync loop probes the service (:meth:`Connection.probe`) after 1, 2, 4 …
  ``max_backoff`` seconds (:meth:`Connection.pause`), and :meth:`Connection.wake` probes now.
- ``syncing`` while the outbox is replayed: a write made meanwhile waits a few seconds for the
  replay to end (:meth:`Connection.may_write`), so the desk's writes keep their order.
- ``on_change`` — one plain callable, called with the state after any change of state, outbox
  size, last sync or issues (:meth:`Connection.notify`): the console redraws its status from
  it. No Textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from console.client.api import ApiRefused, CentralApi, Unreachable
from console.desk_views import OFFLINE, ONLINE, SYNCING

log = logging.getLogger(__name__)


MAX_BACKOFF = 30.0
SETTLE_SECONDS = 3.0  # a write made while syncing waits this long for the replay to finish


class Connection:
    """Online, offline or syncing; the back-off of the probes; the one change callback."""

    def __init__(
        self,
        *,
        max_backoff: float = MAX_BACKOFF,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        self.max_backoff = max_backoff
        self.on_change = on_change
        self.last_error: str | None = None
        self.untrusted_certificate: str | None = None  # why, when that kept the desk offline
        self._state = ONLINE
        self._backoff = 1.0
        self._idle = asyncio.Event()
        self._idle.set()
        self._wake = asyncio.Event()

    @property
    def state(self) -> str:
        return self._state

    @property
    def offline(self) -> bool:
        return self._state == OFFLINE

    def set(self, state: str) -> None:
        """Enter ``state`` (and tell ``on_change``, whether it changed or not)."""
        if state != self._state:
            log.info("store: %s -> %s", self._state, state)
            self._state = state
            if state == SYNCING:
                self._idle.clear()
            else:
                self._idle.set()
        self.notify()

    def notify(self) -> None:
        """Tell ``on_change`` that something it shows changed (never raises)."""
        if self.on_change is not None:
            try:
                self.on_change(self._state)
            except Exception:  # a redraw failure must not break the data path
                log.exception("on_state_change failed")

    def went_offline(self, error: Unreachable) -> None:
        self.last_error = error.message
        self.untrusted_certificate = error.certificate
        if self._state != OFFLINE:
            self._backoff = 1.0
        self.set(OFFLINE)

    def failed(self, message: str) -> None:
        """The service answered, but a sync round could not finish: say why."""
        self.last_error = message
        self.notify()

    # -- what may go online ---------------------------------------------------------------

    def may_read(self) -> bool:
        return self._state != OFFLINE

    async def may_write(self, queued: Callable[[], int]) -> bool:
        """Writes go straight to the service only when nothing older waits in the outbox
        (``queued()`` writes): the outbox keeps the desk's writes in order."""
        if self._state == SYNCING:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), SETTLE_SECONDS)
        return self._state == ONLINE and queued() == 0

    # -- probing and waiting --------------------------------------------------------------

    async def probe(self, api: CentralApi) -> bool:
        """Offline: ask the service whether it answers again (online: True at once)."""
        if self._state != OFFLINE:
            return True
        try:
            await api.health()
        except Unreachable as exc:
            self.untrusted_certificate = exc.certificate
            self.failed(exc.message)
            return False
        except ApiRefused as exc:  # up, but not healthy (e.g. 503 behind a proxy)
            self.last_error = exc.message
            return False
        self.set(ONLINE)
        return True

    def wake(self) -> None:
        """Probe or sync now instead of at the next tick (e.g. the agent pressed retry)."""
        self._wake.set()

    async def woken(self) -> None:
        """Wait for :meth:`wake` (a long poll of the feed races this: a write queued or the
        agent's retry ends the wait at once)."""
        await self._wake.wait()
        self._wake.clear()

    @property
    def next_delay(self) -> float:
        """Offline: how long the next :meth:`pause` waits (the back-off), in seconds."""
        return self._backoff if self._state == OFFLINE else 0.0

    async def pause(self, interval: float) -> None:
        """Wait until the next round: ``interval`` seconds online; offline the back-off
        (1, 2, 4 … ``max_backoff`` seconds); at once after :meth:`wake`."""
        if self._state == OFFLINE:
            delay = self._backoff
            self._backoff = min(self._backoff * 2, self.max_backoff)
        else:
            delay = interval
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)
        self._wake.clear()
