"""The status bar at the top of every screen: who, connection, the call, read-only.

The connection part shows the desk's sync status (the app gives it): ``● povezano``; offline
with the writes queued and the age of the last sync (``● brez povezave · 3 v čakalni vrsti ·
zadnja sinhronizacija pred 12 s``); ``● usklajevanje 5/12`` while the outbox is replayed; a
badge while sync issues wait for the agent, and one while bookings the replay confirmed wait to
be passed on to their callers (``✓ potrjeno: 1 (F6)``). The bar also puts an
:class:`~widgets.offline_banner.OfflineBanner` under itself on its screen, so every screen
shows the outage the same way.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Protocol

from rich.text import Text
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from console import i18n
from console.clock import Clock
from console.desk_views import SyncStatus
from console.domain.models import Agent, Caller
from console.i18n import _
from widgets.floor_text import state_text
from widgets.offline_banner import OfflineBanner

STATE_STYLES = {"online": "green", "offline": "bold red", "syncing": "bold yellow"}


class CallInProgress(Protocol):
    """What the status bar shows of the desk (``console.desk.Desk`` is one): who is at it,
    the call's timers, the caller, a hold's countdown, read-only, and the desk's clock."""

    @property
    def agent(self) -> Agent | None: ...

    @property
    def call_started(self) -> float | None: ...

    @property
    def call_ended(self) -> float | None: ...

    @property
    def caller(self) -> Caller | None: ...

    @property
    def read_only(self) -> bool: ...

    @property
    def clock(self) -> Clock: ...

    def call_seconds(self, now: float | None = None) -> int | None: ...

    def hold_seconds_left(self) -> int | None: ...

    @property
    def agent_state(self) -> str | None:
        """The agent's own state on the floor (None: the desk reports none)."""

    def away_label(self, language: str) -> str | None:
        """Why the agent is away, in ``language`` (None unless away)."""


def clock_text(seconds: int) -> str:
    minutes, seconds = divmod(max(0, seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


def age_text(seconds: float) -> str:
    """How long ago, short: ``12 s``, ``4 min``, ``2 h``, ``3 d``."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def last_sync_text(last_sync: datetime | None, now: datetime) -> str:
    if last_sync is None:
        return _("never synced")
    age = (now - last_sync).total_seconds()
    return _("last sync {age} ago").format(age=age_text(age))


# A part of the bar and how much it matters: when the bar is narrower than all it has to say
# (80 columns, offline, in a call, with a hold), the parts that matter least are left out, so
# that the hold's countdown, the call's timer and the connection always show, never cut off.
Part = tuple[int, Text]
AGENT_ROLE, AGENT_NAME, LAST_SYNC, OWN_STATE, CALLER = 1, 2, 3, 4, 5
CONFIRMED, QUEUED, ISSUES, CALL_TIMER, ESSENTIAL = 7, 8, 9, 9, 10


def connection_parts(
    state: str, status: SyncStatus | None, *, now: datetime, issues_key: str = "F6"
) -> list[Part]:
    """The connection part of the bar, in parts: state, queue, last sync (its age at
    ``now``), open issues, confirmed references."""
    first = Text()
    first.append("● ", style=STATE_STYLES.get(state, "dim"))
    if state == "syncing" and status is not None and status.total:
        first.append(
            _("syncing {done}/{total}").format(done=status.done, total=status.total),
            style="yellow",
        )
    else:
        first.append(_(state), style="bold red" if state == "offline" else "")
    parts: list[Part] = [(ESSENTIAL, first)]
    if status is not None and state in ("online", "offline"):
        if status.queued:
            queued = " · " + _("{count} queued").format(count=status.queued)
            parts.append((QUEUED, Text(queued)))
        if state == "offline":
            parts.append((LAST_SYNC, Text(" · " + last_sync_text(status.last_sync, now))))
    if status is not None and status.issues:
        badge = Text("  ")
        badge.append(
            " " + _("⚠ sync issues: {count} ({key})").format(count=status.issues, key=issues_key),
            style="bold black on yellow",
        )
        badge.append(" ", style="bold black on yellow")
        parts.append((ISSUES, badge))
    if status is not None and status.confirmed:  # references to pass on to callers
        badge = Text("  ")
        badge.append(
            " " + _("✓ confirmed: {count} ({key})").format(count=status.confirmed, key=issues_key),
            style="bold black on green",
        )
        badge.append(" ", style="bold black on green")
        parts.append((CONFIRMED, badge))
    return parts


def connection_text(
    state: str, status: SyncStatus | None, *, now: datetime, issues_key: str = "F6"
) -> Text:
    """The connection part of the bar: state, queue, last sync (its age at ``now``), open
    issues."""
    return fitted(connection_parts(state, status, now=now, issues_key=issues_key), 0)


def fitted(parts: list[Part], width: int) -> Text:
    """The parts in their order, leaving out those that matter least (of equal ones, the
    later) until the rest fits ``width`` cells (0: no limit)."""
    line = Text()
    for index in kept_parts(parts, width):
        line.append(parts[index][1])
    return line


def kept_parts(parts: list[Part], width: int) -> list[int]:
    """The indexes of the parts :func:`fitted` keeps in ``width`` cells."""
    kept = list(range(len(parts)))
    if width > 0:
        by_weight = sorted(kept, key=lambda index: (parts[index][0], -index))
        total = sum(parts[index][1].cell_len for index in kept)
        for index in by_weight:
            if total <= width or parts[index][0] >= ESSENTIAL:
                break
            total -= parts[index][1].cell_len
            kept.remove(index)
    return kept


def left_out_of_bar(
    parts: list[Part], kept: list[int], status: SyncStatus, now: datetime
) -> tuple[Text | None, Text | None]:
    """Offline, what the bar did not show of the queue's count (even none queued) and of the
    last sync (None: shown, or online): the offline banner says it instead."""
    if status.state != "offline":
        return None, None
    shown = {parts[index][0] for index in kept}
    queued = None
    if QUEUED not in shown:
        queued = Text(_("{count} queued").format(count=status.queued), style="bold")
    last_sync = None if LAST_SYNC in shown else Text(last_sync_text(status.last_sync, now))
    return queued, last_sync


class StatusBar(Static):
    """One line: agent and role · connection · call timer · hold countdown · READ-ONLY.

    Given its data: the desk whose call it times (``desk``), the desk's sync status
    (``status``: the app sets it whenever it changes), the key of the sync issues and whether
    timers run (``timers``: off for screenshots)."""

    DEFAULT_CSS = """
    StatusBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    status: reactive[SyncStatus] = reactive(SyncStatus, always_update=True, init=False)

    def __init__(
        self,
        desk: CallInProgress | None = None,
        *,
        status: SyncStatus | None = None,
        issues_key: str = "F6",
        timers: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.desk = desk
        self.issues_key = issues_key
        self.timers = timers
        if status is not None:
            self.set_reactive(StatusBar.status, status)
        self._banner: OfflineBanner | None = None  # under the bar on its screen

    def on_mount(self) -> None:
        self._add_banner()
        self.refresh_status()
        self.set_interval(1.0, self.refresh_status)

    def _add_banner(self) -> None:
        """Put the offline banner right under the bar, once per screen."""
        screen = self.parent
        if isinstance(screen, Screen):
            banners = screen.query_children(OfflineBanner)
            if banners:
                self._banner = banners.first()
            else:
                self._banner = OfflineBanner(status=self.status)
                screen.mount(self._banner, after=self)

    def watch_status(self) -> None:
        self.refresh_status()

    def on_resize(self) -> None:
        self.refresh_status()

    def refresh_status(self) -> None:
        desk = self.desk
        status = self.status
        parts: list[Part] = []
        agent = desk.agent if desk else None
        if agent is not None:
            parts.append((AGENT_NAME, Text(f" {agent.name} ", style="bold")))
            parts.append((AGENT_ROLE, Text(f"({_(agent.role.value)})  ")))
        own = desk.agent_state if desk else None
        if desk is not None and own is not None:
            shown = Text()
            shown.append(state_text(own, desk.away_label(i18n.language())))
            shown.append("  ")
            parts.append((OWN_STATE, shown))
        moment = desk.clock.utcnow() if desk is not None else Clock().utcnow()
        parts.extend(connection_parts(status.state, status, now=moment, issues_key=self.issues_key))
        timers = self.timers
        if desk is not None:
            now = time.monotonic()
            if desk.call_started is not None and desk.call_ended is not None:
                # The caller hung up: count the after-call work, not the frozen call length.
                seconds = int(now - desk.call_ended) if timers else 0
                shown = Text(f"   {_('After-call work')} {clock_text(seconds)}", style="bold")
                parts.append((CALL_TIMER, shown))
            elif desk.call_started is not None:
                seconds = (desk.call_seconds(now) or 0) if timers else 0
                shown = Text(f"   {_('Call')} {clock_text(seconds)}", style="bold")
                parts.append((CALL_TIMER, shown))
            if desk.caller is not None:
                caller = desk.caller
                parts.append((CALLER, Text(f"   {caller.first_name} {caller.last_name}")))
            left = desk.hold_seconds_left()
            if left is not None and not timers:
                left = 180
            if left is not None:
                shown = Text(
                    f"   {_('Hold')} {clock_text(left)}",
                    style="bold yellow" if left > 30 else "bold red",
                )
                parts.append((ESSENTIAL, shown))
            if desk.read_only:
                shown = Text("   ")
                shown.append(f" {_('READ-ONLY')} ", style="bold white on dark_red")
                parts.append((ESSENTIAL, shown))
        # One line across the screen whatever it says: redrawing it needs no layout pass (it
        # would cost the frame after every tick of the call timer). What does not fit the
        # line leaves out what matters least (the bar is never cut off mid-word).
        kept = kept_parts(parts, self.content_size.width)
        line = Text()
        for index in kept:
            line.append(parts[index][1])
        self.update(line, layout=False)
        if self._banner is not None:
            self._banner.left_out = left_out_of_bar(parts, kept, status, moment)
