"""The footer with the keys: Textual's Footer without its leak and without needless rebuilds.

Textual 8.2.8's ``Footer`` recomposes itself on every ``refresh_bindings()`` and binds each new
``FooterKey``'s ``compact`` to its own with ``data_bind``. That binding is a watcher stored on
the footer, and the footer prunes its watchers only when ``compact`` changes, which it never
does: every FooterKey ever built stays reachable, with its styles, tooltip and message queue.
The console refreshes its bindings whenever the focus moves or the lookup box becomes empty
or not: thousands of dead keys (hundreds of MB) after a working day.

:class:`KeysFooter` draws the same keys, in the same order and with the same classes, but:

- it gives each key the footer's ``compact`` value directly (and passes a change on to the
  keys it shows), so no watcher outlives a key;
- the refreshes that arrive together (a focus move publishes two or three) become one update;
- an update that shows the same keys does nothing; one where keys only became enabled or
  disabled restyles them in place; and one that hides keys, or shows again keys it hid, only
  toggles their ``display`` (a footer without binding groups keeps the keys it hid, in their
  place): the lookup screen hides and shows escape's key as the box empties and fills, and a
  rebuild there cost the next key press a few milliseconds. Only a key never shown before
  rebuilds the footer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import groupby
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.layout import ArrangeResult
from textual.layouts.horizontal import HorizontalLayout
from textual.widget import Widget
from textual.widgets import Footer

from widgets.textual_internals import (
    FooterKey,
    FooterLabel,
    KeyGroup,
    register_layout,
    set_footer_key_disabled,
)

if TYPE_CHECKING:
    from textual.screen import Screen

COMMAND_PALETTE = "-command-palette"
MAX_HIDDEN = 8  # hidden keys a footer keeps at most (more: a rebuild keeps none)


@dataclass(frozen=True)
class _Key:
    """One key as the footer shows it."""

    key: str
    key_display: str
    description: str
    action: str
    disabled: bool
    tooltip: str
    classes: str = ""
    id: str | None = None  # the binding's id


@dataclass(frozen=True)
class _Group:
    """Keys of one binding group, shown together before the group's label."""

    compact: bool
    keys: tuple[_Key, ...]
    label: str


_Item = _Key | _Group


def _keys(plan: tuple[_Item, ...]) -> list[_Key]:
    found: list[_Key] = []
    for item in plan:
        found.extend(item.keys if isinstance(item, _Group) else (item,))
    return found


def _merge(old: list[_Key], new: list[_Key]) -> list[_Key]:
    """A shortest sequence holding both ``old`` and ``new`` in their orders (through their
    longest common subsequence): the keys a footer keeps when it hides some of them."""
    rows, cols = len(old), len(new)
    lengths = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            lengths[i][j] = (
                lengths[i + 1][j + 1] + 1
                if old[i] == new[j]
                else max(lengths[i + 1][j], lengths[i][j + 1])
            )
    merged: list[_Key] = []
    i = j = 0
    while i < rows and j < cols:
        if old[i] == new[j]:
            merged.append(old[i])
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            merged.append(old[i])
            i += 1
        else:
            merged.append(new[j])
            j += 1
    return merged + old[i:] + new[j:]


def _shape(plan: tuple[_Item, ...]) -> tuple[_Item, ...]:
    """The plan with every key enabled: two plans of one shape differ only in which keys are
    disabled, which can be restyled without a rebuild."""
    shaped: list[_Item] = []
    for item in plan:
        if isinstance(item, _Group):
            keys = tuple(replace(key, disabled=False) for key in item.keys)
            shaped.append(replace(item, keys=keys))
        else:
            shaped.append(replace(item, disabled=False))
    return tuple(shaped)


class WrappingKeys(HorizontalLayout):
    """Keys left to right, on as many lines as they need, up to the footer's ``max_lines``: a
    key that would cross the right edge starts the next line. At 80 columns a screen's keys
    and the app's need two lines; Textual's horizontal layout would cut them off at the edge.
    Where they need more than ``max_lines``, the footer's spare keys (:meth:`KeysFooter.spare`)
    are left out, the first spare first, until the rest fit (they stay in F1 and ctrl+p)."""

    name = "wrapping-keys"

    def arrange(
        self, parent: Widget, children: list[Widget], size: Size, greedy: bool = True
    ) -> ArrangeResult:
        max_lines = getattr(parent, "max_lines", None)
        spare = parent.spare(children) if isinstance(parent, KeysFooter) else []
        shown = list(children)
        while True:
            wrapped, lines = self._wrap(parent, shown, size)
            if max_lines is None or lines <= max_lines or not spare:
                return wrapped
            shown.remove(spare.pop(0))

    def _wrap(
        self, parent: Widget, children: list[Widget], size: Size
    ) -> tuple[ArrangeResult, int]:
        wide = Size(max(size.width, 1) * 8, size.height)  # one line, as long as it takes
        placements = super().arrange(parent, children, wide, greedy=False)
        wrapped = []
        shift = line = 0
        for placement in placements:
            region = placement.region
            if region.right - shift > size.width and region.x > shift:
                line += 1
                shift = region.x
            moved = Region(region.x - shift, region.y + line, region.width, region.height)
            wrapped.append(placement._replace(region=moved))
        return wrapped, line + 1 if placements else 0


register_layout(WrappingKeys)


class KeysFooter(Footer):
    """Textual's Footer (same keys, same look), without the leak; see the module docstring.

    Its keys wrap onto a second line where one is too narrow for them (:class:`WrappingKeys`).
    """

    DEFAULT_CSS = """
    KeysFooter {
        height: auto;
        max-height: 2;
    }
    """

    max_lines = 2  # at 80 columns: two of the 24 rows, never three

    def __init__(
        self,
        *args: object,
        first: Callable[[], tuple[str, ...]] | tuple[str, ...] = (),
        spare: tuple[str, ...] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.styles.layout = WrappingKeys()
        # Binding ids of the keys left out, in this order, where the keys need more than
        # max_lines (never one of ``first``): F1's help and the palette list them all.
        self.spare_ids = spare
        # Binding ids shown before every other key when active (what needs the agent now,
        # e.g. F6 after an outage): a footer wider than the screen cuts its last keys.
        self.first = first
        self._shown: tuple[_Item, ...] | None = None  # what compose drew last
        self._update_pending = False
        # Without binding groups: every key widget, shown or hidden, in order, by its shape.
        self._slots: list[tuple[_Key, FooterKey]] | None = None
        self.rebuilds = 0  # how many times the keys were composed (tests look at it)

    # -- what to show ---------------------------------------------------------------------

    def _plan(self) -> tuple[_Item, ...]:
        """The keys to show, as Textual's ``Footer.compose`` chooses them."""
        app = self.app
        active_bindings = self.screen.active_bindings
        bindings = [
            (binding, enabled, tooltip)
            for (_, binding, enabled, tooltip) in active_bindings.values()
            if binding.show
        ]
        first = self.first() if callable(self.first) else self.first
        if first:  # stable: the others keep their order
            bindings.sort(key=lambda found: found[0].id not in first)
        action_to_bindings: defaultdict[str, list[tuple[Binding, bool, str]]]
        action_to_bindings = defaultdict(list)
        for binding, enabled, tooltip in bindings:
            action_to_bindings[binding.action].append((binding, enabled, tooltip))

        plan: list[_Item] = []
        for group, grouped in groupby(action_to_bindings.values(), lambda multi: multi[0][0].group):
            multi_bindings = list(grouped)
            if group is not None and len(multi_bindings) > 1:
                keys = []
                for multi in multi_bindings:
                    binding, enabled, tooltip = multi[0]
                    keys.append(
                        _Key(
                            binding.key,
                            app.get_key_display(binding),
                            "",
                            binding.action,
                            not enabled,
                            tooltip or binding.description,
                            "-grouped",
                        )
                    )
                plan.append(_Group(group.compact, tuple(keys), group.description))
            else:
                for multi in multi_bindings:
                    binding, enabled, tooltip = multi[0]
                    plan.append(
                        _Key(
                            binding.key,
                            app.get_key_display(binding),
                            binding.description,
                            binding.action,
                            not enabled,
                            tooltip,
                            id=binding.id,
                        )
                    )
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            try:
                _node, binding, enabled, tooltip = active_bindings[app.COMMAND_PALETTE_BINDING]
            except KeyError:
                pass
            else:
                plan.append(
                    _Key(
                        binding.key,
                        app.get_key_display(binding),
                        binding.description,
                        binding.action,
                        not enabled,
                        binding.tooltip or binding.description,
                        COMMAND_PALETTE,
                    )
                )
        return tuple(plan)

    def spare(self, children: list[Widget]) -> list[Widget]:
        """Of ``children``, the keys that may be left out, the first to go first."""
        first = self.first() if callable(self.first) else self.first
        order = [binding_id for binding_id in self.spare_ids if binding_id not in first]
        found = {getattr(child, "binding_id", None): child for child in children}
        return [found[binding_id] for binding_id in order if binding_id in found]

    def _key(self, key: _Key) -> FooterKey:
        widget = FooterKey(
            key.key,
            key.key_display,
            key.description,
            key.action,
            disabled=key.disabled,
            tooltip=key.tooltip,
            classes=key.classes,
        )
        # The spare keys go by it (KeysFooter.spare).
        widget.binding_id = key.id  # type: ignore[attr-defined]
        if key.classes != COMMAND_PALETTE:  # as Textual's: that one keeps its own default
            widget.set_reactive(FooterKey.compact, self.compact)
            widget.set_class(self.compact, "-compact")  # what its watcher would do
        return widget

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        plan = self._plan()
        self._shown = plan
        self.rebuilds += 1
        actions = {key.action for key in _keys(plan) if key.classes != COMMAND_PALETTE}
        self.styles.grid_size_columns = len(actions)
        kept = self._slots
        self._slots = None
        if all(isinstance(item, _Key) for item in plan):
            # Keep the keys hidden before too (hidden still), so that showing them again is
            # only a change of display.
            wanted = {replace(key, disabled=False): key for key in _keys(plan)}
            old = [shape for shape, _widget in kept or []]
            merged = _merge(old, list(wanted))
            if len(merged) > len(wanted) + MAX_HIDDEN:
                merged = list(wanted)
            self._slots = []
            for shape in merged:
                widget = self._key(wanted.get(shape, shape))
                widget.display = shape in wanted
                self._slots.append((shape, widget))
                yield widget
            return
        for item in plan:
            if isinstance(item, _Group):
                with KeyGroup(classes="-compact" if item.compact else ""):
                    for key in item.keys:
                        yield self._key(key)
                yield FooterLabel(item.label)
            else:
                yield self._key(item)

    def watch_compact(self, compact: bool) -> None:
        for key in self.query(FooterKey):
            if not key.has_class(COMMAND_PALETTE):
                key.compact = compact

    # -- when the bindings change ---------------------------------------------------------

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._update_pending:
            self._update_pending = True
            self.call_after_refresh(self._update_keys)

    async def _update_keys(self) -> None:
        self._update_pending = False
        if not self.is_attached or not self.is_mounted:
            return
        plan = self._plan()
        if plan == self._shown:
            return
        if self._place(plan):
            self._shown = plan
            return
        await self.recompose()

    def _place(self, plan: tuple[_Item, ...]) -> bool:
        """Show ``plan`` with the key widgets there are (display and disabled changed only);
        False if it needs a key there is no widget for (or binding groups)."""
        slots = self._slots
        if slots is None or not all(isinstance(item, _Key) for item in plan):
            return False
        chosen: list[tuple[FooterKey, _Key]] = []
        index = 0
        for key in _keys(plan):
            shape = replace(key, disabled=False)
            while index < len(slots) and slots[index][0] != shape:
                index += 1
            if index == len(slots):
                return False
            chosen.append((slots[index][1], key))
            index += 1
        if any(not widget.is_attached for widget, _key in chosen):
            return False
        shown = {id(widget) for widget, _key in chosen}
        for _shape, widget in slots:
            widget.display = id(widget) in shown
        for widget, key in chosen:
            set_footer_key_disabled(widget, key.disabled)
        return True
