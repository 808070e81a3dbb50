"""The command palette (ctrl+p): every action bound on the screen and in the app, by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.app import SystemCommand
from textual.dom import DOMNode
from textual.screen import Screen

from console.client.connection import OFFLINE
from console.i18n import _
from console.shell.base import Shell


class PalettePart(Shell):
    """The palette's commands, its prompt and its "no matches" in the UI's language."""

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

    def action_reconnect(self) -> None:
        """Probe the central system now instead of waiting for the next back-off."""
        if self.store is not None:
            self.store.wake()
            self.notify(_("Trying to reach the central system…"), timeout=3)
