"""``python -m benchmarks``: measure the product against its performance targets.

Builds (or reuses) the dataset on SQLite and PostgreSQL, measures every figure through the real
service and console, and prints one table: the measured value, the target, the floor measured
beside it in the same run, the ratio to the floor, and PASS or MISS; then how search and slot
latency grow with the register. The exit code is 0 even on MISS (this measures; it does not
judge CI); 1 if a benchmark crashed.

    python -m benchmarks                    # the national dataset (2.1M callers), both backends
    python -m benchmarks --quick            # a small dataset, in well under a minute
    python -m benchmarks --backend sqlite --only search console
    python -m benchmarks --skip growth --json results.json
    python -m benchmarks --only shift       # the console over a 33-hour shift of 500 calls
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from benchmarks import growth, machine
from benchmarks.dataset import (
    DATA_ENV,
    DEFAULT_DATA,
    PG_ENV,
    Place,
    PostgresPlace,
    SqlitePlace,
    clean,
    log_to_stderr,
    postgres_server_url,
)
from benchmarks.report import format_table, write_json
from benchmarks.runner import FULL, GROUPS, QUICK_SIZES, Run, selected


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure agent-console against its performance targets.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small dataset and short runs (seconds), for CI; SQLite, and PostgreSQL only "
        f"when a server is given (--pg-url or ${PG_ENV}); leaves out the shift (minutes) "
        "unless asked for with --only shift",
    )
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgres", "both"],
        help="default: both (with --quick: sqlite, and postgres if a server is given)",
    )
    parser.add_argument(
        "--pg-url",
        help=f"PostgreSQL server URL (default: ${PG_ENV}, else the server `.ci/postgres start` "
        "starts); the benchmark creates its own databases bench_… on it",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"where datasets are built and kept (default: ${DATA_ENV}, else {DEFAULT_DATA})",
    )
    parser.add_argument(
        "--only", nargs="+", choices=sorted(GROUPS), metavar="NAME", help=_names("measure only")
    )
    parser.add_argument(
        "--skip", nargs="+", choices=sorted(GROUPS), metavar="NAME", help=_names("leave out")
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    parser.add_argument(
        "--clean",
        action="store_true",
        help="delete the datasets kept in --data (files and PostgreSQL databases) and exit",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="uvicorn worker processes for the API (default: as `agent-console serve` picks "
        "them, 1 on SQLite and one per CPU core on PostgreSQL)",
    )
    return parser.parse_args(argv)


def _names(verb: str) -> str:
    return f"{verb} these: {', '.join(sorted(GROUPS))}"


def _backends(args: argparse.Namespace) -> list[str]:
    if args.backend == "both":
        return ["sqlite", "postgres"]
    if args.backend:
        return [args.backend]
    if args.quick and not (args.pg_url or os.environ.get(PG_ENV)):
        return ["sqlite"]
    return ["sqlite", "postgres"]


def _clean(args: argparse.Namespace) -> int:
    places: list[Place] = [SqlitePlace(args.data)]
    known_pg = args.pg_url or os.environ.get(PG_ENV) or any(args.data.glob("postgres-*.json"))
    if args.backend != "sqlite" and known_pg:
        places.append(PostgresPlace(args.data, postgres_server_url(args.pg_url)))
    for name in clean(places):
        print(f"deleted {name}")
    return 0


def _bytecode_cache(data: Path) -> None:
    """Let the processes this run starts (API servers, consoles, hello worlds) keep compiled
    bytecode, in the data directory, as an installed Python program keeps it beside its
    modules: with ``PYTHONDONTWRITEBYTECODE`` set (as in some sandboxes and CI images), every
    start would compile every module from source, which no desk does."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(data / "pycache")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    args.data.mkdir(parents=True, exist_ok=True)
    if args.clean:
        return _clean(args)
    _bytecode_cache(args.data)
    sizes = QUICK_SIZES if args.quick else FULL
    places: list[Place] = []
    for backend in _backends(args):
        if backend == "sqlite":
            places.append(SqlitePlace(args.data))
        else:
            places.append(PostgresPlace(args.data, postgres_server_url(args.pg_url)))
    pg_version = next((p.server_version() for p in places if p.backend == "postgres"), None)
    described = machine.describe(pg_version, args.workers)
    print(machine.format_machine(described))
    print(
        f"dataset     {sizes.spec.label}, kept in {args.data}"
        + ("\n            --quick: timings are not comparable to the targets" if args.quick else "")
    )
    print("", flush=True)

    run = Run(
        sizes=sizes,
        figures=selected(args.only, args.skip, quick=args.quick),
        workers=args.workers,
        log=log_to_stderr,
    )
    for place in places:
        run.backend(place)
    run.growth(places)

    if run.rows:
        print(format_table(run.rows))
    if run.points:
        print("\nGrowth: p95 through the API (and of the raw SQL) as the register grows")
        print(growth.format_points(run.points))
    if run.failed:
        print(f"\nfailed: {'; '.join(run.failed)} (the tracebacks are in the log above)")
    elapsed = time.perf_counter() - started
    load = machine.load_average()
    print(
        f"\n{len(run.rows)} rows in {elapsed:.0f} s; load average at the end {load} "
        f"(at the start {described['load_average']})",
        flush=True,
    )
    if args.json:
        write_json(
            args.json,
            described,
            run.rows,
            {
                "quick": args.quick,
                "dataset": sizes.spec.label,
                "growth": growth.as_json(run.points),
                "failed": run.failed,
                "seconds": round(elapsed, 1),
                "load_average_end": load,
            },
        )
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
