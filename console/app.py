"""The Textual app: modes (one per screen), app-wide keys, the status, errors in one place.

Screens live in ``console/screens/``, one module each; the work of a call lives in
``console.desk.Desk``; this module only wires them together.

The desk talks to a :class:`~console.client.store.Store` over the central API (networked or
embedded alike): the Store's sync loop runs as long as the app does, and its state (online,
offline, syncing, the outbox, sync issues) drives the status bars, the offline banner and the
notifications when the desk is back online or the replay needs the agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol, cast

from pydantic import ValidationError
from rich.text import Text
from textual import on, work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.message_pump import MessagePump
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from console import i18n
from console.client.api import ApiError, ApiRefused, CentralApi, Unreachable
from console.client.connection import OFFLINE, ONLINE, SYNCING
from console.client.feed import ChangeBatch
from console.client.store import Store
from console.clock import Clock
from console.config import Config, ConfigError, TelephonySection
from console.desk import Desk, SyncStatus
from console.desk_phone import CallInProgress, RingingCall, watch_ringing
from console.desk_views import Delivery
from console.domain.models import Role
from console.domain.phone import format_phone
from console.i18n import _, ngettext
from console.keymap import key_label, keymap_for
from console.messages import ChangesArrived, DayChanged, DeskChanged, RingingChanged, SyncChanged
from console.offline_wording import reference_text
from console.screens.lookup import LookupScreen
from console.screens.quit import (
    EXIT_QUEUED,
    RELEASE,
    WRAP_UP,
    QuitConfirmation,
    QuitReason,
    call_reason,
    hold_reason,
    queued_reason,
    quit_line,
    sync_command,
)
from console.screens.startup import StartupScreen
from widgets import textual_fixes
from widgets.keys_in_order import KeysInOrderApp
from widgets.offline_banner import OfflineBanner
from widgets.status_bar import StatusBar
from widgets.textual_internals import read_alt_digits
from widgets.translated import translate_bindings

if TYPE_CHECKING:
    from console.client.embedded import EmbeddedService, LocalSender

log = logging.getLogger(__name__)

textual_fixes.apply()  # a leak of the pinned Textual that cost the console memory all shift

MAX_BACKOFF = 10.0  # offline: probe after 1, 2, 4, 8, then every 10 s
STATUS_DELAY = 0.15  # the Store reports every replayed row: redraw at most this often
MIDNIGHT_MARGIN = 0.05  # seconds after midnight the day's timer fires

# The screens other than the lookup, imported when first shown: the console starts on the
# lookup, and importing them all (and their widgets) would hold up every start.
SCREENS = {
    "slots": ("console.screens.slots", "SlotsScreen"),
    "bookings": ("console.screens.bookings", "BookingsScreen"),
    "callbacks": ("console.screens.callbacks", "CallbacksScreen"),
    "wrapup": ("console.screens.wrapup", "WrapUpScreen"),
    "sync": ("console.screens.sync_issues", "SyncIssuesScreen"),
    "directory": ("console.screens.directory", "DirectoryScreen"),
    "reports": ("console.screens.reports", "ReportsScreen"),
    "floor": ("console.screens.floor", "FloorScreen"),
}


class _Loads(Protocol):
    """A screen that loads its data afresh (the bookings and the sync issues)."""

    def load(self) -> object: ...


def screen_class(mode: str) -> type[Screen]:
    """The screen class of a mode, imported now if it was not yet."""
    module, name = SCREENS[mode]
    return getattr(importlib.import_module(module), name)


def _new_screen(mode: str) -> Callable[[], Screen]:
    return lambda: screen_class(mode)()


def showing(screen: Screen, mode: str) -> bool:
    """Whether ``screen`` is the screen of ``mode`` (never, while its module is not loaded)."""
    module, name = SCREENS[mode]
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(screen, getattr(loaded, name))


def freeze_long_lived() -> None:
    """Keep what is alive now out of Python's full garbage collections (``gc.freeze``).

    The console keeps a large heap of objects that live as long as it does (modules, screens,
    the desk's data). Every full collection walked all of them: a 130-140 ms pause, every so
    often, in the middle of the agent's typing (measured on the lookup over the national
    dataset). Objects made later are collected as before; frozen ones that become garbage are
    still freed by reference counting.
    """
    gc.freeze()


class AgentConsole(KeysInOrderApp):
    """agent-console: find the caller, book a slot, wrap up the call."""

    TITLE = "agent-console"
    CSS_PATH = [
        "app.tcss",
        "styles/lookup.tcss",
        "styles/slots.tcss",
        "styles/bookings.tcss",
        "styles/wrapup.tcss",
        "styles/sync.tcss",
        "styles/directory.tcss",
        "styles/callbacks.tcss",
        "styles/floor.tcss",
        "styles/calls.tcss",
    ]
    MODES = {"lookup": LookupScreen, **{mode: _new_screen(mode) for mode in SCREENS}}
    BINDINGS = [
        Binding(
            "f1",
            "show_help",
            "Help",
            id="help",
            priority=True,
            tooltip="Every key of this screen and the app's",
        ),
        Binding(
            "f2",
            "show_lookup",
            "Caller",
            id="lookup",
            priority=True,
            tooltip="Find the caller: picking one (or a new one) starts the call",
        ),
        Binding(
            "f3",
            "show_slots",
            "Slots",
            id="slots",
            priority=True,
            tooltip="Search free slots for the current caller",
        ),
        Binding(
            "f4",
            "show_bookings",
            "Bookings",
            id="bookings",
            priority=True,
            tooltip="The current caller's bookings: cancel, reschedule",
        ),
        Binding(
            "f5",
            "show_callbacks",
            "Callbacks",
            id="callbacks",
            priority=True,
            tooltip="The callers to call back: claim the next, call, record what happened",
        ),
        Binding(
            "f7",
            "show_directory",
            "Doctors",
            id="directory",
            priority=True,
            tooltip="The doctor directory: who accepts new patients, and how fresh that is",
        ),
        Binding(
            "f8",
            "show_reports",
            "Reports",
            id="reports",
            priority=True,
            tooltip="Agents' open reports about the doctor directory",
        ),
        Binding(
            "f9",
            "show_wrapup",
            "Wrap-up",
            id="wrapup",
            priority=True,
            tooltip="Disposition, notes, follow-up; ends the call",
        ),
        Binding(
            "f6",
            "show_sync_issues",
            "Sync issues",
            id="sync_issues",
            priority=True,
            tooltip="Bookings and other writes the replay could not do: rebook or follow up",
        ),
        # The floor: supervisors' and admins' (an agent's desk neither shows nor runs it). Not a
        # priority key: dialogs keep F10 as their save key.
        Binding(
            "f10",
            "show_floor",
            "Floor",
            id="floor",
            tooltip="The floor: agents' states, the day's figures, slot fill, alerts",
        ),
        # Away (with a reason) and back to ready: agents' and admins' desks.
        Binding(
            "f12",
            "toggle_away",
            "Away",
            id="away",
            priority=True,
            tooltip="Step away with a reason, or come back ready for calls",
        ),
        # Fallbacks for terminals and multiplexers that swallow function keys.
        Binding("alt+1", "show_lookup", show=False, priority=True, id="alt.lookup"),
        Binding("alt+2", "show_slots", show=False, priority=True, id="alt.slots"),
        Binding("alt+3", "show_bookings", show=False, priority=True, id="alt.bookings"),
        Binding("alt+5", "show_callbacks", show=False, priority=True, id="alt.callbacks"),
        Binding("alt+7", "show_directory", show=False, priority=True, id="alt.directory"),
        Binding("alt+8", "open_reports", show=False, priority=True, id="alt.reports"),
        Binding("alt+9", "show_wrapup", show=False, priority=True, id="alt.wrapup"),
        Binding("alt+6", "open_sync_issues", show=False, priority=True, id="alt.sync_issues"),
        Binding("alt+0", "show_floor", show=False, priority=True, id="alt.floor"),
        Binding("alt+a", "toggle_away", show=False, priority=True, id="alt.away"),
        Binding("ctrl+q", "quit", "Quit", id="quit", show=False, priority=True),
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            id="palette",
            show=False,
            priority=True,
            tooltip="Every action by name, with its key",
        ),
    ]

    connection_state: reactive[str] = reactive("connecting")

    def __init__(
        self,
        config: Config,
        *,
        api: CentralApi | None = None,
        role: Role = Role.AGENT,
        clock: Clock | None = None,
    ) -> None:
        i18n.set_language(config.ui.language)
        read_alt_digits()  # alt+1 ... alt+9 as tmux and xterm send them (ESC, then the digit)
        super().__init__()
        translate_bindings(self)
        self.config = config
        self.role = role
        # Every date and time the console shows or defaults comes from this one clock.
        self.clock = clock or Clock(today=config.ui.today)
        self._day = self.clock.today()  # the desk's day, as the open screens last heard it
        self._midnight: Timer | None = None
        self.theme = config.ui.theme
        self._given_api = api
        self.desk: Desk | None = None
        self.store: Store | None = None
        self.sync_status = SyncStatus()
        self._sync_task: asyncio.Task | None = None
        self._status_timer: Timer | None = None
        self._seen_state = ONLINE
        self._replay_total = 0
        self._outage = False  # offline (or writes queued) since the desk was last caught up
        self._known_issues: set[int] | None = None
        self._known_confirmed: set[int] | None = None
        self._unmounting = False  # unmounting: the Store is about to close
        self._ringing: tuple[str, Screen] | None = None  # the call popped, and its dialog
        self._heartbeat_timer: Timer | None = None
        self._heartbeat_worker: Worker | None = None
        # How to send queued writes without the console (said on quitting with some queued);
        # run_console names the config file and a token given on the command line.
        self.sync_command = sync_command(config.server.url)
        # The embedded service's sender of messages to callers, and what the desk says of
        # delivery (None: a networked desk, whose central service sends).
        self._local_sender: LocalSender | None = None
        self._delivery: Callable[[], Delivery] | None = None
        # Calls left open the agent chose to leave for now ("later"): not offered again until
        # the next start.
        self._left_for_later: set[int] = set()
        self.set_keymap(keymap_for(config.keys))

    def key_label(self, binding_id: str) -> str:
        """The key a binding is on now (``[keys]`` in config.toml, else its default), as the
        console's messages name it: ``F6``, ``ctrl+o``."""
        return key_label(self.config.key_of(binding_id))

    @property
    def issues_key(self) -> str:
        return self.key_label("sync_issues")

    # -- start ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        # A screen of another mode missed the redraws while it was away: catch up on showing it.
        self.screen_change_signal.subscribe(self, lambda _screen: self.refresh_status_bars())
        self.push_screen(StartupScreen())
        self.connect()

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self) -> None:
        api = self._given_api or await self._open_api()
        store = Store.open(
            api,
            self.config.data_path,
            hold_minutes=self.config.service.hold_minutes,
            window_days=self.config.cache.window_days,
            window_refresh=self.config.cache.window_refresh_minutes * 60,
            caller_limit=self.config.cache.caller_limit,
            max_backoff=MAX_BACKOFF,
            on_state_change=self._store_changed,
            clock=self.clock,
        )
        self.store = store
        queued = store.outbox_size()
        if queued:  # left by an earlier session (quit or killed): say so before anything else
            self.notify(
                ngettext(
                    "{count} write from an earlier session waits on this desk: it is sent as "
                    "soon as the central system answers.",
                    "{count} writes from an earlier session wait on this desk: they are sent as "
                    "soon as the central system answers.",
                    queued,
                ).format(count=queued),
                title=_("Queued writes"),
                severity="warning",
                timeout=15,
            )
        store.subscribe(self._feed_read)
        desk = Desk(store, clock=self.clock, delivery_source=self._delivery)
        await desk.connect()  # offline, from the cache, if the service does not answer
        self.desk = desk
        desk.open_presence(on_change=self._presence_changed)
        self._apply_sync_status()
        # The first screen (the floor for supervisors), then the screen pop's extension.
        await self.switch_mode("floor" if self.reads_floor else "lookup")
        if self.config.telephony.extension and not desk.read_only:
            desk.subscribe_changes(watch_ringing(desk.phone, self._ringing_from_feed))
            self.sign_in_extension()
        self.start_presence()
        self._watch_midnight()
        self.offer_open_calls()  # calls an earlier session left open: wrap them up
        # The sync loop starts once the lookup screen is drawn: its first round (the slot
        # window, the agent's calls) would otherwise share the loop with drawing it, and the
        # agent waits for the search box, not for the cache.
        self.call_after_refresh(self.start_sync)

    @property
    def reads_floor(self) -> bool:
        """Supervisors and admins read the floor (it is a supervisor's first screen)."""
        desk = self.desk
        return (
            desk is not None
            and desk.agent is not None
            and desk.agent.role in (Role.SUPERVISOR, Role.ADMIN)
        )

    # -- this desk's state on the floor: reported on start, on changes, as a heartbeat ------

    @work(group="presence", exit_on_error=False)
    async def start_presence(self) -> None:
        """Report ready (with the outbox's counts), then a heartbeat every
        ``heartbeat_seconds`` the service asks for. Never queued: offline, nothing is sent."""
        presence = self.desk.presence if self.desk is not None else None
        if presence is None:
            return
        await presence.start()
        if presence.silent or self._unmounting:
            return
        self._heartbeat_timer = self.set_interval(presence.heartbeat_seconds, self._heartbeat)

    def _presence_changed(self) -> None:
        if not self._unmounting:
            self.post_message(DeskChanged())

    def _heartbeat(self) -> None:
        presence = self.desk.presence if self.desk is not None else None
        if presence is None or presence.silent or self._unmounting:
            return
        if self._heartbeat_worker is not None and self._heartbeat_worker.is_running:
            return  # the last one is still on its way (a slow service)
        self._heartbeat_worker = self.run_worker(
            presence.heartbeat(), group="heartbeat", exit_on_error=False
        )

    def action_toggle_away(self) -> None:
        """Away with a reason (chosen in a dialog), or back to ready: one key."""
        desk = self.desk
        if desk is None or desk.presence is None or not self._desk_ready():
            return
        presence = desk.presence
        if presence.state == "away":
            desk.back_ready()
            return
        if desk.call is not None:
            self.notify(
                _("Wrap up the call first ({key}); then you can step away.").format(
                    key=self.key_label("wrapup")
                ),
                title=_("On a call"),
                severity="warning",
            )
            return
        from console.screens.away import AwayDialog

        def chosen(reason: str | None) -> None:
            if reason is not None and self.desk is not None:
                self.desk.go_away(reason)

        self.push_screen(AwayDialog(presence.away_reasons), chosen)

    def start_sync(self) -> None:
        """Run the Store's sync loop (feed polls online, probes with back-off offline, replay
        on reconnect) for as long as the app runs.

        A plain asyncio task rather than a Textual worker: it never ends, and a worker that
        never ends would keep ``app.workers.wait_for_complete()`` from ever returning."""
        if self.store is None or self._sync_task is not None or self._unmounting:
            return  # (closing: the app quit before the lookup screen was first drawn)
        freeze_long_lived()  # the console is up: modules, screens, the desk's reference data
        self._sync_task = asyncio.create_task(
            self.store.run(
                interval=self.config.cache.sync_seconds,
                after_first_round=freeze_long_lived,  # ... and what the first sync keeps
            ),
            name="agent-console sync",
        )
        self._sync_task.add_done_callback(self._sync_ended)

    def _sync_ended(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:  # pragma: no cover - a bug
            log.error("the sync loop stopped", exc_info=task.exception())
            self.notify(
                _("Syncing with the central system stopped: {error}").format(
                    error=task.exception()
                ),
                title=_("Error"),
                severity="error",
                timeout=30,
                markup=False,
            )

    async def stop_sync(self) -> None:
        task, self._sync_task = self._sync_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- the desk's day: one timer at the next local midnight -----------------------------

    def _watch_midnight(self) -> None:
        """Wake at the next local midnight (not a poll): the open screens then show the new
        day. Set again each time it fires (a timer that fired a moment early finds the same
        day and waits the rest)."""
        if self._midnight is not None:
            self._midnight.stop()
        self._midnight = self.set_timer(
            self.clock.seconds_to_midnight() + MIDNIGHT_MARGIN, self._midnight_passed
        )

    def _midnight_passed(self) -> None:
        self._midnight = None
        if self._unmounting:
            return
        self.check_day()
        self._watch_midnight()

    def check_day(self) -> None:
        """If the desk's day changed, roll the cached slot window on to it and tell the
        screens on the stack (the others check when they are shown again): each shows the new
        day where it showed today's."""
        today = self.clock.today()
        if today == self._day:
            return
        log.info("the desk's day is now %s", today)
        self._day = today
        if self.store is not None:  # the cached slot window starts today: roll it on now
            self.store.sync.refresh_soon()
            self.store.wake()
        for screen in self.screen_stack:
            screen.post_message(DayChanged(today))

    # -- the Store's state: status bars, banner, notifications ----------------------------

    def _store_changed(self, state: str) -> None:
        """The Store's callback: called after every change of state, outbox or issues (once
        per replayed row), on this app's event loop. A change of state shows at once (going
        offline must be visible); the rest arrives as :class:`SyncChanged` messages (a run of
        them is one), redrawn at most every ``STATUS_DELAY`` seconds."""
        if self._unmounting or not self.is_running:
            return
        changed = state != self._seen_state
        if changed and state == SYNCING and self.store is not None:
            self._replay_total = self.store.outbox_size()
        self._seen_state = state
        if changed and self.desk is not None:
            if self._status_timer is not None:
                self._status_timer.stop()
            self._apply_sync_status()
        else:
            self.post_message(SyncChanged(state))

    def _feed_read(self, batch: ChangeBatch) -> None:
        """The desk's change-feed poller read a batch (on this app's event loop): say so when
        it had to reload the local copy from scratch (the screens reload what they show)."""
        if batch.resynced and not self._unmounting:
            self.notify(
                _(
                    "This desk was away longer than the central system keeps its list of "
                    "changes: its local copy (services, slots, callers) was loaded again from "
                    "scratch. Writes waiting to be sent are kept and go as usual."
                ),
                title=_("Local copy reloaded"),
                severity="warning",
                timeout=20,
            )

    @on(SyncChanged)
    def _sync_changed(self) -> None:
        if self._status_timer is None and not self._unmounting:
            self._status_timer = self.set_timer(STATUS_DELAY, self._apply_sync_status)

    def _apply_sync_status(self) -> None:
        self._status_timer = None
        if self.desk is None or self._unmounting:
            return
        previous = self.sync_status
        status = self.desk.sync_status()
        if status.state == SYNCING:
            total = max(self._replay_total, status.queued)
            status = SyncStatus(
                state=status.state,
                queued=status.queued,
                issues=status.issues,
                last_sync=status.last_sync,
                done=total - status.queued,
                total=total,
            )
        self.sync_status = status
        self.connection_state = status.state
        if status.state == OFFLINE or (status.queued and status.state != ONLINE):
            self._outage = True
        elif status.state == ONLINE and not status.queued and self._outage:
            self._outage = False
            self.notify(
                _("The central system answers again; everything queued has been sent."),
                title=_("Back online"),
                timeout=8,
            )
            self.offer_open_calls()  # the service's own list, now that every wrap-up is in
        if previous.state == SYNCING and status.state != SYNCING:
            self._after_replay()
            self._report_replay(max(0, max(self._replay_total, previous.total) - status.queued))
        if previous.state != status.state == ONLINE and self.desk.phone.extension:
            self.sign_in_extension()  # declared again after an outage
        self._announce_issues()
        self._announce_confirmed()
        if (previous.issues, previous.confirmed) != (status.issues, status.confirmed):
            self.refresh_bindings()
            if showing(self.screen, "sync"):
                cast(_Loads, self.screen).load()
        if previous.state != status.state and status.state == ONLINE:
            self._back_online()
        for screen in self.screen_stack:
            if isinstance(screen, QuitConfirmation):
                screen.refresh_reasons()
        self.refresh_status_bars()

    def _announce_issues(self) -> None:
        if self.desk is None:
            return
        current = {issue.id for issue in self.desk.sync_issues()}
        new = current - (self._known_issues or set())
        self._known_issues = current
        if new:
            self.notify(
                _(
                    "{count} queued write(s) need you: a slot may have been taken while this desk "
                    "was offline. Press {key} for the sync issues: rebook or call back."
                ).format(count=len(new), key=self.issues_key),
                title=_("Sync issues"),
                severity="warning",
                timeout=20,
            )

    def _report_replay(self, count: int) -> None:
        """Back from an outage: tell the floor how many queued writes this desk replayed."""
        presence = self.desk.presence if self.desk is not None else None
        if presence is not None and not presence.silent and not self._unmounting:
            self.run_worker(presence.replayed(count), group="presence", exit_on_error=False)

    def _announce_confirmed(self) -> None:
        """Bookings the replay confirmed: the agent gave the caller a provisional reference,
        and is told the real one at once (F6 lists them until passed on)."""
        if self.desk is None:
            return
        confirmed = self.desk.confirmations()
        new = [c for c in confirmed if c.id not in (self._known_confirmed or set())]
        first = self._known_confirmed is None
        self._known_confirmed = {c.id for c in confirmed}
        if not new:
            return
        if len(new) == 1 and not first:
            one = new[0]
            message = _(
                "{given} is confirmed as {real} ({name}). Tell the caller the real reference: "
                "{key}."
            ).format(
                given=reference_text(one.provisional),
                real=reference_text(one.reference),
                name=one.caller_name or "—",
                key=self.issues_key,
            )
        else:
            message = _(
                "{count} bookings made offline are confirmed under their real references. "
                "Tell the callers: {key}."
            ).format(count=len(new), key=self.issues_key)
        self.notify(message, title=_("Confirmed"), timeout=30, markup=False)

    def _back_online(self) -> None:
        """Screens showing what the local cache answered while offline ask again."""
        for screen in self.screen_stack:
            back_online = getattr(screen, "back_online", None)
            if callable(back_online):
                back_online()

    # -- calls left open: offered for wrap-up ---------------------------------------------

    @work(exclusive=True, group="open-calls", exit_on_error=False)
    async def offer_open_calls(self) -> None:
        """List this agent's calls left open (an earlier session quit or crashed during them)
        and offer to wrap each up; those the agent leaves for later wait for the next start."""
        from console.screens.open_calls import OpenCallsDialog

        desk = self.desk
        if desk is None or desk.read_only or self._unmounting:
            return
        if any(isinstance(screen, OpenCallsDialog) for screen in self.screen_stack):
            return
        if desk.sync_status().queued:
            return  # a queued wrap-up may close one: offered once everything is sent
        found = [
            left for left in await desk.open_calls() if left.call.id not in self._left_for_later
        ]
        if not found or self._unmounting or desk.call is not None:
            return  # (during a call the offer waits: it comes again after its wrap-up)
        self.push_screen(OpenCallsDialog(found), self._open_call_chosen)

    def _open_call_chosen(self, chosen: object) -> None:
        from console.desk_views import LeftOpen
        from console.screens.open_calls import OpenCallsDialog

        if isinstance(chosen, LeftOpen):
            self.resume_call(chosen)
            return
        for screen in self.screen_stack:  # (none: the dialog has gone)
            if isinstance(screen, OpenCallsDialog):
                return
        desk = self.desk
        if desk is not None:
            self.run_worker(self._leave_for_later(), group="open-calls-later")

    async def _leave_for_later(self) -> None:
        desk = self.desk
        if desk is None:
            return
        left = await desk.open_calls()
        self._left_for_later |= {item.call.id for item in left}
        if left:
            self.notify(
                ngettext(
                    "{count} call stays open: it is offered again on the next start.",
                    "{count} calls stay open: they are offered again on the next start.",
                    len(left),
                ).format(count=len(left)),
                timeout=6,
            )

    @work(exclusive=True, group="call", exit_on_error=False)
    async def resume_call(self, left: object) -> None:
        """Make a call left open the desk's call and open its wrap-up."""
        from console.desk_views import LeftOpen

        desk = self.desk
        if desk is None or not isinstance(left, LeftOpen):
            return
        if desk.call is not None:
            self.notify(
                _("A call is in progress: wrap it up first ({key}).").format(
                    key=self.key_label("wrapup")
                ),
                severity="warning",
            )
            return
        await desk.resume_call(left.call)
        self.post_message(DeskChanged())
        await self.switch_mode("wrapup")

    def quit_reasons(self) -> list[QuitReason]:
        """What quitting now would leave behind (QuitConfirmation lists it)."""
        reasons: list[QuitReason] = []
        desk = self.desk
        if desk is not None and not self._unmounting:
            if desk.call is not None and not desk.read_only:
                caller = desk.caller
                name = f"{caller.first_name} {caller.last_name}" if caller is not None else None
                reasons.append(call_reason(name, desk.call.started_at, self.key_label("wrapup")))
            if desk.hold is not None:
                reasons.append(hold_reason(desk.hold))
            queued = queued_reason(desk.queued_writes(), self.sync_command)
            if queued is not None:
                reasons.append(queued)
        return reasons

    async def action_quit(self) -> None:
        """ctrl+q (and the palette's Quit): quit, but first ask if that would leave something
        behind: a call not wrapped up, a slot held, writes not sent yet."""
        if any(isinstance(screen, QuitConfirmation) for screen in self.screen_stack):
            return
        if not self.quit_reasons():
            self.exit()
            return

        def answered(answer: bool | str | None) -> None:
            if answer == WRAP_UP:
                self.run_worker(self.action_show_wrapup(), group="quit", exclusive=True)
            elif answer == RELEASE:
                self.run_worker(self._release_and_quit(), group="quit", exclusive=True)
            elif answer is True:
                self.quit_anyway()

        self.push_screen(
            QuitConfirmation(self.quit_reasons, send_now=self.action_reconnect_quietly), answered
        )

    async def _release_and_quit(self) -> None:
        """Let the held slot go now (another desk may book it at once), leave the call open
        (the next start offers it for wrap-up), and quit."""
        if self.desk is not None:
            await self.desk.release_hold()
        self.quit_anyway()

    def quit_anyway(self) -> None:
        """Quit, leaving a line on the terminal if writes stay queued (exit status 1)."""
        queued = len(self.desk.queued_writes()) if self.desk is not None else 0
        if not queued:
            self.exit()
            return
        line = quit_line(queued, self.sync_command)
        self.exit(result=line, return_code=EXIT_QUEUED, message=Text(line))

    def action_reconnect_quietly(self) -> None:
        if self.store is not None:
            self.store.wake()

    def _after_replay(self) -> None:
        """Provisional bookings on screen became real ones (or issues): show them afresh."""
        screen = self.screen
        if showing(screen, "bookings"):
            cast(_Loads, screen).load()
        elif isinstance(screen, LookupScreen) and self.desk is not None and self.desk.caller:
            screen.refresh_bookings()

    async def _open_api(self) -> CentralApi:
        timeout = self.config.server.timeout_seconds
        if self.config.embedded:
            service = cast("EmbeddedService", await self._open_embedded().wait())
            return CentralApi(
                "http://embedded",
                service.token,
                transport=service.transport(),
                timeout=max(timeout, 30.0),
            )
        if not self.config.server.token:
            raise ApiRefused(
                401,
                "no_token",
                _(
                    "No token for the central service: set [server] token in config.toml, "
                    "AGENT_CONSOLE_TOKEN, or --token."
                ),
            )
        return CentralApi(self.config.server.url, self.config.server.token, timeout=timeout)

    @work(thread=True, exit_on_error=False)
    def _open_embedded(self) -> EmbeddedService:
        from console.client.embedded import open_embedded, start_local_sender

        def progress(label: str, done: int, total: int) -> None:
            self.call_from_thread(self._startup_progress, label, done, total)

        service = open_embedded(self.config, role=self.role, progress=progress)
        if not self._unmounting:
            sender, delivery = start_local_sender(self.config)
            self._local_sender = sender
            self._delivery = sender.delivery if sender is not None else lambda: delivery
            if sender is not None and self._unmounting:  # the app closed meanwhile
                self._local_sender = None
                sender.stop()
        return service

    def _startup_progress(self, label: str, done: int, total: int) -> None:
        if isinstance(self.screen, StartupScreen):
            self.screen.show_progress(label, done, total)

    # -- errors, in one place -------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if event.worker.group == "connect" and isinstance(self.screen, StartupScreen):
            self.screen.show_failure(_describe(error) + "\n" + _("Press ctrl+q to quit."))
            return
        self.show_error(error)

    def show_error(self, error: BaseException | None) -> None:
        # The connection state comes from the Store (it fails over by itself); an Unreachable
        # that reaches here is what the cache cannot answer offline.
        if isinstance(error, Unreachable) and self.store is not None:
            self.store.wake()
        # Markup off: a message may name a config key in brackets ("[server] token").
        self.notify(
            _describe(error), title=_title(error), severity="error", timeout=8, markup=False
        )

    def refresh_status_bars(self) -> None:
        """Give the status bar and the offline banner of every screen on the stack (a dialog
        may be on top) the desk's sync status: they redraw."""
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.status = self.sync_status
            for banner in screen.query(OfflineBanner):
                banner.status = self.sync_status

    def follow_changes(self, target: MessagePump) -> Callable[[], None]:
        """Post what the desk's one change-feed poller reads to ``target`` (a screen), as
        :class:`ChangesArrived` messages; returns the function that stops it."""
        if self.desk is None:
            return lambda: None

        def post(batch: ChangeBatch) -> None:
            target.post_message(ChangesArrived(batch))

        return self.desk.subscribe_changes(post)

    def watch_connection_state(self) -> None:
        self.refresh_status_bars()

    @on(DeskChanged)
    def _desk_changed(self) -> None:
        self.refresh_status_bars()

    # -- the screen pop: a call ringing on this desk's extension ---------------------------

    @work(exclusive=True, group="extension", exit_on_error=False)
    async def sign_in_extension(self) -> None:
        """Declare ``[telephony] extension`` to the central service (again after an outage;
        offline it waits for the desk to be back)."""
        if self.desk is not None and self.config.telephony.extension:
            if self.desk.phone.extension is None:
                await self.desk.phone.sign_in(self.config.telephony.extension)
            else:
                await self.desk.phone.declare_again()

    def _ringing_from_feed(self, ringing: list[RingingCall], ended: set[str]) -> None:
        """The change feed's subscriber (called on this loop by the sync task)."""
        if not self._unmounting and self.is_running:
            self.post_message(RingingChanged(ringing, ended))

    @on(RingingChanged)
    def _ringing_changed(self, message: RingingChanged) -> None:
        shown = self._ringing
        if shown is not None and shown[0] in message.ended:
            self._take_down(shown[1])
        if message.ringing:
            self.pop_ringing(message.ringing[-1])

    def _take_down(self, screen: Screen) -> None:
        """The call popped stopped ringing here: its dialog goes (now, or when it is shown
        again: the agent may have switched screens meanwhile)."""
        self._ringing = None
        ended = getattr(screen, "ring_ended", None)
        if ended is not None:
            ended()

    @work(exclusive=True, group="ringing", exit_on_error=False)
    async def pop_ringing(self, call: RingingCall) -> None:
        """Show the card of the caller a ringing number belongs to (the callers, when several;
        the new-caller form with the number, when none)."""
        from console.screens.ringing import RingingCallerForm, RingingDialog

        desk = self.desk
        if desk is None or isinstance(self.screen, StartupScreen):
            return
        matches = await desk.phone.matches(call)
        previous, self._ringing = self._ringing, None
        if previous is not None:
            self._take_down(previous[1])
        current = desk.call
        busy = current is not None and (
            current.caller_id is not None or desk.last_booking is not None
        )
        screen: Screen
        if matches.none and not busy:
            screen = RingingCallerForm(call)
            self.push_screen(screen, lambda outcome: self._ringing_form_closed(call, outcome))
        else:
            screen = RingingDialog(
                call, matches, today=desk.today(), dispositions=desk.dispositions, busy=busy
            )
            self.push_screen(screen, self._ringing_answered)
        self._ringing = (call.call_id, screen)

    def _ringing_answered(self, answer: object) -> None:
        from console.screens.ringing import TakeCall

        self._ringing = None
        if isinstance(answer, TakeCall):
            self.take_ringing(answer.call, answer.caller_id)

    def _ringing_form_closed(self, call: RingingCall, outcome: object) -> None:
        from console.screens.new_caller import FormOutcome

        self._ringing = None
        if not isinstance(outcome, FormOutcome):
            return
        if outcome.created is not None:  # saved: the call started with the new caller
            self.open_call(outcome.created.id)
        elif outcome.open_id is not None:  # the caller existed after all
            self.take_ringing(call, outcome.open_id)

    @work(exclusive=True, group="call", exit_on_error=False)
    async def take_ringing(self, call: RingingCall, caller_id: int | None) -> None:
        desk = self.desk
        if desk is None:
            return
        try:
            await desk.phone.take(call, caller_id)
        except CallInProgress:
            self.notify(
                _("A call is in progress: wrap it up first ({key}).").format(
                    key=self.key_label("wrapup")
                ),
                severity="warning",
            )
            return
        self.post_message(DeskChanged())
        self.open_call(caller_id, call.number if caller_id is None else None)

    def open_call(self, caller_id: int | None, new_number: str | None = None) -> None:
        """The desk's call goes on on the lookup: the caller's card, or (no caller yet) the
        new-caller form with ``new_number`` filled in."""
        self.run_worker(self._open_call(caller_id, new_number), group="open-call", exclusive=True)

    async def _open_call(self, caller_id: int | None, new_number: str | None) -> None:
        await self.switch_mode("lookup")
        screen = self.screen
        if not isinstance(screen, LookupScreen):
            return
        if caller_id is not None:
            screen.open_caller(caller_id)
        elif new_number:
            screen.call_after_refresh(screen.new_caller_for, {"phones": format_phone(new_number)})

    # -- screens --------------------------------------------------------------------------

    def _desk_ready(self) -> bool:
        return self.desk is not None and not isinstance(self.screen, StartupScreen)

    async def action_show_lookup(self) -> None:
        if not self._desk_ready():
            return
        await self.switch_mode("lookup")
        screen = self.screen
        if isinstance(screen, LookupScreen):  # F2 on the lookup itself: no resume
            screen.select_query()
        # No call starts here: one starts when the agent picks (or adds) the caller, or starts
        # an anonymous call (the lookup's key), so that F2 alone leaves no empty call record.

    async def action_show_slots(self) -> None:
        if self._desk_ready():
            await self.switch_mode("slots")

    async def action_show_bookings(self) -> None:
        if self._desk_ready():
            await self.switch_mode("bookings")

    async def action_show_callbacks(self) -> None:
        if self._desk_ready():
            await self.switch_mode("callbacks")

    async def action_show_directory(self) -> None:
        if self._desk_ready():
            await self.switch_mode("directory")

    async def action_show_reports(self) -> None:
        if self._desk_ready():
            await self.switch_mode("reports")

    async def action_open_reports(self) -> None:
        await self.action_show_reports()

    async def action_show_wrapup(self) -> None:
        if self._desk_ready():
            await self.switch_mode("wrapup")

    async def action_show_floor(self) -> None:
        if self._desk_ready() and self.reads_floor:
            await self.switch_mode("floor")

    async def action_show_sync_issues(self) -> None:
        if self._desk_ready():
            await self.switch_mode("sync")

    async def action_open_sync_issues(self) -> None:
        await self.action_show_sync_issues()

    def action_show_help(self) -> None:
        """F1: the keys of the screen shown, and the app's; F1 again closes the help."""
        from console.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        elif not isinstance(self.screen, StartupScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_reconnect(self) -> None:
        """Probe the central system now instead of waiting for the next back-off."""
        if self.store is not None:
            self.store.wake()
            self.notify(_("Trying to reach the central system…"), timeout=3)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_callbacks":
            # Not over a dialog: its own keys come first there (the hold dialog's F5).
            return not isinstance(self.screen, ModalScreen) and not showing(
                self.screen, "callbacks"
            )
        if action == "show_sync_issues":  # always works; not in the footer of its own screen
            return not showing(self.screen, "sync")
        # The footer has no room for the key of the screen already shown (F2 stays: on the
        # lookup it selects the query for the next caller).
        here = {
            "show_slots": "slots",
            "show_bookings": "bookings",
            "show_directory": "directory",
        }.get(action)
        if here is not None:
            return not showing(self.screen, here)
        if action == "show_floor":
            return self.reads_floor and not showing(self.screen, "floor")
        if action == "toggle_away":
            return self.desk is not None and self.desk.presence is not None
        if action == "show_reports":
            return not showing(self.screen, "reports")
        if action == "show_wrapup":  # wrap-up is an agent's: a supervisor has no F9
            desk = getattr(self, "desk", None)
            return not showing(self.screen, "wrapup") and not (desk is not None and desk.read_only)
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette: every action bound on the screen and in the app, with its key,
        in the UI's language; then Textual's own commands, translated."""
        from console.screens.help import bound_actions, screen_nodes

        if self._desk_ready():
            for found in bound_actions(self, [*screen_nodes(screen), self]):
                if found.action in ("command_palette", "app.command_palette"):
                    continue
                title = found.description or found.tooltip
                keys = ", ".join(found.keys)
                help_text = f"{found.tooltip} ({keys})" if found.tooltip else f"({keys})"
                yield SystemCommand(title, help_text, self._runner(found.action, found.node))
            if self.sync_status.state == OFFLINE:
                yield SystemCommand(
                    _("Reconnect now"),
                    _("Try the central system now instead of waiting"),
                    self.action_reconnect,
                )
        yield SystemCommand(_("Theme"), _("Change the current theme"), self.action_change_theme)
        yield SystemCommand(
            _("Quit"),
            _("Quit the application ({key})").format(key=self.key_label("quit")),
            self.action_quit,
        )
        if screen.maximized is not None:
            yield SystemCommand(
                _("Minimize"),
                _("Minimize the widget and restore to normal size"),
                screen.action_minimize,
            )
        elif screen.focused is not None and screen.focused.allow_maximize:
            yield SystemCommand(
                _("Maximize"), _("Maximize the focused widget"), screen.action_maximize
            )
        yield SystemCommand(
            _("Screenshot"),
            _("Save an SVG screenshot of the current screen"),
            lambda: self.set_timer(0.1, self.deliver_screenshot),
        )

    def _runner(self, action: str, node: DOMNode) -> Callable[[], object]:
        async def run() -> None:
            await self.run_action(action, node)

        return run

    def action_command_palette(self) -> None:
        """The command palette, its prompt and its "no matches" in the UI's language."""
        from widgets.palette import ConsolePalette

        if self.use_command_palette and not ConsolePalette.is_open(self):
            self.push_screen(
                ConsolePalette(
                    placeholder=_("Search for commands…"),
                    no_matches=_("No matches found"),
                    id="--command-palette",
                )
            )

    def action_help_quit(self) -> None:
        """ctrl+c does not quit (it copies in an input): say which key does."""
        self.notify(
            _("Press {key} to quit the console.").format(key=self.key_label("quit")),
            title=_("Do you want to quit?"),
        )

    async def on_unmount(self) -> None:
        self._unmounting = True
        if self._status_timer is not None:
            self._status_timer.stop()
        if self._heartbeat_timer is not None:
            self._heartbeat_timer.stop()
        presence = self.desk.presence if self.desk is not None else None
        if presence is not None:
            await presence.sign_out()  # the floor shows the desk signed out, not unreachable
            await presence.aclose()
        if self._midnight is not None:
            self._midnight.stop()
        await self.stop_sync()
        if self._local_sender is not None:
            sender, self._local_sender = self._local_sender, None
            await asyncio.to_thread(sender.stop)
        if self.desk is not None:
            await self.desk.release_hold()
            await self.desk.phone.sign_out()
        if self.store is not None:
            await self.store.aclose()
        elif self._given_api is not None:
            await self._given_api.aclose()
        gc.unfreeze()  # what it froze may be collected again (a process may run another app)


def _title(error: BaseException | None) -> str:
    if isinstance(error, Unreachable):
        return _("Central service unreachable")
    if isinstance(error, ApiRefused):
        if error.status == 409:
            return _("Conflict")
        if error.status == 403:
            return _("Not allowed")
        if error.status == 422:
            return _("Check the input")
        return _("Refused")
    return _("Error")


def _describe(error: BaseException | None) -> str:
    if isinstance(error, Unreachable) and "never been online" in error.message:
        return _(
            "The central system is unreachable, and this desk has never been connected to it: "
            "it needs the central system once before it can work offline."
        )
    if isinstance(error, Unreachable) and "local cache" in error.message:
        return _(
            "The central system is unreachable, and this is not in this desk's local cache: "
            "only callers, bookings and slots this desk has seen are."
        )
    if isinstance(error, ApiError):
        return error.message
    return f"{type(error).__name__}: {error}"


def run_console(
    config: Config,
    *,
    server: str | None = None,
    token: str | None = None,
    language: str | None = None,
    role: str | None = None,
    config_file: str | None = None,
    extension: str | None = None,
) -> int:
    """Run the console until the agent quits; the ``agent-console`` command calls this. Its
    exit status: 0, or 1 when the agent quit with writes still queued (the line it leaves on
    the terminal says how to send them)."""
    updates: dict = {}
    if extension:
        try:
            updates["telephony"] = TelephonySection(extension=extension)
        except ValidationError as exc:
            problem = exc.errors()[0]["msg"]
            raise ConfigError(f"--extension {extension!r}: {problem}") from None
    if server or token:
        updates["server"] = config.server.model_copy(
            update={k: v for k, v in (("url", server), ("token", token)) if v}
        )
    if language:
        updates["ui"] = config.ui.model_copy(update={"language": language})
    config = config.model_copy(update=updates)
    app = AgentConsole(config, role=Role(role or "agent"))
    app.sync_command = sync_command(
        config.server.url, config_file=config_file, token_flag=bool(token)
    )
    app.run()
    return app.return_code or 0
