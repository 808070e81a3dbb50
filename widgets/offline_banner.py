"""The offline banner: under the status bar, on every screen, only while the desk is offline.

It says plainly what the agent needs to know during an outage: the central system cannot be
reached, work goes on from the local cache, bookings made now are provisional (tell the caller
they will be confirmed), and — when the status bar has no room for them — how many writes wait
to be sent and when the desk last synced. It never says what the bar above it already says.

It takes at most two rows from 80 columns up: of its wordings it shows the fullest that fits
its width in two rows (:func:`banner_lines`): the long one on a wide terminal (the reconnecting
by itself and the provisional booking in full), the short one at 80 columns, and, if even that
needs more, it leaves out the last sync, which matters least. The status bar mounts it and
tells it what it left out (``left_out``); the app gives it the desk's sync status (``status``)
with the status bars.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from console.desk_views import SyncStatus
from console.i18n import _

ROWS = 2  # the most the banner takes, from 80 columns up


def long_wording(read_only: bool = False) -> tuple[Text, Text]:
    """The banner's two lines on a wide terminal (``read_only``: a supervisor's desk, which
    books nothing: what it shows instead of the provisional bookings' advice)."""
    first = Text(_("⚠ The central system is unreachable."), style="bold")
    first.append(" " + _("Work goes on from this desk's local cache."))
    first.append(" " + _("Reconnecting by itself."))
    if read_only:
        second = Text(
            _(
                "Read-only: the screens show this desk's copy; the floor comes back when the "
                "connection does."
            )
        )
        return first, second
    second = Text(
        _(
            "New bookings are provisional (P-…): tell the caller the booking will be "
            "confirmed when the connection is back."
        )
    )
    return first, second


def short_wording(read_only: bool = False) -> tuple[Text, Text]:
    """The banner's two lines at 80 columns: one row each (Slovenian and English)."""
    first = Text(_("⚠ The central system is unreachable: working from local cache."), style="bold")
    if read_only:
        return first, Text(_("Read-only: the floor comes back when the connection does."))
    second = Text(_("New bookings are provisional (P-…): tell the caller they will be confirmed."))
    return first, second


def rows_taken(lines: Sequence[Text], width: int, console: Console) -> int:
    """How many rows ``lines`` take wrapped at ``width`` cells."""
    return sum(len(line.wrap(console, max(1, width))) for line in lines)


def banner_lines(
    queued: Text | None,
    last_sync: Text | None,
    width: int,
    console: Console,
    *,
    read_only: bool = False,
) -> list[Text]:
    """The fullest wording that fits ``width`` cells in :data:`ROWS` rows, with what the status
    bar left out (``queued``: the queue's count, ``last_sync``; None: the bar shows it) after
    the first sentence: the long wording with all of it, else the short one with all of it,
    else the short one without the last sync. The queue's count stays even when nothing fits
    (narrower than 80 columns)."""
    both = [part for part in (queued, last_sync) if part is not None]
    long, short = long_wording(read_only), short_wording(read_only)
    candidates = [(long, both), (short, both)]
    candidates.append((short, [queued] if queued is not None else []))
    chosen: list[Text] = []
    for (first, second), tail in candidates:
        head = first.copy()
        for number, part in enumerate(tail):
            head.append(" · " if number else "  ")
            head.append(part)
        chosen = [head, second]
        if rows_taken(chosen, width, console) <= ROWS:
            break
    return chosen


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
        self._left_out: tuple[Text | None, Text | None] = (None, None)
        self._shown: tuple[str, ...] = ()

    @property
    def left_out(self) -> tuple[Text | None, Text | None]:
        """What the status bar had no room for, the banner says instead: the queue's count
        and the last sync (None: the bar shows it)."""
        return self._left_out

    @left_out.setter
    def left_out(self, parts: tuple[Text | None, Text | None]) -> None:
        def plain(pair: tuple[Text | None, Text | None]) -> list[str | None]:
            return [part.plain if part is not None else None for part in pair]

        if plain(parts) != plain(self._left_out):
            self._left_out = parts
            self.refresh_banner()

    def on_mount(self) -> None:
        self.refresh_banner()

    def watch_status(self) -> None:
        self.refresh_banner()

    def on_resize(self) -> None:
        self.refresh_banner()

    def refresh_banner(self) -> None:
        offline = self.status.state == "offline"
        self.set_class(offline, "-offline")
        if not offline or not self.is_attached:
            return
        # The banner's own width, or the screen's while it is still hidden (not laid out).
        width = (self.size.width or self.app.size.width) - self.styles.gutter.width
        desk = getattr(self.app, "desk", None)
        read_only = bool(getattr(desk, "read_only", False))
        lines = banner_lines(*self._left_out, width, self.app.console, read_only=read_only)
        shown = tuple(line.plain for line in lines)
        if shown == self._shown:
            return
        rows = rows_taken(lines, width, self.app.console)
        same_height = rows == rows_taken([Text(s) for s in self._shown], width, self.app.console)
        self._shown = shown
        # The last sync's age changes every second while it is here: that needs no layout.
        self.update(Text("\n").join(lines), layout=not same_height)
