"""The slot search's form: service (with type-ahead and a list of matches), region, location,
from and to; it searches as soon as a service is chosen and again whenever the form changes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rich.text import Text
from textual import events, on
from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input, OptionList, Select
from textual.widgets.option_list import Option

from console.domain.calendar import format_date
from console.domain.models import Location, Service
from console.domain.text import fold
from console.i18n import _
from console.screens.slot_base import SlotScreenBase
from console.screens.slot_query import (
    MAX_RANGE_DAYS,
    DateError,
    SlotQuery,
    exact_service,
    parse_day,
    services_for,
)
from console.screens.wording import service_label
from widgets.slot_table import format_day
from widgets.steady_input import SteadyInput

CATEGORY_KIND = {"administrative": "office", "health": "clinic"}


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


class SlotFormPart(SlotScreenBase):
    """The form's fields, what they ask for, and choosing the service."""

    _into_matches = False  # down was pressed in the service field: the list has focus

    # What the From and To fields were given (not typed): they follow the desk's day.
    _defaults: dict[str, str]

    def _default_range(self, today: date) -> dict[str, str]:
        """The From and To the form offers on ``today``: today and ``[ui] slot_days`` on."""
        last = today + timedelta(days=self.console.config.ui.slot_days)
        return {"from": format_date(today), "to": format_date(last)}

    def day_changed(self, before: date, today: date) -> None:
        """A new day: From and To move on with it unless the agent typed them (then they stay
        as typed); a search shown for the old range runs again for the new one."""
        offered = self._default_range(today)
        for field_id, value in offered.items():
            field = self.query_one(f"#{field_id}", Input)
            if field.value == self._defaults.get(field_id):
                field.value = value  # (Input.Changed searches again, if the range changed)
        self._defaults = offered

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

    def _search_if_changed(self, *, focus: bool = False) -> None:
        query = self._query()
        if query is not None and query != self._last_query:
            self._start_search(query, focus=focus)

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

    # region, location, from and to

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

    def action_focus_service(self) -> None:
        field = self.query_one("#service", Input)
        field.focus()
        field.select_all()
