"""The console (or a hello-world Textual app) in a process of its own, under ``run_test``.

``python -m benchmarks.console_probe MODE [options]`` — the parent (``benchmarks.console``)
spawns it and reads one line of JSON from its stdout:

- ``hello``: start a hello-world Textual app headless and print as soon as its first frame is
  drawn, with the process's resident memory at that moment.
- ``console-start``: start the console headless (the embedded service on the benchmark's SQLite
  dataset) and print as soon as the lookup screen is ready and drawn. The parent times both
  from spawn to that line: the same way of starting, the same moment of "ready".
- ``console-type``: print a line when the console is ready (as ``console-start`` does: the
  parent counts this start too), wait until its first sync is done, then type
  queries into the lookup box key by key, timing each key press until the first frame that
  shows the answer for the box's text; then go on searching (a whole query at a time, as a
  paste would) until ``--searches`` answers were shown, and print the process's resident
  memory, on a second line.
- ``screen-pop``: start the console against a central service (``--server``, ``--token``) with
  ``[telephony] extension`` set, print a line when it is ready, synced and its extension
  declared; then, for each of ``--rounds`` calls the parent rings on that extension, print the
  ``time.monotonic()`` of the first frame that shows the ringing call's card (the frame's
  screen is the :class:`~console.screens.ringing.RingingDialog` of that call, with the caller's
  card), and hide it (escape) to wait for the next.
- ``feed``: the floor of ``screen-pop``: a bare HTTP client that long-polls the change feed as
  the desk does (``GET /v1/changes?since=N&wait=S``, the desk's wait) and prints the
  ``time.monotonic()`` at which each ``ringing`` change for the extension arrived.

Both print ``time.monotonic()`` (CLOCK_MONOTONIC on Linux: one clock for every process of the
machine), so the parent can time them from the moment it posted the event.

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


# --- the screen pop ---------------------------------------------------------------------------


def _popped_frames(app: Any) -> list[tuple[float, str]]:
    """(time.monotonic(), call id) of every frame drawn with a ringing call's card on screen."""
    from console.screens.ringing import RingingDialog
    from widgets.caller_card import CallerCardView

    shown: list[tuple[float, str]] = []
    original = app._display

    def display(screen: Any, renderable: Any) -> None:
        original(screen, renderable)
        if renderable is None or app._batch_count or not isinstance(screen, RingingDialog):
            return
        card = screen.query(CallerCardView)
        if card and card.first().display and card.first().caller_id is not None:
            shown.append((time.monotonic(), screen.call.call_id))
            del shown[:-50]

    app._display = display
    return shown


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
        deadline = time.perf_counter() + 60
        while not app.desk.phone.declared:
            if time.perf_counter() > deadline:
                raise TimeoutError("the desk did not declare its extension")
            await asyncio.sleep(0.01)
        shown = _popped_frames(app)
        _emit({"ready": True})
        seen: set[str] = set()
        for _ in range(rounds):
            deadline = time.perf_counter() + 60
            while not [item for item in shown if item[1] not in seen]:
                if time.perf_counter() > deadline:
                    raise TimeoutError("no ringing call's card was shown")
                await asyncio.sleep(POLL)
            at, call_id = next(item for item in shown if item[1] not in seen)
            seen.add(call_id)
            while isinstance(app.screen, RingingDialog):  # hidden; the phone rings on
                await pilot.press("escape")
                await pilot.pause()
            _emit({"shown": call_id, "at": at})
        _emit({"done": True, **_rss()})


async def feed(server: str, token: str, extension: str, rounds: int) -> None:
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
                data = change["data"] or {}
                if (
                    change["entity"] == "ringing"
                    and change["op"] == "ringing"
                    and data.get("extension") == extension
                ):
                    _emit({"shown": str(data["call_id"]), "at": at})
                    seen += 1
        _emit({"done": True})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.console_probe")
    parser.add_argument(
        "mode", choices=["hello", "console-start", "console-type", "screen-pop", "feed"]
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
    parser.add_argument("--server", help="screen-pop, feed: the central service's URL")
    parser.add_argument("--token", help="screen-pop, feed: an agent's token")
    parser.add_argument("--extension", help="screen-pop, feed: the desk's extension")
    parser.add_argument("--rounds", type=int, default=10, help="screen-pop, feed: calls rung")
    args = parser.parse_args(argv)
    if args.mode == "screen-pop":
        asyncio.run(screen_pop(args.server, args.token, args.extension, args.desk, args.rounds))
    elif args.mode == "feed":
        asyncio.run(feed(args.server, args.token, args.extension, args.rounds))
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
