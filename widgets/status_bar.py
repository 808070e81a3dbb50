"""The status bar at the top of every screen: who, connection, the call, read-only."""

from __future__ import annotations

import time

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from console.i18n import _


def clock_text(seconds: int) -> str:
    minutes, seconds = divmod(max(0, seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


class StatusBar(Static):
    """One line: agent and role · connection · call timer · hold countdown · READ-ONLY."""

    DEFAULT_CSS = """
    StatusBar {
        dock: top;
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    connection: reactive[str] = reactive("connecting")

    def on_mount(self) -> None:
        self.refresh_status()
        self.set_interval(1.0, self.refresh_status)

    def watch_connection(self) -> None:
        self.refresh_status()

    def refresh_status(self) -> None:
        desk = getattr(self.app, "desk", None)
        line = Text()
        agent = desk.agent if desk else None
        if agent is not None:
            line.append(f" {agent.name} ", style="bold")
            line.append(f"({_(agent.role.value)})  ")
        state = getattr(self.app, "connection_state", self.connection)
        styles = {"online": "green", "offline": "bold red", "syncing": "yellow"}
        line.append("● ", style=styles.get(state, "dim"))
        line.append(_(state))
        config = getattr(self.app, "config", None)
        timers = config.ui.timers if config is not None else True
        if desk is not None:
            now = time.monotonic()
            if desk.call_started is not None and desk.call_ended is not None:
                # The caller hung up: count the after-call work, not the frozen call length.
                seconds = int(now - desk.call_ended) if timers else 0
                line.append(f"   {_('After-call work')} {clock_text(seconds)}", style="bold")
            elif desk.call_started is not None:
                seconds = (desk.call_seconds(now) or 0) if timers else 0
                line.append(f"   {_('Call')} {clock_text(seconds)}", style="bold")
            if desk.caller is not None:
                line.append(f"   {desk.caller.first_name} {desk.caller.last_name}")
            left = desk.hold_seconds_left()
            if left is not None and not timers:
                left = 180
            if left is not None:
                line.append(
                    f"   {_('Hold')} {clock_text(left)}",
                    style="bold yellow" if left > 30 else "bold red",
                )
            if desk.read_only:
                line.append("   ")
                line.append(f" {_('READ-ONLY')} ", style="bold white on dark_red")
        self.update(line)
