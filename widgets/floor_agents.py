"""The floor's table of agents: one row each, coloured by state, timers that tick locally.

Given a :class:`~console.domain.floor.Floor` (:meth:`AgentsTable.show`), it draws every agent;
:meth:`AgentsTable.tick` then moves the timers on between reads of the floor, counting from
the service's clock (``Floor.at``, the moment the floor was computed) plus the time elapsed
here since it arrived, so a desk whose clock is off shows the right minutes.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from rich.text import Text

from console import i18n
from console.domain.floor import Floor, FloorAgent
from console.i18n import _
from widgets.floor_text import STATE_STYLES, duration, in_language, shortened, state_text
from widgets.sized_table import SizedTable


def service_name(agent: FloorAgent) -> str:
    call = agent.call
    if call is None:
        return ""
    return shortened(in_language(call.service_name, call.service_name_en))


class AgentsTable(SizedTable):
    """Agents on the floor (see the module docstring). Enter on a row: the app shows that
    agent's day (``DataTable.RowSelected``, the row key is the agent's id)."""

    def __init__(self, *, timers: bool = True, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.timers = timers
        self.floor: Floor | None = None
        self._received = time.monotonic()
        self._reasons: dict[str, tuple[str, str]] = {}

    def on_mount(self) -> None:
        for key, label in _columns():
            self.add_column(label, key=key)

    def service_now(self) -> datetime | None:
        """The service's clock now: ``Floor.at`` plus what elapsed here since it arrived
        (stopped when timers are off: screenshots)."""
        if self.floor is None:
            return None
        elapsed = time.monotonic() - self._received if self.timers else 0.0
        return self.floor.at + timedelta(seconds=elapsed)

    def reason_label(self, code: str | None) -> str | None:
        if code is None:
            return None
        labels = self._reasons.get(code)
        if labels is None:
            return code
        return labels[1] if i18n.language() == "en" else labels[0]

    def show(self, floor: Floor) -> None:
        """Draw ``floor``'s agents, keeping the cursor on the agent it was on."""
        self.floor = floor
        self._received = time.monotonic()
        self._reasons = {r.code: (r.label, r.label_en) for r in floor.thresholds.away_reasons}
        chosen = self.chosen_agent()
        self.clear()
        for agent in floor.agents:
            self.add_row(*self._cells(agent), key=str(agent.id))
        if chosen is not None:
            for index, agent in enumerate(floor.agents):
                if agent.id == chosen:
                    self.move_cursor(row=index, animate=False)
                    break

    def chosen_agent(self) -> int | None:
        """The id of the agent under the cursor."""
        if self.floor is None or not self.row_count:
            return None
        row = self.cursor_row
        if 0 <= row < len(self.floor.agents) and row < self.row_count:
            return self.floor.agents[row].id
        return None

    def tick(self) -> None:
        """Move the state and call timers on (once a second)."""
        if self.floor is None or not self.row_count:
            return
        for agent in self.floor.agents:
            key = str(agent.id)
            self.update_cell(key, "for", self._for(agent))
            self.update_cell(key, "call", self._call(agent))

    # -- cells ----------------------------------------------------------------------------

    def _cells(self, agent: FloorAgent) -> tuple[Text | str, ...]:
        style = STATE_STYLES.get(agent.state.value, "")
        return (
            Text(agent.name, style=style if agent.state.value != "signed_out" else "dim"),
            state_text(agent.state.value, self.reason_label(agent.reason)),
            self._for(agent),
            self._call(agent),
            _count(agent.queued_writes, "bold yellow"),
            _count(agent.sync_issues, "bold red"),
            service_name(agent),
            Text(str(agent.calls_today), justify="right"),
            Text(duration(agent.avg_handle_seconds), justify="right"),
            Text(duration(agent.avg_after_call_work_seconds), justify="right"),
            Text(str(agent.bookings_today), justify="right"),
            Text(str(agent.cancellations_today), justify="right"),
            Text(str(agent.reschedules_today), justify="right"),
        )

    def _for(self, agent: FloorAgent) -> Text:
        now = self.service_now()
        if agent.since is None or now is None:
            return Text("—", justify="right")
        return Text(duration((now - agent.since).total_seconds()), justify="right")

    def _call(self, agent: FloorAgent) -> Text:
        call = agent.call
        now = self.service_now()
        if call is None or now is None:
            return Text("", justify="right")
        if agent.state.value == "on_call":
            seconds: float = (now - call.started_at).total_seconds()
        else:  # after-call work (or unreachable): the talk as it was
            seconds = call.talk_seconds
        return Text(duration(seconds), justify="right", style="bold")


def _columns() -> tuple[tuple[str, str], ...]:
    return (
        ("name", _("Agent")),
        ("state", _("State")),
        ("for", _("For")),
        ("call", _("Call")),
        # A desk's writes waiting and its sync issues need the supervisor's eye: next to its
        # state, on screen at any width (the day's figures after them scroll at 120 columns).
        ("queued", _("Queued")),
        ("issues", _("Issues")),
        ("service", _("Service")),
        ("calls", _("Calls")),
        # Short headers (their own messages): at 200 columns the whole table fits beside the
        # side panel in Slovenian too.
        ("aht", _("Avg handle (agents' column)")),
        ("acw", _("Avg ACW")),
        ("booked", _("Booked (agents' column)")),
        ("cancelled", _("Canc.")),
        ("moved", _("Resch.")),
    )


def _count(value: int, style: str) -> Text:
    return Text(str(value), justify="right", style=style if value else "dim")
