"""What the console leans on of Textual's private internals still exists and behaves.

``widgets/textual_internals.py`` lists every private part of Textual the console uses. These
tests fail, naming the part, when a Textual upgrade renames, removes or changes one of them,
and when code outside that list starts to use another one.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import pkgutil
import textwrap
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import cast

import pytest
import textual
from rich.style import Style
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import CommandPalette
from textual.dom import DOMNode
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input
from textual.widgets.data_table import RowKey

from widgets import textual_internals
from widgets.textual_internals import (
    LEANS_ON,
    FooterKey,
    Leaning,
    Queue,
    bindings_of,
    default_prevented,
    pump_busy,
    screenshot_module,
    set_footer_key_disabled,
    timer_clock,
    timer_sleep,
)

ROOT = Path(__file__).resolve().parents[2]
TEXTUAL_DIR = Path(textual.__file__).parent
INTERNALS = "widgets/textual_internals.py"


# -- every listed part exists, with the parameters it was written against ---------------------


class Host(App):
    def compose(self) -> ComposeResult:
        yield DataTable()
        yield Input()


def _instances(app: App) -> dict[type, object]:
    return {
        Timer: Timer(app, 1.0),
        Screen: app.screen,
        Input: app.query_one(Input),
        DataTable: app.query_one(DataTable),
        Footer: Footer(),
        CommandPalette: CommandPalette(),
        FooterKey: FooterKey("x", "x", "X", "x"),
        Message: Message(),
        DOMNode: DOMNode(),
        MessagePump: app.screen,
        Queue: app.screen._message_queue,
        asyncio.Event: asyncio.Event(),
    }


def _id(leaning: Leaning) -> str:
    return f"{leaning.owner.__name__}.{leaning.name}"


@pytest.mark.parametrize("leaning", LEANS_ON, ids=_id)
async def test_each_listed_part_exists(leaning: Leaning) -> None:
    if not leaning.instance:
        assert inspect.getattr_static(leaning.owner, leaning.name, None) is not None, (
            f"Textual's {_id(leaning)} is gone: {leaning.used_by} leans on it"
        )
        return
    async with Host().run_test() as pilot:
        instance = _instances(pilot.app)[leaning.owner]
        owner = leaning.owner.__name__
        assert hasattr(instance, leaning.name), (
            f"a {owner} no longer has {leaning.name}: {leaning.used_by} leans on it"
        )


@pytest.mark.parametrize("leaning", [x for x in LEANS_ON if x.parameters is not None], ids=_id)
def test_each_listed_method_takes_the_parameters_it_was_written_against(leaning: Leaning) -> None:
    method = inspect.getattr_static(leaning.owner, leaning.name)
    names = tuple(inspect.signature(method).parameters)[1:]  # after self
    assert names == leaning.parameters, (
        f"Textual's {_id(leaning)} now takes {names}; {leaning.used_by} was written for "
        f"{leaning.parameters}"
    )


@pytest.mark.parametrize("leaning", LEANS_ON, ids=_id)
def test_the_list_names_the_module_that_leans_on_each_part(leaning: Leaning) -> None:
    assert leaning.name in (ROOT / leaning.used_by).read_text(encoding="utf-8")


def test_the_version_the_list_was_checked_against_is_recorded() -> None:
    """Not a pin (uv.lock pins Textual): after an upgrade, recheck the list and record it."""
    assert textual.__version__ == textual_internals.TESTED_WITH, (
        f"Textual is {textual.__version__}; the list in {INTERNALS} was checked against "
        f"{textual_internals.TESTED_WITH}: run these tests, fix what they name, update it"
    )


# -- and does what it is used for --------------------------------------------------------------


async def test_a_timer_runs_its_run_method_and_ticks_through_tick() -> None:
    """FrameTimer replaces ``_run`` and calls ``_tick`` itself; ``_active`` is what resume and
    pause set and clear; ``_interval`` is the interval it was given."""
    ran: list[str] = []

    class Recording(Timer):
        async def _run(self) -> None:
            await self._active.wait()
            ran.append("run")
            await self._tick(next_timer=timer_clock(), count=0)

    async with Host().run_test() as pilot:
        timer = Recording(pilot.app, 0.25, callback=lambda: ran.append("tick"), pause=True)
        assert timer._interval == 0.25
        timer._start()
        await timer_sleep(0.01)
        assert ran == [] and not timer._active.is_set()
        timer.resume()
        assert timer._active.is_set()
        for _ in range(50):
            if ran == ["run", "tick"]:
                break
            await asyncio.sleep(0.01)
        assert ran == ["run", "tick"]
        timer.pause()
        assert not timer._active.is_set()
        timer.stop()


async def test_a_screen_updates_from_the_timer_its_update_timer_property_gives() -> None:
    """PromptFrames replaces ``Screen._update_timer`` with a FrameTimer calling
    ``_on_timer_update``, and adds it to ``_timers`` (stopped with the screen)."""
    made: list[Timer] = []

    class Own(Screen):
        _own: Timer | None = None

        @property
        def _update_timer(self) -> Timer:
            if self._own is None:
                self._own = Timer(self, 1 / 60, callback=self._on_timer_update, pause=True)
                self._own._start()
                self._timers.add(self._own)
                made.append(self._own)
            return self._own

    async with Host().run_test() as pilot:
        screen = Own()
        await pilot.app.push_screen(screen)
        await pilot.pause()
        assert made and made[0] in screen._timers
        assert inspect.iscoroutinefunction(Screen._on_timer_update) or callable(
            screen._on_timer_update
        )


async def test_an_input_calls_its_watch_value_with_each_new_value() -> None:
    seen: list[str] = []

    class Watching(Input):
        def _watch_value(self, value: str) -> None:
            seen.append(value)
            super()._watch_value(value)

    class One(App):
        def compose(self) -> ComposeResult:
            yield Watching()

    async with One().run_test() as pilot:
        box = pilot.app.query_one(Watching)
        box.focus()
        await pilot.press("a", "b")
        assert seen[-2:] == ["a", "ab"]
        assert box.value == "ab"


async def test_an_input_takes_its_keys_through_on_key() -> None:
    """NoteInput keeps 1-4 for itself before Input's ``_on_key`` inserts them."""
    kept: list[str] = []

    class Picking(Input):
        async def _on_key(self, event) -> None:
            if event.character == "1":
                event.stop()
                event.prevent_default()
                kept.append("1")
                return
            await super()._on_key(event)

    class One(App):
        def compose(self) -> ComposeResult:
            yield Picking()

    async with One().run_test() as pilot:
        box = pilot.app.query_one(Picking)
        box.focus()
        await pilot.press("1", "2")
        assert kept == ["1"]
        assert box.value == "2"


async def test_a_table_measures_new_rows_through_update_dimensions() -> None:
    measured: list[list[RowKey]] = []

    class Measuring(DataTable):
        def _update_dimensions(self, new_rows) -> None:
            measured.append(list(new_rows))
            super()._update_dimensions(new_rows)

    class One(App):
        def compose(self) -> ComposeResult:
            yield Measuring()

    async with One().run_test() as pilot:
        table = pilot.app.query_one(Measuring)
        table.add_column("a")
        before = table._update_count
        key = table.add_row("x")
        await pilot.pause()
        assert [key] in measured
        assert isinstance(table._row_label_column_width, int)
        assert isinstance(table._update_count, int) and table._update_count >= before


async def test_a_table_draws_its_body_cells_through_render_cell() -> None:
    """QuickTable's fast path: the calls and the private state it reads."""
    cells: list[tuple[int, int]] = []

    class Drawing(DataTable):
        def _render_cell(
            self, row_index, column_index, base_style, width, cursor=False, hover=False
        ):
            cells.append((row_index, column_index))
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)

    class One(App):
        def compose(self) -> ComposeResult:
            yield Drawing()

    async with One().run_test(size=(40, 6)) as pilot:
        table = pilot.app.query_one(Drawing)
        table.add_columns("a", "b")
        row = table.add_row("x", "y")
        await pilot.pause()
        assert (0, 0) in cells and (0, 1) in cells
        assert table._row_locations.get_key(0) == row
        column = table._column_locations.get_key(1)
        assert column is not None and column in table.columns
        label, renderables = table._get_row_renderables(0)
        assert label is None and len(renderables) == 2
        style = table._get_row_style(0, Style())
        assert isinstance(style, Style)
        styles = table._get_styles_to_render_cell(
            False, False, False, False, False, True, True, False, False
        )
        assert len(styles) == 2 and all(isinstance(s, Style) for s in styles)
        assert isinstance(table._show_hover_cursor, bool)
        cache_key = (row, column, Style(), False, False, False, 0, table._pseudo_class_state)
        table._cell_render_cache[cache_key] = [[]]
        assert cache_key in table._cell_render_cache


async def test_a_footer_waits_for_its_bindings_and_a_disabled_key_only_rings() -> None:
    class WithKeys(App):
        BINDINGS = [Binding("f2", "ring", "Ring")]
        rung = 0

        def compose(self) -> ComposeResult:
            yield Footer()

        def action_ring(self) -> None:
            self.rung += 1

    async with WithKeys().run_test() as pilot:
        await pilot.pause()
        app = cast(WithKeys, pilot.app)
        assert app.query_one(Footer)._bindings_ready
        assert Footer()._bindings_ready is False
        key = app.query_one(FooterKey)
        bells: list[None] = []
        app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
        set_footer_key_disabled(key, True)
        assert key.has_class("-disabled")
        key.on_mouse_down()
        await pilot.pause()
        assert bells == [None] and app.rung == 0
        set_footer_key_disabled(key, False)
        assert not key.has_class("-disabled")
        key.on_mouse_down()
        await pilot.pause()
        assert app.rung == 1


def test_prevent_default_is_what_default_prevented_reads() -> None:
    message = Message()
    assert not default_prevented(message)
    message.prevent_default()
    assert default_prevented(message)


async def test_bindings_of_is_each_nodes_own_copy_and_the_one_keys_use() -> None:
    class Keyed(Screen):
        BINDINGS = [Binding("f2", "one", "One")]

    async with Host().run_test() as pilot:
        first, second = Keyed(), Keyed()
        bindings_of(first).key_to_bindings["f2"] = [Binding("f2", "two", "Two")]
        assert bindings_of(second).key_to_bindings["f2"][0].action == "one"
        await pilot.app.push_screen(first)
        await pilot.pause()
        assert first.active_bindings["f2"].binding.action == "two"


async def test_pump_busy_sees_a_queued_message_one_in_hand_and_none_when_idle() -> None:
    """What KeysInOrderApp waits on (widgets/keys_in_order.py)."""
    seen: list[tuple[bool, bool]] = []
    gate = asyncio.Event()

    class Slow(Input):
        class Wait(Message):
            pass

        async def on_slow_wait(self, message: Slow.Wait) -> None:
            seen.append((pump_busy(self, own=True), pump_busy(self)))
            await gate.wait()

    class One(App):
        def compose(self) -> ComposeResult:
            yield Slow()

    async with One().run_test() as pilot:
        await pilot.pause()
        box = pilot.app.query_one(Slow)
        assert not pump_busy(box)
        box.post_message(Slow.Wait())
        assert pump_busy(box)  # queued
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        assert seen == [(False, True)]  # in its own handler: only its own message
        assert pump_busy(box)  # handling it (awaiting in the handler), nothing queued
        gate.set()
        await pilot.pause()
        assert not pump_busy(box)
        await box.remove()
        assert not pump_busy(box)  # closed: it handles nothing more


async def test_the_timer_clock_runs_and_its_sleep_waits() -> None:
    before = timer_clock()
    await timer_sleep(0.01)
    assert timer_clock() > before


def test_the_snapshot_plugin_takes_its_screenshot_from_the_module_the_tests_wrap() -> None:
    """tests/tui/conftest.py wraps ``take_svg_screenshot`` in that module; the plugin must look
    it up there at each comparison, not hold its own reference."""
    import pytest_textual_snapshot

    assert callable(screenshot_module().take_svg_screenshot)
    source = inspect.getsource(pytest_textual_snapshot)
    assert f"from {screenshot_module().__name__} import take_svg_screenshot" in source


# -- nothing else touches Textual's private parts ----------------------------------------------


def _our_files() -> Iterator[Path]:
    for folder in ("console", "widgets", "tests", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith("tests/client/") or "migrations" in path.parts:
                continue  # tests/client is rewritten on another branch
            yield path


def _private(module: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in module.split("."))


def test_private_textual_modules_are_imported_by_the_internals_module_only() -> None:
    found: list[str] = []
    for path in _our_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative == INTERNALS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for module in modules:
                if module.split(".")[0] == "textual" and _private(module):
                    found.append(f"{relative}:{getattr(node, 'lineno', 0)} imports {module}")
    assert found == [], f"import these through {INTERNALS}: {found}"


@cache
def _textual_instance_attributes() -> dict[str, frozenset[str]]:
    """Class name -> the private attributes Textual's own code sets on ``self`` there."""
    found: dict[str, set[str]] = {}
    for path in TEXTUAL_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            names = found.setdefault(node.name, set())
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Attribute)
                    and isinstance(inner.ctx, ast.Store)
                    and isinstance(inner.value, ast.Name)
                    and inner.value.id == "self"
                    and _private(inner.attr)
                ):
                    names.add(inner.attr)
    return {name: frozenset(names) for name, names in found.items()}


def _textual_private(cls: type) -> set[str]:
    """The private members a class of ours gets from its Textual bases."""
    names: set[str] = set()
    for base in cls.__mro__[1:]:
        if not base.__module__.startswith("textual"):
            continue
        names |= {name for name in vars(base) if _private(name)}
        names |= _textual_instance_attributes().get(base.__name__, frozenset())
    return names


def _our_textual_subclasses() -> Iterator[tuple[type, str]]:
    """Every class in console/ (but the server) and widgets/ with a Textual base, and its file."""
    for package in ("console", "widgets"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".server" in info.name or ".migrations" in info.name:
                continue
            module = importlib.import_module(info.name)
            for cls in vars(module).values():
                if (
                    isinstance(cls, type)
                    and cls.__module__ == module.__name__
                    and any(b.__module__.startswith("textual") for b in cls.__mro__[1:])
                ):
                    source = inspect.getsourcefile(module)
                    assert source is not None
                    yield cls, Path(source).relative_to(ROOT).as_posix()


def _used_in_class(cls: type) -> set[str]:
    """Private names a class's own code defines or reads on ``self`` or ``super()``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _private(node.name):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            value = node.value
            on_self = isinstance(value, ast.Name) and value.id == "self"
            on_super = (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id == "super"
            )
            if on_self or on_super:
                names.add(node.attr)
    return names


def test_our_subclasses_lean_on_no_private_part_the_list_does_not_name() -> None:
    """A private name of Textual's that a class of ours (or a mixin it takes) overrides, sets or
    reads is either listed, or a collision waiting to happen (it was: the app's own
    ``_closing`` flag was MessagePump's, which tells Textual that the app is closing)."""
    listed = {(leaning.name, leaning.used_by) for leaning in LEANS_ON}
    unlisted: set[str] = set()
    for cls, _path in _our_textual_subclasses():
        textual_names = _textual_private(cls)
        for ours in cls.__mro__:
            if ours.__module__.split(".")[0] not in ("console", "widgets"):
                continue
            path = Path(inspect.getsourcefile(ours) or "").relative_to(ROOT).as_posix()
            for name in _used_in_class(ours) & textual_names:
                if (name, path) not in listed:
                    unlisted.add(f"{path}: {ours.__name__}.{name}")
    assert sorted(unlisted) == [], f"list these in {INTERNALS} (LEANS_ON), or rename: {unlisted}"


def test_3_escape_and_a_digit_reads_as_alt_and_the_digit() -> None:
    """What tmux and xterm send for alt+1 ... alt+9 (``ESC 1``) is read as ``alt+1``, not as
    a character; other sequences, and a digit typed alone, read as before."""
    from widgets.textual_internals import XTermParser

    textual_internals.read_alt_digits()
    textual_internals.read_alt_digits()  # idempotent
    parser = XTermParser()
    keys = [event.key for event in parser.feed("\x1b1a\x1b9" + "7" + "\x1b[A")]
    keys += [event.key for event in parser.feed("")]
    assert keys == ["alt+1", "a", "alt+9", "7", "up"]
