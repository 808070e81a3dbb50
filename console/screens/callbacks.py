"""Callbacks (F5): the callers to call back, and the one this agent is calling.

The queue comes first, oldest first (numbers that tried several times moved ahead): the
number, the caller it matches, how long it has waited, its tries and our attempts, when it may
be called and where it came from; above it, whether the callback hours are open (and when they
open next). It follows the change feed: another desk's claim or outcome shows at once.
Offline it is the queue as this desk last saw it, and says so.

``enter`` claims the next due callback (a lease the central database gives one agent); the
screen then shows the number to dial and the matched caller's card, the callers the number
belongs to (choose one), or that the number is nobody's yet. Then one key for what happened:
``r`` reached (the call starts, outbound, with the chosen caller, and goes on like any other:
slots, a booking, the wrap-up, which closes the callback; a number nobody has opens the
new-caller form with it filled in), ``n`` no answer, ``b`` busy, ``w`` wrong number, ``d``
the caller declined, ``x`` gives it back. A callback claimed before an outage is still worked
offline: its outcome queues and is replayed with the time it was made.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Static

from console.callback_wording import outcome_label
from console.client.api import ApiRefused, Unreachable
from console.client.feed import ChangeBatch
from console.desk_phone import CallInProgress, Matches
from console.domain.calendar import OfficeHours, format_date, format_time, to_local
from console.domain.callbacks import AttemptOutcome, Callback, CallbackPage, CallbackWindow
from console.domain.errors import InvalidValue
from console.domain.phone import format_phone
from console.i18n import _
from console.messages import DeskChanged
from console.screens.base import DeskScreen
from console.screens.wording import refusal_text
from widgets.callback_queue import CallbackQueue, dial_text
from widgets.caller_card import CallerCardView
from widgets.matched_callers import MatchedCallers

RELOAD_DELAY = 0.3  # changes to the queue arrive in runs: reload once for a run
TICK_SECONDS = 30.0  # the waits on screen grow while the agent looks at them
HOURS_MARGIN = 0.05  # seconds after the callback hours open or close that the screen says so

OUTCOMES = {
    "no_answer": AttemptOutcome.NO_ANSWER,
    "busy": AttemptOutcome.BUSY,
    "wrong_number": AttemptOutcome.WRONG_NUMBER,
    "declined": AttemptOutcome.DECLINED,
}


def hours_text(hours: str) -> str:
    """The service's callback hours (``Mon-Fri 08:00-16:00``) in the console's language
    (``pon-pet 08:00-16:00``); as the service wrote them if they do not read as hours."""
    try:
        parsed = OfficeHours.parse(hours)
    except InvalidValue:
        return hours
    return parsed.describe(_("Mon Tue Wed Thu Fri Sat Sun").split(), _("closed all day"))


def window_text(window: CallbackWindow) -> Text:
    """The callback hours: open now, or when they open next (``window`` as of now)."""
    window = window.model_copy(update={"hours": hours_text(window.hours)})
    line = Text()
    if window.open_now:
        line.append(_("Callback hours {hours}: open now").format(hours=window.hours), "green")
    elif window.next_open_at is not None:
        opens = to_local(window.next_open_at)
        line.append(
            _("Callback hours {hours}: closed; they open {date} at {time}").format(
                hours=window.hours, date=format_date(opens.date()), time=format_time(opens)
            ),
            "yellow",
        )
    else:
        line.append(_("Callback hours {hours}: closed").format(hours=window.hours), "yellow")
    return line


class CallbacksScreen(DeskScreen):
    """The callback queue and the callback being called."""

    follows_changes = True
    # Side by side from 150 columns; narrower, the callback being called takes the width.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (150, "-wide")]

    BINDINGS = [
        Binding(
            "r",
            "reached",
            "Reached",
            id="callbacks.reached",
            tooltip="The caller answered: the call starts with them (slots, booking, wrap-up)",
        ),
        Binding("n", "outcome('no_answer')", "No answer", id="callbacks.no_answer"),
        Binding("b", "outcome('busy')", "Busy", id="callbacks.busy"),
        Binding("w", "outcome('wrong_number')", "Wrong number", id="callbacks.wrong_number"),
        Binding(
            "d",
            "outcome('declined')",
            "Declined",
            id="callbacks.declined",
            tooltip="Reached, but the caller needs nothing any more",
        ),
        Binding(
            "x",
            "release",
            "Give back",
            id="callbacks.release",
            tooltip="Give the callback back to the queue as it was",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            id="callbacks.refresh",
            tooltip="Read the queue again",
            show=False,
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.page: CallbackPage | None = None
        self.held: Callback | None = None
        self.matches: Matches | None = None
        self.busy = False
        self._reload: Timer | None = None
        self._hours_change: Timer | None = None  # at the next opening or closing

    # -- layout ---------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static("", id="callbacks-title")
        with Horizontal(id="callbacks-main"):
            yield CallbackQueue(id="callbacks-queue")
            with Vertical(id="callbacks-held"):
                yield Static("", id="callbacks-dial")
                yield CallerCardView(
                    id="callbacks-card",
                    slots_key=self.console.key_label("slots"),
                    bookings_key=self.console.key_label("bookings"),
                )
                yield MatchedCallers(id="callbacks-matches")
                yield Static("", id="callbacks-new")
        yield Static("", id="callbacks-message")

    @property
    def queue(self) -> CallbackQueue:
        return self.query_one(CallbackQueue)

    @property
    def card(self) -> CallerCardView:
        return self.query_one("#callbacks-card", CallerCardView)

    @property
    def matched(self) -> MatchedCallers:
        return self.query_one(MatchedCallers)

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(TICK_SECONDS, self._tick)
        self._show_held(self.desk.callbacks.resume())
        self.load()

    def on_screen_resume(self) -> None:
        if self.held is None and self.desk.callbacks.resume() is not None:
            self._show_held(self.desk.callbacks.held)
        self.load()

    # -- the queue ------------------------------------------------------------------------

    def load(self) -> None:
        self._load()

    @work(exclusive=True, group="callbacks-queue", exit_on_error=False)
    async def _load(self) -> None:
        try:
            page = await self.desk.callbacks.queue()
        except Unreachable:
            self._title(None)
            return
        self.page = page
        self._show_queue()

    def _show_queue(self) -> None:
        page = self.page
        now = self.desk.callbacks.now()
        callbacks = []
        if page is not None:
            # When each may be called, counted again from now by the callback hours: one
            # callable "now" at 15:59 waits for tomorrow's opening at 16:00.
            window = page.window
            callbacks = [
                c.model_copy(update={"callable_from": window.callable_from(c, now)})
                for c in page.callbacks
            ]
        self.queue.show(callbacks, now)
        self._title(page)
        self.refresh_bindings()

    def _window(self) -> CallbackWindow | None:
        """The callback hours as of now: the service's answer, told again by the desk's clock
        (open or closed flips at the opening and the closing, between reads and offline)."""
        if self.page is None:
            return None
        return self.page.window.at(self.desk.callbacks.now())

    def _watch_hours(self) -> None:
        """Wake when the callback hours next open or close (not a poll): the screen then says
        so at once, and reads the queue again. One timer at a time."""
        if self._hours_change is not None:
            self._hours_change.stop()
            self._hours_change = None
        if self.page is None:
            return
        now = self.desk.callbacks.now()
        change = self.page.window.next_change(now)
        if change is not None:
            wait = (change - now).total_seconds() + HOURS_MARGIN
            self._hours_change = self.set_timer(wait, self._hours_changed)

    def _hours_changed(self) -> None:
        self._hours_change = None
        if self.is_current:
            self._show_queue()
            self.load()
        # Away: shown again, the screen reads the queue and watches the hours from then.

    def _title(self, page: CallbackPage | None) -> None:
        title = Text()
        title.append(_("Callbacks"), "bold")
        if page is None:
            title.append(
                "  " + _("The queue is not in this desk's cache: it needs the central system."),
                "yellow",
            )
        else:
            count = len(page.callbacks)
            more = "+" if page.more else ""
            title.append("  " + _("{count} in the queue").format(count=f"{count}{more}"))
            title.append("  ·  ")
            title.append_text(window_text(page.window.at(self.desk.callbacks.now())))
            fetched = getattr(page, "fetched_at", None)
            if getattr(page, "from_cache", False):
                seen = format_time(fetched) if fetched else "—"
                title.append(
                    "\n" + _("Offline: the queue as last seen at {time}.").format(time=seen),
                    "bold yellow",
                )
        self.query_one("#callbacks-title", Static).update(title)
        self._watch_hours()

    def changes_arrived(self, batch: ChangeBatch) -> None:
        if batch.fell_behind or any(c.entity == "callback" for c in batch.changes):
            if self._reload is not None:
                self._reload.stop()
            self._reload = self.set_timer(RELOAD_DELAY, self.load)

    def _tick(self) -> None:
        """Time passes: the waits grow, callbacks become due (no network)."""
        if self.page is not None and self.is_current:
            self._show_queue()
        if self.held is not None:
            self._show_dial()

    def action_refresh(self) -> None:
        self.load()

    def day_changed(self, before: date, today: date) -> None:
        """A new day: when each callback may be called is said from it (``14:30`` is today's,
        yesterday's ``5. 3. 14:30`` becomes ``14:30``), the callback hours and the queue are
        read again, and the callers of the callback being called show their ages as of today
        (the agent's choice among them stays)."""
        if self.page is not None:
            self._show_queue()
        self._show_dial()
        self._ages_as_of(today)
        self.load()

    def _ages_as_of(self, today: date) -> None:
        matches = self.matches
        if matches is None or self.held is None:
            return
        if matches.card is not None and self.card.card is not None:
            self.card.today = today
            self.card.card = self.card.card  # drawn again (the birth date's age)
        elif len(matches.callers) > 1:
            row = self.matched.cursor_row
            self.matched.show(matches.callers, today)
            self.matched.move_cursor(row=row, animate=False)

    # -- claiming -------------------------------------------------------------------------

    @on(CallbackQueue.ClaimNext)
    def _claim_asked(self) -> None:
        self.action_claim()

    def action_claim(self) -> None:
        if self.busy or self.held is not None or self.desk.read_only:
            return
        self.claim()

    @work(exclusive=True, group="callbacks-claim", exit_on_error=False)
    async def claim(self) -> None:
        self.busy = True
        self._say(_("Claiming the next callback…"), "dim")
        try:
            found = await self.desk.callbacks.claim()
        except CallInProgress:
            self._say(self._in_a_call())
            return
        except Unreachable:
            self._say(
                _(
                    "The central system is unreachable: a callback can be claimed only online. "
                    "One claimed before the outage can still be worked."
                )
            )
            return
        except ApiRefused as refused:
            self._say(refusal_text(refused))
            return
        finally:
            self.busy = False
        if found is None:
            self._say(self._none_due(), "yellow")
            self.load()
            return
        self._say("")
        self._show_held(found)
        self.load()

    def _in_a_call(self) -> str:
        return _("A call is in progress: wrap it up first ({key}).").format(
            key=self.console.key_label("wrapup")
        )

    def _none_due(self) -> str:
        window = self._window()
        if window is not None and not window.open_now and window.next_open_at:
            opens = to_local(window.next_open_at)
            text = _("No callback may be made now: the callback hours open {date} at {time}.")
            return text.format(date=format_date(opens.date()), time=format_time(opens))
        return _("No callback is due now.")

    # -- the callback being called --------------------------------------------------------

    def _show_held(self, callback: Callback | None) -> None:
        self.held = callback
        self.matches = None
        self.set_class(callback is not None, "-held")
        self.queue.claimable = callback is None and not self.desk.read_only
        held = self.query_one("#callbacks-held")
        held.display = callback is not None
        for part in ("#callbacks-card", "#callbacks-matches", "#callbacks-new"):
            self.query_one(part).display = False
        if callback is None:
            self.queue.focus()
            self.refresh_bindings()
            return
        if not self.has_class("-wide"):
            self.set_focus(None)  # the queue is hidden: its keys go with it
        self._show_dial()
        self.refresh_bindings()
        self.load_matches()

    def _show_dial(self) -> None:
        if self.held is not None:
            dial = dial_text(self.held, self.desk.callbacks.now())
            self.query_one("#callbacks-dial", Static).update(dial)

    @work(exclusive=True, group="callbacks-matches", exit_on_error=False)
    async def load_matches(self) -> None:
        held = self.held
        if held is None:
            return
        matches = await self.desk.callbacks.matches()
        if self.held is not held:
            return
        self.matches = matches
        new = self.query_one("#callbacks-new", Static)
        if matches.card is not None:
            desk = self.desk
            self.card.show(
                matches.card,
                today=desk.today(),
                dispositions=desk.dispositions,
                current_call_id=None,
                provisional=desk.is_provisional_caller(matches.card.caller.id),
            )
            self.card.display = True
            self.card.focus()
        elif len(matches.callers) > 1:
            self.matched.show(matches.callers, self.desk.today())
            self.matched.display = True
            self.matched.focus()
            new.update(
                Text(
                    _("Callers with this number: {count}. Choose who answered, then {key}.").format(
                        count=len(matches.callers), key=self.console.key_label("callbacks.reached")
                    ),
                    style="bold",
                )
            )
            new.display = True
        else:
            if matches.missing:
                text = _(
                    "The caller's card is not in this desk's cache (offline): the outcome can "
                    "still be recorded."
                )
            else:
                text = _(
                    "This number is nobody's in the register: {key} (reached) opens the "
                    "new-caller form with the number filled in."
                ).format(key=self.console.key_label("callbacks.reached"))
            new.update(Text(text, style="bold"))
            new.display = True

    @on(DataTable.RowSelected, "#callbacks-matches")
    def _match_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()  # enter only moves the choice: the outcome has its own key

    def _chosen_caller(self) -> int | None:
        held = self.held
        if held is None:
            return None
        matches = self.matches
        if matches is not None and len(matches.callers) > 1:
            return self.matched.highlighted_id
        if matches is not None and matches.card is not None:
            return matches.card.caller.id
        return held.caller_ids[0] if len(held.caller_ids) == 1 else None

    # -- outcomes -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("reached", "outcome", "release"):
            return self.held is not None and not self.desk.read_only
        if action == "claim":  # supervisors only look
            return not self.desk.read_only
        return True

    def action_reached(self) -> None:
        if self.held is None or self.busy:
            return
        if self.desk.call is not None:
            self._say(self._in_a_call())
            return
        self.reached(self.held, self._chosen_caller())

    @work(exclusive=True, group="callbacks-outcome", exit_on_error=False)
    async def reached(self, held: Callback, caller_id: int | None) -> None:
        self.busy = True
        refused: ApiRefused | None = None
        try:
            await self.desk.callbacks.reached(caller_id)
        except CallInProgress:
            self._say(self._in_a_call())
            return
        except ApiRefused as error:
            if self.desk.call is None:
                self._say(refusal_text(error))
                return
            refused = error  # the call goes on; the callback was someone else's meanwhile
        finally:
            self.busy = False
        self._show_held(None)
        self.post_message(DeskChanged())
        if refused is not None:
            self.notify(
                _("The callback was not recorded as reached: {reason} The call goes on.").format(
                    reason=refusal_text(refused)
                ),
                severity="warning",
                timeout=10,
            )
        self.load()
        # The call goes on on the lookup: the card, or the new-caller form with the number.
        self.console.open_call(caller_id, None if caller_id is not None else held.number)

    def action_outcome(self, name: str) -> None:
        outcome = OUTCOMES.get(name)
        if outcome is None or self.held is None or self.busy:
            return
        self.record(self.held, outcome)

    @work(exclusive=True, group="callbacks-outcome", exit_on_error=False)
    async def record(self, held: Callback, outcome: AttemptOutcome) -> None:
        self.busy = True
        try:
            done = await self.desk.callbacks.record(outcome)
        except ApiRefused as refused:
            self._say(refusal_text(refused))
            self._show_held(None)
            self.load()
            return
        finally:
            self.busy = False
        self._show_held(None)
        self._say(self._recorded(held, outcome, done), "green")
        self.load()

    def _recorded(self, held: Callback, outcome: AttemptOutcome, done: Callback) -> str:
        values = {"number": format_phone(held.number), "outcome": outcome_label(outcome.value)}
        if self.desk.offline:
            return _("{number}: {outcome} (queued offline: sent when the desk is back).").format(
                **values
            )
        if done.status.value == "open":
            return _("{number}: {outcome}; back in the queue at {time}.").format(
                **values, time=format_time(done.due_at)
            )
        return _("{number}: {outcome}; the callback is closed.").format(**values)

    def action_release(self) -> None:
        if self.held is None or self.busy:
            return
        self.release(self.held)

    @work(exclusive=True, group="callbacks-outcome", exit_on_error=False)
    async def release(self, held: Callback) -> None:
        self.busy = True
        try:
            await self.desk.callbacks.release()
        finally:
            self.busy = False
        self._show_held(None)
        number = format_phone(held.number)
        self._say(_("{number} is back in the queue.").format(number=number), "green")
        self.load()

    def _say(self, text: str, style: str = "bold red") -> None:
        self.query_one("#callbacks-message", Static).update(Text(text, style=style))
