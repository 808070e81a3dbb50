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

from console.client.api import ApiRefused, Unreachable
from console.client.replay import is_service_fault
from console.i18n import _
from console.screens.startup import StartupScreen
from console.shell.base import Shell
from console.shell.errors import never_connected

if TYPE_CHECKING:
    from console.client.store import Store
    from console.desk import Desk


class FirstContactPart(Shell):
    async def reach_central(self, desk: Desk, store: Store) -> None:
        """``desk.connect()``, again and again while the service does not answer (or answers
        that it cannot now: a 5xx, 408 or 429) and the cache cannot stand in for it; a
        refusal that waiting does not change (a bad token) is raised at once."""
        connection = store.connection
        failing_for = 0.0  # the back-off while the service answers with its own failure
        while True:
            interval = 1.0
            try:
                await desk.connect()
                return
            except Unreachable:
                if self._unmounting:
                    raise
                why = never_connected()
                if connection.untrusted_certificate is not None:
                    why = _untrusted(connection.untrusted_certificate)
                self._say_waiting(why, connection.next_delay)
            except ApiRefused as refusal:
                if self._unmounting or not _may_pass(refusal):
                    raise
                failing_for = min(max(failing_for * 2, 1.0), connection.max_backoff)
                interval = failing_for
                self._say_waiting(_failing(refusal), interval)
            await connection.pause(interval)  # the back-off; the retry key wakes it at once
            if isinstance(self.screen, StartupScreen):
                self.screen.show_waiting(_("Trying to reach the central system…"))
            await connection.probe(store.api)

    def _say_waiting(self, why: str, seconds: float) -> None:
        if not isinstance(self.screen, StartupScreen):
            return
        self.screen.show_waiting(
            why
            + "\n"
            + _("Trying again in {seconds} s: {retry} tries now, {quit} quits.").format(
                seconds=round(seconds),
                retry=self.key_label("startup.retry"),
                quit=self.key_label("quit"),
            )
        )


def _may_pass(refusal: ApiRefused) -> bool:
    """A failure of the service's, not of this desk's request, that may pass if the desk
    waits (the replay's :func:`is_service_fault`: a 5xx, 408, 429) — but not a refused token
    (401), which waiting does not change."""
    return is_service_fault(refusal) and refusal.status != 401


def _failing(refusal: ApiRefused) -> str:
    return _(
        "The central system answers, but cannot serve this desk now ({status}: {message}); "
        "this desk needs it once before it can work offline."
    ).format(status=refusal.status, message=refusal.message)


def _untrusted(reason: str) -> str:
    return _(
        "The central system's certificate is not trusted ({reason}): set [server] ca_file in "
        "config.toml to the certificate of the authority that signed it."
    ).format(reason=reason)
