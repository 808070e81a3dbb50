"""The Textual app: modes (one per screen), app-wide keys, the desk connected on start.

Screens live in ``console/screens/``, one module each; the work of a call lives in
``console.desk.Desk``; the app's other jobs are its parts in ``console/shell/`` (the command
palette, the desk's presence, the sync status and its announcements, the screen pop, calls
left open, the day's watch, quitting, errors): this module composes them and wires the screens
together.

The desk talks to a :class:`~console.client.store.Store` over the central API (networked or
embedded alike): the Store's sync loop runs as long as the app does, and its state (online,
offline, syncing, the outbox, sync issues) drives the status bars, the offline banner and the
notifications when the desk is back online or the replay needs the agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from pydantic import ValidationError
from textual import work
from textual.binding import Binding
from textual.message_pump import MessagePump
from textual.screen import ModalScreen

from console import i18n
from console.client.api import ApiRefused, CentralApi
from console.client.feed import ChangeBatch
from console.client.store import Store
from console.client.tls import TrustError, trust
from console.clock import Clock
from console.config import Config, ConfigError, TelephonySection
from console.desk import Desk, SyncStatus
from console.desk_phone import watch_ringing
from console.desk_views import Delivery
from console.domain.models import Role
from console.domain.phone import format_phone
from console.i18n import _, ngettext
from console.keymap import keymap_for
from console.messages import ChangesArrived
from console.screens.lookup import LookupScreen
from console.screens.quit import sync_command
from console.screens.startup import StartupScreen
from console.shell.day_watch import DayWatchPart
from console.shell.errors import ErrorsPart
from console.shell.first_contact import FirstContactPart
from console.shell.modes import SCREENS, new_screen, showing
from console.shell.open_calls import OpenCallsPart
from console.shell.palette import PalettePart
from console.shell.presence import PresencePart
from console.shell.quitting import QuittingPart
from console.shell.screen_pop import ScreenPopPart
from console.shell.sync_status import SyncStatusPart
from widgets import textual_fixes
from widgets.keys_in_order import KeysInOrderApp
from widgets.textual_internals import read_alt_digits
from widgets.translated import translate_bindings

if TYPE_CHECKING:
    from console.client.embedded import EmbeddedService, LocalSender

log = logging.getLogger(__name__)

textual_fixes.apply()  # a leak of the pinned Textual that cost the console memory all shift

MAX_BACKOFF = 10.0  # offline: probe after 1, 2, 4, 8, then every 10 s


def freeze_long_lived() -> None:
    """Keep what is alive now out of Python's full garbage collections (``gc.freeze``).

    The console keeps a large heap of objects that live as long as it does (modules, screens,
    the desk's data). Every full collection walked all of them: a 130-140 ms pause, every so
    often, in the middle of the agent's typing (measured on the lookup over the national
    dataset). Objects made later are collected as before; frozen ones that become garbage are
    still freed by reference counting.
    """
    gc.freeze()


class AgentConsole(
    PalettePart,
    PresencePart,
    SyncStatusPart,
    ScreenPopPart,
    OpenCallsPart,
    DayWatchPart,
    QuittingPart,
    FirstContactPart,
    ErrorsPart,
    KeysInOrderApp,
):
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
    MODES = {"lookup": LookupScreen, **{mode: new_screen(mode) for mode in SCREENS}}
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
        self.theme = config.ui.theme
        self._given_api = api
        self.desk: Desk | None = None
        self.store: Store | None = None
        self.sync_status = SyncStatus()
        self._sync_task: asyncio.Task | None = None
        # How to send queued writes without the console (said on quitting with some queued);
        # run_console names the config file and a token given on the command line.
        self.sync_command = sync_command(config.server.url)
        # The embedded service's sender of messages to callers, and what the desk says of
        # delivery (None: a networked desk, whose central service sends).
        self._local_sender: LocalSender | None = None
        self._delivery: Callable[[], Delivery] | None = None
        self.set_keymap(keymap_for(config.keys))

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
        # Offline, from the cache, if the service does not answer; a desk never yet online
        # waits for it (the start screen says so), trying again as offline probes do.
        await self.reach_central(desk, store)
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
        try:
            verify = trust(self.config.server.ca_file)
        except TrustError as exc:
            raise ApiRefused(400, "bad_ca_file", str(exc), "ca_file") from None
        return CentralApi(
            self.config.server.url, self.config.server.token, timeout=timeout, verify=verify
        )

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

    def follow_changes(self, target: MessagePump) -> Callable[[], None]:
        """Post what the desk's one change-feed poller reads to ``target`` (a screen), as
        :class:`ChangesArrived` messages; returns the function that stops it."""
        if self.desk is None:
            return lambda: None

        def post(batch: ChangeBatch) -> None:
            target.post_message(ChangesArrived(batch))

        return self.desk.subscribe_changes(post)

    async def on_unmount(self) -> None:
        self._unmounting = True
        self.stop_status_redraws()
        await self.stop_presence()  # the floor shows the desk signed out, not unreachable
        self.stop_day_watch()
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
