"""The supervisor's floor (F10): every agent's state and day, the day's figures, the callback
queue's (its length, the oldest wait, the share reached today, missed calls), calls, bookings
and missed calls per hour, slot fill for the next working days, and the alerts. Read-only.

It reads ``GET /v1/floor`` when it is shown, when the change feed brings an agent's state, a
call, a booking or a callback (the desk's one poller; while the floor is shown the desk polls every
second), and every ``POLL_SECONDS`` anyway (a desk turning unreachable is not in the feed).
Between reads the timers tick here, from the service's clock. Enter on an agent shows that
agent's calls today (:class:`~console.screens.floor_dialogs.AgentDayScreen`); ``e`` exports the
day's calls to a file the supervisor confirms.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static

from console.client.api import Unreachable
from console.client.feed import ChangeBatch
from console.domain.calendar import TZ
from console.domain.floor import Floor
from console.i18n import _
from console.screens.base import DeskScreen
from widgets.directory_text import plural
from widgets.floor_agents import AgentsTable
from widgets.floor_panels import (
    AlertsList,
    CallbackFigures,
    DayFigures,
    HourChart,
    MessageFigures,
    SlotFillTable,
)
from widgets.floor_text import STATE_ORDER, disposition_labels, state_label

POLL_SECONDS = 5.0  # read the floor at least this often
FEED_SECONDS = 1.0  # while the floor is shown, ask the desk to poll the change feed this often
FLOOR_ENTITIES = frozenset({"agent_state", "call", "booking", "callback"})


class FloorScreen(DeskScreen):
    """The floor (see the module docstring)."""

    follows_changes = True
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (150, "-wide")]

    BINDINGS = [
        Binding(
            "enter", "details", "Calls today", id="floor.details", tooltip="The agent's calls today"
        ),
        Binding(
            "e",
            "export",
            "Export",
            id="floor.export",
            tooltip="Export the day's calls to a csv or xlsx file",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="floor.refresh",
            tooltip="Read the floor again now",
            show=False,
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.floor: Floor | None = None
        self.loads = 0  # floors shown (for tests)
        self._reading = False  # a read is under way
        self._again = False  # the feed asked for a read while one was under way

    def compose_body(self) -> ComposeResult:
        timers = self.console.config.ui.timers
        yield Static("", id="floor-title")
        with Horizontal(id="floor-main"):
            with Vertical(id="floor-left"):
                yield AgentsTable(timers=timers, id="floor-agents")
                yield Label(_("Alerts"), classes="floor-heading")
                yield AlertsList("", id="floor-alerts")
                # Wide, the slot fill sits under the agents, where there is room for all its
                # columns; otherwise in the side panel (the stylesheet shows one of the two).
                yield Label(_("Slot fill, next working days"), classes="floor-heading fill-left")
                yield SlotFillTable(id="floor-fill-left", classes="fill-left")
            with VerticalScroll(id="floor-side"):
                yield Label(_("Today"), classes="floor-heading")
                yield DayFigures("", id="floor-figures")
                yield Label(_("Callbacks"), classes="floor-heading")
                yield CallbackFigures("", id="floor-callbacks")
                yield Label(_("Messages to callers today"), classes="floor-heading")
                yield MessageFigures("", id="floor-messages")
                yield HourChart(id="floor-chart")
                yield Label(_("Slot fill, next working days"), classes="floor-heading fill-side")
                yield SlotFillTable(id="floor-fill", classes="fill-side")
        yield Static("", id="floor-hint")

    @property
    def table(self) -> AgentsTable:
        return self.query_one(AgentsTable)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#floor-side", VerticalScroll).can_focus = True
        self.table.focus()
        self.set_interval(POLL_SECONDS, self.load)
        self.set_interval(FEED_SECONDS, self._tick)
        self._hint(_("Loading the floor…"))

    def on_screen_resume(self) -> None:
        self.load()

    def _tick(self) -> None:
        if not self.is_current:
            return
        self.table.tick()
        self.desk.catch_up()  # the change feed, now: a state change shows within seconds

    def _hint(self, text: str, style: str = "dim") -> None:
        self.query_one("#floor-hint", Static).update(Text(text, style=style))

    # -- loading --------------------------------------------------------------------------

    def load(self) -> None:
        """Read the floor: one read at a time, and one more after it if asked meanwhile."""
        if self._reading:
            self._again = True
            return
        self._reading = True
        self._read()

    @work(group="floor-load", exit_on_error=False)
    async def _read(self) -> None:
        try:
            while True:
                self._again = False
                try:
                    floor = await self.desk.floor()
                except Unreachable:
                    self._hint(
                        _(
                            "The central system is unreachable: the floor is live, and is "
                            "shown again as soon as it answers."
                        ),
                        "red",
                    )
                    return
                except Exception as error:
                    message = getattr(error, "message", None) or str(error)
                    self._hint(
                        _("The floor could not be read: {error}").format(error=message), "red"
                    )
                    return
                self.show(floor)
                if not self._again:
                    return
        finally:
            self._reading = False

    def show(self, floor: Floor) -> None:
        self.floor = floor
        self.loads += 1
        self.table.show(floor)
        self.query_one(DayFigures).show(floor, disposition_labels(self.desk.dispositions))
        self.query_one(CallbackFigures).show(floor)
        self.query_one(MessageFigures).show(floor)
        self.query_one(HourChart).show(floor)
        for fill in self.query(SlotFillTable):
            fill.show(floor)
        self.query_one(AlertsList).show(floor)
        self.query_one("#floor-title", Static).update(self._title(floor))
        local = floor.at.astimezone(TZ)
        self._hint(
            _("Read at {time}. Enter: the agent's calls today · {key}: export the day").format(
                time=local.strftime("%H:%M:%S"),
                key=self.console.key_label("floor.export"),
            )
        )

    def _title(self, floor: Floor) -> Text:
        title = Text(_("Floor"), style="bold")
        day = floor.today.date
        title.append(f"  {day.day}. {day.month}. {day.year}", style="bold")
        counts: dict[str, int] = {}
        for agent in floor.agents:
            counts[agent.state.value] = counts.get(agent.state.value, 0) + 1
        title.append("   ")
        title.append(plural(_("{count} agent|{count} agents"), len(floor.agents)))
        for state in STATE_ORDER:
            if counts.get(state):
                title.append(f" · {counts[state]} {state_label(state)}", style="dim")
        if floor.alerts:
            title.append("   ")
            title.append(
                " " + plural(_("{count} alert|{count} alerts"), len(floor.alerts)) + " ",
                style="bold black on yellow",
            )
        return title

    def action_refresh(self) -> None:
        self.load()

    # -- the change feed ------------------------------------------------------------------

    def changes_arrived(self, batch: ChangeBatch) -> None:
        if batch.fell_behind or any(c.entity in FLOOR_ENTITIES for c in batch.changes):
            self.load()

    # -- drilling down, exporting ---------------------------------------------------------

    @on(DataTable.RowSelected, "#floor-agents")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    def action_details(self) -> None:
        agent_id = self.table.chosen_agent()
        if agent_id is None or self.floor is None:
            return
        from console.screens.floor_dialogs import AgentDayScreen

        agent = next(a for a in self.floor.agents if a.id == agent_id)
        self.app.push_screen(AgentDayScreen(agent.id, agent.name))

    def action_export(self) -> None:
        from console.screens.floor_dialogs import ExportDialog

        day = self.desk.today()

        def chosen(target: tuple[str, str] | None) -> None:
            if target is not None:
                self.export(day, *target)

        self.app.push_screen(ExportDialog(day), chosen)

    @work(group="floor-export", exit_on_error=False)
    async def export(self, day: date, path: str, fmt: str) -> None:
        self.notify(_("Exporting the day's calls…"), timeout=3)
        written = await self.desk.save_export(day, fmt, path)
        self.notify(
            _("The day's calls were written to {path}").format(path=written),
            title=_("Exported"),
            timeout=15,
        )
