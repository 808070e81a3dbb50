"""``agent-console`` commands that move data in and out of the central service: ``import``
(the insurer's lists, Sledilnik, Asterisk's call logs), ``export`` (reports, a day's calls, the
audit log), ``telephony simulate``, ``send-messages`` and ``mail-sink``. :mod:`console.cli`
parses the command line and hands them over."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI prints its first line before the configuration is imported
    from console.config import Config


def database_of(args: argparse.Namespace, config: Config) -> str:
    """The database a command works on: ``--db``, else the config's."""
    return getattr(args, "db", None) or config.service_database


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """``--db``: the database a command works on (default: the config's)."""
    parser.add_argument("--db", help="SQLite file or postgresql:// URL (default: from config)")


def add_output_argument(
    parser: argparse.ArgumentParser, help: str = "write to FILE instead of standard output"
) -> None:
    """``-o``/``--output FILE``: where an export goes (default: standard output)."""
    parser.add_argument("-o", "--output", metavar="FILE", help=help)


@contextmanager
def migrated_database(args: argparse.Namespace, config: Config) -> Iterator[Any]:
    """The command's database (:func:`database_of`), migrated, until the block ends; then
    disposed of."""
    from console.server.db import Database
    from console.server.migrate import upgrade

    database = Database.open(database_of(args, config))
    try:
        upgrade(database.engine)
        yield database
    finally:
        database.dispose()


@contextmanager
def written(path: str | None, *, durable: bool = False) -> Iterator[Any]:
    """Where an export writes: the file ``path`` (UTF-8 with a byte-order mark, so spreadsheet
    programs read č, š and ž), else standard output; flushed at the end (a file ``durable``:
    synced to disk too)."""
    if not path:
        yield sys.stdout
        sys.stdout.flush()
        return
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        yield out
        if durable:
            out.flush()
            os.fsync(out.fileno())


def add_import_parser(commands: argparse._SubParsersAction) -> None:
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
    add_db_argument(zzzs)
    sledilnik = sources.add_parser(
        "sledilnik",
        help="Sledilnik's doctors.csv, institutions.csv and overrides.csv",
        description="Load Sledilnik's copy (coordinates, municipality, phone, order forms) "
        "and its dated corrections as facts beside the insurer's, matched to the insurer's "
        "doctors (import those first). Never overwrites the insurer's data.",
    )
    sledilnik.add_argument("directory", metavar="DIR", help="the folder with the CSV files")
    add_db_argument(sledilnik)
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
    add_db_argument(queue_log)
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
    add_db_argument(cdr)


def run_import(args: argparse.Namespace, config: Config) -> int:
    from rich.console import Console
    from rich.markup import escape

    from console.server.importers import ListFormatError, import_lists, import_sledilnik
    from console.server.importers.call_logs import LogFormatError

    console = Console(stderr=True)
    started = time.perf_counter()
    with migrated_database(args, config) as database, progress_bar(console) as report:
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


def add_export_parser(commands: argparse._SubParsersAction) -> None:
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
    add_output_argument(reports)
    add_db_argument(reports)
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
    add_output_argument(
        calls, "write to FILE (default: CSV to standard output, xlsx to calls-DATE.xlsx)"
    )
    add_db_argument(calls)
    audit = what.add_parser(
        "audit",
        help="the audit log (who read or changed which caller's record), as CSV",
        description="Write the audit rows not exported before (with --all: every row) as CSV, "
        "oldest first, times in Europe/Ljubljana, and record that they were exported, once the "
        "file is completely written. Only exported rows are ever pruned, and only where "
        "[retention] audit_days is set (audit rows are kept at least a year).",
    )
    add_output_argument(audit)
    audit.add_argument("--all", action="store_true", help="every row, also those exported before")
    audit.add_argument("--force", action="store_true", help="replace FILE if it exists")
    add_db_argument(audit)


def run_export(args: argparse.Namespace, config: Config) -> int:
    from console.server.reports import export_reports_csv

    if args.what == "calls":
        return _export_calls(args, config)
    if args.what == "audit":
        return _export_audit(args, config)
    with migrated_database(args, config) as database, written(args.output) as out:
        count = export_reports_csv(database, out, args.status)
    where = args.output or "standard output"
    print(f"{count} {args.status} report(s) written to {where}.", file=sys.stderr)
    return 0


def _export_calls(args: argparse.Namespace, config: Config) -> int:
    from console.server.export_calls import write_csv, write_xlsx

    try:
        day = _parse_day(args.date)
    except ValueError as exc:
        print(f"agent-console export calls: {exc}", file=sys.stderr)
        return 2
    with migrated_database(args, config) as database:
        where = args.output
        if args.format == "xlsx":
            where = where or f"calls-{day.isoformat()}.xlsx"
            count = write_xlsx(database, day, where)
        else:
            with written(where) as out:
                count = write_csv(database, day, out)
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

    if args.output and Path(args.output).exists() and not args.force:
        print(
            f"agent-console export audit: {args.output} exists; choose another name, or "
            "--force to replace it.",
            file=sys.stderr,
        )
        return 2
    with migrated_database(args, config) as database:
        with written(args.output, durable=True) as out:
            result = audit_export.write_csv(database, out, everything=args.all)
        audit_export.mark_exported(database, result, args.output or "standard output")
    where = args.output or "standard output"
    span = f" (#{result.first_id}-#{result.last_id})" if result.rows else ""
    print(f"{result.rows} audit row(s){span} written to {where}.", file=sys.stderr)
    return 0


def add_telephony_parser(commands: argparse._SubParsersAction) -> None:
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


def run_telephony(args: argparse.Namespace, config: Config) -> int:
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
def progress_bar(console: Any) -> Iterator[Callable[[str, int, int], None]]:
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


def add_messages_parsers(commands: argparse._SubParsersAction) -> None:
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
    add_db_argument(send)
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
        "message (headers, the text, the calendar file's METHOD, UID and SEQUENCE; an SMS's "
        "length, segments and encoding, GSM-7 or UCS-2) instead of "
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


def run_send_messages(args: argparse.Namespace, config: Config) -> int:
    import logging
    import signal
    import threading

    from console.server.messages.sender import Sender

    logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s", level=logging.INFO)
    if args.verbose:
        logging.getLogger("agent_console.messages").setLevel(logging.DEBUG)
    settings = config.messages.settings()
    with migrated_database(args, config) as database:
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


def run_mail_sink(args: argparse.Namespace, config: Config) -> int:
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
