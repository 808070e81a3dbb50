"""``agent-console``: the console, and the commands that run and fill the central service.

agent-console                      open the console (embedded demo service by default)
agent-console serve                run the central service for a whole call centre
agent-console seed                 fill a database with realistic Slovenian demo data
agent-console token create         issue a bearer token for an agent, supervisor, admin or
                                   the telephone system (role telephony)
agent-console token list           the agents and whether their tokens work
agent-console token revoke ID      revoke an agent's token (every worker refuses it within 1 s)
agent-console migrate              bring a database's schema up to date
agent-console prune [--dry-run]    apply [retention]: old idempotency keys, changes, holds
agent-console backup --to COPY     a consistent copy of a SQLite database while desks write
agent-console import zzzs FILE…    load the insurer's published doctor lists (.xlsx)
agent-console import sledilnik DIR load Sledilnik's doctors, institutions and corrections
agent-console import queue-log FILE  Asterisk's queue_log: callers who did not get through
agent-console import cdr FILE.csv  Asterisk's cdr_csv Master.csv, the same from call records
agent-console telephony simulate   post made-up call events to a service, for demos and load
agent-console export reports|calls|audit  agents' reports; a day's calls (CSV, xlsx); the audit log
agent-console sync [--status]      replay this home's offline outboxes now, or show what is queued
agent-console send-messages        send confirmations and reminders to callers (serve does too)
agent-console mail-sink            a local SMTP server (and SMS endpoint) printing what arrives

The console exits with status 0, or 1 when the agent quits with writes still queued (it prints
the command that sends them).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from console.config import Config, ConfigError, load_config

EXAMPLES = """examples:
  agent-console                                  the console on the embedded demo database
  agent-console serve --db postgresql://ac:secret@db/agent_console --host 0.0.0.0
  agent-console seed --db central.db --callers 2100000
  agent-console seed --db central.db --directory-data ../shared/data
  agent-console token create --role agent --name "Maja Kranjc" --db central.db
  agent-console token list --db central.db
  agent-console token revoke 7 --db central.db
  agent-console import zzzs ../shared/data/zzzs/*.xlsx --db central.db
  agent-console import sledilnik ../shared/data/zdravniki --db central.db
  agent-console token create --role telephony --name "Asterisk" --db central.db
  agent-console import queue-log /var/log/asterisk/queue_log --db central.db
  agent-console telephony simulate --server http://central:8000 --token ac_... --speed 60
  agent-console export reports --status open -o reports.csv --db central.db
  agent-console export calls --date 2026-11-22 --format xlsx -o calls.xlsx --db central.db
  agent-console export audit -o audit-2026-11.csv --db central.db
  agent-console prune --dry-run --db central.db
  agent-console backup --db central.db --to /backup/central-$(date +%F).db
  agent-console --server http://central:8000 --token ac_... sync --status
  agent-console wallboard --server http://central:8000 --token ac_... --port 8080
  agent-console sync --status                    every outbox of this home, no network
  agent-console --server http://central:8000 --token ac_... sync
  agent-console mail-sink                        show the demo's e-mails and SMS as they arrive
  agent-console send-messages                    send the demo's queued messages (to the sink)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agent-console",
        description="A keyboard-driven console for public-service call centres.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", help="configuration file (default: see config.toml)")
    parser.add_argument("--server", help="URL of a central service (default: embedded)")
    parser.add_argument("--token", help="bearer token for --server")
    parser.add_argument("--language", choices=["sl", "en"], help="UI language")
    parser.add_argument(
        "--role",
        choices=["agent", "supervisor"],
        help="embedded demo only: open as an agent (default) or a supervisor",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser(
        "run",
        help="open the console (the default)",
        description="Open the console. Exit status: 0; 1 when the agent quit with writes still "
        "queued on this desk (the line it prints says how to send them: agent-console sync).",
    )
    wallboard = commands.add_parser(
        "wallboard",
        help="serve the supervisor's floor to a web browser (the wall's screen)",
        description=(
            "Serve the supervisor's floor to web browsers with textual-serve: each page that "
            "opens it gets a read-only console of its own on the floor. Give a supervisor's "
            "token (--token, or [server] token / AGENT_CONSOLE_TOKEN) and the central "
            "service (--server, or [server] url / AGENT_CONSOLE_SERVER_URL)."
        ),
    )
    # Also after the command (agent-console wallboard --server URL --token T --port P).
    wallboard.add_argument("--server", default=argparse.SUPPRESS, help="URL of the central service")
    wallboard.add_argument("--token", default=argparse.SUPPRESS, help="a supervisor's token")
    wallboard.add_argument(
        "--language", choices=["sl", "en"], default=argparse.SUPPRESS, help="UI language"
    )
    wallboard.add_argument("--port", type=int, default=8080, help="port to serve on (8080)")
    wallboard.add_argument(
        "--host", default="localhost", help="address to listen on (localhost; 0.0.0.0: all)"
    )
    wallboard.add_argument(
        "--public-url", help="the page's address as browsers reach it (behind a proxy)"
    )

    serve = commands.add_parser(
        "serve",
        help="run the central service under uvicorn",
        description="Run the central booking service for networked desks. The database is "
        "migrated once, before the workers start. A PostgreSQL server running with fsync=off "
        "or synchronous_commit=off is warned about at start (a crash could lose bookings).",
    )
    serve.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        help="uvicorn worker processes (default [service] workers; 0 there: 1 on SQLite, "
        "one per CPU core on PostgreSQL)",
    )
    serve.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        help="default [service] log_level (info: every write and error, a summary of reads "
        "a minute; debug: every request)",
    )
    serve.add_argument(
        "--log-file",
        metavar="FILE",
        help="log to FILE, rotated at [service] log_rotate_mb (default [service] log_file; "
        "none: standard error)",
    )

    seed = commands.add_parser(
        "seed",
        help="fill a database with realistic demo data and print demo tokens",
        description="Fill a database with UE Ljubljana offices and services, health "
        "providers, callers with valid EMŠO and phone numbers, and free slots.",
    )
    seed.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")
    seed.add_argument("--callers", type=int, default=None, help="how many callers (default 20000)")
    seed.add_argument("--days", type=int, default=None, help="working days of slots (default 30)")
    seed.add_argument(
        "--providers", type=int, default=None, help="scale health providers up to about this many"
    )
    seed.add_argument(
        "--directory-data",
        metavar="DIR",
        help="folder with the insurer's lists (zzzs/*.xlsx) and Sledilnik's zdravniki/: the "
        "health providers are the real doctors (default: [demo] directory_data, when it exists)",
    )
    seed.add_argument(
        "--generated-clinics",
        action="store_true",
        help="generated clinics and doctors instead of the real lists",
    )
    seed.add_argument("--replace", action="store_true", help="delete existing data first")
    seed.add_argument("--random-seed", type=int, default=2026, help="for reproducible data")

    token = commands.add_parser("token", help="manage bearer tokens")
    token_commands = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = token_commands.add_parser("create", help="create an agent and print its token once")
    create.add_argument(
        "--role",
        required=True,
        choices=["agent", "supervisor", "admin", "telephony"],
        help="telephony: the telephone system's token, which may post call events and read "
        "the desks' extensions, nothing else",
    )
    create.add_argument("--name", required=True, help="the person's name, as shown to others")
    create.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")
    listing = token_commands.add_parser(
        "list",
        help="list the agents with their role and whether their token works",
        description="List every agent: id, role, name, created, and whether the token is "
        "active or revoked. Tokens themselves are never stored, only their hashes.",
    )
    listing.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")
    revoke = token_commands.add_parser(
        "revoke",
        help="revoke an agent's token",
        description="Revoke an agent's token: every worker of the central service refuses it "
        "(401) within one second. The agent's records stay; issue a new token with "
        "`token create`. Exit status: 0 revoked (or revoked already), 1 no such agent.",
    )
    revoke.add_argument("agent_id", type=int, metavar="ID", help="the agent's id (token list)")
    revoke.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")

    prune = commands.add_parser(
        "prune",
        help="delete what [retention] no longer keeps: old idempotency keys, changes, holds",
        description="Apply [retention] of config.toml: delete idempotency keys, change-feed "
        "rows and released or expired holds older than their periods (30, 30 and 7 days by "
        "default), and exported audit rows older than audit_days where one is set. Bookings, "
        "callers, calls and wrap-ups are never deleted. Deletes in batches, so desks keep "
        "booking while it runs; prints what it removed per table. `serve` does this once a "
        "day by itself. Exit status: 0 done; 1 another prune is running.",
    )
    prune.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")
    prune.add_argument(
        "--dry-run", action="store_true", help="only count what would be deleted; delete nothing"
    )
    prune.add_argument(
        "--vacuum",
        action="store_true",
        help="SQLite: first switch an older database file to incremental auto-vacuum, so pruned "
        "space goes back to the file system (once; a full VACUUM that rewrites the file, needs "
        "as much free disk again, and makes writes wait while it runs: at a quiet hour)",
    )

    backup = commands.add_parser(
        "backup",
        help="copy a SQLite database consistently while desks write (PostgreSQL: pg_dump)",
        description="Copy a SQLite central database with SQLite's online backup API: the copy "
        "is the database at one moment, taken while the service runs and desks book. The copy "
        "is checked and only then put in place. For PostgreSQL use pg_dump / pg_restore (see "
        "the README). Exit status: 0 done; 2 cannot (no such file, a PostgreSQL URL, ...).",
    )
    backup.add_argument("--db", help="the SQLite database file (default: from config)")
    backup.add_argument(
        "--to", required=True, metavar="COPY", help="the copy's file name (or a directory)"
    )
    backup.add_argument("--force", action="store_true", help="replace COPY if it exists")

    _add_import(commands)
    _add_export(commands)
    _add_telephony(commands)
    _add_messages(commands)

    sync = commands.add_parser(
        "sync",
        help="replay this home's offline outboxes now, without the console",
        description="Send the writes this desk queued while the central service was "
        "unreachable (in order, each once), then bring the local cache up to date. Without "
        "--server: every outbox this home holds (one per central service the desk has used); "
        "nothing is created or seeded. Exit status: 0 all sent; 1 a service is unreachable "
        "(nothing is lost, the writes stay queued); 2 no token; 3 all sent, but some need the "
        "agent (sync issues).",
    )
    sync.add_argument(
        "--status",
        action="store_true",
        help="only show each outbox, the last sync and open sync issues (no network)",
    )
    # Also accepted after the subcommand; SUPPRESS keeps a value given before it.
    sync.add_argument("--server", default=argparse.SUPPRESS, help="URL of the central service")
    sync.add_argument("--token", default=argparse.SUPPRESS, help="bearer token for --server")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"agent-console: {exc}", file=sys.stderr)
        return 2
    handlers: dict[str | None, Callable[[argparse.Namespace, Config], int]] = {
        None: _run,
        "run": _run,
        "wallboard": _wallboard,
        "serve": _serve,
        "seed": _seed,
        "token": _token,
        "migrate": _migrate,
        "prune": _prune,
        "backup": _backup,
        "import": _import,
        "export": _export,
        "telephony": _telephony,
        "sync": _sync,
        "send-messages": _send_messages,
        "mail-sink": _mail_sink,
    }
    try:
        return handlers[args.command](args, config)
    except KeyboardInterrupt:
        return 130


def _database(args: argparse.Namespace, config: Config) -> str:
    return getattr(args, "db", None) or config.service_database


def _run(args: argparse.Namespace, config: Config) -> int:
    from console.app import run_console

    return run_console(
        config,
        server=args.server,
        token=args.token,
        language=args.language,
        role=args.role,
        config_file=args.config,
    )


def _wallboard(args: argparse.Namespace, config: Config) -> int:
    from console.wallboard import serve_wallboard

    server = args.server or config.server.url
    token = args.token or config.server.token
    if not server or not token:
        print(
            "agent-console wallboard: needs --server URL and a supervisor's --token",
            file=sys.stderr,
        )
        return 2
    return serve_wallboard(
        server=server,
        token=token,
        port=args.port,
        host=args.host,
        language=args.language,
        public_url=args.public_url,
    )


def _serve(args: argparse.Namespace, config: Config) -> int:
    from contextlib import ExitStack
    from dataclasses import replace

    import uvicorn

    from console.server.app import create_app
    from console.server.db import Database, database_url, default_workers, durability_warnings
    from console.server.logs import FileWriter, logging_config
    from console.server.migrate import upgrade

    database = _database(args, config)
    # Migrate once, here, before any worker starts (each worker then finds the schema at head).
    opened = Database.open(database)
    try:
        upgrade(opened.engine)
        for warning in durability_warnings(opened.engine):
            print(f"agent-console serve: WARNING: {warning}", file=sys.stderr, flush=True)
    finally:
        opened.dispose()
    host = args.host or config.service.host
    port = args.port or config.service.port
    workers = args.workers or config.service.workers or default_workers(database)
    logs = config.service.log_settings()
    logs = replace(logs, level=args.log_level or logs.level, file=args.log_file or logs.file)
    shown = database_url(database).split("@")[-1]
    print(f"agent-console central service on http://{host}:{port}  (database: {shown})")
    print(f"API description: http://{host}:{port}/docs  ·  health: /healthz  ·  stop with ctrl+c")
    if logs.file:
        rotation = (
            f"rotated at {logs.rotate_bytes / 1024 / 1024:g} MB, {logs.backups} kept"
            if logs.rotate_bytes
            else "reopened when rotated by logrotate"
        )
        print(f"Log: {logs.file} ({rotation}), level {logs.level}")
    retention = config.retention
    if retention.daily:
        print(f"Pruned by [retention] once a day at {retention.daily_at} (Europe/Ljubljana)")
    sender = _start_sender(database, config)
    with ExitStack() as stack:
        if sender is not None:
            stack.callback(sender.stop)
        if workers > 1:
            # Every worker's records go through one queue to one writer of the file.
            queue = stack.enter_context(FileWriter(logs)) if logs.file else None
            os.environ["AGENT_CONSOLE_DATABASE"] = database
            if args.config:
                os.environ["AGENT_CONSOLE_CONFIG"] = args.config
            uvicorn.run(
                "console.asgi:app_from_config",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_config=logging_config(logs, queue),
                log_level=logs.level,
                access_log=False,
            )
        else:
            app = create_app(config.server_settings(database), serving=True)
            uvicorn.run(
                app,
                host=host,
                port=port,
                log_config=logging_config(logs),
                log_level=logs.level,
                access_log=False,
            )
    return 0


def _start_sender(database: str, config: Config) -> Any:
    """The message sender beside the service (``[messages] sender``): one thread in this
    process, whatever the number of workers; across processes and machines the database's
    lock lets one sender send."""
    settings = config.messages.settings()
    if not (settings.sender and settings.enabled):
        return None
    import logging

    from console.server.db import Database
    from console.server.messages.sender import SenderThread
    from console.server.migrate import upgrade

    logging.getLogger("agent_console.messages").setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(levelname)s:     %(message)s")
    migrated = Database.open(database)
    upgrade(migrated.engine)
    migrated.dispose()
    thread = SenderThread(database, settings)
    thread.start()
    smtp = settings.smtp
    print(
        f"Messages to callers: sent through {smtp.host}:{smtp.port} (e-mail) and "
        f"{settings.sms.url or 'no SMS gateway'} (SMS)"
    )
    return thread


def _seed(args: argparse.Namespace, config: Config) -> int:
    from rich.console import Console
    from rich.markup import escape

    from console.server.db import Database
    from console.server.seed import SeedError, seed

    console = Console(stderr=True)
    try:
        directory = _directory_data(args, config, console)
    except ValueError as exc:
        console.print(
            f"[red]agent-console seed: {escape(str(exc))}[/red]", highlight=False, soft_wrap=True
        )
        return 1
    database = Database.open(_database(args, config))
    started = time.perf_counter()
    with _progress_bar(console) as report:
        try:
            result = seed(
                database,
                callers=config.demo.callers if args.callers is None else args.callers,
                days=config.demo.days if args.days is None else args.days,
                providers_target=args.providers,
                random_seed=args.random_seed,
                replace=args.replace,
                progress=report,
                directory_data=directory,
            )
        except SeedError as exc:
            console.print(
                f"[red]agent-console seed: {escape(str(exc))}[/red]",
                highlight=False,
                soft_wrap=True,
            )
            return 1
    elapsed = time.perf_counter() - started
    print(
        f"Seeded in {elapsed:.1f} s: {result.callers:,} callers, {result.locations} locations, "
        f"{result.services} services, {result.providers} providers, {result.slots:,} slots."
    )
    if result.directory:
        print("Health providers from the real lists:")
        for imported in result.directory:
            print(f"  {imported.message}")
    print("Demo tokens (shown once; only their hashes are stored):")
    for role, token in result.tokens.items():
        print(f"  {role:<11} {token}")
    return 0


def _directory_data(args: argparse.Namespace, config: Config, console: Any) -> Path | None:
    """The folder of real lists ``seed`` uses (None: generated clinics); ValueError when
    ``--directory-data`` names a folder without them."""
    if args.generated_clinics or args.providers is not None:
        return None
    if args.directory_data:
        chosen = Path(args.directory_data).expanduser()
        if not (chosen / "zzzs").is_dir():
            raise ValueError(f"{chosen}: no zzzs/ folder with the insurer's lists")
        return chosen
    found = config.demo_lists()
    if found is not None:
        return found
    configured = config.demo_directory_data
    where = f" at {configured}" if configured is not None else ""
    console.print(
        f"No doctor lists{where} ([demo] directory_data): generated clinics instead.",
        highlight=False,
        soft_wrap=True,
        markup=False,  # "[demo]" is a config table, not a style
    )
    return None


def _token(args: argparse.Namespace, config: Config) -> int:
    from console.server.agents import create_agent, list_agents, revoke_token
    from console.server.db import Database
    from console.server.deps import TOKEN_CACHE_SECONDS
    from console.server.migrate import upgrade

    database = Database.open(_database(args, config))
    try:
        upgrade(database.engine)
        if args.token_command == "list":
            with database.read() as connection:
                rows = list_agents(connection)
            print(f"{'id':>5}  {'role':<10}  {'token':<7}  {'created (UTC)':<16}  name")
            for row in rows:
                state = "active" if row.active else "revoked"
                created = row.created_at.strftime("%Y-%m-%d %H:%M")
                print(f"{row.id:>5}  {row.role:<10}  {state:<7}  {created:<16}  {row.name}")
            return 0
        if args.token_command == "revoke":
            with database.write() as connection:
                found = revoke_token(connection, args.agent_id)
            if found is None:
                print(f"agent-console token revoke: no agent {args.agent_id}", file=sys.stderr)
                return 1
            name, was_active = found
            if not was_active:
                print(f"The token of agent {args.agent_id} ({name}) was revoked already.")
            else:
                print(
                    f"Revoked the token of agent {args.agent_id} ({name}); every worker "
                    f"refuses it within {TOKEN_CACHE_SECONDS:g} s."
                )
            return 0
        with database.write() as connection:
            agent, token = create_agent(connection, args.name, args.role)
        print(f"Created {agent.role.value} {agent.name!r} (id {agent.id}). Token, shown once:")
        print(token)
        return 0
    finally:
        database.dispose()


def _migrate(args: argparse.Namespace, config: Config) -> int:
    from console.server.db import Database
    from console.server.migrate import upgrade

    upgrade(Database.open(_database(args, config)).engine)
    print("Database schema is up to date.")
    return 0


def _prune(args: argparse.Namespace, config: Config) -> int:
    from console.server.db import Database, database_url
    from console.server.migrate import upgrade
    from console.server.retention import (
        auto_vacuum_mode,
        prune,
        prune_lock,
        switch_to_incremental,
    )

    target = _database(args, config)
    retention = config.server_settings(target).retention
    database = Database.open(target)
    try:
        upgrade(database.engine)
        with prune_lock(database) as mine:
            if not mine:
                print("agent-console prune: another prune is running; try again later.")
                return 1
            if args.vacuum:
                if database.dialect != "sqlite":
                    print("--vacuum is for SQLite; PostgreSQL's VACUUM runs after every prune.")
                elif auto_vacuum_mode(database) == "incremental":
                    print("This database already gives pruned space back (incremental).")
                else:
                    print("Rewriting the file with incremental auto-vacuum (VACUUM)...")
                    before, after = switch_to_incremental(database)
                    print(f"Done: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB.")
            report = prune(database, retention, dry_run=args.dry_run)
    finally:
        database.dispose()
    audit = f"{retention.audit_days} days, exported rows only" if retention.audit_days else "kept"
    shown = database_url(target).split("@")[-1]
    print(
        f"{'Dry run: nothing deleted. ' if args.dry_run else ''}{shown}: idempotency keys "
        f"{retention.idempotency_days} days, change feed {retention.changes_days} days, "
        f"holds {retention.holds_days} days, agent states {retention.agent_states_days} days, "
        f"audit {audit}."
    )
    verb = "would remove" if args.dry_run else "removed"
    for table, count in report.removed.items():
        print(f"  {table:<18} {count:>10,} {verb}")
    if report.feed_starts_after:
        print(
            f"The change feed {'would start' if args.dry_run else 'starts'} after "
            f"#{report.feed_starts_after}: an older cursor gets 410 resync."
        )
    if report.freed_bytes:
        print(f"{report.freed_bytes / 1e6:.1f} MB given back to the file system.")
    for note in report.notes:
        print(note)
    print(f"Done in {report.seconds:.1f} s.")
    return 0


def _backup(args: argparse.Namespace, config: Config) -> int:
    from console.server.backup import (
        PG_HINT,
        BackupError,
        backup_sqlite,
        is_postgresql,
        sqlite_path,
    )

    source = _database(args, config)
    if is_postgresql(source):
        print(PG_HINT, file=sys.stderr)
        return 2
    source = sqlite_path(source)
    try:
        report = backup_sqlite(source, args.to, force=args.force)
    except BackupError as exc:
        print(f"agent-console backup: {exc}", file=sys.stderr)
        return 2
    print(
        f"Backed up {report.source} to {report.target}: {report.bytes / 1e6:.1f} MB, "
        f"{report.bookings:,} bookings, checked, in {report.seconds:.1f} s."
    )
    return 0


def _add_import(commands: argparse._SubParsersAction) -> None:
    importer = commands.add_parser(
        "import",
        help="load the doctor directory (the insurer's lists, Sledilnik's data) or the "
        "telephone system's call logs",
        description="Load the doctor directory or call logs into a database, in one "
        "transaction: a malformed file is reported with its row (line) and column (field) and "
        "nothing is written. Exit "
        "status: 0 done (also when a list was already loaded or is older than the one loaded: "
        "then nothing changes); 2 a file cannot be read.",
    )
    sources = importer.add_subparsers(dest="source", metavar="SOURCE", required=True)
    zzzs = sources.add_parser(
        "zzzs",
        help="the insurer's (ZZZS) published spreadsheets of doctors accepting patients",
        description="Load the insurer's published lists (zdravniki, ginekologi, "
        "zobozdravniki .xlsx) as they are published. A newer list of the same kind updates "
        "the doctors in place and records what changed (accepts flipped, added, removed, "
        "employment share, load) in their history and in the change feed.",
    )
    zzzs.add_argument("files", nargs="+", metavar="FILE.xlsx", help="the spreadsheets")
    zzzs.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")
    sledilnik = sources.add_parser(
        "sledilnik",
        help="Sledilnik's doctors.csv, institutions.csv and overrides.csv",
        description="Load Sledilnik's copy (coordinates, municipality, phone, order forms) "
        "and its dated corrections as facts beside the insurer's, matched to the insurer's "
        "doctors (import those first). Never overwrites the insurer's data.",
    )
    sledilnik.add_argument("directory", metavar="DIR", help="the folder with the CSV files")
    sledilnik.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")
    calls_help = (
        " Each call is recorded once by its id (a re-import changes nothing), in time order, "
        "and a number's callback is then open exactly when its last call did not get through. "
        "A malformed line is reported with the file, line and field, and nothing is written. "
        "Calls older than [callbacks] keep_days are skipped."
    )
    queue_log = sources.add_parser(
        "queue-log",
        help="Asterisk's queue_log: who got through, who did not (callbacks)",
        description="Read Asterisk's queue_log (time|callid|queue|agent|event|data…): "
        "ENTERQUEUE gives the caller's number, CONNECT means answered, ABANDON, EXITEMPTY, "
        "EXITWITHTIMEOUT and EXITWITHKEY mean the caller did not get through." + calls_help,
    )
    queue_log.add_argument("files", nargs="+", metavar="FILE", help="queue_log files")
    queue_log.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")
    cdr = sources.add_parser(
        "cdr",
        help="Asterisk's cdr_csv Master.csv: inbound calls answered or not (callbacks)",
        description="Read Asterisk's cdr_csv Master.csv (no header: accountcode, src, dst, "
        "dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, end, "
        "duration, billsec, disposition, amaflags[, uniqueid[, userfield]]). Inbound calls "
        "with NO ANSWER, BUSY, FAILED or CONGESTION did not get through; ANSWERED did. "
        "Inbound: the lines of the --context contexts, or else those from an outside number "
        "to an extension or queue." + calls_help,
    )
    cdr.add_argument("files", nargs="+", metavar="FILE.csv", help="Master.csv files")
    cdr.add_argument(
        "--utc",
        action="store_true",
        help="the times are UTC (cdr.conf usegmtime=yes); default: Europe/Ljubljana",
    )
    cdr.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="NAME",
        help="a dialplan context of inbound calls (repeat for several)",
    )
    cdr.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")


def _import(args: argparse.Namespace, config: Config) -> int:
    from rich.console import Console
    from rich.markup import escape

    from console.server.db import Database
    from console.server.importers import ListFormatError, import_lists, import_sledilnik
    from console.server.importers.call_logs import LogFormatError
    from console.server.migrate import upgrade

    console = Console(stderr=True)
    database = Database.open(_database(args, config))
    started = time.perf_counter()
    try:
        upgrade(database.engine)
        with _progress_bar(console) as report:
            try:
                if args.source == "zzzs":
                    results = import_lists(database, args.files, progress=report)
                elif args.source in ("queue-log", "cdr"):
                    results = _import_calls(args, config, database, report)
                else:
                    results = [import_sledilnik(database, args.directory, progress=report)]
            except (ListFormatError, LogFormatError) as exc:
                console.print(
                    f"[red]agent-console import: {escape(str(exc))}[/red]",
                    highlight=False,
                    soft_wrap=True,
                )
                console.print("Nothing was imported.", highlight=False)
                return 2
    finally:
        database.dispose()
    for result in results:
        print(result.message)
    print(f"Imported in {time.perf_counter() - started:.1f} s.")
    return 0


def _import_calls(
    args: argparse.Namespace, config: Config, database: Any, report: Callable[[str, int, int], None]
) -> list[Any]:
    """queue_log or CDR files: every file is read before any is written, so a bad line in
    any of them writes nothing."""
    from console.server.importers import cdr, queue_log
    from console.server.importers.call_logs import record

    settings = config.callbacks.settings()
    read = []
    for file in map(Path, args.files):
        if args.source == "queue-log":
            read.append((file, queue_log.KIND, queue_log.read(file, report)))
        else:
            calls = cdr.read(file, utc=args.utc, contexts=args.context, progress=report)
            read.append((file, cdr.KIND, calls))
    return [record(database, file, kind, calls, settings, report) for file, kind, calls in read]


def _add_export(commands: argparse._SubParsersAction) -> None:
    exporter = commands.add_parser(
        "export",
        help="write data out: reports on the doctor directory, a day's calls, the audit log",
    )
    what = exporter.add_subparsers(dest="what", metavar="WHAT", required=True)
    reports = what.add_parser(
        "reports",
        help="agents' reports that the doctor directory is wrong, as CSV for the data owner",
        description='Write the agents\' reports ("the office says they are full") as CSV: '
        "when, who, what and the note, the doctor and institution with the insurer's codes, "
        "and the insurer's flag and list date beside it. Times are in Europe/Ljubljana; the "
        "file is UTF-8 with a byte-order mark so spreadsheet programs read č, š and ž.",
    )
    reports.add_argument(
        "--status",
        choices=["open", "closed", "all"],
        default="open",
        help="which reports (default: the open ones)",
    )
    reports.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE instead of standard output"
    )
    reports.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")
    calls = what.add_parser(
        "calls",
        help="every call of a day, for the supervisor: CSV or an Excel workbook",
        description="Write every call of a day (started that day in Europe/Ljubljana) with its "
        "agent, start, end and wrap-up times, talk, after-call work and handle time in seconds, "
        "disposition, and the bookings it made, rescheduled or cancelled (references and "
        "services). No caller identity. Times are Europe/Ljubljana's; CSV is UTF-8 with a "
        "byte-order mark, the workbook has a header row, column widths and real date cells.",
    )
    calls.add_argument(
        "--date",
        metavar="D",
        help="the day: 2026-11-22 or 22. 11. 2026 (default: today in Europe/Ljubljana)",
    )
    calls.add_argument(
        "--format", choices=["csv", "xlsx"], default="csv", help="csv (default) or xlsx"
    )
    calls.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (default: CSV to standard output, xlsx to calls-DATE.xlsx)",
    )
    calls.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")
    audit = what.add_parser(
        "audit",
        help="the audit log (who read or changed which caller's record), as CSV",
        description="Write the audit rows not exported before (with --all: every row) as CSV, "
        "oldest first, times in Europe/Ljubljana, and record that they were exported, once the "
        "file is completely written. Only exported rows are ever pruned, and only where "
        "[retention] audit_days is set (audit rows are kept at least a year).",
    )
    audit.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE instead of standard output"
    )
    audit.add_argument("--all", action="store_true", help="every row, also those exported before")
    audit.add_argument("--force", action="store_true", help="replace FILE if it exists")
    audit.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")


def _export(args: argparse.Namespace, config: Config) -> int:
    from console.server.db import Database
    from console.server.migrate import upgrade
    from console.server.reports import export_reports_csv

    if args.what == "calls":
        return _export_calls(args, config)
    if args.what == "audit":
        return _export_audit(args, config)
    database = Database.open(_database(args, config))
    try:
        upgrade(database.engine)
        if args.output:
            with open(args.output, "w", encoding="utf-8-sig", newline="") as out:
                count = export_reports_csv(database, out, args.status)
        else:
            count = export_reports_csv(database, sys.stdout, args.status)
    finally:
        database.dispose()
    where = args.output or "standard output"
    print(f"{count} {args.status} report(s) written to {where}.", file=sys.stderr)
    return 0


def _export_calls(args: argparse.Namespace, config: Config) -> int:
    from console.server.db import Database
    from console.server.export_calls import write_csv, write_xlsx
    from console.server.migrate import upgrade

    try:
        day = _parse_day(args.date)
    except ValueError as exc:
        print(f"agent-console export calls: {exc}", file=sys.stderr)
        return 2
    database = Database.open(_database(args, config))
    try:
        upgrade(database.engine)
        where = args.output
        if args.format == "xlsx":
            where = where or f"calls-{day.isoformat()}.xlsx"
            count = write_xlsx(database, day, where)
        elif where:
            with open(where, "w", encoding="utf-8-sig", newline="") as out:
                count = write_csv(database, day, out)
        else:
            count = write_csv(database, day, sys.stdout)
    finally:
        database.dispose()
    print(f"{count} call(s) of {day.isoformat()} written to {where or 'standard output'}.",
          file=sys.stderr)  # fmt: skip
    return 0


def _parse_day(text: str | None) -> date:
    """``2026-11-22`` or ``22. 11. 2026``; None: today in Europe/Ljubljana."""
    from console.domain.calendar import TZ

    if not text:
        return datetime.now(TZ).date()
    cleaned = text.strip()
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        pass
    parts = [part.strip() for part in cleaned.rstrip(".").split(".")]
    if len(parts) == 3 and all(part.isdigit() for part in parts):
        try:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            pass
    raise ValueError(f"--date {text!r} is not a date: write 2026-11-22 or 22. 11. 2026")


def _export_audit(args: argparse.Namespace, config: Config) -> int:
    from console.server import audit_export
    from console.server.db import Database
    from console.server.migrate import upgrade

    if args.output and Path(args.output).exists() and not args.force:
        print(
            f"agent-console export audit: {args.output} exists; choose another name, or "
            "--force to replace it.",
            file=sys.stderr,
        )
        return 2
    database = Database.open(_database(args, config))
    try:
        upgrade(database.engine)
        if args.output:
            with open(args.output, "w", encoding="utf-8-sig", newline="") as out:
                result = audit_export.write_csv(database, out, everything=args.all)
                out.flush()
                os.fsync(out.fileno())
        else:
            result = audit_export.write_csv(database, sys.stdout, everything=args.all)
            sys.stdout.flush()
        audit_export.mark_exported(database, result, args.output or "standard output")
    finally:
        database.dispose()
    where = args.output or "standard output"
    span = f" (#{result.first_id}-#{result.last_id})" if result.rows else ""
    print(f"{result.rows} audit row(s){span} written to {where}.", file=sys.stderr)
    return 0


def _add_telephony(commands: argparse._SubParsersAction) -> None:
    telephony = commands.add_parser("telephony", help="the telephone system: a simulator")
    actions = telephony.add_subparsers(dest="telephony_command", metavar="ACTION", required=True)
    simulate = actions.add_parser(
        "simulate",
        help="post made-up call events (ringing, answered, missed) to a central service",
        description="Play a telephone system for demos and load: calls arrive at UE "
        "Ljubljana's rates (16,000 a month, more in the morning), about 4 minutes each, a "
        "third missed at the peak; answered calls ring on the desks' extensions. Everything "
        "is generated from that model (see console/telephony_sim.py), nothing is real. Needs "
        "a token of the telephony role (agent-console token create --role telephony).",
    )
    simulate.add_argument("--server", required=True, help="URL of the central service")
    simulate.add_argument("--token", required=True, help="a telephony token")
    simulate.add_argument(
        "--extensions",
        help="comma-separated extensions to ring (default: those the desks declared to the "
        "service, read again every minute)",
    )
    simulate.add_argument(
        "--hours",
        default="Mon-Fri 08:00-16:00",
        help="when the lines are open (default %(default)s)",
    )
    simulate.add_argument(
        "--from",
        dest="start",
        metavar="YYYY-MM-DDTHH:MM",
        help="the simulated start, Ljubljana time (default: now)",
    )
    simulate.add_argument(
        "--duration", type=float, default=8.0, help="simulated hours (default %(default)s)"
    )
    simulate.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (default 1; 60 plays an hour in a minute)",
    )
    simulate.add_argument(
        "--numbers",
        metavar="FILE",
        help="callers' numbers to use for a share of the calls (one per line), so that cards pop",
    )
    simulate.add_argument(
        "--known-share",
        type=float,
        default=0.5,
        help="the share of calls from --numbers (default %(default)s)",
    )
    simulate.add_argument("--seed", type=int, help="for a reproducible run")


def _telephony(args: argparse.Namespace, config: Config) -> int:
    from datetime import datetime

    from console.domain.calendar import TZ, OfficeHours
    from console.domain.errors import InvalidValue
    from console.telephony_sim import Options, read_numbers, run

    try:
        OfficeHours.parse(args.hours)
        start = datetime.fromisoformat(args.start).replace(tzinfo=TZ) if args.start else None
        numbers = read_numbers(Path(args.numbers)) if args.numbers else []
    except (InvalidValue, ValueError, OSError) as exc:
        print(f"agent-console telephony simulate: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    if args.speed <= 0 or args.duration <= 0 or not 0 <= args.known_share <= 1:
        print(
            "agent-console telephony simulate: --speed and --duration must be more than 0, "
            "--known-share between 0 and 1",
            file=sys.stderr,
        )
        return 2
    extensions = (
        [e.strip() for e in args.extensions.split(",") if e.strip()] if args.extensions else None
    )
    return run(
        Options(
            server=args.server,
            token=args.token,
            extensions=extensions,
            hours=args.hours,
            start=start,
            duration_hours=args.duration,
            speed=args.speed,
            numbers=numbers,
            known_share=args.known_share,
            seed=args.seed,
        )
    )


@contextmanager
def _progress_bar(console: Any) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar with one task per label; yields the progress callback."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(),
        TextColumn("{task.completed:>10,}/{task.total:<10,}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, Any] = {}

        def report(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=max(total, 1))
            progress.update(tasks[label], completed=done, total=max(total, 1))

        yield report


def _add_messages(commands: argparse._SubParsersAction) -> None:
    send = commands.add_parser(
        "send-messages",
        help="send confirmations and reminders to callers (`serve` runs this too)",
        description="Send the messages to callers that are due: confirmations, changes, "
        "cancellations and reminders, by e-mail ([messages.smtp]) or SMS ([messages.sms]). "
        "One sender sends at a time (a lock in the database): started beside a running "
        "`serve`, this one waits. A message is claimed before it is sent and marked sent "
        "after, with a Message-ID fixed when it was queued: killed mid-send, the next sender "
        "sends it again under the same Message-ID. Runs until ctrl+c; --once sends what is "
        "due now and exits. Exit status: 0 done; 1 another sender holds the lock (--once).",
    )
    send.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")
    send.add_argument(
        "--once", action="store_true", help="send what is due now, then exit (cron-style)"
    )
    send.add_argument(
        "-v", "--verbose", action="store_true", help="print every message sent, not a summary"
    )
    sink = commands.add_parser(
        "mail-sink",
        help="a local SMTP server and SMS endpoint that print what arrives (for demos)",
        description="Receive e-mail on an SMTP port and SMS on an HTTP port, and print each "
        "message (headers, the text, the calendar file's METHOD, UID and SEQUENCE) instead of "
        "delivering it. The defaults of [messages.smtp] and [messages.sms] point here, so a "
        "demo shows its messages: run this in one terminal and `agent-console send-messages` "
        "in another. Stop with ctrl+c.",
    )
    sink.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    sink.add_argument("--port", type=int, default=8025, help="SMTP port (default 8025)")
    sink.add_argument(
        "--sms-port", type=int, default=8026, help="HTTP port for SMS (default 8026; 0: none)"
    )
    sink.add_argument("--quiet", action="store_true", help="count messages, print none")


def _send_messages(args: argparse.Namespace, config: Config) -> int:
    import logging
    import signal
    import threading

    from console.server.db import Database
    from console.server.messages.sender import Sender
    from console.server.migrate import upgrade

    logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s", level=logging.INFO)
    if args.verbose:
        logging.getLogger("agent_console.messages").setLevel(logging.DEBUG)
    settings = config.messages.settings()
    database = Database.open(_database(args, config))
    try:
        upgrade(database.engine)
        sender = Sender(database, settings)
        if args.once:
            report = sender.run_once()
            if report is None:
                print("Another sender is running (it holds the lock); nothing was sent.")
                return 1
            print(f"Messages: {report}.")
            return 0
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        smtp = settings.smtp
        print(
            f"Sending messages to callers through {smtp.host}:{smtp.port} (e-mail) and "
            f"{settings.sms.url or 'no SMS gateway'} (SMS); stop with ctrl+c",
            flush=True,
        )
        sender.run(stop)
        return 0
    finally:
        database.dispose()


def _mail_sink(args: argparse.Namespace, config: Config) -> int:
    import signal
    import threading

    from console.server.messages.sink import MailSink

    def show(text: str) -> None:
        print(text, flush=True)

    try:
        sink = MailSink(args.host, args.port, args.sms_port, show=show, quiet=args.quiet)
        sink.start()
    except OSError as exc:
        print(f"agent-console mail-sink: {exc}", file=sys.stderr)
        return 1
    sms = f", SMS on http://{args.host}:{args.sms_port}/sms" if args.sms_port else ""
    print(f"Mail sink: SMTP on {args.host}:{args.port}{sms}; stop with ctrl+c", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        sink.stop()
        print(f"{sink.handler.count} e-mail(s) received.")
    return 0


def _sync(args: argparse.Namespace, config: Config) -> int:
    from console.client.sync_cli import sync_now, sync_status

    if args.status:
        return sync_status(config, server=args.server)
    return sync_now(config, server=args.server, token=args.token)


if __name__ == "__main__":
    sys.exit(main())
