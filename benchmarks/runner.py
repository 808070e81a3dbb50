"""One run of the suite: for each backend, build or reuse the dataset, measure every selected
figure through the real service (one uvicorn process per backend, stopped and started again
for the offline replay), then the console on the SQLite dataset, then growth. A figure that
crashes becomes an ERROR row and the run goes on (the exit code says so at the end)."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from benchmarks import api_latency, contention, growth, replay
from benchmarks import callbacks as callbacks_bench
from benchmarks import console as console_bench
from benchmarks import floor as floor_bench
from benchmarks import floor_live as floor_live_bench
from benchmarks import messages as messages_bench
from benchmarks import retention as retention_bench
from benchmarks import screen_pop as screen_pop_bench
from benchmarks import shift as shift_bench
from benchmarks.dataset import (
    GROWTH,
    NATIONAL,
    QUICK,
    Dataset,
    Place,
    Spec,
    cpu_note,
    ensure,
    reset,
    settle_writes,
    time_fresh_seed,
)
from benchmarks.report import Row, error_row, judge
from benchmarks.server import ApiServer
from console.server.db import default_workers

SEED_TARGET_SECONDS = 90.0
SEARCH_FIGURES = ("name_search", "id_search", "slots")
BOOKING_FIGURES = ("booking_rate", "booking_p99", "double_bookings")
CONSOLE_FIGURES = ("cold_start", "warm_start", "keystroke", "keystroke_work", "memory")
TYPING_FIGURES = ("keystroke", "keystroke_work", "memory")
SHIFT_FIGURES = (
    "shift_rss_warm",
    "shift_rss_end",
    "shift_growth",
    "shift_widgets",
    "shift_tasks",
    "shift_files",
)
CALLBACK_FIGURES = (
    "callback_claims",
    "callback_double_claims",
    "queue_log_import",
    "screen_pop",
)
MESSAGE_FIGURES = ("messages_send", "messages_booking")
FLOOR_FIGURES = ("floor", "heartbeat", "floor_live")
DATASET_FLOOR_FIGURES = ("floor", "heartbeat")  # over the dataset's busy day
# What --only and --skip take: a group name, or one figure's name.
GROUPS: dict[str, tuple[str, ...]] = {
    "seed": ("seed",),
    "search": SEARCH_FIGURES,
    "name_search": ("name_search",),
    "id_search": ("id_search",),
    "slots": ("slots",),
    "contention": ("contention",),
    "replay": ("replay",),
    "callbacks": CALLBACK_FIGURES,
    "queue_log": ("queue_log_import",),
    "screen_pop": ("screen_pop",),
    "console": CONSOLE_FIGURES,
    "cold_start": ("cold_start", "warm_start"),
    "warm_start": ("warm_start",),
    "keystroke": TYPING_FIGURES,
    "memory": TYPING_FIGURES,
    "growth": ("growth",),
    "retention": ("bytes_per_call",),
    "shift": SHIFT_FIGURES,
    "messages": MESSAGE_FIGURES,
    "floor": FLOOR_FIGURES,
    "heartbeat": ("heartbeat",),
    "floor_live": ("floor_live",),
}
EVERYTHING = (
    "seed",
    *SEARCH_FIGURES,
    "contention",
    "replay",
    *CALLBACK_FIGURES,
    *FLOOR_FIGURES,
    *CONSOLE_FIGURES,
    *SHIFT_FIGURES,
    *MESSAGE_FIGURES,
    "growth",
    "bytes_per_call",
)
# --quick leaves out what takes minutes however small the dataset: the shift (ask for it with
# --only shift).
NOT_QUICK = frozenset(SHIFT_FIGURES)


@dataclass(frozen=True)
class Sizes:
    """How much each benchmark does: the full run or ``--quick``."""

    spec: Spec
    growth: tuple[Spec, ...]
    requests: int  # per latency figure
    growth_requests: int  # per latency figure and growth point
    booking_seconds: float
    floor_seconds: float
    cold_starts: int
    typed_default: int  # queries typed key by key with the product's debounce
    typed: int  # ... and without it
    searches: int
    replay_writes: int
    retention_calls: int  # calls a day in the bytes-per-call figure
    shift_calls: int  # calls of the shift (each 4 minutes of the desk's time)
    shift_warm: int  # ... the first of them, before memory and counts are taken
    callbacks: int  # due callbacks the 40 agents claim
    log_calls: int  # calls a month in the imported queue_log
    pop_rounds: int  # calls rung on a console's extension (the screen pop)
    message_bookings: int  # bookings timed with messages on and off (half each)
    queued_messages: int  # messages the sender sends in one run
    floor_day: floor_bench.Day = field(default_factory=floor_bench.Day)  # agents, calls, bookings
    floor_requests: int = 300
    heartbeats: int = 2_000
    floor_changes: int = 30  # agent state changes watched on a supervisor's floor


FULL = Sizes(
    spec=NATIONAL,
    growth=GROWTH,
    requests=300,
    growth_requests=200,
    booking_seconds=20.0,
    floor_seconds=10.0,
    cold_starts=5,
    typed_default=25,
    typed=60,
    searches=1_000,
    replay_writes=1_000,
    retention_calls=300,
    shift_calls=500,
    shift_warm=50,
    callbacks=1_000,
    log_calls=16_000,
    pop_rounds=30,
    message_bookings=600,
    queued_messages=10_000,
)
QUICK_SIZES = Sizes(
    spec=QUICK,
    growth=(QUICK,),  # the main dataset's point only: a smaller one would cost a server start
    requests=30,
    growth_requests=20,
    booking_seconds=1.0,
    floor_seconds=0.5,
    cold_starts=0,  # the typing runs' two starts are the cold starts
    typed_default=2,
    typed=2,
    searches=30,
    replay_writes=64,
    retention_calls=60,
    shift_calls=45,  # three hours of the desk's time: three window refreshes
    shift_warm=15,
    callbacks=200,
    log_calls=2_000,
    pop_rounds=5,
    message_bookings=40,
    queued_messages=300,
    floor_day=floor_bench.Day(calls=2_000, bookings=800),
    floor_requests=30,
    heartbeats=200,
    floor_changes=6,
)


def selected(
    only: Iterable[str] | None, skip: Iterable[str] | None, *, quick: bool = False
) -> set[str]:
    chosen = set(EVERYTHING) - (NOT_QUICK if quick else set())
    if only:
        chosen = {figure for name in only for figure in GROUPS[name]}
    for name in skip or ():
        chosen -= set(GROUPS[name])
    return chosen


@dataclass
class Run:
    sizes: Sizes
    figures: set[str]
    workers: int | None  # None: as `agent-console serve` picks them (db.default_workers)
    log: Callable[[str], None]
    rows: list[Row] = field(default_factory=list)
    points: list[growth.Point] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # what crashed, for the summary
    _latency: dict[str, api_latency.Samples] = field(default_factory=dict)  # by backend

    def guarded(
        self, figures: tuple[str, ...], backend: str, measure: Callable[[], list[Row]]
    ) -> None:
        """Measure; on a crash, one ERROR row per figure and the traceback in the log."""
        try:
            self.rows.extend(measure())
        except Exception as exc:  # report it and go on with the other figures
            self.failed.append(f"{backend}: {', '.join(figures)}")
            self.log(f"{backend}: {', '.join(figures)} failed:\n{traceback.format_exc()}")
            self.rows.extend(error_row(figure, backend, exc) for figure in figures)

    def backend(self, place: Place) -> None:
        """Every figure of one backend (and the console's, on SQLite)."""
        wanted = self.figures - {"growth", "bytes_per_call"}
        if place.backend != "sqlite":
            wanted -= {*CONSOLE_FIGURES, *SHIFT_FIGURES}
        if "bytes_per_call" in self.figures:  # on a scratch database of its own
            self.guarded(
                ("bytes_per_call",),
                place.backend,
                lambda: retention_bench.rows(
                    retention_bench.measure(place, self.sizes.retention_calls, self.log),
                    place.backend,
                ),
            )
        if wanted & set(CALLBACK_FIGURES):  # on scratch databases: no dataset needed
            self._callbacks(place, wanted)
            wanted -= set(CALLBACK_FIGURES)
        if "floor_live" in wanted:  # on a scratch database: no dataset needed
            self._floor_live(place)
            wanted -= {"floor_live"}
        if not wanted:
            return
        backend = place.backend
        try:
            dataset = ensure(place, self.sizes.spec, self.log)
        except Exception as exc:
            self.failed.append(f"{backend}: dataset")
            self.log(f"{backend}: the dataset could not be built:\n{traceback.format_exc()}")
            self.rows.append(error_row("seed", backend, exc))
            return
        # The seed row is timed last: a fresh seed writes ~1 GB, and latency measured while
        # the kernel flushes that to disk was the disk's, not the service's. For the same
        # reason a dataset just built is flushed before anything is timed.
        settle_writes()
        first = len(self.rows)
        if wanted & {*SEARCH_FIGURES, "contention", "replay"}:
            self._service(dataset, wanted)
        if wanted & set(MESSAGE_FIGURES):
            self.guarded(MESSAGE_FIGURES, backend, lambda: self._messages(dataset))
        if wanted & set(DATASET_FLOOR_FIGURES):
            figures = tuple(figure for figure in DATASET_FLOOR_FIGURES if figure in wanted)
            self.guarded(figures, backend, lambda: self._floor(dataset, figures))
        if wanted & set(CONSOLE_FIGURES):
            self._console(dataset, wanted)
        if wanted & set(SHIFT_FIGURES):
            self._shift(dataset)
        if "seed" in wanted:
            timed = len(self.rows)
            self.guarded(("seed",), backend, lambda: [self._seed(place, dataset)])
            seeded = self.rows[timed:]
            del self.rows[timed:]
            self.rows[first:first] = seeded  # ... and printed first, as before

    def growth(self, places: list[Place]) -> None:
        """Search and slot latency at each growth size (the main size's from this run)."""
        if "growth" not in self.figures:
            return
        for place in places:
            for spec in self.sizes.growth:
                measured = self._latency.get(place.backend)
                try:
                    if spec == self.sizes.spec and measured is not None:
                        dataset = ensure(place, spec, self.log)
                        self.points.append(growth.point(dataset, measured))
                    else:
                        self.points.append(
                            growth.measure(
                                place,
                                spec,
                                requests=self.sizes.growth_requests,
                                workers=self.workers_for(place.url_for("x")),
                                log=self.log,
                            )
                        )
                except Exception:
                    self.failed.append(f"{place.backend}: growth at {spec.callers:,} callers")
                    self.log(
                        f"{place.backend}: growth at {spec.callers:,} callers failed:\n"
                        f"{traceback.format_exc()}"
                    )

    def workers_for(self, url: str) -> int:
        """The API's worker processes on the database at ``url``."""
        return self.workers or default_workers(url)

    # -- each benchmark ------------------------------------------------------------------

    def _seed(self, place: Place, dataset: Dataset) -> Row:
        spec = self.sizes.spec
        if dataset.built_now:
            seconds, phases, how = dataset.seed_seconds, dataset.manifest["phases"], "its build"
            cpu = dataset.manifest.get("seed_cpu")
        else:
            self.log(f"{place.backend}: timing a fresh seed of {spec.label} (scratch database)")
            report, cpu = time_fresh_seed(place, spec, self.log)
            seconds, phases, how = report.seconds, report.phases, "a scratch seed"
        national = spec.callers == NATIONAL.callers
        return Row(
            figure="seed",
            title=f"seed --callers {spec.callers}",
            backend=place.backend,
            value=seconds,
            unit="s",
            target=f"≤ {SEED_TARGET_SECONDS:g} s" if national else "(2.1M only)",
            status=judge(seconds, at_most=SEED_TARGET_SECONDS if national else None),
            notes=(
                f"seed, {place.backend}: {spec.label}, console.server.seed.seed timed in this run "
                f"({how}, into an empty database); phases: "
                + ", ".join(f"{name} {value:.1f} s" for name, value in phases.items())
                + cpu_note(cpu, place.backend)
            ),
        )

    def _service(self, dataset: Dataset, wanted: set[str]) -> None:
        """Latency, contention and replay through one uvicorn process over ``dataset``."""
        backend = dataset.backend
        kinds = tuple(figure for figure in SEARCH_FIGURES if figure in wanted)
        try:
            with ApiServer(dataset.url, workers=self.workers_for(dataset.url)) as server:
                if kinds:
                    self.guarded(kinds, backend, lambda: self._searches(dataset, server, kinds))
                if "contention" in wanted:
                    self.guarded(
                        BOOKING_FIGURES, backend, lambda: self._contention(dataset, server)
                    )
                if "replay" in wanted:
                    self.guarded(("replay",), backend, lambda: self._replay(dataset, server))
        except Exception as exc:  # the server did not start (or stop)
            self.failed.append(f"{backend}: the API server")
            self.log(f"{backend}: the API server failed:\n{traceback.format_exc()}")
            expected = [*kinds]
            expected += list(BOOKING_FIGURES) if "contention" in wanted else []
            expected += ["replay"] if "replay" in wanted else []
            done = {row.figure for row in self.rows if row.backend == backend}
            self.rows.extend(error_row(f, backend, exc) for f in expected if f not in done)

    def _searches(self, dataset: Dataset, server: ApiServer, kinds: tuple[str, ...]) -> list[Row]:
        names = {"name_search": "name", "id_search": "id", "slots": "slots"}
        server.ensure_running()
        reset(dataset)
        try:
            self.log(f"{dataset.backend}: search and slot latency ({self.sizes.requests} each)")
            samples = api_latency.measure(
                dataset, server.url, requests=self.sizes.requests, kinds={names[k] for k in kinds}
            )
        finally:
            reset(dataset)
        if len(kinds) == len(SEARCH_FIGURES):
            self._latency[dataset.backend] = samples
        return api_latency.rows(samples, dataset.backend)

    def _contention(self, dataset: Dataset, server: ApiServer) -> list[Row]:
        server.ensure_running()
        reset(dataset)
        try:
            self.log(
                f"{dataset.backend}: booking under contention ({contention.AGENTS} agents, "
                f"{self.sizes.booking_seconds:g} s; INSERT floor {self.sizes.floor_seconds:g} s)"
            )
            result = contention.run(
                dataset,
                server,
                seconds=self.sizes.booking_seconds,
                floor_seconds=self.sizes.floor_seconds,
            )
        finally:
            reset(dataset)
        return contention.rows(result, dataset.backend)

    def _replay(self, dataset: Dataset, server: ApiServer) -> list[Row]:
        server.ensure_running()
        reset(dataset)
        try:
            self.log(f"{dataset.backend}: offline replay of {self.sizes.replay_writes:,} writes")
            result = replay.run(dataset, server, writes=self.sizes.replay_writes)
        finally:
            reset(dataset)
        return replay.rows(result, dataset.backend)

    def _callbacks(self, place: Place, wanted: set[str]) -> None:
        backend = place.backend
        workers = self.workers_for(place.url_for("x"))
        claims = ("callback_claims", "callback_double_claims")
        if wanted & set(claims):

            def measure_claims() -> list[Row]:
                result = callbacks_bench.run_claims(
                    place, count=self.sizes.callbacks, workers=workers, log=self.log
                )
                return callbacks_bench.claim_rows(result, backend, workers)

            self.guarded(claims, backend, measure_claims)
        if "queue_log_import" in wanted:

            def measure_import() -> list[Row]:
                result = callbacks_bench.run_import(place, calls=self.sizes.log_calls, log=self.log)
                return callbacks_bench.import_rows(result, backend, self.sizes.log_calls)

            self.guarded(("queue_log_import",), backend, measure_import)
        if "screen_pop" in wanted:

            def measure_pop() -> list[Row]:
                result = screen_pop_bench.run(
                    place, rounds=self.sizes.pop_rounds, workers=workers, log=self.log
                )
                return screen_pop_bench.rows(result, backend)

            self.guarded(("screen_pop",), backend, measure_pop)

    def _floor_live(self, place: Place) -> None:
        workers = self.workers_for(place.url_for("x"))

        def measure() -> list[Row]:
            result = floor_live_bench.run(
                place, rounds=self.sizes.floor_changes, workers=workers, log=self.log
            )
            return floor_live_bench.rows(result, place.backend)

        self.guarded(("floor_live",), place.backend, measure)

    def _messages(self, dataset: Dataset) -> list[Row]:
        reset(dataset)
        try:
            self.log(
                f"{dataset.backend}: messages: {self.sizes.message_bookings} bookings with the "
                f"outbox on and off, then {self.sizes.queued_messages:,} queued messages sent"
            )
            result = messages_bench.run(
                dataset,
                bookings=self.sizes.message_bookings,
                queued=self.sizes.queued_messages,
                workers=self.workers_for(dataset.url),
            )
        finally:
            reset(dataset)
        return messages_bench.rows(result, dataset.backend)

    def _floor(self, dataset: Dataset, figures: tuple[str, ...]) -> list[Row]:
        """The floor and the heartbeats, through a service of their own over a busy day."""
        sizes = self.sizes
        reset(dataset)
        try:
            self.log(
                f"{dataset.backend}: the floor over {sizes.floor_day.agents} agents, "
                f"{sizes.floor_day.calls:,} calls, {sizes.floor_day.bookings:,} bookings; "
                f"{sizes.heartbeats:,} heartbeats"
            )
            with ApiServer(dataset.url, workers=self.workers_for(dataset.url)) as server:
                result = floor_bench.run(
                    dataset,
                    server,
                    day=sizes.floor_day,
                    requests=sizes.floor_requests,
                    heartbeats=sizes.heartbeats,
                )
        finally:
            reset(dataset)
        return [row for row in floor_bench.rows(result, dataset.backend) if row.figure in figures]

    def _shift(self, dataset: Dataset) -> None:
        def measure() -> list[Row]:
            result = shift_bench.measure(
                dataset, calls=self.sizes.shift_calls, warm=self.sizes.shift_warm, log=self.log
            )
            return shift_bench.rows(result)

        reset(dataset)
        try:
            self.guarded(SHIFT_FIGURES, "embedded", measure)
        finally:
            reset(dataset)

    def _console(self, dataset: Dataset, wanted: set[str]) -> None:
        backend = "embedded"
        figures = tuple(figure for figure in CONSOLE_FIGURES if figure in wanted)

        def measure() -> list[Row]:
            sizes = self.sizes
            typing = bool(wanted & set(TYPING_FIGURES))
            cold_starts = sizes.cold_starts if "cold_start" in wanted else 0
            if "cold_start" in wanted and not typing:
                cold_starts = max(cold_starts, 1)
            warm_starts = max(1, sizes.cold_starts) if "warm_start" in wanted else 0
            result = console_bench.measure(
                dataset,
                cold_starts=cold_starts,
                warm_starts=warm_starts,
                typing=typing,
                typed_default=sizes.typed_default,
                typed=sizes.typed,
                searches=sizes.searches,
                log=self.log,
            )
            return [row for row in console_bench.rows(result, backend) if row.figure in wanted]

        reset(dataset)
        try:
            self.guarded(figures, backend, measure)
        finally:
            reset(dataset)
