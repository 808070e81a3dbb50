"""Caller lookup (F2): one search box for a name, phone, EMŠO, ZZZS number or booking reference.

Results appear as the agent types: each keystroke starts a search worker (``exclusive``, so a
newer keystroke cancels the older request) that waits ``config.ui.search_delay_ms`` first, and an
answer is shown only if its query is still what the box says (a stale answer is dropped).
"Searching…" is said only when an answer takes longer than ``SEARCHING_NOTICE_AFTER``.
Enter in the box goes to the first result, or opens it when it is the only one; enter on a
result opens the caller card (and attaches the caller to the call). Down goes to the results;
keys typed faster than the focus moves (down, enter) still mean the results, and a down before
the answer is in takes the focus there once it arrives. Escape goes back to the box,
and a second escape clears it. Ctrl+N adds a new caller (not for supervisors: read-only);
ctrl+E edits the caller on the card (contacts, messages and consent). While the card shows
messages waiting to go out, it is refreshed once the next of them is due, so it says how it went.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState

from console.desk import CallerCard
from console.domain.emso import is_emso_shaped
from console.domain.errors import InvalidValue
from console.domain.models import Caller, CallerSearch
from console.domain.phone import (
    COUNTRY,
    LANDLINE_AREAS,
    MOBILE_PREFIXES,
    format_phone,
    phone_query,
)
from console.domain.query import MIN_QUERY_LENGTH
from console.domain.reference import (
    ALPHABET,
    PROVISIONAL_PREFIX,
    format_reference,
    is_reference_shaped,
    parse_provisional,
    parse_reference,
    wrong_check_character,
)
from console.domain.text import digits_only
from console.domain.zzzs import is_zzzs_shaped
from console.i18n import _
from console.messages import CallerChosen, DeskChanged
from console.screens.base import DeskScreen
from widgets.caller_card import CallerCardView
from widgets.caller_messages import MESSAGES_SETTLE, next_due
from widgets.caller_results import CallerResults
from widgets.steady_input import SteadyInput
from widgets.translated import translate_bindings
from widgets.validated_input import explain

# "Searching…" appears only when an answer takes longer than this (seconds): most arrive within
# a frame or two, and saying so for each keystroke would flicker and cost a frame of its own,
# pushing the answer's frame back by one.
SEARCHING_NOTICE_AFTER = 0.15
NEW_CALLER_KEY = "ctrl+n"


def next_message_due(card: CallerCard, now: datetime) -> datetime | None:
    """When the card's next queued message is due, if soon (:func:`next_due`)."""
    return next_due((m for booking in card.bookings for m in booking.messages), now)


@dataclass
class Draft:
    """What the agent typed into the new-caller form, kept for the call it was typed in."""

    call_id: int | None
    values: dict = field(default_factory=dict)


def prefill_for(query: str, kind: str | None = None) -> dict[str, str]:
    """Which new-caller field the search text belongs in: a phone to the phone field, an EMŠO
    or ZZZS number to theirs, a name split surname first (the lookup's convention)."""
    text = query.strip()
    if not text:
        return {}
    if "@" in text and " " not in text:
        return {"email": text}
    digits = digits_only(text)
    mostly_digits = len(digits) >= 6 and not re.search(r"[^\d\s()./+-]", text)
    if mostly_digits:
        if kind == "phone" or text.startswith(("+", "00")):
            return {"phones": text}
        if is_emso_shaped(text):
            return {"emso": text}
        if is_zzzs_shaped(text) and not (kind is None and digits.startswith("0")):
            return {"zzzs_number": text}
        return {"phones": text}
    if kind == "reference" or (is_reference_shaped(text) and any(c.isdigit() for c in text)):
        return {}
    words = [w for w in re.split(r"\s+", text) if w]
    if any(ch.isdigit() for ch in text) or not words:
        return {}
    words = [w[:1].upper() + w[1:] if w.islower() else w for w in words]
    # Surname first, as the lookup reads names (``kova jan``): "zupancic mar" is Priimek
    # Zupancic, Ime Mar.
    if len(words) == 1:
        return {"last_name": words[0]}
    return {"last_name": words[0], "first_name": " ".join(words[1:])}


def group_partial(nsn: str) -> str:
    """The start of a Slovenian number grouped as it will be: ``412345`` → ``41 234 5``."""
    sizes = (
        (1, 3, 2, 2) if nsn[:1] in LANDLINE_AREAS and nsn[:2] not in MOBILE_PREFIXES else (2, 3, 3)
    )
    groups, rest = [], nsn
    for size in sizes:
        if not rest:
            break
        groups.append(rest[:size])
        rest = rest[size:]
    if rest:
        groups.append(rest)
    return " ".join(groups)


def reference_problem(query: str) -> str | None:
    """Why a query read as a booking reference is no valid one, or None if it is valid (or a
    provisional one, given offline)."""
    if parse_provisional(query) is not None:
        return None
    try:
        parse_reference(query)
    except InvalidValue as error:
        if wrong_check_character(query):
            return _(
                "Looks like a booking reference, but its check character is wrong: "
                "probably mistyped"
            )
        bad = next((ch for ch in query.upper() if ch.isalnum() and ch not in ALPHABET), None)
        if bad is not None:
            return _(
                "Looks like a booking reference, but it has “{found}”, which references never use"
            ).format(found=bad)
        return explain(error)
    return None


def describe_query(search: CallerSearch) -> str:
    """How the box was read: ``Searched by phone: +386 41 234 567``."""
    query = search.query
    if search.kind == "phone":
        prefix = phone_query(query)
        shown = query
        if prefix and prefix.startswith("+" + COUNTRY):
            national = format_phone(prefix)
            nsn = prefix[len(COUNTRY) + 1 :]
            if national != prefix:  # a whole number
                shown = f"+{COUNTRY} {national[1:]}"
            else:  # the start of one, grouped as far as it goes
                shown = f"+{COUNTRY} {group_partial(nsn)}…"
        elif prefix:
            shown = prefix
        return _("Searched by phone: {value}").format(value=shown)
    if search.kind == "emso":
        return _("Searched by EMŠO: {value}").format(value=digits_only(query))
    if search.kind == "zzzs":
        return _("Searched by ZZZS number: {value}").format(value=digits_only(query))
    if search.kind == "reference":
        problem = reference_problem(query)
        if problem is not None:
            return problem
        provisional = parse_provisional(query)
        code = re.sub(r"[\s-]", "", query).upper()
        if provisional is not None:  # given offline: P-K7M 4PX R
            shown = PROVISIONAL_PREFIX + format_reference(provisional[len(PROVISIONAL_PREFIX) :])
        else:
            shown = format_reference(code) if len(code) == 7 else code
        return _("Searched by booking reference: {value}").format(value=shown)
    return _("Searched by name: {value}").format(value=query)


def too_short() -> str:
    """What the lookup says until the query is long enough to search."""
    return _("Type at least {count} characters").format(count=MIN_QUERY_LENGTH)


class SearchBox(SteadyInput):
    """The search box: enter goes to the results (and opens a single hit)."""

    BINDINGS = [
        Binding(
            "enter",
            "submit",
            "Open",
            id="lookup.open",
            tooltip="Go to the first caller found; open it if it is the only one",
        ),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        translate_bindings(self)


class LookupScreen(DeskScreen):
    """Find the caller, open the card, or add a new caller."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    BINDINGS = [
        Binding(
            NEW_CALLER_KEY,
            "new_caller",
            "New caller",
            id="lookup.new_caller",
            tooltip="Add a caller who is not in the register yet",
        ),
        Binding(NEW_CALLER_KEY, "new_caller_refused", show=False, id="lookup.new_caller"),
        Binding(
            "ctrl+e",
            "edit_caller",
            "Edit caller",
            id="lookup.edit_caller",
            priority=True,
            show=False,  # the card shows it: the footer keeps room for the screens' keys
            tooltip="Edit the caller on the card: contacts, messages and consent",
        ),
        Binding(
            "ctrl+g",
            "anonymous_call",
            "Anonymous call",
            id="lookup.anonymous_call",
            tooltip="Start a call without a caller record (the caller gives no name)",
        ),
        Binding(
            "escape",
            "back",
            "Back",
            id="lookup.back",
            tooltip="Back to the search box",
        ),
        Binding(
            "escape",
            "clear",
            "Clear",
            id="lookup.clear",
            tooltip="Clear the search box",
        ),
        Binding("down", "to_results", show=False, id="lookup.to_results"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.last_search: CallerSearch | None = None
        self.shown_query: str | None = None
        self.enter_pending = False
        # Down was pressed in the box (to the results) and the focus has not moved yet: keys
        # typed faster than that still act on the results.
        self.into_results = False
        self.draft: Draft | None = None
        self._form_open = False
        self._searching_notice: Timer | None = None
        self._messages_timer: Timer | None = None

    # -- layout -------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield SearchBox(
            placeholder=_("Name and surname, phone, EMŠO, ZZZS or reference"),
            id="lookup-search",
            max_length=100,
        )
        yield Static(too_short(), id="lookup-info", markup=False)
        with Horizontal(id="lookup-main"):
            yield CallerResults(id="lookup-results")
            yield CallerCardView(
                id="lookup-card",
                slots_key=self.console.key_label("slots"),
                bookings_key=self.console.key_label("bookings"),
                edit_key=None
                if self.desk.read_only
                else self.console.key_label("lookup.edit_caller"),
            )

    def on_mount(self) -> None:
        self.search_box.focus()
        card = self.card
        self.watch(card, "card", self._card_changed)
        self.watch(card, "loading_card", self._card_changed)

    def _card_changed(self) -> None:
        """No caller on the card (nor one coming): its room goes to the results, the card
        only a row below them saying how to open one (lookup.tcss)."""
        card = self.card
        empty = card.card is None and not card.loading_card
        main = self.query_one("#lookup-main")
        if main.has_class("-no-card") != empty:
            main.set_class(empty, "-no-card")
            if not empty:  # the results shrink: the cursor's row stays in sight
                self.call_after_refresh(self._cursor_in_sight)

    def _cursor_in_sight(self) -> None:
        results = self.results
        if results.callers:
            results.move_cursor(row=results.cursor_row, animate=False, scroll=True)

    @property
    def search_box(self) -> Input:
        return self.query_one("#lookup-search", Input)

    @property
    def results(self) -> CallerResults:
        return self.query_one(CallerResults)

    @property
    def card(self) -> CallerCardView:
        return self.query_one(CallerCardView)

    @property
    def query_text(self) -> str:
        return self.search_box.value.strip()

    def set_info(self, text: str) -> None:
        # One line, or two when the text needs them (lookup.tcss): a new text of as many rows
        # leaves its size alone, so no layout pass (it would be one on every keystroke); only
        # a change in its height takes one.
        info = self.query_one("#lookup-info", Static)
        width = info.content_size.width
        rows = min(2, len(Text(text).wrap(self.app.console, width))) if width > 0 else 1
        info.update(text, layout=rows != info.content_size.height)

    # -- searching as the agent types ---------------------------------------------------------

    @on(Input.Changed, "#lookup-search")
    def _query_changed(self, event: Input.Changed) -> None:
        self.enter_pending = False
        self.into_results = False
        self._refresh_keys()
        query = event.value.strip()
        if len(query) < MIN_QUERY_LENGTH:
            self.workers.cancel_group(self, "search")
            self._searching(False)
            self.shown_query = None
            self.results.show([])
            self.set_info(too_short())
            return
        self._searching(True)
        self.search(query)

    def _searching(self, on: bool) -> None:
        """Say "Searching…" if the answer is not in soon (``on``), or no longer (``off``)."""
        if self._searching_notice is not None:
            self._searching_notice.stop()
            self._searching_notice = None
        if on:
            self._searching_notice = self.set_timer(
                SEARCHING_NOTICE_AFTER, lambda: self.set_info(_("Searching…"))
            )

    @work(exclusive=True, group="search", exit_on_error=False)
    async def search(self, query: str, immediate: bool = False) -> None:
        delay = self.console.config.ui.search_delay_ms
        if delay and not immediate:
            await asyncio.sleep(delay / 1000)  # a newer keystroke cancels this worker here
        found = await self.desk.search(query)
        self.show_search(query, found)

    def show_search(self, query: str, found: CallerSearch) -> bool:
        """Show an answer if its query is still the box's text; return False if it is stale."""
        if query != self.query_text:
            return False
        self._searching(False)
        self.last_search = found
        self.shown_query = query
        self.results.show(found.callers, query)
        self.set_info(self.answer_line(query, found))
        self._refresh_keys()
        if self.enter_pending:
            self.enter_pending = False
            self._enter_results(open_highlighted=self.into_results)
        elif self.into_results and self.focused is self.search_box:
            self.results.focus()  # down came before the answer: it goes to the results now
        return True

    def answer_line(self, query: str, found: CallerSearch) -> str:
        """What the line under the box says of an answer: how the box was read, and what was
        found. An answer from the desk's copy (offline) says that the copy holds only the
        callers opened at this desk, so the caller may well exist centrally, and what to do:
        not straight to a new caller, a duplicate of a central one."""
        count = len(found.callers)
        offline = getattr(found, "from_cache", False)
        said = describe_query(found)
        mistyped = found.kind == "reference" and reference_problem(query) is not None
        if count and getattr(found, "more", False):
            shown = _("First {count} callers shown: type more to narrow down")
            line = said + " · " + shown.format(count=count)
        elif count and offline and found.kind in ("name", "phone"):
            # A short list from the copy: the caller may be one it does not hold.
            return (
                said
                + " · "
                + _(
                    "Found {count} in this desk's offline copy (only callers opened here): "
                    "more may exist centrally, ask for the EMŠO or phone"
                ).format(count=count)
            )
        elif count:
            line = said + " · " + _("Callers found: {count}").format(count=count)
        elif mistyped:
            line = said  # a mistyped code: no new caller to add
        elif offline:
            return said + " · " + self._none_offline(found.kind)
        elif self.desk.read_only:
            line = said + " · " + _("No caller found")
        else:
            line = (
                said
                + " · "
                + _("No caller found — press {key} to add a new one").format(
                    key=self.console.key_label("lookup.new_caller")
                )
            )
        if offline:
            line += " · " + _("from the local cache (offline)")
        return line

    def _none_offline(self, kind: str) -> str:
        """Nobody in the desk's copy: they may exist centrally. Before a new caller (matched,
        when the central system is back, by EMŠO, or phone and name), ask for the EMŠO or
        phone; a new caller added with the number searched for is matched by it."""
        if self.desk.read_only:
            return _(
                "None in this desk's offline copy (only callers opened here): may exist centrally"
            )
        if kind == "name":
            return _(
                "None in this desk's offline copy (only callers opened here): "
                "may exist centrally, ask for the EMŠO or phone"
            )
        return _(
            "None in this desk's offline copy (only callers opened here): may exist "
            "centrally; a new caller with this is matched to them when back"
        )

    @on(Worker.StateChanged)
    def _search_failed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        if event.worker.group == "search":
            self.enter_pending = False
            self._searching(False)
            self.set_info(_("The search failed; change the text to try again."))
        elif event.worker.group == "caller":
            self.card.clear()
        # The app's handler shows the error itself (the event keeps bubbling).

    @on(Input.Submitted, "#lookup-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        query = self.query_text
        if len(query) < MIN_QUERY_LENGTH:
            self.set_info(too_short())
            return
        if self.shown_query == query:
            self._enter_results(open_highlighted=self.into_results)
        else:  # the answer is not in yet: search now and act on it when it comes
            self.enter_pending = True
            self._searching(True)
            self.search(query, immediate=True)

    def _enter_results(self, *, open_highlighted: bool = False) -> None:
        """Enter in the box: to the first result, opened if it is the only one. After a down
        that the focus has not caught up with yet, enter was meant for the results: open the
        caller under the cursor."""
        results = self.results
        self.into_results = False
        if not results.callers:
            self.app.bell()
            return
        chosen = results.highlighted_id if open_highlighted else None
        if chosen is None:
            results.move_cursor(row=0, animate=False)
            if len(results.callers) == 1:
                chosen = results.callers[0].id
        results.focus()
        if chosen is not None:
            self.open_caller(chosen)

    # -- moving around ------------------------------------------------------------------------

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget is not self.search_box:
            self.into_results = False  # the focus has caught up
        self._refresh_keys()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._refresh_keys()

    def _refresh_keys(self) -> None:
        """Redraw the footer's keys, but only when what :meth:`check_action` decides on has
        changed: every redraw rebuilds the footer, which would cost each keystroke."""
        try:
            box = self.search_box
        except NoMatches:
            return
        desk = getattr(self.app, "desk", None)
        state = (
            self.focused is box,
            bool(box.value),
            desk is not None and desk.read_only,
            desk is not None and desk.call is None,
        )
        if state != getattr(self, "_keys_state", None):
            self._keys_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        desk = getattr(self.app, "desk", None)
        read_only = desk is not None and desk.read_only
        if action == "new_caller":
            return not read_only
        if action == "new_caller_refused":
            return read_only
        if action == "edit_caller":
            return not read_only and self._card_caller() is not None
        if action == "anonymous_call":
            return not read_only and desk is not None and desk.call is None
        try:
            box = self.search_box
        except NoMatches:  # not composed yet
            return True
        if action in ("back", "clear"):
            in_box = self.focused is box
            if action == "back":
                return not in_box
            return in_box and bool(box.value)
        return True

    def action_back(self) -> None:
        self.search_box.focus()

    def action_clear(self) -> None:
        self.search_box.value = ""
        self.search_box.focus()

    def action_to_results(self) -> None:
        """Down in the box: to the results. A second down before the focus has moved moves
        the cursor; a down before the answer is in takes the focus there once it is."""
        if self.focused is not self.search_box:
            return
        if self.into_results and self.shown_query == self.query_text:
            self.results.action_cursor_down()
            return
        answered = self.shown_query == self.query_text and bool(self.results.callers)
        searching = len(self.query_text) >= MIN_QUERY_LENGTH and self.shown_query != self.query_text
        if answered or searching:
            self.into_results = True
        if answered:
            self.results.focus()

    @on(CallerResults.TopReached)
    def _top_reached(self) -> None:
        self.search_box.focus()

    @on(DataTable.RowSelected, "#lookup-results")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.open_caller(int(event.row_key.value))

    def on_key(self, event: events.Key) -> None:
        # Typing while the results have focus goes on in the search box.
        if self.focused is self.results and event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            box = self.search_box
            box.focus()
            box.insert_text_at_cursor(event.character)

    # -- the card -----------------------------------------------------------------------------

    def open_caller(self, caller_id: int) -> None:
        if self.card.caller_id != caller_id:
            self.card.show_loading()
        self.load_card(caller_id)

    @work(exclusive=True, group="caller", exit_on_error=False)
    async def load_card(self, caller_id: int) -> None:
        await self.desk.ensure_call()
        card = await self.desk.open_caller(caller_id)
        self.show_card(card)
        self.post_message(CallerChosen(caller_id))
        self.post_message(DeskChanged())

    def show_card(self, card: CallerCard) -> None:
        desk = self.desk
        self.card.show(
            card,
            today=desk.today(),
            dispositions=desk.dispositions,
            current_call_id=desk.call.id if desk.call else None,
            provisional=desk.is_provisional_caller(card.caller.id),
        )
        self._follow_messages()
        self.refresh_bindings()

    @work(exclusive=True, group="caller", exit_on_error=False)
    async def refresh_bookings(self) -> None:
        bookings = await self.desk.bookings()
        caller = self.desk.caller
        if caller is not None and self.card.caller_id == caller.id:
            self.card.show_bookings(
                bookings,
                provisional=self.desk.is_provisional_caller(caller.id),
                delivery=self.desk.delivery(),
            )
            self._follow_messages()

    def _follow_messages(self) -> None:
        """Refresh the card once its next queued message is due (if soon), so it shows how it
        went; one timer at a time."""
        if self._messages_timer is not None:
            self._messages_timer.stop()
            self._messages_timer = None
        card = self.card.card
        if card is None:
            return
        now = self.desk.clock.utcnow()
        due = next_message_due(card, now)
        if due is not None:
            wait = (due - now + MESSAGES_SETTLE).total_seconds()
            self._messages_timer = self.set_timer(wait, self._messages_due)

    def _messages_due(self) -> None:
        self._messages_timer = None
        if self.is_current and self.desk.caller is not None:
            self.refresh_bookings()

    def _card_caller(self) -> Caller | None:
        card = self.card.card
        return card.caller if card is not None else None

    def back_online(self) -> None:
        """The central system answers again: an answer the local cache gave is asked again
        (it no longer says "from the local cache")."""
        found = self.last_search
        cached = found is not None and getattr(found, "from_cache", False)
        if cached and self.is_mounted and self.query_text and self.shown_query == self.query_text:
            self.search(self.query_text, immediate=True)

    def day_changed(self, before: date, today: date) -> None:
        """A new day: the card's age and upcoming bookings are as of today."""
        self.card.today = today
        if self.desk.caller is not None and self.card.caller_id == self.desk.caller.id:
            self.refresh_bookings()

    def on_screen_resume(self) -> None:
        desk = getattr(self.app, "desk", None)
        if desk is None or not self.is_mounted:
            return
        returning_from_form, self._form_open = self._form_open, False
        shown = self.card.caller_id
        if desk.caller is None and shown is not None:
            self.new_call()  # the last call was wrapped up: start clean
        elif desk.caller is not None and shown != desk.caller.id:
            self.open_caller(desk.caller.id)
        elif desk.caller is not None and not returning_from_form:
            self.refresh_bookings()  # a booking may have been made or cancelled meanwhile
        if not returning_from_form:
            self.select_query()
        self._refresh_keys()  # the anonymous-call key: only while no call is in progress

    def select_query(self) -> None:
        """The search box, its text selected: what the agent types next replaces the last
        query (F2 for the next caller) instead of running on from it."""
        box = self.search_box
        box.focus()
        box.select_all()

    def new_call(self) -> None:
        """Forget the last call's caller, search and draft."""
        self.card.clear()
        self.search_box.value = ""
        self.results.show([])
        self.last_search = None
        self.shown_query = None
        self.draft = None

    # -- an anonymous call --------------------------------------------------------------------

    def action_anonymous_call(self) -> None:
        """Start a call with no caller record: a health-line caller who gives no name, a
        question the directory answers. Picking a caller later makes them the call's."""
        if self.desk.read_only or self.desk.call is not None:
            return
        self.start_anonymous_call()

    @work(exclusive=True, group="call", exit_on_error=False)
    async def start_anonymous_call(self) -> None:
        await self.desk.ensure_call()
        self.refresh_bindings()
        self.post_message(DeskChanged())
        self.notify(
            _("Anonymous call started: {key} wraps it up.").format(
                key=self.console.key_label("wrapup")
            ),
            timeout=4,
        )

    # -- a new caller -------------------------------------------------------------------------

    def action_new_caller_refused(self) -> None:
        self.notify(
            _("Read-only: supervisors can look callers up but cannot add them."),
            title=_("Not allowed"),
            severity="warning",
        )

    def action_new_caller(self) -> None:
        from console.screens.new_caller import NewCallerForm

        if self.desk.read_only:
            self.action_new_caller_refused()
            return
        call_id = self.desk.call.id if self.desk.call else None
        if self.draft is not None and self.draft.call_id != call_id:
            self.draft = None
        kind = self.last_search.kind if self.last_search is not None else None
        if self.last_search is not None and self.last_search.query != self.query_text:
            kind = None
        prefill = prefill_for(self.query_text, kind)
        values = dict(self.draft.values) if self.draft else {}
        for name, value in prefill.items():
            if not str(values.get(name, "")).strip():
                values[name] = value
        self._form_open = True
        self.app.push_screen(NewCallerForm(values), self._form_closed)

    def action_edit_caller(self) -> None:
        """Edit the caller on the card (contacts, messages and consent) in the caller form."""
        from console.screens.new_caller import NewCallerForm

        caller = self._card_caller()
        if caller is None or self.desk.read_only:
            return
        self._form_open = True
        self.app.push_screen(NewCallerForm(caller=caller), self._form_closed)

    def new_caller_for(self, values: dict[str, str]) -> None:
        """Open the new-caller form with these values filled in (the number of a callback
        reached, or of a ringing call nobody has), for the call in progress."""
        call_id = self.desk.call.id if self.desk.call else None
        self.draft = Draft(call_id, dict(values))
        self.action_new_caller()

    def _form_closed(self, outcome: object) -> None:
        from console.screens.new_caller import FormOutcome

        if not isinstance(outcome, FormOutcome):
            return
        if outcome.updated is not None:
            self._caller_updated(outcome.updated)
            return
        call_id = self.desk.call.id if self.desk.call else None
        if outcome.created is not None:
            self.draft = None
            self._caller_created(outcome.created)
            return
        self.draft = Draft(call_id, outcome.values) if any(outcome.values.values()) else None
        if outcome.open_id is not None:
            self.open_caller(outcome.open_id)
            self.results.focus()
        elif self.draft is not None:
            self.notify(
                _("The new caller's details are kept: {key} to go on.").format(
                    key=self.console.key_label("lookup.new_caller")
                ),
                timeout=4,
            )

    def _caller_updated(self, caller: Caller) -> None:
        card = self.card.card
        if card is not None and card.caller.id == caller.id:
            self.card.show(
                CallerCard(
                    caller=caller,
                    bookings=card.bookings,
                    calls=card.calls,
                    delivery=self.desk.delivery(),
                ),
                today=self.desk.today(),
                dispositions=self.desk.dispositions,
                current_call_id=self.desk.call.id if self.desk.call else None,
                provisional=self.desk.is_provisional_caller(caller.id),
            )
        if self.desk.offline:
            message = _(
                "The change to {name} is queued: the central system gets it when the "
                "connection is back."
            )
        else:
            message = _("Saved the changes to {name}.")
        self.notify(message.format(name=f"{caller.first_name} {caller.last_name}"), timeout=4)
        self.card.focus()

    def _caller_created(self, caller: Caller) -> None:
        self.show_card(CallerCard(caller=caller, bookings=[], calls=[]))
        self.set_info(
            _("New caller added: {name}").format(name=f"{caller.first_name} {caller.last_name}")
        )
        self.post_message(CallerChosen(caller.id))
        self.post_message(DeskChanged())
        self.search_box.focus()
