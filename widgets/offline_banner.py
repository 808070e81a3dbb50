"""The offline banner: under the status bar, on every screen, only while the desk is offline.

It says plainly what the agent needs to know during an outage: the central system cannot be
reached, work goes on from the local cache, bookings are provisional and will be confirmed
(tell the caller so), and how many writes wait to be sent. The status bar mounts it; the app
gives it the desk's sync status (``status``) with the status bars.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from console.desk_views import SyncStatus
from console.i18n import _


class OfflineBanner(Static):
    """Shown while the Store is offline; hidden (no space taken) otherwise."""

    DEFAULT_CSS = """
    OfflineBanner {
        dock: top;
        margin: 1 0 0 0;  /* under the one-line status bar, which is docked on top too */
        height: auto;
        width: 100%;
        padding: 0 1;
        background: $warning;
        color: $background;
        display: none;
        &.-offline {
            display: block;
        }
    }
    """

    status: reactive[SyncStatus] = reactive(SyncStatus, always_update=True, init=False)

    def __init__(self, *, status: SyncStatus | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        if status is not None:
            self.set_reactive(OfflineBanner.status, status)

    def on_mount(self) -> None:
        self.refresh_banner()

    def watch_status(self) -> None:
        self.refresh_banner()

    def refresh_banner(self) -> None:
        status = self.status
        offline = status.state == "offline"
        self.set_class(offline, "-offline")
        if not offline:
            return
        text = Text()
        text.append(_("⚠ The central system is unreachable."), style="bold")
        text.append(" " + _("Work goes on from this desk's local cache."))
        text.append("\n")
        text.append(
            _(
                "New bookings are provisional (P-…): tell the caller the booking will be "
                "confirmed when the connection is back."
            )
        )
        text.append("\n")
        text.append(_("Waiting to be sent: {count}.").format(count=status.queued), style="bold")
        text.append(" " + _("Reconnecting by itself."))
        self.update(text)
