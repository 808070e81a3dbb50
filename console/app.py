"""The Textual app: modes (one per screen), app-wide keys, the status, errors in one place.

Screens live in ``console/screens/``, one module each; the work of a call lives in
``console.desk.Desk``; this module only wires them together.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from console import i18n
from console.client.api import ApiError, ApiRefused, CentralApi, Unreachable
from console.config import Config
from console.desk import Desk
from console.domain.models import Role
from console.i18n import _
from console.messages import DeskChanged
from console.screens.bookings import BookingsScreen
from console.screens.lookup import LookupScreen
from console.screens.slots import SlotsScreen
from console.screens.startup import StartupScreen
from console.screens.wrapup import WrapUpScreen
from widgets.status_bar import StatusBar
from widgets.translated import translate_bindings


class AgentConsole(App):
    """agent-console: find the caller, book a slot, wrap up the call."""

    TITLE = "agent-console"
    CSS_PATH = [
        "app.tcss",
        "styles/lookup.tcss",
        "styles/slots.tcss",
        "styles/bookings.tcss",
        "styles/wrapup.tcss",
    ]
    MODES = {
        "lookup": LookupScreen,
        "slots": SlotsScreen,
        "bookings": BookingsScreen,
        "wrapup": WrapUpScreen,
    }
    BINDINGS = [
        Binding(
            "f2",
            "show_lookup",
            "Caller",
            id="lookup",
            priority=True,
            tooltip="Find the caller; starts a call when none is active",
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
            "f9",
            "show_wrapup",
            "Wrap-up",
            id="wrapup",
            priority=True,
            tooltip="Disposition, notes, follow-up; ends the call",
        ),
        # Fallbacks for terminals and multiplexers that swallow function keys.
        Binding("alt+1", "show_lookup", show=False, priority=True),
        Binding("alt+2", "show_slots", show=False, priority=True),
        Binding("alt+3", "show_bookings", show=False, priority=True),
        Binding("alt+9", "show_wrapup", show=False, priority=True),
        Binding("ctrl+q", "quit", "Quit", id="quit", show=False, priority=True),
    ]

    connection_state: reactive[str] = reactive("connecting")

    def __init__(
        self,
        config: Config,
        *,
        api: CentralApi | None = None,
        role: Role = Role.AGENT,
    ) -> None:
        i18n.set_language(config.ui.language)
        super().__init__()
        translate_bindings(self)
        self.config = config
        self.role = role
        self.theme = config.ui.theme
        self._given_api = api
        self.desk: Desk | None = None  # type: ignore[assignment]
        self.set_keymap(
            {
                "lookup": config.keys.lookup,
                "slots": config.keys.slots,
                "bookings": config.keys.bookings,
                "wrapup": config.keys.wrapup,
            }
        )

    # -- start ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(StartupScreen())
        self.connect()

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self) -> None:
        api = self._given_api or await self._open_api()
        desk = Desk(api, fixed_today=self.config.ui.today)
        await desk.connect()
        self.desk = desk
        self.connection_state = "online"
        await self.switch_mode("lookup")

    async def _open_api(self) -> CentralApi:
        timeout = self.config.server.timeout_seconds
        if self.config.embedded:
            service = await self._open_embedded().wait()
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
    def _open_embedded(self):  # type: ignore[no-untyped-def]
        from console.client.embedded import open_embedded

        def progress(label: str, done: int, total: int) -> None:
            self.call_from_thread(self._startup_progress, label, done, total)

        return open_embedded(self.config, role=self.role, progress=progress)

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
        if isinstance(error, Unreachable):
            self.connection_state = "offline"
        self.notify(_describe(error), title=_title(error), severity="error", timeout=8)

    def refresh_status_bars(self) -> None:
        """Redraw the status bar of every screen on the stack (a dialog may be on top)."""
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.refresh_status()

    def watch_connection_state(self) -> None:
        self.refresh_status_bars()

    @on(DeskChanged)
    def _desk_changed(self) -> None:
        self.refresh_status_bars()

    # -- screens --------------------------------------------------------------------------

    def _desk_ready(self) -> bool:
        return self.desk is not None and not isinstance(self.screen, StartupScreen)

    async def action_show_lookup(self) -> None:
        if not self._desk_ready():
            return
        await self.switch_mode("lookup")
        self.start_call()

    @work(exclusive=True, group="call", exit_on_error=False)
    async def start_call(self) -> None:
        if self.desk.call is None and not self.desk.read_only:
            await self.desk.ensure_call()
            self.post_message(DeskChanged())

    async def action_show_slots(self) -> None:
        if self._desk_ready():
            await self.switch_mode("slots")

    async def action_show_bookings(self) -> None:
        if self._desk_ready():
            await self.switch_mode("bookings")

    async def action_show_wrapup(self) -> None:
        if self._desk_ready():
            await self.switch_mode("wrapup")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if not self._desk_ready():
            return
        yield SystemCommand(_("Caller lookup"), _("Find the caller (F2)"), self.action_show_lookup)
        yield SystemCommand(
            _("Slot search"), _("Free slots for the caller (F3)"), self.action_show_slots
        )
        yield SystemCommand(
            _("Bookings"), _("The caller's bookings (F4)"), self.action_show_bookings
        )
        yield SystemCommand(
            _("Wrap-up"), _("End the call with notes (F9)"), self.action_show_wrapup
        )

    async def on_unmount(self) -> None:
        if self.desk is not None:
            await self.desk.release_hold()
            await self.desk.api.aclose()


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
) -> int:
    """Run the console until the agent quits; the ``agent-console`` command calls this."""
    updates: dict = {}
    if server or token:
        updates["server"] = config.server.model_copy(
            update={k: v for k, v in (("url", server), ("token", token)) if v}
        )
    if language:
        updates["ui"] = config.ui.model_copy(update={"language": language})
    config = config.model_copy(update=updates)
    AgentConsole(config, role=Role(role or "agent")).run()
    return 0
