"""What every desk screen shares: the status bar on top, the footer with keys below."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Protocol, cast

from textual import on
from textual.app import ComposeResult
from textual.events import ScreenResume
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from console.client.feed import MAX_DELIVERED, ChangeBatch
from console.messages import ChangesArrived, DayChanged
from console.screens.frames import PromptFrames
from widgets.footer import KeysFooter
from widgets.status_bar import StatusBar
from widgets.textual_internals import default_prevented
from widgets.translated import translate_bindings

# Keys the footer shows first while something after an outage needs the agent (sync issues, or
# bookings confirmed whose real reference the caller has not been told): F6 is always there,
# but first only then.
FIRST_KEYS = ("sync_issues",)
# The app's keys the footer leaves out, in this order, where the keys need more than its two
# lines (80 columns); F1's help and ctrl+p list them all. Away first (refused during a call),
# then reports, callbacks, sync issues (never while issues wait: FIRST_KEYS), the floor, the
# directory and bookings; the screen's own keys, help, the caller, slots and wrap-up stay.
SPARE_KEYS = (
    "away",
    "reports",
    "callbacks",
    "sync_issues",
    "floor",
    "directory",
    "bookings",
)

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from console.config import Config
    from console.desk import Desk
    from console.desk_views import SyncStatus


def merged(earlier: ChangeBatch | None, later: ChangeBatch) -> ChangeBatch:
    """Two batches as one; one that would hold more than the feed delivers at once fell
    behind (the screen reloads rather than patch)."""
    if earlier is None:
        return later
    changes = [*earlier.changes, *later.changes]
    if earlier.fell_behind or later.fell_behind or len(changes) > MAX_DELIVERED:
        return ChangeBatch(changes[:MAX_DELIVERED], fell_behind=True)
    return ChangeBatch(changes)


class ConsoleApp(Protocol):
    """What the screens use of the app (``console.app.AgentConsole``), so that they need not
    import it: the app imports the screens."""

    config: Config
    desk: Desk  # set before the first desk screen is shown

    def key_label(self, binding_id: str) -> str: ...

    def show_error(self, error: BaseException | None) -> None: ...

    @property
    def sync_status(self) -> SyncStatus: ...

    @property
    def issues_key(self) -> str: ...

    def follow_changes(self, target: MessagePump) -> Callable[[], None]: ...

    def open_call(self, caller_id: int | None, new_number: str | None = None) -> None: ...

    def offer_open_calls(self) -> object: ...


def forward_worker_errors(screen: Screen, event: Worker.StateChanged) -> None:
    """Hand a failed worker's error to the app's one error display.

    ``Worker.StateChanged`` does not bubble, so the app never sees workers that screens
    start; every screen forwards its own. A screen that shows an error inline handles the
    event itself and calls ``event.prevent_default()``.
    """
    if event.state is WorkerState.ERROR and not default_prevented(event):
        cast(ConsoleApp, screen.app).show_error(event.worker.error)


def key_label(screen: Screen, binding_id: str) -> str:
    """The key of a binding as messages name it (it follows ``[keys]`` in config.toml)."""
    return cast(ConsoleApp, screen.app).key_label(binding_id)


class DeskScreen(PromptFrames, Screen):
    """A full screen of the console. Subclasses implement :meth:`compose_body`.

    A screen that shows what other desks change sets ``follows_changes``: it is then given
    what the desk's one change-feed poller reads, in :meth:`changes_arrived` — while it is
    the current screen; what arrives while it is not is kept (a bounded list) and given when
    it is shown again, after asking the desk to catch up at once.

    Dates follow the desk's clock: a screen that shows or offers "today" implements
    :meth:`day_changed`, called when the day changes while it is open (the app's timer at
    midnight) or when it is shown again on a later day.
    """

    follows_changes: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._unfollow: Callable[[], None] | None = None
        self._missed: ChangeBatch | None = None
        self._day: date | None = None  # the desk's day this screen last showed

    @property
    def console(self) -> ConsoleApp:
        return cast(ConsoleApp, self.app)

    @property
    def desk(self) -> Desk:
        return self.console.desk

    def compose(self) -> ComposeResult:
        console = self.console
        self._day = self.desk.today()
        yield StatusBar(
            self.desk,
            status=console.sync_status,
            issues_key=console.issues_key,
            timers=console.config.ui.timers,
        )
        yield from self.compose_body()
        yield KeysFooter(compact=True, first=self._first_keys, spare=SPARE_KEYS)

    def _first_keys(self) -> tuple[str, ...]:
        status = getattr(self.app, "sync_status", None)
        waiting = status is not None and (status.issues + status.confirmed) > 0
        return FIRST_KEYS if waiting else ()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def refresh_status(self) -> None:
        for bar in self.query(StatusBar):
            bar.refresh_status()

    # -- the change feed ------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.follows_changes:
            self._unfollow = self.console.follow_changes(self)

    def on_unmount(self) -> None:
        if self._unfollow is not None:
            self._unfollow()
            self._unfollow = None

    @on(ChangesArrived)
    def _changes_arrived(self, message: ChangesArrived) -> None:
        if self.is_current:
            self.changes_arrived(message.batch)
        else:
            self._missed = merged(self._missed, message.batch)

    @on(ScreenResume)
    def _catch_up(self) -> None:
        if not self.follows_changes:
            return
        missed, self._missed = self._missed, None
        if missed is not None:
            self.changes_arrived(missed)
        self.desk.catch_up()  # and what happened since the last poll, at once

    def changes_arrived(self, batch: ChangeBatch) -> None:
        """What the change feed read while this screen is shown (``follows_changes``)."""

    # -- the desk's day -------------------------------------------------------------------

    @on(DayChanged)
    @on(ScreenResume)
    def _check_day(self) -> None:
        today = self.desk.today()
        if self._day is None or today == self._day:
            return
        before, self._day = self._day, today
        self.day_changed(before, today)

    def day_changed(self, before: date, today: date) -> None:
        """The desk's day is now ``today`` (it was ``before`` when this screen last showed
        it): show the new day where the screen showed today's, keep what the agent typed."""

    @on(Worker.StateChanged)
    def _forward_worker_errors(self, event: Worker.StateChanged) -> None:
        forward_worker_errors(self, event)


class DeskModal(PromptFrames, ModalScreen):
    """A dialog over a desk screen: footer labels translated, worker errors shown."""

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    @on(Worker.StateChanged)
    def _forward_worker_errors(self, event: Worker.StateChanged) -> None:
        forward_worker_errors(self, event)
