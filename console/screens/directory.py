"""The doctor directory (F7): who accepts new patients, according to whom, as of when.

A search box (doctor or institution name, any case, diacritics optional) and filters on top:
type, municipality and region (type-ahead from the directory's own lists), and accepting only
(ctrl+t). Results come as the agent types: each change starts a search worker (``exclusive``,
so a newer keystroke cancels the older request) that waits ``[ui] search_delay_ms`` first for
typed text, and an answer is shown only if the form still asks for it (a stale answer is
dropped). Moving past the last row fetches the next page.

Each row says whether the doctor accepts new patients, which source says so, as of when and how
long ago (highlighted past ``[directory] stale_after_days``), and plainly where sources
disagree. From a row: enter shows the details, ``p`` reports that the data is wrong (``p``,
enter is a whole report), ``n`` notes that the caller was referred there. Supervisors read
only. It follows the central change feed (the desk's one poller), so a report another agent
makes shows on its row within the sync interval.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace
from datetime import date

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.suggester import Suggester
from textual.widgets import Checkbox, DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from console.client.feed import ChangeBatch
from console.domain.models import (
    Change,
    DirectoryAreas,
    DirectoryEntry,
    DirectoryPage,
    DoctorType,
    ProviderReport,
)
from console.domain.query import MIN_QUERY_LENGTH
from console.domain.text import fold
from console.i18n import _
from console.screens.base import DeskScreen
from console.screens.directory_actions import open_report_dialog, refer, report_sent
from widgets.directory_table import DirectoryTable
from widgets.directory_text import plural, type_label
from widgets.steady_input import SteadyInput

ACCEPTING_KEY = "ctrl+t"
REFRESH_OPS = frozenset({"added", "removed"})  # a doctor comes or goes: search again


# -- the form's pieces ------------------------------------------------------------------------


def match_area(names: list[str], text: str) -> str | None:
    """The municipality or region meant by what was typed: the one it names exactly, else the
    first that begins with it, else the first whose words begin with its words (``nova gor``).
    Any case, diacritics optional."""
    typed = fold(text)
    if not typed:
        return None
    folded = [(fold(name), name) for name in names]
    for key, name in folded:
        if key == typed:
            return name
    for key, name in folded:
        if key.startswith(typed):
            return name
    words = typed.split()
    for key, name in folded:
        parts = key.replace("-", " ").split()
        if all(any(part.startswith(word) for part in parts) for word in words):
            return name
    return None


class AreaSuggester(Suggester):
    """Completes a municipality or region inline as it is typed (diacritics optional)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self.names: list[str] = []

    async def get_suggestion(self, value: str) -> str | None:
        typed = fold(value)
        if not typed:
            return None
        return next((name for name in self.names if fold(name).startswith(typed)), None)


# The width the directory's form needs on one row: the search (22 at least), type (30),
# municipality (21), region (15), "accepting only" (25 with its Slovenian label), a column
# between fields and one on either side (directory.tcss).
FORM_ONE_ROW = 120


class AreaInput(SteadyInput):
    """A municipality or region field: leaving it completes the name typed."""

    def __init__(self, *, placeholder: str, id: str) -> None:
        self.suggester_names = AreaSuggester()
        super().__init__(placeholder=placeholder, id=id, suggester=self.suggester_names)

    def set_names(self, names: list[str]) -> None:
        self.suggester_names.names = names

    def complete(self) -> None:
        """Write out the name the text stands for (``domž`` → ``Domžale``)."""
        name = match_area(self.suggester_names.names, self.value)
        if name is not None and name != self.value:
            self.value = name

    def on_blur(self) -> None:
        self.complete()


@dataclass(frozen=True)
class DirectoryQuery:
    """What the form asks for."""

    q: str = ""
    type: DoctorType | None = None
    municipality: str | None = None
    region: str | None = None
    accepting: bool = False


@dataclass(frozen=True)
class Counts:
    """How many doctors match the filters, and how many of them accept new patients."""

    doctors: int
    accepting: int


def count_line(counts: Counts | None, listed: int, shown: int) -> str:
    """``42 zdravnikov, 7 sprejema`` (and how many are shown, when the list has more)."""
    if counts is None:
        line = plural(_("{count} doctor|{count} doctors"), listed)
    else:
        line = ", ".join(
            (
                plural(_("{count} doctor|{count} doctors"), counts.doctors),
                plural(_("{count} accepts|{count} accept"), counts.accepting),
            )
        )
    if shown < listed:
        line += " · " + _("first {shown} shown: move past the last row for more").format(
            shown=shown
        )
    return line


# -- the screen -------------------------------------------------------------------------------


class DirectoryScreen(DeskScreen):
    """Find a doctor who accepts new patients; see how fresh that is; report what is wrong."""

    follows_changes = True

    # The form is one row where its five fields fit (directory.tcss: 118 columns), two below.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (FORM_ONE_ROW, "-wide")]

    BINDINGS = [
        Binding(
            ACCEPTING_KEY,
            "toggle_accepting",
            "Accepting",
            id="directory.accepting",
            tooltip="Show only doctors who accept new patients, or everyone again",
        ),
        Binding(
            "ctrl+f",
            "focus_search",
            "Search",
            id="directory.search",
            tooltip="Back to the search box",
        ),
        Binding("escape", "back", "Back", id="directory.back", show=False),
        Binding("down", "to_results", show=False, id="directory.to_results"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.areas = DirectoryAreas(regions=[], municipalities=[])
        self.page: DirectoryPage | None = None
        self.shown_query: DirectoryQuery | None = None
        self.counts: Counts | None = None
        # Changes the feed brought while a search was out: applied again to its answer.
        self._during_search: list[Change] | None = None
        self.from_cache = False
        self._loading_more = False
        self._keys_state: tuple | None = None
        # The counts per search (accepting only or not: the same counts), since accepting only
        # on and off again is common; forgotten when reports or lists change.
        self._counts: dict[DirectoryQuery, Counts] = {}

    # -- layout ---------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="directory-form"):
            with Vertical(id="directory-q-field", classes="directory-field"):
                yield Label(_("Doctor or institution"), classes="field-label")
                yield SteadyInput(
                    placeholder=_("e.g. novak"),
                    id="directory-q",
                    max_length=100,
                    select_on_focus=False,  # typing on the results goes on at the end
                )
            with Vertical(id="directory-type-field", classes="directory-field"):
                yield Label(_("Type"), classes="field-label")
                yield Select(
                    [(type_label(kind), kind.value) for kind in DoctorType],
                    prompt=_("All types"),
                    id="directory-type",
                )
            with Vertical(id="directory-municipality-field", classes="directory-field"):
                yield Label(_("Municipality"), classes="field-label")
                yield AreaInput(placeholder=_("Any municipality"), id="directory-municipality")
            with Vertical(id="directory-region-field", classes="directory-field"):
                yield Label(_("Region"), classes="field-label")
                yield AreaInput(placeholder=_("All regions"), id="directory-region")
            with Vertical(id="directory-accepting-field", classes="directory-field"):
                yield Label(" ", classes="field-label")
                yield Checkbox(_("Accepting only"), id="directory-accepting")
        with Horizontal(id="directory-info"):
            yield Static("", id="directory-summary")
            yield Static("", id="directory-referral")
        yield DirectoryTable(id="directory-table")

    @property
    def table(self) -> DirectoryTable:
        return self.query_one(DirectoryTable)

    @property
    def search_box(self) -> Input:
        return self.query_one("#directory-q", Input)

    def on_mount(self) -> None:
        config = self.console.config
        table = self.table
        table.clock = self.desk.clock
        table.today = self.desk.today()
        table.stale_after_days = config.directory.stale_after_days
        self._hint(_("Searching…"))
        self.search_box.focus()
        self.load_areas()
        self.search(self.form_query(), immediate=True)

    def day_changed(self, before: date, today: date) -> None:
        """A new day: every row's age ("N days ago") and staleness is counted from it."""
        self.table.today = today
        self.table.show(self.table.entries, keep_cursor=True)

    def on_screen_resume(self) -> None:
        self._show_referral()
        self._refresh_keys()  # a call may have started or ended meanwhile (the n key)

    # -- the summary line -----------------------------------------------------------------

    def _summary(self, text: Text | str) -> None:
        self.query_one("#directory-summary", Static).update(text)

    def _hint(self, text: str) -> None:
        self._summary(Text(text, style="dim"))

    def _error(self, text: str) -> None:
        self._summary(Text(text, style="bold red"))

    def _show_count(self) -> None:
        page = self.page
        if page is None:
            return
        line = Text()
        if self.from_cache:
            line.append(" " + _("from the local cache (offline)") + " ", "bold black on yellow")
            line.append(" ")
        counts = self.counts
        if page.entries:
            line.append(count_line(counts, page.total, self.table.row_count), "bold")
        elif counts is not None and counts.doctors:  # accepting only, and nobody accepts
            line.append(plural(_("{count} doctor|{count} doctors"), counts.doctors), "bold")
            line.append(
                ", " + _("none accepts new patients: widen the search, e.g. to the region."),
                style="bold yellow",
            )
        else:
            line.append(_("No doctor matches: widen the filters."), style="bold yellow")
        if self.areas.generated:  # the demo without the insurer's lists
            line.append("  " + _("generated demo clinics, no ZZZS lists"), "italic")
        if self.desk.read_only:
            line.append("  " + _("Read-only: supervisors cannot report"), style="bold red")
        self._summary(line)

    def _show_referral(self) -> None:
        referral = self.desk.referral
        text = Text()
        if referral is not None:
            text.append(_("Referred to:") + " ", style="bold cyan")
            text.append(f"{referral.name} ({referral.institution})")
        with contextlib.suppress(NoMatches):
            self.query_one("#directory-referral", Static).update(text)
        table = self.table
        referred = referral.provider_id if referral is not None else None
        if table.referred != referred:
            before, table.referred = table.referred, referred
            for provider_id in (before, referred):
                entry = table.entry(provider_id) if provider_id is not None else None
                if entry is not None:
                    table.update_entry(entry)

    # -- the form -------------------------------------------------------------------------

    @work(exclusive=True, group="directory-areas", exit_on_error=False)
    async def load_areas(self) -> None:
        self.areas = await self.desk.directory_areas()
        self.query_one("#directory-municipality", AreaInput).set_names(self.areas.municipalities)
        self.query_one("#directory-region", AreaInput).set_names(self.areas.regions)
        self._show_count()
        typed = any(
            self.query_one(f"#{field}", AreaInput).value.strip()
            for field in ("directory-municipality", "directory-region")
        )
        if typed and self.shown_query != self.form_query():  # typed before the lists came
            self.search(self.form_query(), immediate=True)

    def form_query(self) -> DirectoryQuery:
        """What the form asks for; a municipality or region that matches none is left out
        (the field is marked)."""
        kind = self.query_one("#directory-type", Select).value
        text = self.search_box.value.strip()
        return DirectoryQuery(
            q=text if len(text) >= MIN_QUERY_LENGTH else "",
            type=DoctorType(kind) if isinstance(kind, str) else None,  # not Select.NULL
            municipality=self._area("directory-municipality", self.areas.municipalities),
            region=self._area("directory-region", self.areas.regions),
            accepting=self.query_one("#directory-accepting", Checkbox).value,
        )

    def _area(self, field_id: str, names: list[str]) -> str | None:
        field = self.query_one(f"#{field_id}", AreaInput)
        text = field.value.strip()
        if not text or not names:
            field.remove_class("-invalid")
            return None
        name = match_area(names, text)
        field.set_class(name is None, "-invalid")
        return name

    @on(Input.Changed, "#directory-q")
    @on(Input.Changed, "#directory-municipality")
    @on(Input.Changed, "#directory-region")
    def _typed(self, event: Input.Changed) -> None:
        self._refresh_keys()
        query = self.form_query()
        if event.input.has_class("-invalid"):
            what = _("municipality") if event.input.id == "directory-municipality" else _("region")
            self._error(_("No {what} begins with “{text}”.").format(what=what, text=event.value))
            return
        if query != self.shown_query:
            self.search(query)

    @on(Select.Changed, "#directory-type")
    @on(Checkbox.Changed, "#directory-accepting")
    def _chosen(self) -> None:
        query = self.form_query()
        if query != self.shown_query:
            self.search(query, immediate=True)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if isinstance(event.input, AreaInput):
            event.input.complete()
        self.action_to_results(force=True)

    def action_toggle_accepting(self) -> None:
        box = self.query_one("#directory-accepting", Checkbox)
        box.value = not box.value

    def action_focus_search(self) -> None:
        self.search_box.focus()

    def action_back(self) -> None:
        if self.focused is self.table:
            self.search_box.focus()
        elif self.focused is self.search_box and self.search_box.value:
            self.search_box.value = ""
        else:
            self.search_box.focus()

    def action_to_results(self, force: bool = False) -> None:
        focused = self.focused
        if (force or isinstance(focused, Input)) and self.table.row_count:
            self.table.focus()

    # -- searching ------------------------------------------------------------------------

    @work(exclusive=True, group="directory-search", exit_on_error=False)
    async def search(self, query: DirectoryQuery, immediate: bool = False) -> None:
        delay = self.console.config.ui.search_delay_ms
        if delay and not immediate:
            await asyncio.sleep(delay / 1000)  # a newer keystroke cancels this worker here
        meanwhile: list[Change] = []
        self._during_search = meanwhile
        try:
            page, counts = await asyncio.gather(self._page(query), self._counted(query))
        finally:
            if self._during_search is meanwhile:
                self._during_search = None
        self.show_page(query, page, counts)
        if meanwhile:  # the answer may predate them
            await self.apply_changes(meanwhile)

    @staticmethod
    def _filters(query: DirectoryQuery) -> dict:
        return {
            "q": query.q,
            "type": query.type,
            "municipality": query.municipality,
            "region": query.region,
        }

    async def _page(self, query: DirectoryQuery, offset: int = 0) -> DirectoryPage:
        return await self.desk.directory(
            **self._filters(query),
            accepting=query.accepting,
            limit=self.console.config.directory.page_size,
            offset=offset,
        )

    async def _counted(self, query: DirectoryQuery) -> Counts:
        """How many match and how many accept: two one-row requests, at the same time as the
        page, remembered for the filters."""
        base = replace(query, accepting=False)
        known = self._counts.get(base)
        if known is not None:
            return known
        filters = self._filters(query)
        everyone, accepting = await asyncio.gather(
            self.desk.directory(**filters, limit=1),
            self.desk.directory(**filters, accepting=True, limit=1),
        )
        counts = Counts(doctors=everyone.total, accepting=accepting.total)
        self._counts[base] = counts
        return counts

    def show_page(self, query: DirectoryQuery, page: DirectoryPage, counts: Counts) -> bool:
        """Show an answer if the form still asks for it; False if it is stale."""
        if query != self.form_query():
            return False
        keep = query == self.shown_query
        self.shown_query = query
        self.page = page
        self.counts = counts
        self.from_cache = bool(getattr(page, "from_cache", False))
        self.table.today = self.desk.today()
        self.table.show(page.entries, keep_cursor=keep)
        self._show_count()
        self._refresh_keys()
        return True

    @work(exclusive=True, group="directory-counts", exit_on_error=False)
    async def recount(self) -> None:
        """Count again (a report or a list changed who accepts); the rows stay as they are."""
        query = self.shown_query
        self._counts.clear()
        if query is None:
            return
        counts = await self._counted(query)
        if query == self.shown_query:
            self.counts = counts
            self._show_count()

    @on(DirectoryTable.EndReached)
    def _end_reached(self) -> None:
        page, query = self.page, self.shown_query
        if page is None or query is None or self._loading_more:
            return
        if self.table.row_count < page.total:
            self._loading_more = True
            self._hint(_("Fetching more…"))
            self.load_more(query, self.table.row_count)

    @work(exclusive=True, group="directory-more", exit_on_error=False)
    async def load_more(self, query: DirectoryQuery, offset: int) -> None:
        try:
            page = await self._page(query, offset)
        finally:
            self._loading_more = False
        if query != self.shown_query or self.page is None:
            return
        self.table.show(page.entries, append=True)
        self.page = DirectoryPage(
            entries=self.page.entries + page.entries, total=page.total, more=page.more
        )
        self._show_count()

    @on(Worker.StateChanged)
    def _search_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group == "directory-search":
            self._error(_("The search failed; change the form to try again."))
        # The base screen hands the error itself to the app's one error display.

    # -- moving around --------------------------------------------------------------------

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._refresh_keys()

    def _refresh_keys(self) -> None:
        """Redraw the footer only when what it depends on changed (every redraw rebuilds it)."""
        desk = getattr(self.app, "desk", None)
        in_call = desk is not None and desk.call is not None
        state = (type(self.focused).__name__, bool(self.table.row_count), in_call)
        if state != self._keys_state:
            self._keys_state = state
            self.refresh_bindings()

    @on(DirectoryTable.TopReached)
    def _top_reached(self) -> None:
        self.search_box.focus()

    def on_key(self, event: events.Key) -> None:
        if not self.is_current:
            # Keys typed right after p (3, enter) were queued for this screen before the
            # report dialog opened: they are the dialog's, so hand them on to whatever is on
            # top now, in order.
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
            return
        # Typing while the results have focus goes on in the search box, except the table's
        # own letter keys (p, n, or what the keymap made them).
        table = self.table
        if self.focused is table and event.is_printable and event.character:
            bound = self.active_bindings.get(event.key)
            if bound is not None and bound.node is table:
                return
            event.stop()
            event.prevent_default()
            box = self.search_box
            box.focus()
            box.cursor_position = len(box.value)
            box.insert_text_at_cursor(event.character)

    # -- a row: details, report, referral -------------------------------------------------

    @on(DataTable.RowSelected, "#directory-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.open_details(int(event.row_key.value))

    def open_details(self, provider_id: int) -> None:
        from console.screens.directory_detail import DirectoryDetailScreen

        self.app.push_screen(
            DirectoryDetailScreen(
                provider_id, self.table.entry(provider_id), reported=self.report_made
            )
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The row keys (the table's p and n): reports and referrals for agents, when there
        are rows."""
        desk = getattr(self.app, "desk", None)
        if action == "report_refused":
            return desk is not None and desk.read_only
        if action not in ("report", "refer") or desk is None:
            return True
        try:
            rows = bool(self.table.row_count)
        except NoMatches:  # not composed yet
            return False
        return rows and not desk.read_only  # report, and refer (outside a call it starts one)

    def action_report(self) -> None:
        entry = self.table.highlighted_entry()
        if entry is not None:
            open_report_dialog(self, entry, self.report_made)

    def report_made(self, entry: DirectoryEntry, report: ProviderReport) -> None:
        """Show a report on its row at once, made here or in the doctor's details (other desks
        see it through the feed). The row stays where it is, even with accepting only, until
        the next search; the counts are fetched again."""
        self.table.update_entry(with_report(entry, report))
        self.recount()
        report_sent(self, entry, report)

    def action_report_refused(self) -> None:
        self.notify(
            _("Read-only: supervisors cannot report."), title=_("Not allowed"), severity="warning"
        )

    @work(group="directory-refer", exit_on_error=False)
    async def action_refer(self) -> None:
        entry = self.table.highlighted_entry()
        if entry is not None and await refer(self, entry):
            self._show_referral()
            self._refresh_keys()

    # -- the change feed ------------------------------------------------------------------

    def changes_arrived(self, batch: ChangeBatch) -> None:
        if self._during_search is not None:
            self._during_search.extend(batch.changes)
        self.apply_batch(batch)

    @work(group="directory-feed", exit_on_error=False)
    async def apply_batch(self, batch: ChangeBatch) -> None:
        """Fetch afresh the listed doctors the feed says changed (a report, an import)."""
        await self.apply_changes(batch.changes, fell_behind=batch.fell_behind)

    async def apply_changes(self, changes: list[Change], *, fell_behind: bool = False) -> None:
        providers = [c for c in changes if c.entity == "provider"]
        imported = any(c.entity == "directory" and c.op == "imported" for c in changes)
        if not providers and not imported and not fell_behind:
            return
        self._counts.clear()
        if fell_behind or imported or any(c.op in REFRESH_OPS for c in providers):
            if self.shown_query is not None:  # what the form asks for now (typing goes on)
                self.search(self.form_query(), immediate=True)
            return
        # This agent's own reports too: one made from another screen (the reports list's
        # details) is not on the row yet, and the service's row is the one to show anyway.
        listed = {c.entity_id for c in providers if self.table.entry(c.entity_id) is not None}
        fresh = await asyncio.gather(
            *(self.desk.directory_entry(provider_id) for provider_id in sorted(listed)),
            return_exceptions=True,
        )
        for entry in fresh:
            if isinstance(entry, DirectoryEntry):
                self.table.update_entry(_as_entry(entry))
        self.recount()


# -- the rows after a change --------------------------------------------------------------------


def _as_entry(entry: DirectoryEntry) -> DirectoryEntry:
    """A row's fields only (a detail carries more)."""
    return DirectoryEntry.model_validate(entry.model_dump(include=set(DirectoryEntry.model_fields)))


def with_report(entry: DirectoryEntry, report: ProviderReport) -> DirectoryEntry:
    """The row as it reads after this desk's report: a report that says full or accepts
    becomes the row's headline; one about a wrong phone does not hide an earlier one that
    does."""
    from console.domain.directory import report_says

    current = entry.report
    says = report_says(report.kind) is not None
    keep = current is not None and not says and report_says(current.kind) is not None
    return entry.model_copy(
        update={"report": current if keep else report, "open_reports": entry.open_reports + 1}
    )
