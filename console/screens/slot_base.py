"""What the parts of the slot search share: its state, its views and its summary line.

The slot search (:class:`console.screens.slots.SlotsScreen`) is composed of the form
(:mod:`console.screens.slot_form`), holding and booking (:mod:`console.screens.slot_booking`)
and, in ``slots.py``, the results, the overview and the change feed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import ContentSwitcher, Static

from console.domain.models import Service, Slot
from console.screens.base import DeskScreen
from widgets.slot_overview import SlotOverview
from widgets.slot_table import SlotTable

if TYPE_CHECKING:
    from console.screens.slot_query import SlotQuery


class SlotScreenBase(DeskScreen):
    """The slot search's state (set by ``SlotsScreen.__init__``) and what every part uses."""

    service: Service | None
    slots: list[Slot]  # the unfiltered list, as the server answered
    _last_query: SlotQuery | None
    _overview_query: SlotQuery | None

    if TYPE_CHECKING:
        # What one part asks of another: each is defined by its part, and SlotsScreen has all.
        def choose_service(  # slot_form
            self, service: Service, *, focus: bool = False, force: bool = False
        ) -> None: ...

        def _start_search(  # slots
            self, query: SlotQuery, *, quiet: bool = False, focus: bool = False
        ) -> None: ...

        def _clear_results(self) -> None: ...  # slots

        def _refill_locations(self) -> None: ...  # slot_form

        def _focus_results(self) -> None: ...  # slots

        def mark_taken(self, slot_id: int, how: str) -> None: ...  # slots

    @property
    def table(self) -> SlotTable:
        return self.query_one(SlotTable)

    @property
    def overview(self) -> SlotOverview:
        return self.query_one(SlotOverview)

    @property
    def overview_shown(self) -> bool:
        return self.query_one(ContentSwitcher).current == "slot-overview"

    def _summary(self, text: Text | str) -> None:
        self.query_one("#slot-summary", Static).update(text)

    def _hint(self, text: str) -> None:
        self._summary(Text(text, style="dim"))

    def _error(self, text: str) -> None:
        self._summary(Text(text, style="bold red"))
