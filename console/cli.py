"""``agent-console``: the console, and the commands that run and fill the central service.

agent-console                      open the console (embedded demo service by default)
agent-console serve                run the central service for a whole call centre
agent-console seed                 fill a database with realistic Slovenian demo data
agent-console token create         issue a bearer token for an agent, supervisor, admin or
                                   the telephone system (role telephony)
agent-console token list           the agents and whether their tokens work
agent-console token revoke ID      revoke an agent's token (every worker refuses it within 1 s)
agent-console migrate              bring a database's schema up to date
agent-console prune [--dry-run]    apply [retention]: old keys, changes, holds, past slots...
agent-console service-rule [CODE on|off]  a service's rule: one active booking per caller
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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.cli_data import (
    add_db_argument,
    add_export_parser,
    add_import_parser,
    add_messages_parsers,
    add_telephony_parser,
    database_of,
    migrated_database,
    progress_bar,
    run_export,
    run_import,
    run_mail_sink,
    run_send_messages,
    run_telephony,
)

if TYPE_CHECKING:  # imported in main(), after the first line is on the terminal
    from console.config import Config

EXAMPLES = """examples:
  agent-console                                  the console on the embedded demo database
  agent-console --server http://central:8000 --token ac_... --extension 101
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
        "--extension",
        help="this desk's telephone extension (default [telephony] extension): a call "
        "ringing there pops the caller's card",
    )
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
    add_db_argument(serve)
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
    add_db_argument(seed)
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
    add_db_argument(create)
    listing = token_commands.add_parser(
        "list",
        help="list the agents with their role and whether their token works",
        description="List every agent: id, role, name, created, and whether the token is "
        "active or revoked. Tokens themselves are never stored, only their hashes.",
    )
    add_db_argument(listing)
    revoke = token_commands.add_parser(
        "revoke",
        help="revoke an agent's token",
        description="Revoke an agent's token: every worker of the central service refuses it "
        "(401) within one second. The agent's records stay; issue a new token with "
        "`token create`. Exit status: 0 revoked (or revoked already), 1 no such agent.",
    )
    revoke.add_argument("agent_id", type=int, metavar="ID", help="the agent's id (token list)")
    add_db_argument(revoke)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    add_db_argument(migrate)

    prune = commands.add_parser(
        "prune",
        help="delete what [retention] no longer keeps: old idempotency keys, changes, holds, "
        "past free slots, directory history",
        description="Apply [retention] of config.toml: delete idempotency keys, change-feed "
        "rows and released or expired holds older than their periods (30, 30 and 7 days by "
        "default), agents' past states (400), past free slots no booking or hold refers to "
        "(30 days after they ended), the directory's history of changes and list loads (730; "
        "each doctor's newest change stays), closed directory reports (365), and exported "
        "audit rows older than audit_days where one is set. Bookings, callers, calls, "
        "wrap-ups and the slots bookings refer to are never deleted. Deletes in batches, so "
        "desks keep booking while it runs; prints what it removed per table (--dry-run: what "
        "it would, each table counted as it is now). `serve` does this once a day by itself. "
        "Exit status: 0 done; 1 another prune is running.",
    )
    add_db_argument(prune)
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

    rule = commands.add_parser(
        "service-rule",
        help="a service's rule: at most one active booking per caller (on), or any (off)",
        description='Set or show a service\'s rule "at most one active booking per caller" '
        "(services.one_booking_per_caller). With it on, a second active booking of the "
        "service for one caller is refused with 409 caller_has_booking (reschedule the one "
        "there is); off, only a booking at an overlapping time is refused, unless the request "
        "sends allow_overlap. The demo's seed sets it for [demo] one_booking_per_caller of "
        "config.toml. Desks read it when they start. Without "
        "on/off: list every service with its rule. Exit status: 0 done; 1 no such service.",
    )
    rule.add_argument("code", nargs="?", help="the service's code (e.g. ue-passport)")
    rule.add_argument("setting", nargs="?", choices=("on", "off"), help="on or off")
    add_db_argument(rule)

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

    add_import_parser(commands)
    add_export_parser(commands)
    add_telephony_parser(commands)
    add_messages_parsers(commands)

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


def starting_line(language: str | None) -> None:
    """The console's first line, printed before the heavy imports (the configuration, Textual,
    the app and the embedded service take seconds on a loaded machine): the agent sees at once
    that it is starting. Only on a terminal; the console's screen replaces it."""
    if not sys.stdout.isatty():
        return
    from console.i18n import DEFAULT_LANGUAGE, _, set_language

    set_language(language or DEFAULT_LANGUAGE)
    print(_("agent-console: starting…"), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in (None, "run"):
        starting_line(args.language)
    from console.config import ConfigError, load_config

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
        "service-rule": _service_rule,
        "backup": _backup,
        "import": run_import,
        "export": run_export,
        "telephony": run_telephony,
        "sync": _sync,
        "send-messages": run_send_messages,
        "mail-sink": run_mail_sink,
    }
    try:
        return handlers[args.command](args, config)
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace, config: Config) -> int:
    from console.app import run_console
    from console.config import ConfigError

    try:
        return run_console(
            config,
            server=args.server,
            token=args.token,
            language=args.language,
            role=args.role,
            extension=args.extension,
            config_file=args.config,
        )
    except ConfigError as exc:  # e.g. an --extension the telephone system cannot have
        print(f"agent-console: {exc}", file=sys.stderr)
        return 2


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

    database = database_of(args, config)
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
            # Every worker's lines go to one writer of the file (console.server.log_relay).
            relay = stack.enter_context(FileWriter(logs)) if logs.file else None
            os.environ["AGENT_CONSOLE_DATABASE"] = database
            if args.config:
                os.environ["AGENT_CONSOLE_CONFIG"] = args.config
            uvicorn.run(
                "console.asgi:app_from_config",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_config=logging_config(logs, relay),
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
    database = Database.open(database_of(args, config))
    started = time.perf_counter()
    with progress_bar(console) as report:
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
                one_booking_per_caller=config.demo.one_booking_per_caller,
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
    from console.server.deps import TOKEN_CACHE_SECONDS

    with migrated_database(args, config) as database:
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


def _migrate(args: argparse.Namespace, config: Config) -> int:
    from console.server.db import Database
    from console.server.migrate import upgrade

    upgrade(Database.open(database_of(args, config)).engine)
    print("Database schema is up to date.")
    return 0


def _service_rule(args: argparse.Namespace, config: Config) -> int:
    from sqlalchemy import select, update

    from console.server.schema import services

    with migrated_database(args, config) as database:
        if args.code and args.setting:
            with database.write() as connection:
                done = connection.execute(
                    update(services)
                    .where(services.c.code == args.code)
                    .values(one_booking_per_caller=args.setting == "on")
                )
            if done.rowcount != 1:
                print(f"agent-console service-rule: no service {args.code!r}.", file=sys.stderr)
                return 1
        with database.read() as connection:
            query = select(services.c.code, services.c.name, services.c.one_booking_per_caller)
            if args.code:
                query = query.where(services.c.code == args.code)
            rows = connection.execute(query.order_by(services.c.code)).all()
    if not rows:
        print(f"agent-console service-rule: no service {args.code!r}.", file=sys.stderr)
        return 1
    for row in rows:
        rule = "one active booking per caller" if row.one_booking_per_caller else "any"
        print(f"{row.code:<22} {rule:<30} {row.name}")
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

    target = database_of(args, config)
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
        f"past free slots {retention.past_slots_days} days, directory history "
        f"{retention.provider_history_days} days, closed directory reports "
        f"{retention.closed_reports_days} days, audit {audit}."
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

    source = database_of(args, config)
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


def _sync(args: argparse.Namespace, config: Config) -> int:
    from console.client.sync_cli import sync_now, sync_status

    if args.status:
        return sync_status(config, server=args.server)
    return sync_now(config, server=args.server, token=args.token)


if __name__ == "__main__":
    sys.exit(main())
