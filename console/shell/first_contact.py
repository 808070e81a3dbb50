"""The desk's first contact with the central service: tried again until it answers.

A desk that has been online once starts from its cache when the service does not answer. A
desk that never has (a new desk, or one whose cache was wiped) cannot: it does not know who
its agent is or what the services are. Such a desk does not give up: the start screen says
that the central system does not answer, when the desk tries again (1, 2, 4 … 30 seconds,
as offline probes back off) and which key tries now; it moves on by itself once the service
answers (the central system restarting after a power cut, a desk started before it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.client.api import Unreachable
from console.i18n import _
from console.screens.startup import StartupScreen
from console.shell.base import Shell

if TYPE_CHECKING:
    from console.client.store import Store
    from console.desk import Desk


class FirstContactPart(Shell):
    async def reach_central(self, desk: Desk, store: Store) -> None:
        """``desk.connect()``, again and again while the service does not answer and the
        cache cannot stand in for it; a refusal (a bad token) is raised at once."""
        connection = store.connection
        while True:
            try:
                await desk.connect()
                return
            except Unreachable:
                if self._unmounting:
                    raise
                self._say_waiting(connection.next_delay)
            await connection.pause(1.0)  # the back-off; the retry key wakes it at once
            if isinstance(self.screen, StartupScreen):
                self.screen.show_waiting(_("Trying to reach the central system…"))
            await connection.probe(store.api)

    def _say_waiting(self, seconds: float) -> None:
        if not isinstance(self.screen, StartupScreen):
            return
        # Whichever read failed first, the cache could not stand in: it was never filled.
        self.screen.show_waiting(
            _(
                "The central system is unreachable, and this desk has never been connected "
                "to it: it needs the central system once before it can work offline."
            )
            + "\n"
            + _("Trying again in {seconds} s: {retry} tries now, {quit} quits.").format(
                seconds=round(seconds),
                retry=self.key_label("startup.retry"),
                quit=self.key_label("quit"),
            )
        )
