"""Slot search (F3): the earliest free slots for a service across locations, a day-by-location
overview, and holding and booking a slot for the caller (or moving a booking there).

The form on top (service with type-ahead, region, location, from, to) searches as soon as a
service is chosen and again whenever the form changes. The service field never rewrites what is
being typed: while typing, the matching services are listed (an exact code or name first);
one is chosen on Enter, from the list, or (an exact code or name) when the agent leaves the
field. From and To follow the desk's day until the agent types them. It follows the central
change feed (the desk's one poller), so slots other agents hold or book meanwhile are struck
through.

The form is :mod:`console.screens.slot_form`, holding and booking (and rescheduling)
:mod:`console.screens.slot_booking`, the query and the overview's fetch
:mod:`console.screens.slot_query`; this module composes them with the results.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, Input, Label, OptionList, Select, Static

from console.client.feed import ChangeBatch
from console.domain.models import Change, Service, Slot
from console.i18n import _
from console.screens.slot_base import SlotScreenBase
from console.screens.slot_booking import SlotBookingPart
from console.screens.slot_form import ServiceInput, ServiceSuggester, SlotFormPart
from console.screens.slot_query import LIST_LIMIT, SlotQuery, free_slots_by_day
from console.screens.wording import service_label, when_text
from widgets.slot_overview import Cell, SlotOverview
from widgets.slot_table import SlotTable, format_day

# The width the slot form needs on one row: service (24 at least), region (26), location (28),
# from and to (17 each), a column between fields and one on either side (slots.tcss).
FORM_ONE_ROW = 119


class SlotsScreen(SlotFormPart, SlotBookingPart, SlotScreenBase):
    """Free slots for the caller: search, look over, hold, confirm."""

    follows_changes = True

    # The form is one row where its five fields fit (slots.tcss: 119 columns), two below that.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (FORM_ONE_ROW, "-wide")]

    BINDINGS = [
        Binding(
            "ctrl+o",
            "toggle_overview",
            "Overview",
            id="slots.overview",
            tooltip="Free slots per day and location, or back to the list",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="slots.refresh",
            tooltip="Search again with the same form",
        ),
        Binding(
            "ctrl+f",
            "focus_service",
            "Service",
            id="slots.service",
            tooltip="Type another service",
        ),
        Binding(
            "ctrl+x",
            "stop_rescheduling",
            "Stop rescheduling",
            id="slots.stop_rescheduling",
            tooltip="Keep the booking as it is and search normally",
        ),
        Binding("escape", "back", "Back", show=False, id="slots.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.service: Service | None = None
        self.slots: list[Slot] = []  # the unfiltered list, as the server answered
        self.cell: Cell | None = None  # the overview cell the list is narrowed to
        # Changes the feed brought while a search was out: applied again to its answer.
        self._during_search: list[Change] | None = None
        self._last_query: SlotQuery | None = None
        self._overview_query: SlotQuery | None = None
        self._overview_slots: dict[int, Slot] = {}
        self._from_cache = False  # the list was served by the local cache (offline)
        self._for_call: tuple[int | None, int | None] = (None, None)  # (call, caller) shown for
        self._defaults = {}

    # -- layout ---------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        desk = self.desk
        self._defaults = self._default_range(desk.today())
        with Horizontal(id="slot-form"):
            with Vertical(id="service-field", classes="slot-field"):
                yield Label(_("Service"), classes="field-label")
                yield ServiceInput(
                    placeholder=_("e.g. ID card, passport, family doctor"),
                    suggester=ServiceSuggester(desk.services),
                    id="service",
                )
                yield OptionList(id="service-matches")
            with Vertical(id="region-field", classes="slot-field"):
                yield Label(_("Region"), classes="field-label")
                yield Select(
                    [(region, region) for region in desk.regions],
                    prompt=_("All regions"),
                    id="region",
                )
            with Vertical(id="location-field", classes="slot-field"):
                yield Label(_("Location"), classes="field-label")
                yield Select(self._location_options(), prompt=_("All locations"), id="location")
            with Vertical(classes="slot-field date-field"):
                yield Label(_("From"), classes="field-label")
                yield Input(self._defaults["from"], id="from")
            with Vertical(classes="slot-field date-field"):
                yield Label(_("To"), classes="field-label")
                yield Input(self._defaults["to"], id="to")
        yield Static("", id="reschedule-banner")
        yield Static("", id="slot-summary")
        with ContentSwitcher(initial="slot-table", id="slot-views"):
            yield SlotTable(id="slot-table", read_only=self.desk.read_only)
            yield SlotOverview(id="slot-overview")

    def on_mount(self) -> None:
        self._hint(_("Type the service the caller needs; the search starts when you choose it."))
        self.query_one("#service", Input).focus()

    def on_screen_resume(self) -> None:
        key = self._call_key()
        if key[0] != self._for_call[0] and (self.service is not None or self._last_query):
            # Another call (the next caller): a clean form, not the last caller's service.
            self.start_over()
        self._show_rescheduling()
        if self._call_key() != self._for_call and self._last_query is not None:
            # The same call's caller found since: the list is searched again, without what
            # was taken since (by this desk too).
            self._for_call = self._call_key()
            self._start_search(self._last_query, quiet=True)
        self.refresh_bindings()

    def start_over(self) -> None:
        """A clean form for another call: no service, region, location, results or last
        booking's line of the one before, the default dates from today, the focus in the
        service field."""
        self._for_call = self._call_key()
        self.workers.cancel_group(self, "slot-search")
        self.workers.cancel_group(self, "slot-overview")
        self.service = None
        self.slots = []
        self.cell = None
        self._last_query = None
        self._overview_query = None
        self._overview_slots = {}
        self._from_cache = False
        self._rescheduling = None  # a reschedule still under way chooses its service again
        self._hide_matches()
        service = self.query_one("#service", Input)
        self._defaults = self._default_range(self.desk.today())
        with self.prevent(Input.Changed, Select.Changed):
            service.value = ""
            self.query_one("#region", Select).clear()
            self._refill_locations()
            self.query_one("#location", Select).clear()
            for field_id, value in self._defaults.items():
                field = self.query_one(f"#{field_id}", Input)
                field.value = value
                field.remove_class("-invalid")
        self.query_one(ContentSwitcher).current = "slot-table"
        self.table.show([])
        self._hint(_("Type the service the caller needs; the search starts when you choose it."))
        service.focus()

    def back_online(self) -> None:
        """The central system answers again: a list the local cache served is asked again."""
        if self._from_cache and self._last_query is not None and self.is_mounted:
            self._start_search(self._last_query, quiet=True)

    def _call_key(self) -> tuple[int | None, int | None]:
        desk = self.desk
        return (desk.call.id if desk.call else None, desk.caller.id if desk.caller else None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_rescheduling":  # in the footer only while rescheduling
            return self.desk.rescheduling is not None
        return True

    # -- messages on the summary line -----------------------------------------------------

    def _show_results(self) -> None:
        """Say what the list (or the overview) shows."""
        service = self.service
        if service is None:
            return
        name = service_label(service)
        line = Text()
        if self.overview_shown:
            line.append(f"{name} — ", style="bold")
            line.append(
                _("free slots per day and location: {count} in all.").format(
                    count=self.overview.total
                )
            )
            back = _("Enter lists a cell; {key} goes back to the list.")
            line.append(
                " " + back.format(key=self.console.key_label("slots.overview")), style="dim"
            )
        elif self.cell is not None:
            where = self._overview_location_name(self.cell.location_id)
            day = format_day(self.cell.day) if self.cell.day else _("all days")
            line.append(f"{name} — {where}, {day}: ", style="bold")
            line.append(_("free slots: {count}.").format(count=self.table.row_count))
            line.append(" " + _("Escape shows them all."), style="dim")
        elif not self.slots:
            line.append(
                _("No free slots in this range — try a wider range or another region."),
                style="bold yellow",
            )
        else:
            first = when_text(self.slots[0])
            line.append(f"{name} — ", style="bold")
            if len(self.slots) >= LIST_LIMIT:
                line.append(
                    _("the first {count} free slots, from {when}.").format(
                        count=len(self.slots), when=first
                    )
                )
                line.append(" " + _("Ctrl+o counts them all."), style="dim")
            else:
                line.append(
                    _("free slots: {count}, from {when}.").format(count=len(self.slots), when=first)
                )
        if self._from_cache:  # first, so a long line cannot cut it off
            line = Text.assemble(
                (" " + _("from the local cache (offline)") + " ", "bold black on yellow"),
                " ",
                line,
            )
        if self.desk.read_only:
            line.append("  " + _("Read-only: supervisors cannot book"), style="bold red")
        self._summary(line)

    def _overview_location_name(self, location_id: int) -> str:
        location = self.desk.location(location_id)
        return location.name if location is not None else str(location_id)

    # -- searching ------------------------------------------------------------------------

    def _clear_results(self) -> None:
        """No results of another range under a message about this one."""
        self.workers.cancel_group(self, "slot-search")
        self.workers.cancel_group(self, "slot-overview")
        self.slots = []
        self.cell = None
        self._last_query = None
        self._overview_query = None
        self.table.show([])

    def _start_search(self, query: SlotQuery, *, quiet: bool = False, focus: bool = False) -> None:
        if query != self._last_query:
            self.cell = None
        self._last_query = query
        self.search(query, quiet=quiet, focus=focus)

    def _focus_results(self) -> None:
        (self.overview if self.overview_shown else self.table).focus()

    @work(exclusive=True, group="slot-search", exit_on_error=False)
    async def search(self, query: SlotQuery, *, quiet: bool = False, focus: bool = False) -> None:
        if not quiet:
            self._hint(_("Searching…"))
        meanwhile: list[Change] = []
        self._during_search = meanwhile
        try:
            found = await self.desk.find_slots(
                query.service_id,
                start=query.start,
                end=query.end,
                region=query.region,
                location_id=query.location_id,
                limit=LIST_LIMIT,
            )
        except BaseException:
            if self._during_search is meanwhile:
                self._during_search = None
            if not quiet:
                self._hint("")
            raise
        self.slots = found
        self._from_cache = self.desk.slots_from_cache
        self._for_call = self._call_key()
        if self.overview_shown or self.cell is not None:
            await self._load_overview(query, force=quiet)
        if self.cell is not None:
            self._show_cell(self.cell)
        else:
            self.table.show(found, keep_cursor=quiet)
        if self._during_search is meanwhile:
            self._during_search = None
        if meanwhile:  # the answer may predate them
            self.apply_changes(meanwhile, search_again=False)
        self._show_results()
        if focus:
            self._focus_results()

    async def _load_overview(self, query: SlotQuery, *, force: bool = False) -> None:
        if not force and query == self._overview_query:
            return
        days = query.days()
        found = await free_slots_by_day(self.desk, query, days)
        self._overview_query = query
        self._overview_slots = {slot.id: slot for slot in found}
        self.overview.show(days, found)
        for slot_id, how in self._taken_in_list().items():
            if how:
                self.overview.remove_slot(slot_id)

    def _taken_in_list(self) -> dict[int, str | None]:
        return {slot.id: self.table.taken(slot.id) for slot in self.table.slots}

    @work(exclusive=True, group="slot-overview", exit_on_error=False)
    async def load_overview(self) -> None:
        query = self._last_query
        if query is None:
            return
        if query != self._overview_query:
            self._summary(Text(_("Counting the free slots of every day…"), style="dim"))
        await self._load_overview(query)
        self._show_results()

    def action_toggle_overview(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        if self.overview_shown:
            switcher.current = "slot-table"
            self.table.focus()
            self._show_results()
            return
        if self.service is None or self._last_query is None:
            self._hint(_("Choose a service first."))
            self.query_one("#service", Input).focus()
            return
        switcher.current = "slot-overview"
        self.overview.focus()
        self.load_overview()

    @on(SlotOverview.CellChosen)
    def _cell_chosen(self, event: SlotOverview.CellChosen) -> None:
        self.cell = event.cell
        self.query_one(ContentSwitcher).current = "slot-table"
        self._show_cell(event.cell)
        self.table.focus()
        self._show_results()

    def _show_cell(self, cell: Cell) -> None:
        ids = self.overview.slot_ids(cell)
        chosen = [self._overview_slots[i] for i in ids if i in self._overview_slots]
        self.table.show(sorted(chosen, key=lambda slot: (slot.starts_at, slot.id)))

    def action_refresh(self) -> None:
        query = self._query()
        if query is not None:
            self._overview_query = None
            self._start_search(query, focus=False)
        elif self.service is None:
            self.query_one("#service", Input).focus()

    def action_back(self) -> None:
        focused = self.focused
        if focused is self._matches_list():
            self._hide_matches()
            self.query_one("#service", Input).focus()
        elif self.cell is not None:
            self.cell = None
            self.table.show(self.slots)
            self._show_results()
        elif self.overview_shown:
            self.action_toggle_overview()
        elif focused is not None and focused.id != "service":
            self.action_focus_service()
        else:
            self._hide_matches()

    # -- the change feed ------------------------------------------------------------------

    def changes_arrived(self, batch: ChangeBatch) -> None:
        """Strike through the slots other agents took meanwhile (and bring back the freed)."""
        if self._during_search is not None:
            self._during_search.extend(batch.changes)
        self.apply_changes(batch.changes)
        if batch.fell_behind and self._last_query is not None:
            self._start_search(self._last_query, quiet=True)

    def apply_changes(self, changes: list[Change], *, search_again: bool = True) -> None:
        mine = {self._holding, self.desk.hold.slot_id if self.desk.hold is not None else None}
        own_id = self.desk.agent.id if self.desk.agent is not None else None
        freed = False
        for change in changes:
            if change.entity != "slot":
                continue
            slot_id = change.entity_id
            if change.op in ("held", "booked"):
                if change.op == "held" and (slot_id in mine or change.agent_id == own_id):
                    continue  # our own hold, perhaps already let go: not taken by anyone
                self.mark_taken(slot_id, "held" if change.op == "held" else "booked")
            elif change.op == "released" and self.table.taken(slot_id) == "held":
                self.table.unmark(slot_id)
            elif change.op == "freed" and self.service is not None:
                freed |= change.data.get("service_id") == self.service.id
        if freed and search_again and self._last_query is not None:
            self._start_search(self._last_query, quiet=True)

    def mark_taken(self, slot_id: int, how: str) -> None:
        self.table.mark_taken(slot_id, how)
        if self.overview.remove_slot(slot_id) and self.overview_shown:
            self._show_results()
