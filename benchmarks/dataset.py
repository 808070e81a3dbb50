"""Benchmark datasets: built once with ``console.server.seed.seed`` and reused.

A dataset is keyed by its size (callers, working days, providers), the random seed, the schema
revision (the Alembic head) and a fingerprint of the seed's code, so a new migration or a
changed seed builds a new dataset and the stale one is deleted. SQLite datasets are files in
the data directory (default ``~/.cache/agent-console-bench``, outside the repository);
PostgreSQL datasets are databases ``bench_…`` on the benchmark's server. Each has a manifest
(``<backend>-<name>.json`` in the data directory) written when its build completed: without
one, the dataset is rebuilt.

Benchmarks that write (bookings, calls, agents) :func:`reset` the dataset to what the seed left
before and after they run, so a dataset is reused run after run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from console.domain.calendar import TZ
from console.server import seed as seed_module
from console.server.db import Database, database_url
from console.server.seed import SeedReport, seed

REPO = Path(__file__).resolve().parent.parent
DATA_ENV = "AGENT_CONSOLE_BENCH_DATA"
DEFAULT_DATA = (
    Path(os.environ[DATA_ENV]).expanduser()
    if os.environ.get(DATA_ENV)
    else platformdirs.user_cache_path("agent-console-bench", appauthor=False)
)
PG_ENV = "AGENT_CONSOLE_TEST_PG_URL"
FORMAT = 2  # bump when what a dataset holds changes without a schema or seed change
# The code that decides what a dataset holds: a change to any of these builds a new one.
SEED_SOURCES = (
    "seed.py",
    "seed_catalogue.py",
    "seed_calendar.py",
    "seed_people.py",
    "bulk_load.py",
    "demo_data.py",
    "search_index.py",
)
STALE_AFTER_DAYS = 14  # slots start the day after the build; after this (or half the
# dataset's working days), too many of them are past: rebuild
BENCH_AGENT_PREFIX = "bench "


@dataclass(frozen=True)
class Spec:
    callers: int
    days: int
    providers: int
    random_seed: int = 2026

    @property
    def label(self) -> str:
        return f"{_short(self.callers)} callers, {self.days} days, ~{self.providers} providers"

    @property
    def stem(self) -> str:
        """The start of the names of this size's datasets, whatever their revision."""
        return f"c{self.callers}_d{self.days}_p{self.providers}_"

    def key(self, revision: str, fingerprint: str) -> str:
        """The dataset's name: its size, then a digest of everything else that shapes it."""
        shaped_by = f"{self.random_seed}/{revision}/{fingerprint}/{FORMAT}"
        return self.stem + hashlib.sha256(shaped_by.encode()).hexdigest()[:10]


QUICK = Spec(callers=20_000, days=5, providers=100)
NATIONAL = Spec(callers=2_100_000, days=60, providers=1_000)
GROWTH = (
    Spec(callers=100_000, days=60, providers=1_000),
    Spec(callers=1_000_000, days=60, providers=1_000),
    NATIONAL,
)


def _short(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:g}M"
    if count >= 1_000:
        return f"{count / 1_000:g}k"
    return str(count)


@functools.cache
def seed_fingerprint() -> str:
    """A digest of the seed's source files (see ``SEED_SOURCES``), read once per run so that
    every dataset of a run is of the same seed."""
    folder = Path(seed_module.__file__).parent
    digest = hashlib.sha256()
    for name in SEED_SOURCES:
        path = folder / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    return digest.hexdigest()[:12]


@functools.cache
def schema_revision() -> str:
    """The newest migration's revision id (the Alembic head)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from console.server.migrate import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    return head or "base"


@dataclass
class Dataset:
    """A built dataset: where it is and what its build recorded."""

    backend: str  # "sqlite" | "postgres"
    name: str
    url: str
    spec: Spec
    manifest: dict[str, Any]
    built_now: bool = False

    @property
    def seed_seconds(self) -> float:
        return float(self.manifest["seed_seconds"])

    @property
    def callers(self) -> int:
        return int(self.manifest["callers"])

    @property
    def path(self) -> Path | None:
        """The SQLite file, for the console benchmarks."""
        return Path(self.url) if self.backend == "sqlite" else None

    def open(self) -> Database:
        return Database.open(self.url)


# --- where datasets live ------------------------------------------------------------------


class Place:
    """A backend's home for datasets: SQLite files in a directory or databases on a server."""

    backend: str

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def url_for(self, name: str) -> str:
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    def create_empty(self, name: str) -> None:
        raise NotImplementedError

    def drop(self, name: str) -> None:
        raise NotImplementedError

    def rename(self, old: str, new: str) -> None:
        raise NotImplementedError

    def names(self) -> list[str]:
        raise NotImplementedError

    def server_version(self) -> str:
        raise NotImplementedError

    def manifest_path(self, name: str) -> Path:
        return self.data_dir / f"{self.backend}-{name}.json"


class SqlitePlace(Place):
    backend = "sqlite"

    def url_for(self, name: str) -> str:
        return str(self.data_dir / f"{name}.db")

    def exists(self, name: str) -> bool:
        return Path(self.url_for(name)).is_file()

    def create_empty(self, name: str) -> None:
        self.drop(name)

    def drop(self, name: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(self.url_for(name) + suffix).unlink(missing_ok=True)

    def rename(self, old: str, new: str) -> None:
        self.drop(new)
        os.replace(self.url_for(old), self.url_for(new))

    def names(self) -> list[str]:
        return sorted(path.stem for path in self.data_dir.glob("*.db"))

    def server_version(self) -> str:
        import sqlite3

        return sqlite3.sqlite_version


class PostgresPlace(Place):
    """Databases ``bench_<data dir tag>_<key>``: each data directory (the default one, a test's
    temporary one) owns its own databases on a shared server."""

    backend = "postgres"

    def __init__(self, data_dir: Path, server_url: str) -> None:
        super().__init__(data_dir)
        self.server_url = server_url
        tag = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:6]
        self.prefix = f"bench_{tag}_"

    def url_for(self, name: str) -> str:
        url = make_url(database_url(self.server_url)).set(database=self.prefix + name)
        return url.render_as_string(hide_password=False)

    @contextmanager
    def _admin(self) -> Iterator[Any]:
        engine = create_engine(database_url(self.server_url), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            engine.dispose()

    def exists(self, name: str) -> bool:
        with self._admin() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": self.prefix + name},
            ).first()
        return found is not None

    def create_empty(self, name: str) -> None:
        self.drop(name)
        with self._admin() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.prefix}{name}"'))

    def drop(self, name: str) -> None:
        with self._admin() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.prefix}{name}" WITH (FORCE)'))

    def rename(self, old: str, new: str) -> None:
        self.drop(new)
        with self._admin() as connection:
            connection.execute(
                text(f'ALTER DATABASE "{self.prefix}{old}" RENAME TO "{self.prefix}{new}"')
            )

    def names(self) -> list[str]:
        with self._admin() as connection:
            rows = connection.execute(
                text("SELECT datname FROM pg_database WHERE starts_with(datname, :prefix)"),
                {"prefix": self.prefix},
            ).scalars()
            return sorted(str(row)[len(self.prefix) :] for row in rows)

    def server_version(self) -> str:
        with self._admin() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())


def postgres_server_url(explicit: str | None) -> str:
    """``--pg-url``, else ``$AGENT_CONSOLE_TEST_PG_URL``, else the server ``.ci/postgres start``
    starts (a throw-away server on 127.0.0.1:55432, as ``.ci/run`` starts it)."""
    if explicit:
        return explicit
    if os.environ.get(PG_ENV):
        return os.environ[PG_ENV]
    done = subprocess.run(
        ["bash", str(REPO / ".ci" / "postgres"), "start"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(
            f"could not start PostgreSQL with .ci/postgres start: {done.stderr.strip()}; "
            f"pass --pg-url or set {PG_ENV}, or run with --backend sqlite"
        )
    return done.stdout.strip().splitlines()[-1]


# --- build or reuse -----------------------------------------------------------------------


def ensure(place: Place, spec: Spec, log: Callable[[str], None]) -> Dataset:
    """The dataset for ``spec`` on ``place``: reused if its build completed and is fresh,
    otherwise (re)built now."""
    revision = schema_revision()
    fingerprint = seed_fingerprint()
    name = spec.key(revision, fingerprint)
    manifest = _read_manifest(place, name)
    reason = _unusable(place, name, spec, manifest)
    if reason is None:
        assert manifest is not None
        dataset = Dataset(place.backend, name, place.url_for(name), spec, manifest)
        log(f"{place.backend}: reusing dataset {name} ({spec.label}, built {manifest['built_at']})")
        return dataset
    log(f"{place.backend}: building dataset {name} ({spec.label}): {reason}")
    _drop_other_revisions(place, spec, name)
    report, first_day, cpu = build(place, spec, name, log)
    manifest = {
        "name": name,
        "spec": asdict(spec),
        "revision": revision,
        "seed_fingerprint": fingerprint,
        "format": FORMAT,
        "built_at": datetime.now(TZ).isoformat(timespec="seconds"),
        "first_day": first_day.isoformat(),
        "seed_seconds": round(report.seconds, 2),
        "seed_cpu": cpu,
        "phases": report.phases,
        "callers": report.callers,
        "phones": report.phones,
        "slots": report.slots,
        "providers": report.providers,
        "locations": report.locations,
        "services": report.services,
    }
    place.manifest_path(name).write_text(json.dumps(manifest, indent=2) + "\n")
    settle_writes()
    return Dataset(place.backend, name, place.url_for(name), spec, manifest, built_now=True)


def _read_manifest(place: Place, name: str) -> dict[str, Any] | None:
    path = place.manifest_path(name)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        return None


def _unusable(place: Place, name: str, spec: Spec, manifest: dict[str, Any] | None) -> str | None:
    """Why the stored dataset cannot be reused, or None if it can."""
    if manifest is None:
        return "not built yet"
    if not place.exists(name):
        place.manifest_path(name).unlink(missing_ok=True)
        return "its database is gone"
    first_day = date.fromisoformat(manifest["first_day"])
    stale_after = min(STALE_AFTER_DAYS, max(1, spec.days // 2))
    if (datetime.now(TZ).date() - first_day).days > stale_after:
        return f"its slots start on {first_day}: too many are past"
    database = Database.open(place.url_for(name))
    try:
        with database.read() as connection:
            top = connection.execute(text("SELECT max(id) FROM callers")).scalar()
    except Exception as exc:  # a half-dropped or foreign database
        return f"it cannot be read ({type(exc).__name__})"
    finally:
        database.dispose()
    if top is None or int(top) < spec.callers:
        return "it has fewer callers than its manifest says"
    return None


def _drop_other_revisions(place: Place, spec: Spec, keep: str) -> None:
    """Delete this size's stale datasets (another schema revision, seed or format) and
    half-finished builds."""
    for other in place.names():
        if other.startswith(spec.stem) and other != keep:
            place.drop(other)
            place.manifest_path(other).unlink(missing_ok=True)


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user + system) used so far by this process and by its ended children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def cpu_note(cpu: dict[str, float] | None, backend: str) -> str:
    """How much CPU a seed took and how busy the machine was: its wall time alone mostly
    measures the load on a shared machine."""
    if not cpu:
        return ""
    server = "" if backend == "sqlite" else " (the PostgreSQL server's own CPU not counted)"
    return (
        f"; CPU {cpu['main']:.1f} s in the seeding process + {cpu['producer']:.1f} s in its "
        f"producer{server}; load average {cpu['load_before']:.1f} before, "
        f"{cpu['load_after']:.1f} after"
    )


def build(
    place: Place, spec: Spec, name: str, log: Callable[[str], None]
) -> tuple[SeedReport, date, dict[str, float]]:
    """Seed ``spec`` into ``name`` (built under a temporary name, renamed when complete).
    Also returns the CPU seconds the seed took (see :func:`cpu_note`)."""
    building = f"{name}_building"
    place.create_empty(building)
    first_day = datetime.now(TZ).date() + timedelta(days=1)
    database = Database.open(place.url_for(building))
    load_before = os.getloadavg()[0]
    main_before, children_before = _cpu_seconds()
    try:
        report = seed(
            database,
            callers=spec.callers,
            days=spec.days,
            providers_target=spec.providers,
            start=first_day,
            random_seed=spec.random_seed,
            progress=_Progress(log, place.backend),
        )
    finally:
        database.dispose()
    main_after, children_after = _cpu_seconds()
    cpu = {
        "main": round(main_after - main_before, 2),
        "producer": round(children_after - children_before, 2),
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }
    place.rename(building, name)
    log(
        f"{place.backend}: seeded {report.callers:,} callers and {report.slots:,} slots "
        f"in {report.seconds:.1f} s ({_phases(report.phases)}){cpu_note(cpu, place.backend)}"
    )
    return report, first_day, cpu


def settle_writes() -> None:
    """Wait until what was written so far is on disk (``sync``): latency measured while the
    kernel flushes a freshly seeded gigabyte is the disk's, not the service's."""
    if hasattr(os, "sync"):
        os.sync()


def time_fresh_seed(
    place: Place, spec: Spec, log: Callable[[str], None]
) -> tuple[SeedReport, dict[str, float]]:
    """Seed ``spec`` into a scratch database and drop it: the seed's time in this run, and its
    CPU seconds."""
    scratch = f"scratch_seed_{os.getpid()}"
    try:
        report, _, cpu = build(place, spec, scratch, log)
    finally:
        place.drop(scratch)
        place.drop(f"{scratch}_building")
    return report, cpu


def _phases(phases: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())


class _Progress:
    """Seed progress on stderr, at most every few seconds."""

    def __init__(self, log: Callable[[str], None], backend: str, every: float = 10.0) -> None:
        self.log = log
        self.backend = backend
        self.every = every
        self.last = time.monotonic()

    def __call__(self, label: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.log(f"{self.backend}: seeding {label} {done:,}/{total:,}")


# --- back to the seed's state ---------------------------------------------------------------

RESET_STATEMENTS = (
    "DELETE FROM callback_attempts",
    "DELETE FROM callbacks",
    "DELETE FROM telephony_calls",
    "DELETE FROM telephony_extensions",
    "DELETE FROM messages",
    "DELETE FROM agent_presence",
    "DELETE FROM agent_states",
    "DELETE FROM bookings",
    "DELETE FROM holds",
    "DELETE FROM idempotency_keys",
    "DELETE FROM audit_log",
    "DELETE FROM changes",
    "DELETE FROM calls",
    "DELETE FROM caller_phones WHERE caller_id > :callers",
    "DELETE FROM callers WHERE id > :callers",
    "UPDATE slots SET status = 'free' WHERE status <> 'free'",
    f"DELETE FROM agents WHERE name LIKE '{BENCH_AGENT_PREFIX}%'",
)


def reset(dataset: Dataset) -> None:
    """Undo what benchmarks wrote: agents' states, messages, bookings, holds, calls, the feed,
    the audit log, callers added after the seed, the benchmark's agents. The seed's data stays as
    it was."""
    database = dataset.open()
    try:
        with database.write() as connection:
            for statement in RESET_STATEMENTS:
                connection.execute(text(statement), {"callers": dataset.callers})
    finally:
        database.dispose()


def clean(places: list[Place]) -> list[str]:
    """Delete every dataset (and half-built one) of these places, their manifests and the
    bytecode cache of the run's processes; return the datasets deleted."""
    gone = []
    for place in places:
        for name in place.names():
            place.drop(name)
            place.manifest_path(name).unlink(missing_ok=True)
            gone.append(f"{place.backend}:{name}")
        for manifest in place.data_dir.glob(f"{place.backend}-*.json"):
            manifest.unlink()
    if places:
        shutil.rmtree(places[0].data_dir / "pycache", ignore_errors=True)
    return gone


_STARTED = time.monotonic()


def log_to_stderr(message: str) -> None:
    """Progress on stderr, each line with the seconds since the run started."""
    print(f"  [{time.monotonic() - _STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)
