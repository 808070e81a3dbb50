"""The console (or a hello-world Textual app) in a process of its own, under ``run_test``.

``python -m benchmarks.console_probe MODE [options]`` — the parent (``benchmarks.console``)
spawns it and reads one line of JSON from its stdout:

- ``hello``: start a hello-world Textual app headless and print as soon as its first frame is
  drawn, with the process's resident memory at that moment.
- ``console-start``: start the console headless (the embedded service on the benchmark's SQLite
  dataset) and print as soon as the lookup screen is ready and drawn. The parent times both
  from spawn to that line: the same way of starting, the same moment of "ready".
- ``console-shift``: a shift of calls through the console (``benchmarks.shift``): find the
  caller, search a service's slots, hold and book the first, wrap up; the desk's clock moves
  ``--call-minutes`` with each call, so the slot window is refreshed as often as configured in
  the shift's time. Prints the process's resident memory after each call, and the widgets,
  tasks and open files after the first ``--warm`` calls and at the end.
- ``console-type``: print a line when the console is ready (as ``console-start`` does: the
  parent counts this start too), wait until its first sync is done, then type
  queries into the lookup box key by key, timing each key press until the first frame that
  shows the answer for the box's text; then go on searching (a whole query at a time, as a
  paste would) until ``--searches`` answers were shown, and print the process's resident
  memory, on a second line.

"Drawn" is a frame the compositor produced: ``App._display`` is wrapped to note when it is
called and which query the lookup screen showed then (``LookupScreen.shown_query``, set with
the results table in the same step). Headless, Textual renders everything and only skips the
terminal write. Nothing of the product is changed or patched.

Imports are made inside the modes, so the hello world pays only for Textual's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIZE = (120, 36)
POLL = 0.0005  # seconds between looks at the app's state


class _Frames:
    """The frames the app draws: when, and which query the screen showed in each."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last = 0.0
        self.shown: list[tuple[float, str | None]] = []  # (when, LookupScreen.shown_query)
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is not None and not app._batch_count:
                self.last = time.perf_counter()
                self.shown.append((self.last, getattr(screen, "shown_query", None)))
                del self.shown[:-50]

        app._display = display

    async def after(self, moment: float, timeout: float = 30.0) -> float:
        """Wait for a frame drawn after ``moment``; return when it was drawn."""
        deadline = time.perf_counter() + timeout
        while self.last <= moment:
            if time.perf_counter() > deadline:
                raise TimeoutError("no frame was drawn")
            await asyncio.sleep(POLL)
        return self.last

    async def showing(self, query: str, since: float, timeout: float = 60.0) -> float:
        """Wait for the first frame after ``since`` that shows the answer for ``query``."""
        deadline = time.perf_counter() + timeout
        while True:
            for drawn, shown in self.shown:
                if drawn > since and shown == query:
                    return drawn
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no frame showed the answer for {query!r}")
            await asyncio.sleep(POLL)


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def _rss() -> dict[str, float]:
    from benchmarks.stats import peak_rss_mb, rss_mb

    return {"rss_mb": rss_mb(), "peak_rss_mb": peak_rss_mb()}


# --- hello world ----------------------------------------------------------------------------


async def hello() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Hello(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("Hello, world")

    app = Hello()
    async with app.run_test(headless=True, size=SIZE):
        frames = _Frames(app)
        await frames.after(0.0)
        _emit({"ready": True, **_rss()})


# --- the console ----------------------------------------------------------------------------


def _console_app(database: str, desk: str, search_delay_ms: int | None) -> Any:
    from console.app import AgentConsole
    from console.config import Config, ServiceSection, UiSection

    ui = UiSection() if search_delay_ms is None else UiSection(search_delay_ms=search_delay_ms)
    return AgentConsole(Config(data_dir=desk, service=ServiceSection(database=database), ui=ui))


async def _until_ready(app: Any, frames: _Frames, timeout: float = 300.0) -> None:
    """Until the desk is connected, the lookup screen is up, and a frame shows it."""
    from console.screens.lookup import LookupScreen

    deadline = time.perf_counter() + timeout
    while not (app.desk is not None and isinstance(app.screen, LookupScreen)):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the console did not get ready; screen {app.screen!r}")
        await asyncio.sleep(POLL)
    await frames.after(time.perf_counter())


async def _until_synced(app: Any, timeout: float = 600.0) -> float:
    """Until the desk's first sync with the service is done; return how long it took."""
    began = time.perf_counter()
    deadline = began + timeout
    while app.store is None or app.store.last_sync is None:
        if time.perf_counter() > deadline:
            raise TimeoutError("the desk's first sync did not finish")
        await asyncio.sleep(0.01)
    return time.perf_counter() - began


async def console_start(database: str, desk: str) -> None:
    app = _console_app(database, desk, None)
    async with app.run_test(headless=True, size=SIZE):
        frames = _Frames(app)
        await _until_ready(app, frames)
        _emit({"ready": True})


async def console_type(
    database: str,
    desk: str,
    queries: list[str],
    typed: int,
    searches: int,
    search_delay_ms: int | None,
) -> None:
    app = _console_app(database, desk, search_delay_ms)
    keystrokes: list[float] = []
    answers = 0
    async with app.run_test(headless=True, size=SIZE) as pilot:
        frames = _Frames(app)
        await _until_ready(app, frames)
        _emit({"ready": True})  # the parent times the start to this line, as console-start's
        rss_ready = _rss()["rss_mb"]
        sync_seconds = await _until_synced(app)
        rss_synced = _rss()["rss_mb"]
        _emit({"synced": True})  # (for a profiler to attach now)
        screen = app.screen
        box = screen.search_box
        box.focus()
        delay_ms = app.config.ui.search_delay_ms
        for query in queries[:typed]:
            box.value = ""
            await pilot.pause()
            for key in query:
                before = box.value.strip()
                began = time.perf_counter()
                await pilot.press("space" if key == " " else key)
                text = box.value.strip()
                if len(text) < 2 or text == before:
                    await pilot.pause()
                    continue
                drawn = await frames.showing(text, began)
                keystrokes.append((drawn - began) * 1000)
                answers += 1
        index = typed
        while answers < searches:
            query = queries[index % len(queries)].strip()
            index += 1
            box.value = ""
            await pilot.pause()
            began = time.perf_counter()
            box.value = query
            await frames.showing(query, began)
            answers += 1
        await pilot.pause()
        _emit(
            {
                "keystrokes": keystrokes,
                "searches": answers,
                "search_delay_ms": delay_ms,
                "sync_seconds": sync_seconds,
                "rss_ready_mb": rss_ready,
                "rss_synced_mb": rss_synced,
                **_rss(),
            }
        )


# --- a shift: calls through the real console ----------------------------------------------


class _ShiftTicks:
    """The ticks the desk measures its own intervals in (``Clock.ticks``), in a shift: they
    run at the real pace and move ``call_minutes`` on with each call (a call and its wrap-up on
    the health line), so ``calls`` calls are a shift of ``calls * call_minutes`` minutes of
    the desk's, lived in the real time the console takes for them, and the slot window is
    refreshed as often as configured in that time. The wall clock stays real: holds and the
    feed are dated by the service's."""

    def __init__(self, call_minutes: float) -> None:
        self.step = call_minutes * 60
        self.moved = 0.0
        self.began = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() + self.moved

    def next_call(self) -> None:
        self.moved += self.step

    def hours(self) -> float:
        return (self() - self.began) / 3600


def _counts(app: Any) -> dict[str, int]:
    """Live widgets (any, on a screen or not), asyncio tasks, open file descriptors (SQLite's
    kept for reuse apart: ``sqlite_kept``)."""
    import gc

    from textual.widget import Widget

    gc.collect()
    kinds = _open_files()
    kept = sqlite_kept_descriptors(kinds)
    return {
        "widgets": sum(1 for thing in gc.get_objects() if isinstance(thing, Widget)),
        "tasks": len(asyncio.all_tasks()),
        "files": sum(kinds.values()) - kept,
        "sqlite_kept": kept,
    }


def sqlite_kept_descriptors(kinds: dict[str, int]) -> int:
    """Descriptors SQLite keeps of connections already closed, to reuse (``kinds``: open
    descriptors by path, :func:`_open_files`).

    SQLite's unix VFS cannot close a closed connection's database file while another
    connection of the process holds a lock on it (closing any descriptor of a file drops the
    process's POSIX locks on it), and in WAL mode every open connection holds one: it keeps the
    descriptor and gives it to the next connection that opens the file. So after the embedded
    service's pool closes a connection it opened for a burst, the database file has one more
    descriptor than its WAL file: reused, not leaked, and at most the most connections ever
    open at once. An open connection has both (its WAL file too), so a connection leaked open
    still counts as files."""
    kept = 0
    for path, count in kinds.items():
        wal = kinds.get(f"{path}-wal")
        if wal is not None and path.endswith(".db"):
            kept += max(0, count - wal)
    return kept


LOOKS = 5  # looks at the counts, LOOK_GAP seconds apart; each count is the least seen
LOOK_GAP = 0.3


async def _steady_counts(app: Any, pilot: Any) -> dict[str, int]:
    """The counts of what the console keeps (:func:`_counts`), each the least of ``LOOKS``
    looks: the sync loop polls the feed every 2 s, and a look in the middle of a round sees
    its task and its open files; what the console keeps is there at every look."""
    least: dict[str, int] = {}
    for _ in range(LOOKS):
        await pilot.pause(LOOK_GAP)
        for name, count in _counts(app).items():
            least[name] = min(count, least.get(name, count))
    return least


def _open_files() -> dict[str, int]:
    """The process's open file descriptors by what they are (a path, ``socket``, ``pipe``)."""
    import os
    import re

    kinds: dict[str, int] = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        kind = re.sub(r":\[\d+\]$", "", target)  # socket:[123] -> socket
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def _task_kinds() -> dict[str, int]:
    """The asyncio tasks by what they run (their coroutine's qualified name)."""
    kinds: dict[str, int] = {}
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        name = getattr(coro, "__qualname__", type(coro).__name__)
        kinds[name] = kinds.get(name, 0) + 1
    return kinds


async def _settled(app: Any, pilot: Any, timeout: float = 60.0) -> None:
    """Until no worker of the console is running (three quiet looks in a row)."""
    deadline = time.perf_counter() + timeout
    quiet = 0
    while quiet < 3:
        if time.perf_counter() > deadline:
            raise TimeoutError("the console did not settle")
        await pilot.pause(0.01)
        quiet = 0 if any(worker.is_running for worker in app.workers) else quiet + 1


async def _wait(
    predicate: Callable[[], Any], message: str | Callable[[], str], timeout: float, poll: float
) -> None:
    """Until ``predicate()`` is true, looking every ``poll`` seconds; TimeoutError(``message``,
    or what it says when called) after ``timeout`` seconds."""
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError(message if isinstance(message, str) else message())
        await asyncio.sleep(poll)


async def _until(predicate: Any, what: str, timeout: float = 60.0) -> None:
    await _wait(predicate, f"the console did not get to: {what}", timeout, 0.005)


async def _one_call(app: Any, pilot: Any, query: str, service_code: str) -> bool:
    """One call as an agent makes it: find the caller (F2), search the service's slots (F3),
    hold the first and book it, wrap up (F9). True if a slot was booked."""
    from console.screens.booking_dialogs import ClashDialog
    from console.screens.lookup import LookupScreen
    from console.screens.slots import SlotsScreen
    from console.screens.wrapup import WrapUpScreen

    await pilot.press("f2")
    await _until(lambda: isinstance(app.screen, LookupScreen), "the lookup")
    await _settled(app, pilot)
    lookup = app.screen
    box = lookup.search_box
    box.focus()
    box.value = query
    await _until(lambda: lookup.shown_query == query, f"the answer for {query!r}")
    for _attempt in range(3):  # enter: to the first result, and enter again opens it
        if app.desk.caller is not None:
            break
        await pilot.press("enter")
        await _settled(app, pilot)
    if app.desk.caller is None:
        raise RuntimeError(f"no caller opened for {query!r}")

    await pilot.press("f3")
    await _until(lambda: isinstance(app.screen, SlotsScreen), "the slot search")
    slots = app.screen
    field = slots.query_one("#service")
    field.focus()
    field.value = service_code
    await pilot.press("enter")
    await _settled(app, pilot)
    booked = False
    if slots.table.row_count:
        slots.table.focus()
        slots.table.move_cursor(row=0)
        await pilot.press("enter")  # hold it: the hold dialog
        await _settled(app, pilot)
        if isinstance(app.screen, ClashDialog):
            # The caller has a booking of this service already (a kept dataset holds earlier
            # runs' bookings): book anyway, as an agent would for a caller who wants another;
            # where the service allows one per caller there is no "anyway": go back.
            await pilot.press("ctrl+s")
            await _settled(app, pilot)
            if isinstance(app.screen, ClashDialog):
                await pilot.press("escape")
                await _settled(app, pilot)
        if app.desk.hold is not None:
            await pilot.press("ctrl+s")  # confirm: the booked dialog
            await _until(lambda: app.desk.last_booking is not None, "the booking")
            await _settled(app, pilot)
            await pilot.press("enter")  # close it
            await _settled(app, pilot)
            booked = True

    await pilot.press("f9")
    await _until(lambda: isinstance(app.screen, WrapUpScreen), "the wrap-up")
    await _settled(app, pilot)
    wrapup = app.screen
    if wrapup.dispositions.chosen is None:
        wrapup.dispositions.choose("no_slot")
    wrapup.notes.load_text("Shift benchmark call.")
    await pilot.press("ctrl+s")
    await _until(lambda: app.desk.call is None, "the wrap-up saved")
    await _until(lambda: isinstance(app.screen, LookupScreen), "the next call")
    await _settled(app, pilot)
    return booked


async def console_shift(
    database: str, desk: str, queries: list[str], calls: int, call_minutes: float, warm: int
) -> None:
    """``calls`` calls through the console, its clock moving ``call_minutes`` a call; prints
    one JSON line: RSS, widgets, tasks and files after ``warm`` calls and at the end, and
    RSS after every call against the desk's hours."""
    from benchmarks.stats import peak_rss_mb, rss_mb
    from console.app import AgentConsole
    from console.clock import Clock
    from console.config import Config, ServiceSection, UiSection

    shift_time = _ShiftTicks(call_minutes)
    app = AgentConsole(
        Config(
            data_dir=desk, service=ServiceSection(database=database), ui=UiSection(timers=False)
        ),
        clock=Clock(ticks=shift_time),
    )
    samples: list[tuple[float, float]] = []  # (desk hours, RSS MB) after each call
    booked = 0
    warm_counts: dict[str, int] = {}
    warm_tasks: dict[str, int] = {}
    warm_files: dict[str, int] = {}
    warm_rss = 0.0
    began = time.perf_counter()
    async with app.run_test(headless=True, size=SIZE) as pilot:
        frames = _Frames(app)
        await _until_ready(app, frames)
        await _until_synced(app)
        codes = [service.code for service in app.desk.services]
        for number in range(calls):
            shift_time.next_call()
            booked += await _one_call(
                app, pilot, queries[number % len(queries)], codes[number % len(codes)]
            )
            app.clear_notifications()
            samples.append((shift_time.hours(), rss_mb()))
            if number + 1 == warm:
                warm_rss = rss_mb()
                warm_counts = await _steady_counts(app, pilot)
                warm_tasks, warm_files = _task_kinds(), _open_files()
        await _settled(app, pilot)
        app.clear_notifications()
        await pilot.pause(0.1)
        end_counts = await _steady_counts(app, pilot)
        end_tasks, end_files = _task_kinds(), _open_files()
        _emit(
            {
                "calls": calls,
                "booked": booked,
                "warm": warm,
                "warm_rss_mb": warm_rss,
                "end_rss_mb": rss_mb(),
                "peak_rss_mb": peak_rss_mb(),
                "warm_counts": warm_counts,
                "end_counts": end_counts,
                "warm_tasks": warm_tasks,
                "end_tasks": end_tasks,
                "warm_files": warm_files,
                "end_files": end_files,
                "samples": samples,
                "hours": shift_time.hours(),
                "refreshes": app.store.sync.refreshes,
                "seconds": time.perf_counter() - began,
            }
        )


# --- the screen pop and the floor, live: a console's frames, and the feed as the floor ------


def _drawn(
    app: Any, screen_type: type, value: Callable[[Any], str | None], *, changes_only: bool = False
) -> list[tuple[float, str]]:
    """(time.monotonic(), value) of every frame drawn on a ``screen_type`` screen for which
    ``value(screen)`` is not None (``changes_only``: only when it differs from the last one)."""
    shown: list[tuple[float, str]] = []
    original = app._display

    def display(screen: Any, renderable: Any) -> None:
        original(screen, renderable)
        if renderable is None or app._batch_count or not isinstance(screen, screen_type):
            return
        found = value(screen)
        if found is not None and not (changes_only and shown and shown[-1][1] == found):
            shown.append((time.monotonic(), found))
            del shown[:-50]

    app._display = display
    return shown


async def _follow_feed(
    server: str, token: str, rounds: int, pick: Callable[[dict[str, Any]], dict | None]
) -> None:
    """A bare HTTP client long-polling the change feed the way the desk does: one line (what
    ``pick`` makes of a change, and when its page arrived) per change ``pick`` picks, until
    ``rounds`` of them."""
    import httpx

    from console.desk_phone import LONG_POLL_SECONDS

    async with httpx.AsyncClient(
        base_url=server,
        headers={"Authorization": f"Bearer {token}"},
        timeout=LONG_POLL_SECONDS + 10,
    ) as client:
        answer = await client.get("/v1/changes/latest")
        answer.raise_for_status()
        since = int(answer.json()["last_seq"])
        _emit({"ready": True})
        seen = 0
        while seen < rounds:
            answer = await client.get(
                "/v1/changes", params={"since": since, "wait": LONG_POLL_SECONDS}
            )
            at = time.monotonic()
            answer.raise_for_status()
            page = answer.json()
            since = int(page["last_seq"])
            for change in page["changes"]:
                line = pick(change)
                if line is not None:
                    _emit({**line, "at": at})
                    seen += 1
        _emit({"done": True})


def _popped_card(screen: Any) -> str | None:
    """The ringing call's id when its dialog shows the caller's card."""
    from widgets.caller_card import CallerCardView

    card = screen.query(CallerCardView)
    if card and card.first().display and card.first().caller_id is not None:
        return str(screen.call.call_id)
    return None


async def screen_pop(server: str, token: str, extension: str, desk: str, rounds: int) -> None:
    from console.app import AgentConsole
    from console.config import Config, ServerSection, TelephonySection
    from console.screens.ringing import RingingDialog

    config = Config(
        data_dir=desk,
        server=ServerSection(url=server, token=token),
        telephony=TelephonySection(extension=extension),
    )
    app = AgentConsole(config)
    async with app.run_test(headless=True, size=SIZE) as pilot:
        frames = _Frames(app)
        await _until_ready(app, frames)
        await _until_synced(app)
        await _wait(
            lambda: app.desk.phone.declared, "the desk did not declare its extension", 60, 0.01
        )
        shown = _drawn(app, RingingDialog, _popped_card)
        _emit({"ready": True})
        seen: set[str] = set()

        def unseen() -> list[tuple[float, str]]:
            return [item for item in shown if item[1] not in seen]

        for _ in range(rounds):
            await _wait(unseen, "no ringing call's card was shown", 60, POLL)
            at, call_id = unseen()[0]
            seen.add(call_id)
            while isinstance(app.screen, RingingDialog):  # hidden; the phone rings on
                await pilot.press("escape")
                await pilot.pause()
            _emit({"shown": call_id, "at": at})
        _emit({"done": True, **_rss()})


async def feed(server: str, token: str, extension: str, rounds: int) -> None:
    """The screen pop's floor: one line per call rung on ``extension``."""

    def ringing(change: dict[str, Any]) -> dict | None:
        data = change["data"] or {}
        if (
            change["entity"] == "ringing"
            and change["op"] == "ringing"
            and data.get("extension") == extension
        ):
            return {"shown": str(data["call_id"])}
        return None

    await _follow_feed(server, token, rounds, ringing)


async def floor_watch(server: str, token: str, desk: str, agent_id: int, rounds: int) -> None:
    """A supervisor's console on the floor: one line per state of agent ``agent_id`` drawn."""
    from console.app import AgentConsole
    from console.config import Config, ServerSection
    from console.screens.floor import FloorScreen
    from widgets.floor_agents import AgentsTable

    def agent_state(screen: Any) -> str | None:
        """The agent's state in the floor screen's agents table."""
        table = screen.query(AgentsTable)
        floor = table.first().floor if table else None
        if floor is None or not table.first().row_count:
            return None
        return next((a.state.value for a in floor.agents if a.id == agent_id), None)

    app = AgentConsole(Config(data_dir=desk, server=ServerSection(url=server, token=token)))
    async with app.run_test(headless=True, size=SIZE):
        await _wait(
            lambda: isinstance(app.screen, FloorScreen) and app.screen.loads,
            lambda: f"the floor was not shown; screen {app.screen!r}",
            300,
            0.01,
        )
        await _until_synced(app)
        shown = _drawn(app, FloorScreen, agent_state, changes_only=True)
        app.screen.load()  # a frame with the agent, now that the hook is in
        await _wait(lambda: shown, "the floor never showed the agent", 60, 0.01)
        _emit({"ready": True, "state": shown[-1][1]})
        told = len(shown)
        for _ in range(rounds):
            await _wait(
                lambda told=told: len(shown) > told,
                "the floor did not show the agent's next state",
                60,
                POLL,
            )
            at, state = shown[told]
            told += 1
            _emit({"state": state, "at": at})
        _emit({"done": True, **_rss()})


async def floor_feed(server: str, token: str, agent_id: int, rounds: int) -> None:
    """The live floor's floor: one line per state change of agent ``agent_id``."""

    def state_change(change: dict[str, Any]) -> dict | None:
        data = change["data"] or {}
        if (
            change["entity"] == "agent_state"
            and int(change["entity_id"]) == agent_id
            and data.get("state") != data.get("previous")
        ):
            return {"state": data["state"]}
        return None

    await _follow_feed(server, token, rounds, state_change)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.console_probe")
    parser.add_argument(
        "mode",
        choices=[
            "hello",
            "console-start",
            "console-type",
            "console-shift",
            "screen-pop",
            "feed",
            "floor-watch",
            "floor-feed",
        ],
    )
    parser.add_argument("--database", help="the SQLite dataset the embedded service opens")
    parser.add_argument("--desk", help="the console's data directory (token, cache)")
    parser.add_argument("--queries", type=Path, help="a JSON list of search texts")
    parser.add_argument("--typed", type=int, default=50, help="queries typed key by key")
    parser.add_argument("--searches", type=int, default=1000, help="answers shown in all")
    parser.add_argument(
        "--search-delay-ms",
        type=int,
        default=None,
        help="the lookup's debounce (default: the product's default configuration)",
    )
    parser.add_argument("--calls", type=int, default=500, help="console-shift: calls made")
    parser.add_argument(
        "--call-minutes", type=float, default=4.0, help="console-shift: the desk's minutes a call"
    )
    parser.add_argument(
        "--warm", type=int, default=50, help="console-shift: calls before the first measure"
    )
    parser.add_argument("--server", help="screen-pop, feed: the central service's URL")
    parser.add_argument("--token", help="screen-pop, feed: an agent's token")
    parser.add_argument("--extension", help="screen-pop, feed: the desk's extension")
    parser.add_argument("--rounds", type=int, default=10, help="screen-pop, feed: calls rung")
    parser.add_argument("--agent-id", type=int, help="floor-watch, floor-feed: the agent watched")
    args = parser.parse_args(argv)
    if args.mode == "floor-watch":
        asyncio.run(floor_watch(args.server, args.token, args.desk, args.agent_id, args.rounds))
    elif args.mode == "floor-feed":
        asyncio.run(floor_feed(args.server, args.token, args.agent_id, args.rounds))
    elif args.mode == "screen-pop":
        asyncio.run(screen_pop(args.server, args.token, args.extension, args.desk, args.rounds))
    elif args.mode == "feed":
        asyncio.run(feed(args.server, args.token, args.extension, args.rounds))
    elif args.mode == "console-shift":
        queries = json.loads(args.queries.read_text())
        asyncio.run(
            console_shift(
                args.database, args.desk, queries, args.calls, args.call_minutes, args.warm
            )
        )
    elif args.mode == "hello":
        asyncio.run(hello())
    elif args.mode == "console-start":
        asyncio.run(console_start(args.database, args.desk))
    else:
        queries = json.loads(args.queries.read_text())
        asyncio.run(
            console_type(
                args.database,
                args.desk,
                queries,
                args.typed,
                args.searches,
                args.search_delay_ms,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
