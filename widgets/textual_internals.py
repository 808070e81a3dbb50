"""Every part of Textual's private internals the console leans on, in one place.

Textual's public API does not reach everything the console's workarounds for Textual 8.2.8 need
(each is explained in its own module: the frame timer, the steady input, the sized and quick
tables, the footer without its leak, the note box's keys, the translated footer labels). What
they use of Textual's private parts is gathered here in three ways:

- private modules and names are imported from here only (:data:`CellCacheKey`,
  :class:`FooterKey`, :class:`FooterLabel`, :class:`KeyGroup`, :class:`StylesCache` (whose
  leaking cache ``widgets/textual_fixes.py`` replaces), :func:`timer_clock`,
  :func:`timer_sleep`, :func:`screenshot_module`);
- private state read or written from outside a subclass goes through a function here
  (:func:`default_prevented`, :func:`bindings_of`, :func:`set_footer_key_disabled`,
  :func:`pump_busy`);
- private methods our subclasses override, and the private state they use inside, stay where
  they are (they are the workaround), each listed in :data:`LEANS_ON` with the module that
  leans on it and the parameters it was written against.

``tests/unit/test_textual_internals.py`` checks each of them: that it exists, has the recorded
parameters and does what it is used for, and that nothing outside this list touches Textual's
private parts. After upgrading Textual, that test names what moved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from types import ModuleType

from textual import _time, events
from textual._queue import Queue
from textual._styles_cache import StylesCache
from textual._xterm_parser import XTermParser
from textual.binding import BindingsMap
from textual.command import CommandPalette
from textual.dom import DOMNode
from textual.layout import Layout
from textual.layouts.factory import LAYOUT_MAP
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input
from textual.widgets._data_table import CellCacheKey
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup

TESTED_WITH = "8.2.8"  # the Textual version this list was last checked against

__all__ = [
    "LEANS_ON",
    "TESTED_WITH",
    "CellCacheKey",
    "FooterKey",
    "FooterLabel",
    "KeyGroup",
    "Leaning",
    "StylesCache",
    "XTermParser",
    "bindings_of",
    "default_prevented",
    "pump_busy",
    "read_alt_digits",
    "register_layout",
    "screenshot_module",
    "set_footer_key_disabled",
    "timer_clock",
    "timer_sleep",
]


@dataclass(frozen=True)
class Leaning:
    """One private member of a Textual class that a module of ours relies on."""

    owner: type  # the Textual class that has it
    name: str
    used_by: str  # the module of ours that relies on it (a path from the repository's root)
    # A method's parameters after ``self``, as written against; None: not a method (an
    # attribute, a property or a reactive).
    parameters: tuple[str, ...] | None = None
    instance: bool = False  # set on each instance (in __init__), not on the class


LEANS_ON: tuple[Leaning, ...] = (
    # FrameTimer: its own schedule for a screen's frames (console/screens/frames.py).
    Leaning(Timer, "_run", "console/screens/frames.py", ()),
    Leaning(Timer, "_tick", "console/screens/frames.py", ("next_timer", "count")),
    Leaning(Timer, "_start", "console/screens/frames.py", ()),
    Leaning(Timer, "_active", "console/screens/frames.py"),
    Leaning(Timer, "_interval", "console/screens/frames.py", instance=True),
    Leaning(Screen, "_update_timer", "console/screens/frames.py"),
    Leaning(Screen, "_on_timer_update", "console/screens/frames.py", ()),
    Leaning(Screen, "_timers", "console/screens/frames.py", instance=True),
    # SteadyInput: the new value's virtual size without a layout (widgets/steady_input.py).
    Leaning(Input, "_watch_value", "widgets/steady_input.py", ("value",)),
    # NoteInput: 1-4 pick a report kind while the note is empty.
    Leaning(Input, "_on_key", "console/screens/report_provider.py", ("event",)),
    # SizedTable: rows redrawn once their columns are measured (widgets/sized_table.py).
    Leaning(DataTable, "_update_dimensions", "widgets/sized_table.py", ("new_rows",)),
    Leaning(DataTable, "_row_label_column_width", "widgets/sized_table.py"),
    Leaning(DataTable, "_update_count", "widgets/sized_table.py", instance=True),
    # QuickTable: one-line text cells straight to segments (widgets/quick_table.py).
    Leaning(
        DataTable,
        "_render_cell",
        "widgets/quick_table.py",
        ("row_index", "column_index", "base_style", "width", "cursor", "hover"),
    ),
    Leaning(DataTable, "_get_row_style", "widgets/quick_table.py", ("row_index", "base_style")),
    Leaning(DataTable, "_get_row_renderables", "widgets/quick_table.py", ("row_index",)),
    Leaning(
        DataTable,
        "_get_styles_to_render_cell",
        "widgets/quick_table.py",
        (
            "is_header_cell",
            "is_row_label_cell",
            "is_fixed_style_cell",
            "hover",
            "cursor",
            "show_cursor",
            "show_hover_cursor",
            "has_css_foreground_priority",
            "has_css_background_priority",
        ),
    ),
    Leaning(DataTable, "_row_locations", "widgets/quick_table.py", instance=True),
    Leaning(DataTable, "_column_locations", "widgets/quick_table.py", instance=True),
    Leaning(DataTable, "_cell_render_cache", "widgets/quick_table.py", instance=True),
    Leaning(DataTable, "_show_hover_cursor", "widgets/quick_table.py", instance=True),
    Leaning(DataTable, "_update_count", "widgets/quick_table.py", instance=True),
    Leaning(DataTable, "_pseudo_class_state", "widgets/quick_table.py", instance=True),
    # DirectoryTable: the scrollable height follows rows whose height changed.
    Leaning(DataTable, "_require_update_dimensions", "widgets/directory_table.py", instance=True),
    # KeysFooter: Textual's Footer without its leak (widgets/footer.py).
    Leaning(Footer, "_bindings_ready", "widgets/footer.py"),
    Leaning(FooterKey, "_disabled", "widgets/textual_internals.py", instance=True),
    # ConsolePalette: the palette's "No matches found" in the UI's language.
    Leaning(CommandPalette, "_start_no_matches_countdown", "widgets/palette.py", ("search_value",)),
    Leaning(CommandPalette, "_stop_no_matches_countdown", "widgets/palette.py", ()),
    Leaning(CommandPalette, "_no_matches_timer", "widgets/palette.py", instance=True),
    Leaning(CommandPalette, "_list_visible", "widgets/palette.py"),
    Leaning(CommandPalette, "_NO_MATCHES", "widgets/palette.py"),
    Leaning(CommandPalette, "_NO_MATCHES_COUNTDOWN", "widgets/palette.py"),
    # The functions below.
    Leaning(
        XTermParser, "_sequence_to_key_events", "widgets/textual_internals.py", ("sequence", "alt")
    ),
    Leaning(Message, "_no_default_action", "widgets/textual_internals.py"),
    Leaning(DOMNode, "_bindings", "widgets/textual_internals.py", instance=True),
    Leaning(MessagePump, "_message_queue", "widgets/textual_internals.py"),
    Leaning(MessagePump, "_pending_message", "widgets/textual_internals.py", instance=True),
    Leaning(Queue, "ready_event", "widgets/textual_internals.py", instance=True),
    Leaning(asyncio.Event, "_waiters", "widgets/textual_internals.py", instance=True),
    Leaning(MessagePump, "_closing", "widgets/textual_internals.py", instance=True),
    Leaning(MessagePump, "_closed", "widgets/textual_internals.py", instance=True),
)


# -- the clock Textual's timers run on ----------------------------------------------------------


def timer_clock() -> float:
    """Now, on the clock Textual's timers use (``Timer._tick``'s ``next_timer``)."""
    return _time.get_time()


def timer_sleep(seconds: float) -> Awaitable[None]:
    """Sleep as Textual's timers do (precise on every platform)."""
    return _time.sleep(seconds)


# -- private state, read and written from outside ----------------------------------------------


def default_prevented(event: Message) -> bool:
    """Whether a handler called ``event.prevent_default()`` (Textual has no public reader)."""
    return bool(event._no_default_action)


def bindings_of(node: DOMNode) -> BindingsMap:
    """The node's own copy of its bindings (made per instance from ``BINDINGS``): changing it
    changes what this node's keys say and do, and no other node's."""
    return node._bindings


def set_footer_key_disabled(key: FooterKey, disabled: bool) -> None:
    """Restyle a footer key as enabled or disabled in place (its ``-disabled`` class shows it;
    ``FooterKey`` reads the flag when it draws and on a click)."""
    key._disabled = disabled
    key.set_class(disabled, "-disabled")


# -- a layout of our own -----------------------------------------------------------------------


def register_layout(layout: type[Layout]) -> None:
    """Make a layout of ours usable by name: Textual's styles take a layout only by a name in
    its ``LAYOUT_MAP`` (``styles.layout = SomeLayout()`` looks the name up again)."""
    LAYOUT_MAP.setdefault(layout.name, layout)


# -- alt+digit as tmux and xterm send it -------------------------------------------------------

ALT_DIGITS = {f"\x1b{digit}": f"alt+{digit}" for digit in "0123456789"}


def read_alt_digits() -> None:
    """Read ``ESC`` followed by a digit as alt+digit (idempotent; for the whole process).

    tmux, xterm with ``metaSendsEscape`` and most Linux terminals send alt+1 as ``ESC 1``.
    Textual 8.2.8 maps those ten sequences to the characters macOS's Option key types in
    WezTerm (``ESC 1`` -> "¡", ``ESC 7`` -> "¶": its ``_ansi_sequences``), so the console's
    alt+1 ... alt+9 fallbacks never fired and a stray character landed in the focused input.
    ``XTermParser._sequence_to_key_events`` turns a whole sequence into keys; this wraps it
    so that these ten become the alt keys; every other sequence is read as before."""
    original = XTermParser._sequence_to_key_events
    if getattr(original, "reads_alt_digits", False):
        return

    def sequence_to_key_events(
        self: XTermParser, sequence: str, alt: bool = False
    ) -> Iterable[events.Key]:
        key = ALT_DIGITS.get(sequence)
        if key is not None:
            return (events.Key(key, None),)
        return original(self, sequence, alt)

    sequence_to_key_events.reads_alt_digits = True  # type: ignore[attr-defined]
    XTermParser._sequence_to_key_events = sequence_to_key_events  # type: ignore[method-assign]


# -- for the tests: where pytest-textual-snapshot takes its screenshots ---------------------------


def screenshot_module() -> ModuleType:
    """The module pytest-textual-snapshot takes ``take_svg_screenshot`` from at each comparison
    (imported here only when asked: the console itself never needs it)."""
    import textual._doc

    return textual._doc


# -- a message pump's queue --------------------------------------------------------------------


def pump_busy(pump: MessagePump, *, own: bool = False) -> bool:
    """Whether a message pump has messages queued, or is busy with one (or with what it does
    when its queue runs empty: its idle handlers, callbacks after a refresh). ``own``: asked
    from the pump's own handler, whose message does not count.

    Textual's queue (``textual._queue.Queue``) counts nothing in progress: a pump is idle when
    its queue is empty, no message is taken out to look at (``_pending_message``: the pump
    peeks at the next message to see whether it replaces the one in hand), and its task waits
    on the queue's ``ready_event`` for the next message (``asyncio.Event`` keeps its waiters in
    ``_waiters``). A pump that is closing, closed or not
    started is never busy: it handles nothing more."""
    if pump._closing or pump._closed or not pump.is_running:
        return False
    queue: Queue[Message | None] = pump._message_queue
    if queue.qsize() or pump._pending_message is not None:  # peeked at, not handled yet
        return True
    return not own and not queue.ready_event._waiters
