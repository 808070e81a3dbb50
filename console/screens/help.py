"""F1: every key of the screen the agent is on, and the app's keys, in the UI's language.

The keys are read from the bindings themselves (their descriptions and tooltips are translated
when each screen is made, ``widgets.translated``), at the keys they are on now (``[keys]`` in
config.toml), so the help never disagrees with the footer. The command palette lists the same
actions (:func:`bound_actions`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Label, Static

from console.i18n import _
from console.keymap import BY_ID
from console.screens.base import DeskModal
from widgets.textual_internals import bindings_of

FALLBACK_SUFFIXES = ("_fallback",)


@dataclass(frozen=True)
class BoundAction:
    """One action and every key it is on, as the help and the palette show it."""

    keys: tuple[str, ...]  # as the footer shows them: F2, ^n, ⏎
    description: str
    tooltip: str
    node: DOMNode
    action: str


def _canonical(binding_id: str) -> str:
    """``alt.lookup`` and ``lookup`` are one entry; so are ``hold.confirm_fallback`` and
    ``hold.confirm``."""
    if binding_id.startswith("alt."):
        binding_id = binding_id[len("alt.") :]
    for suffix in FALLBACK_SUFFIXES:
        binding_id = binding_id.removesuffix(suffix)
    return re.sub(r"_\d$", "", binding_id)  # wrapup.disposition_1 ... _9: one entry


def _allowed(node: DOMNode, binding: Binding) -> bool:
    """What the node refuses for this role or at this moment (``check_action`` False) is left
    out; what it only disables (None) stays."""
    action = binding.action.removeprefix("screen.").removeprefix("app.")
    try:
        return node.check_action(action, ()) is not False
    except Exception:
        return True


def bound_actions(app: App, nodes: Iterable[DOMNode], *, every: bool = False) -> list[BoundAction]:
    """The console's own bindings of ``nodes`` (those with an id in ``console.keymap``),
    grouped: one entry per action with all its keys. Without ``every``, the actions the node
    refuses now are left out."""
    found: dict[tuple[int, str], dict] = {}
    for node in nodes:
        for entries in bindings_of(node).key_to_bindings.values():
            for binding in entries:
                if binding.id is None or binding.id not in BY_ID:
                    continue
                if not every and not _allowed(node, binding):
                    continue
                target = app if binding.action.startswith("app.") else node
                entry = found.setdefault(
                    (id(node), _canonical(binding.id)),
                    {
                        "keys": [],
                        "description": "",
                        "tooltip": "",
                        "node": target,
                        "action": binding.action,
                    },
                )
                shown = app.get_key_display(binding)
                if shown not in entry["keys"]:
                    entry["keys"].append(shown)
                if binding.description and not entry["description"]:
                    entry["description"] = binding.description
                    entry["action"] = binding.action
                if binding.tooltip and not entry["tooltip"]:
                    entry["tooltip"] = binding.tooltip
    return [
        BoundAction(
            tuple(entry["keys"]),
            entry["description"],
            entry["tooltip"],
            entry["node"],
            entry["action"],
        )
        for entry in found.values()
        if entry["description"] or entry["tooltip"]
    ]


def screen_nodes(screen: Screen) -> list[DOMNode]:
    """The screen and every widget on it, in order."""
    return [screen, *screen.query("*")]


def _rows(actions: list[BoundAction]) -> Table:
    """Keys on the left, what they do on the right (wrapped under itself)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold")
    table.add_column(ratio=1)
    for action in actions:
        what = Text(action.description or action.tooltip)
        if action.tooltip and action.description and action.tooltip != action.description:
            what.append(f" — {action.tooltip}", style="dim")
        table.add_row(", ".join(action.keys), what)
    return table


class HelpScreen(DeskModal):
    """The keys of ``screen`` (the one under the help) and the app's keys."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close", tooltip="Back to the screen"),
    ]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.under = screen

    def compose(self) -> ComposeResult:
        app = self.app
        here = self.here = bound_actions(app, screen_nodes(self.under))
        everywhere = self.everywhere = bound_actions(app, [app])
        with VerticalScroll(classes="dialog", id="help-body"):
            yield Label(_("Keys"), classes="dialog-title")
            if here:
                yield Label(_("On this screen"), classes="help-section")
                yield Static(_rows(here), classes="help-keys")
            yield Label(_("Everywhere"), classes="help-section")
            yield Static(_rows(everywhere), classes="help-keys")
            yield Static(
                _("ctrl+p: every action by name. Escape or F1 closes this help."),
                classes="help-hint",
            )

    def action_close(self) -> None:
        self.dismiss(None)
