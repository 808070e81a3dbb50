"""What the app's parts share: the desk, the Store, the config, and a few small helpers.

Every part of the app (``console/shell/``) is a mixin over :class:`Shell`, so that the state
and the helpers they all use are typed in one place; :class:`console.app.AgentConsole` sets the
state and composes the parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App
from textual.reactive import reactive

from console.domain.models import Role
from console.keymap import key_label
from console.screens.startup import StartupScreen
from widgets.offline_banner import OfflineBanner
from widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from console.client.store import Store
    from console.clock import Clock
    from console.config import Config
    from console.desk import Desk, SyncStatus


class Shell(App):
    """The state the app's parts share (set by ``AgentConsole.__init__``) and their helpers."""

    config: Config
    role: Role
    clock: Clock
    desk: Desk | None
    store: Store | None
    sync_status: SyncStatus
    sync_command: str  # how to send queued writes without the console
    _unmounting: bool = False  # unmounting: the Store is about to close

    connection_state: reactive[str] = reactive("connecting")

    if TYPE_CHECKING:
        # What one part asks of another: each is defined by its part, and AgentConsole has all.
        def offer_open_calls(self) -> object: ...  # open_calls

        def sign_in_extension(self) -> object: ...  # screen_pop

        def open_call(self, caller_id: int | None, new_number: str | None = None) -> None: ...

        def report_replay(self, count: int) -> None: ...  # presence

        async def action_show_wrapup(self) -> None: ...  # console.app

    def key_label(self, binding_id: str) -> str:
        """The key a binding is on now (``[keys]`` in config.toml, else its default), as the
        console's messages name it: ``F6``, ``ctrl+o``."""
        return key_label(self.config.key_of(binding_id))

    @property
    def issues_key(self) -> str:
        return self.key_label("sync_issues")

    @property
    def reads_floor(self) -> bool:
        """Supervisors and admins read the floor (it is a supervisor's first screen)."""
        desk = self.desk
        return (
            desk is not None
            and desk.agent is not None
            and desk.agent.role in (Role.SUPERVISOR, Role.ADMIN)
        )

    def _desk_ready(self) -> bool:
        return self.desk is not None and not isinstance(self.screen, StartupScreen)

    def refresh_status_bars(self) -> None:
        """Give the status bar and the offline banner of every screen on the stack (a dialog
        may be on top) the desk's sync status: they redraw."""
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.status = self.sync_status
            for banner in screen.query(OfflineBanner):
                banner.status = self.sync_status
