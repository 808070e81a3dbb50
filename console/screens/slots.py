"""Slot search (F3): the earliest free slots for a service across locations, a day-by-location
overview, and holding and booking a slot for the caller (or moving a booking there).

The form on top (service with type-ahead, region, location, from, to) searches as soon as a
service is chosen and again whenever the form changes. The service field never rewrites what is
being typed: while typing, the matching services are listed (an exact code or name first);
one is chosen on Enter, from the list, or (an exact code or name) when the agent leaves the
field. From and To follow the desk's day until the agent types them. It follows the central
change feed (the desk's one poller), so slots other agents hold or book meanwhile are struck
through.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.suggester import Suggester
from textual.widgets import ContentSwitcher, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from console.client.api import ApiRefused
from console.client.feed import ChangeBatch
from console.domain.calendar import TZ, format_date, is_working_day
from console.domain.models import Booking, Change, Location, Service, Slot
from console.domain.text import fold
from console.i18n import _, language
from console.messages import BookingMade, DeskChanged
from console.screens.base import DeskScreen
from console.screens.booking_dialogs import BookedDialog, ClashDialog, HoldDialog, HoldOutcome
from console.screens.wording import refusal_text, service_label, taken_mark, when_text
from widgets.slot_overview import Cell, SlotOverview
from widgets.slot_table import SlotTable, format_day
from widgets.steady_input import SteadyInput

if TYPE_CHECKING:
    from console.desk import Desk

LIST_LIMIT = 200  # the list shows the earliest this many; the overview counts them all
PAGE = 500  # the API's largest page of slots
MAX_PAGES_PER_DAY = 10
MAX_RANGE_DAYS = 120
# The width the slot form needs on one row: service (26 at least), region (20), location (28),
# from and to (16 each), a column between fields and one on either side (slots.tcss).
FORM_ONE_ROW = 113
CATEGORY_KIND = {"administrative": "office", "health": "clinic"}

_SLOVENIAN_DATE = re.compile(r"^(\d{1,2})\s*\.\s*(\d{1,2})\s*\.?\s*(?:(\d{4})\s*\.?)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


# -- the form's pieces ------------------------------------------------------------------------


class DateError(ValueError):
    """A date field cannot be read; the message says how to write it."""


def parse_day(text: str, today: date) -> date:
    """A day as Slovenians write it: ``4. 3. 2030``, ``4.3.2030``, ``4. 3.`` (this year), or
    ISO ``2030-03-04``."""
    cleaned = text.strip()
    if not cleaned:
        raise DateError(_("Write the date as 4. 3. 2030"))
    if match := _ISO_DATE.match(cleaned):
        year, month, day = (int(part) for part in match.groups())
    elif match := _SLOVENIAN_DATE.match(cleaned):
        day, month = int(match.group(1)), int(match.group(2))
        year = int(match.group(3)) if match.group(3) else today.year
    else:
        raise DateError(_("Write the date as 4. 3. 2030"))
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(_("There is no such day: {text}").format(text=cleaned)) from None


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ)


def other_name(service: Service) -> str:
    return service.name_en if language() == "sl" else service.name


def match_services(services: list[Service], text: str) -> list[Service]:
    """Services for what was typed, best first: the name's or code's beginning, the beginnings
    of its words (``voz pod``), the same in the other language, then (from four letters) any
    part of the name. Any case, diacritics optional."""
    query = fold(text)
    if not query:
        return []
    words = query.split()
    ranked: list[tuple[int, str, Service]] = []
    for service in services:
        label = fold(service_label(service))
        code = service.code.lower()
        own_words = re.split(r"[\s,–-]+", label)
        other_words = re.split(r"[\s,–-]+", fold(other_name(service)))
        if label.startswith(query) or code.startswith(query):
            rank = 0
        elif all(any(part.startswith(word) for part in own_words) for word in words):
            rank = 1
        elif all(any(part.startswith(word) for part in other_words) for word in words):
            rank = 2
        elif len(query) >= 4 and query in label:  # inside a word: "zdravnik" in "zobozdravnik"
            rank = 3
        else:
            continue
        ranked.append((rank, label, service))
    return [service for _rank, _label, service in sorted(ranked, key=lambda r: r[:2])]


def services_for(services: list[Service], text: str) -> list[Service]:
    """What the list under the service field offers for ``text``: the service whose code or
    name it is exactly first (``health-den`` is a code, and the beginning of another), then
    the rest of :func:`match_services`."""
    exact = exact_service(services, text)
    found = match_services(services, text)
    if exact is None:
        return found
    return [exact, *(service for service in found if service is not exact)]


def exact_service(services: list[Service], text: str) -> Service | None:
    """The service whose name (either language) or code is exactly what was typed."""
    query = fold(text)
    if not query:
        return None
    for service in services:
        if query in (fold(service.name), fold(service.name_en), service.code.lower()):
            return service
    return None


class ServiceSuggester(Suggester):
    """Completes the service name in the UI language (or a code) inline, as it is typed."""

    def __init__(self, services: list[Service]) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self.names = [service_label(s) for s in services] + [s.code for s in services]

    async def get_suggestion(self, value: str) -> str | None:
        typed = fold(value)
        if not typed:
            return None
        return next((name for name in self.names if fold(name).startswith(typed)), None)


class ServiceInput(SteadyInput):
    """The service field: down arrow moves into the list of matching services."""

    BINDINGS = [Binding("down", "screen.service_list", show=False, id="slots.service_list")]


@dataclass(frozen=True)
class SlotQuery:
    service_id: int
    first_day: date
    last_day: date  # inclusive
    region: str | None
    location_id: int | None

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last_day + timedelta(days=1))

    def days(self) -> list[date]:
        """The working days of the range: the overview's columns."""
        count = (self.last_day - self.first_day).days + 1
        every = (self.first_day + timedelta(days=n) for n in range(count))
        return [day for day in every if is_working_day(day)]


# -- the screen -------------------------------------------------------------------------------


class SlotsScreen(DeskScreen):
    """Free slots for the caller: search, look over, hold, confirm."""

    follows_changes = True

    # The form is one row where its five fields fit (slots.tcss: 113 columns), two below that.
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
        # Notes typed in a hold dialog that did not end in a booking, and for which caller:
        # offered again in the next hold dialog for the same caller, never for another one.
        self._notes: tuple[int | None, str] = (None, "")
        self._rescheduling: str | None = None  # the reference the banner was last set up for
        self._holding: int | None = None
        self._into_matches = False  # down was pressed in the service field: the list has focus
        self._from_cache = False  # the list was served by the local cache (offline)
        self._for_call: tuple[int | None, int | None] = (None, None)  # (call, caller) shown for
        # What the From and To fields were given (not typed): they follow the desk's day.
        self._defaults: dict[str, str] = {}

    # -- layout ---------------------------------------------------------------------------

    def _default_range(self, today: date) -> dict[str, str]:
        """The From and To the form offers on ``today``: today and ``[ui] slot_days`` on."""
        last = today + timedelta(days=self.console.config.ui.slot_days)
        return {"from": format_date(today), "to": format_date(last)}

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

    @property
    def table(self) -> SlotTable:
        return self.query_one(SlotTable)

    @property
    def overview(self) -> SlotOverview:
        return self.query_one(SlotOverview)

    @property
    def overview_shown(self) -> bool:
        return self.query_one(ContentSwitcher).current == "slot-overview"

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

    def day_changed(self, before: date, today: date) -> None:
        """A new day: From and To move on with it unless the agent typed them (then they stay
        as typed); a search shown for the old range runs again for the new one."""
        offered = self._default_range(today)
        for field_id, value in offered.items():
            field = self.query_one(f"#{field_id}", Input)
            if field.value == self._defaults.get(field_id):
                field.value = value  # (Input.Changed searches again, if the range changed)
        self._defaults = offered

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop_rescheduling":  # in the footer only while rescheduling
            return self.desk.rescheduling is not None
        return True

    # -- messages on the summary line -----------------------------------------------------

    def _summary(self, text: Text | str) -> None:
        self.query_one("#slot-summary", Static).update(text)

    def _hint(self, text: str) -> None:
        self._summary(Text(text, style="dim"))

    def _error(self, text: str) -> None:
        self._summary(Text(text, style="bold red"))

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

    # -- the form -------------------------------------------------------------------------

    def _location_options(self, region: str | None = None) -> list[tuple[str, int]]:
        kind = CATEGORY_KIND.get(self.service.category) if self.service else None
        chosen: list[Location] = [
            location
            for location in self.desk.locations
            if (region is None or location.region == region)
            and (kind is None or location.kind == kind)
        ]
        return [
            (location.name, location.id) for location in sorted(chosen, key=lambda loc: loc.name)
        ]

    def _refill_locations(self) -> None:
        region = self._select_value("region")
        select = self.query_one("#location", Select)
        current = select.value
        options = self._location_options(region)
        select.set_options(options)
        if any(value == current for _label, value in options):
            select.value = current

    def _select_value(self, select_id: str) -> Any:
        value = self.query_one(f"#{select_id}", Select).value
        return None if value == Select.NULL else value

    def _query(self) -> SlotQuery | None:
        """The search the form asks for, or None (with the reason shown) if it cannot run."""
        if self.service is None:
            return None
        today = self.desk.today()
        days: list[date] = []
        for field_id in ("from", "to"):
            field = self.query_one(f"#{field_id}", Input)
            try:
                days.append(parse_day(field.value, today))
                field.remove_class("-invalid")
            except DateError as error:
                field.add_class("-invalid")
                self._error(str(error))
                return None
        first, last = days
        if first < today:
            # Free slots are never in the past: say so, rather than search from today quietly
            # (or say "at most 120 days" of a range that starts years ago).
            self.query_one("#from", Input).add_class("-invalid")
            self._clear_results()
            self._error(
                _("The range starts in the past ({day}): free slots start today, {today}.").format(
                    day=format_day(first), today=format_day(today)
                )
            )
            return None
        if last < first:
            self.query_one("#to", Input).add_class("-invalid")
            self._error(_("The range ends before it starts."))
            return None
        if (last - first).days > MAX_RANGE_DAYS:
            self.query_one("#to", Input).add_class("-invalid")
            self._error(_("Choose at most {days} days.").format(days=MAX_RANGE_DAYS))
            return None
        return SlotQuery(
            service_id=self.service.id,
            first_day=first,
            last_day=last,
            region=self._select_value("region"),
            location_id=self._select_value("location"),
        )

    def _clear_results(self) -> None:
        """No results of another range under a message about this one."""
        self.workers.cancel_group(self, "slot-search")
        self.workers.cancel_group(self, "slot-overview")
        self.slots = []
        self.cell = None
        self._last_query = None
        self._overview_query = None
        self.table.show([])

    def _search_if_changed(self, *, focus: bool = False) -> None:
        query = self._query()
        if query is not None and query != self._last_query:
            self._start_search(query, focus=focus)

    def _start_search(self, query: SlotQuery, *, quiet: bool = False, focus: bool = False) -> None:
        if query != self._last_query:
            self.cell = None
        self._last_query = query
        self.search(query, quiet=quiet, focus=focus)

    # service: type-ahead, the list of matches, choosing

    def _matches_list(self) -> OptionList:
        return self.query_one("#service-matches", OptionList)

    def _show_matches(self, services: list[Service]) -> None:
        matches = self._matches_list()
        matches.clear_options()
        for service in services[:12]:
            label = Text(service_label(service))
            label.append(f"  {service.code}", style="dim")
            matches.add_option(Option(label, id=str(service.id)))
        matches.set_class(bool(services), "-visible")
        self._into_matches = False
        if services:
            matches.highlighted = 0

    def _hide_matches(self) -> None:
        self._matches_list().remove_class("-visible")
        self._into_matches = False

    @on(Input.Changed, "#service")
    def _service_typed(self, event: Input.Changed) -> None:
        """Typing lists the matching services, an exact code or name first; nothing is chosen
        (and the text is never replaced) until Enter or leaving the field."""
        if event.input.has_focus:  # (not when choose_service wrote the chosen name)
            self._show_matches(services_for(self.desk.services, event.value))

    @on(Input.Submitted, "#service")
    def _service_entered(self, event: Input.Submitted) -> None:
        event.stop()
        matches = self._matches_list()
        if self._into_matches and matches.highlighted is not None:
            # Down, then enter, typed faster than the focus moved: take the highlighted one.
            option = matches.get_option_at_index(matches.highlighted)
            service = self.desk.service(int(option.id or 0))
            if service is not None:
                self.choose_service(service, focus=True)
                return
        found = services_for(self.desk.services, event.value)
        if not found:
            self._error(_("No service matches “{text}”.").format(text=event.value.strip()))
            return
        self.choose_service(found[0], focus=True)

    @on(OptionList.OptionSelected, "#service-matches")
    def _service_picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        service = self.desk.service(int(event.option.id or 0))
        if service is not None:
            self.choose_service(service, focus=True)

    def action_service_list(self) -> None:
        """Down from the service field: into the list of matches (further downs move on, even
        those that arrive before the focus has moved)."""
        matches = self._matches_list()
        if not (matches.has_class("-visible") and matches.option_count):
            return
        if self._into_matches:
            matches.action_cursor_down()
        self._into_matches = True
        matches.focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if getattr(event.widget, "id", None) not in ("service", "service-matches"):
            self._hide_matches()
            self._left_service_field()

    def _left_service_field(self) -> None:
        """The agent left the service field: an exact code or name typed there is chosen
        (anything else waits for Enter or the list)."""
        exact = exact_service(self.desk.services, self.query_one("#service", Input).value)
        if exact is not None and exact is not self.service:
            self.choose_service(exact)

    def choose_service(self, service: Service, *, focus: bool = False, force: bool = False) -> None:
        """Search for ``service`` (the form's other fields stay as they are)."""
        changed = service is not self.service
        self.service = service
        field = self.query_one("#service", Input)
        if fold(field.value) != fold(service_label(service)):
            field.value = service_label(service)
        if focus:  # on to the results (before the list of matches hides, or it would refocus
            # the field), with the start of the name in view
            self._focus_results()
            self.call_after_refresh(setattr, field, "cursor_position", 0)
        self._hide_matches()
        if changed:
            self._refill_locations()
            self._overview_query = None
        query = self._query()
        if query is None:
            return
        if changed or force or query != self._last_query:
            self._start_search(query, focus=focus)
        elif focus:
            self._focus_results()

    @on(Select.Changed, "#region")
    def _region_changed(self) -> None:
        self._refill_locations()
        self._search_if_changed()

    @on(Select.Changed, "#location")
    def _location_changed(self) -> None:
        self._search_if_changed()

    @on(Input.Changed, "#from")
    @on(Input.Changed, "#to")
    def _dates_typed(self) -> None:
        self._search_if_changed()

    @on(Input.Submitted, "#from")
    @on(Input.Submitted, "#to")
    def _dates_entered(self, event: Input.Submitted) -> None:
        """Enter in a date field searches (again) and the focus stays in the field: a second
        enter must not reach the results and hold a slot."""
        event.stop()
        query = self._query()
        if query is not None:
            self._overview_query = None
            self._start_search(query, focus=False)

    def _focus_results(self) -> None:
        (self.overview if self.overview_shown else self.table).focus()

    # -- searching ------------------------------------------------------------------------

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

    def action_focus_service(self) -> None:
        field = self.query_one("#service", Input)
        field.focus()
        field.select_all()

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

    # -- holding and booking --------------------------------------------------------------

    @on(SlotTable.Chosen)
    def _slot_chosen(self, event: SlotTable.Chosen) -> None:
        desk = self.desk
        if desk.read_only:
            self.notify(_("Read-only: supervisors cannot book"), severity="warning")
            return
        if event.taken:
            self._error(_("This slot was taken meanwhile; pick another."))
            return
        if desk.caller is None and desk.rescheduling is None:
            message = _("Find the caller first ({key})").format(
                key=self.console.key_label("lookup")
            )
            self.notify(message, severity="warning")
            self._error(message)
            return
        self.hold_slot(event.slot)

    @work(exclusive=True, group="slot-hold", exit_on_error=False)
    async def hold_slot(self, slot: Slot, *, told: bool = False, overlap: bool = False) -> None:
        """Hold ``slot``; first (unless ``told``) the agent is told the caller's bookings of
        this service or at this time, and booking anyway is an explicit answer (the dialog
        then holds again, ``told``; ``overlap``: the override goes with the booking)."""
        if not told:
            found = await self.desk.clashes_for(slot)
            if found:

                def answered(anyway: bool | None) -> None:
                    if anyway:
                        self.hold_slot(slot, told=True, overlap=bool(found.overlapping))

                self.app.push_screen(ClashDialog(slot, found), answered)
                return
        self._holding = slot.id  # the feed's "held" for it is ours, even before the answer
        try:
            await self.desk.hold_slot(slot.id, allow_overlap=overlap)
        except ApiRefused as error:
            if error.status != 409:
                raise
            self.mark_taken(slot.id, taken_mark(error))
            self._error(refusal_text(error))
            return
        finally:
            self._holding = None
        self.post_message(DeskChanged())
        self.refresh_status()  # now: the app redraws only the current screen's, the dialog's
        dialog = HoldDialog(
            slot,
            live=self.console.config.ui.timers,
            notes=self._notes[1] if self._notes[0] == self._caller_id() else "",
            on_taken=self.mark_taken,
        )
        await self.app.push_screen(dialog, self._hold_closed)

    def _hold_closed(self, outcome: HoldOutcome | None) -> None:
        if outcome is None or outcome.booking is None:
            if outcome is not None:
                self._notes = (self._caller_id(), outcome.notes)
                if outcome.taken:
                    self._error(outcome.taken)
            self.release_hold()
            return
        self._booked(outcome.booking, notified=outcome.notify)

    def _caller_id(self) -> int | None:
        return self.desk.caller.id if self.desk.caller is not None else None

    @work(group="slot-release", exit_on_error=False)
    async def release_hold(self) -> None:
        await self.desk.release_hold()
        self.post_message(DeskChanged())
        self.refresh_status()

    def _booked(self, booking: Booking, *, notified: bool = True) -> None:
        self._notes = (None, "")
        self.mark_taken(booking.slot.id, "booked")
        self._show_rescheduling()
        self.refresh_bindings()
        self.post_message(BookingMade(booking))
        self.post_message(DeskChanged())
        self.refresh_status()
        self.app.push_screen(BookedDialog(booking, notified=notified))
        provisional = getattr(booking, "provisional", False)
        done = (
            _("Provisionally booked {reference} (to be confirmed): {when}, {location}.")
            if provisional
            else _("Booked {reference}: {when}, {location}.")
        )
        self._summary(
            Text(
                done.format(
                    reference=booking.reference_display,
                    when=when_text(booking.slot),
                    location=booking.location.name,
                ),
                style="bold yellow" if provisional else "bold green",
            )
        )

    # -- rescheduling ---------------------------------------------------------------------

    def _show_rescheduling(self) -> None:
        """The banner, and the booking's service preselected, when a reschedule begins."""
        booking = self.desk.rescheduling
        banner = self.query_one("#reschedule-banner", Static)
        banner.set_class(booking is not None, "-visible")
        reference = booking.reference if booking is not None else None
        if booking is not None:
            text = Text(
                _("Rescheduling {reference} ({when}, {service}) — pick the new slot").format(
                    reference=booking.reference_display,
                    when=when_text(booking.slot),
                    service=service_label(booking.service),
                ),
                style="bold",
            )
            text.append("   " + _("ctrl+x: stop rescheduling"), style="dim")
            banner.update(text)
        else:
            banner.update("")
        if reference != self._rescheduling:
            self._rescheduling = reference
            if booking is not None:
                service = self.desk.service(booking.service.id) or booking.service
                self.choose_service(service, focus=True, force=True)

    def action_stop_rescheduling(self) -> None:
        if self.desk.rescheduling is None:
            return
        self.desk.stop_reschedule()
        self._show_rescheduling()
        self.refresh_bindings()
        self.post_message(DeskChanged())
        self._hint(_("Rescheduling stopped; the booking stays as it was."))


async def free_slots_by_day(desk: Desk, query: SlotQuery, days: list[date]) -> list[Slot]:
    """Every free slot of ``days`` (not just the earliest page): one request per day, a few
    at a time, following on with further pages where a day has more than one page."""
    gate = asyncio.Semaphore(4)

    async def one_day(day: date) -> list[Slot]:
        end = local_midnight(day + timedelta(days=1))
        cursor = max(local_midnight(day), query.start)
        found: dict[int, Slot] = {}
        for _page in range(MAX_PAGES_PER_DAY):
            async with gate:
                page = await desk.find_slots(
                    query.service_id,
                    start=cursor,
                    end=min(end, query.end),
                    region=query.region,
                    location_id=query.location_id,
                    limit=PAGE,
                )
            new = [slot for slot in page if slot.id not in found]
            found.update((slot.id, slot) for slot in new)
            if len(page) < PAGE or not new:
                break
            cursor = page[-1].starts_at
        return list(found.values())

    per_day = await asyncio.gather(*(one_day(day) for day in days))
    return sorted((slot for day in per_day for slot in day), key=lambda s: (s.starts_at, s.id))
