"""``agent-console sync``: the desk's outbox without the console.

``agent-console sync --status``  what is queued, the last sync, the open sync issues (no network)
``agent-console sync``           replay the outbox now, with a progress bar, then catch up the cache

Without ``--server`` both work on every outbox this home holds: one cache file per central
service the desk has used (``cache_path``), each knowing its service's URL. Nothing is ever
seeded or created: a home without an outbox says so. With ``--server`` only that service's.

Exit status of ``sync``: 0 everything was sent and nothing needs the agent; 1 a central service
is unreachable (the queued writes stay queued, nothing is lost); 2 the desk is not configured
(no token); 3 everything was sent, but some writes need the agent (sync issues: open the
console, or see ``sync --status``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from console.client.api import CentralApi, Unreachable
from console.client.cache import LocalCache, cache_path, desk_caches, utcnow
from console.client.issues import SyncIssue
from console.client.outbox import CONFLICT, FAILED, PENDING, Outbox
from console.client.store import Store
from console.client.tls import TrustError, trust
from console.client.writes import describe_entry
from console.config import Config
from console.domain.calendar import TZ
from console.domain.phone import format_phone

EMBEDDED_URL = "http://embedded"  # the base URL the console uses for the embedded service
EXIT_OK, EXIT_UNREACHABLE, EXIT_CONFIG, EXIT_ISSUES = 0, 1, 2, 3


def _when(value: datetime | None) -> str:
    if value is None:
        return "never"
    local = value.astimezone(TZ)
    minutes = int((utcnow() - value).total_seconds() // 60)
    ago = "just now" if minutes < 1 else f"{minutes} min ago"
    if minutes >= 120:
        ago = f"{minutes // 60} h ago"
    return f"{local.day}. {local.month}. {local.year} {local:%H:%M} ({ago})"


@dataclass(frozen=True)
class DeskOutbox:
    """One desk cache file (with its outbox) in this home, and the service it belongs to
    (None: a file of an earlier version that did not record it)."""

    path: Path
    url: str | None


def desk_outboxes(config: Config, server: str | None = None) -> list[DeskOutbox]:
    """The outboxes this home holds: every desk cache file in the data directory (only
    ``server``'s when given). Files are only read: nothing is created."""
    if server:
        path = cache_path(config.data_path, server)
        return [DeskOutbox(path, server)] if path.exists() else []
    known = [url for url in (config.server.url, EMBEDDED_URL) if url]
    found = []
    for path in desk_caches(config.data_path):
        url = LocalCache.recorded_server(path)
        if url is None:  # written before caches recorded their service: try the usual ones
            url = next((u for u in known if cache_path(config.data_path, u) == path), None)
        found.append(DeskOutbox(path, url))
    return found


def sync_status(config: Config, *, server: str | None = None) -> int:
    """Print the outbox, the last sync and the open sync issues of each of this home's desk
    caches (only ``server``'s when given); read only."""
    console = Console(highlight=False, soft_wrap=True)
    outboxes = desk_outboxes(config, server)
    if not outboxes:
        where = server or str(config.data_path)
        console.print(f"No desk outbox for {where} yet: nothing is queued.", markup=False)
        return EXIT_OK
    for index, outbox in enumerate(outboxes):
        if index:
            console.print()
        _status_of(console, outbox)
    return EXIT_OK


def _status_of(console: Console, found: DeskOutbox) -> None:
    cache = LocalCache(found.path)
    try:
        outbox = Outbox(cache.db)
        counts = outbox.counts()
        issues = [SyncIssue.from_row(row) for row in cache.issues(include_resolved=True)]
        open_issues = [i for i in issues if i.resolved_at is None]
        settled = {i.outbox_seq for i in issues if i.resolved_at is not None}
        settled -= {i.outbox_seq for i in open_issues}
        url = found.url or "unknown (a cache of an earlier version: give --server URL)"
        console.print(f"[bold]Central service[/bold] {escape(url)}")
        console.print(f"[bold]Local cache[/bold]     {escape(str(found.path))}")
        console.print(
            f"[bold]Last sync[/bold]       {_when(cache.last_sync_at)}"
            f"   (change feed at #{cache.last_seq if cache.last_seq is not None else '-'})"
        )
        console.print(
            f"[bold]Outbox[/bold]          {counts[PENDING]} queued, {counts['done']} sent, "
            f"{counts[CONFLICT]} conflicts, {counts[FAILED]} refused"
            + (f" ({len(settled)} of them settled by the agent)" if settled else "")
        )
        rows = [
            entry
            for entry in outbox.entries(states=(PENDING, CONFLICT, FAILED))
            if entry.seq not in settled  # a conflict the agent rebooked or followed up is done
        ]
        if rows:
            table = Table(title="Writes not (yet) done", title_justify="left")
            for column in ("#", "state", "what", "queued", "tries", "last error"):
                table.add_column(column, overflow="fold")
            for entry in rows:
                table.add_row(
                    str(entry.seq),
                    entry.state,
                    escape(describe_entry(entry)),
                    _when(entry.created_at),
                    str(entry.attempts),
                    escape(entry.last_error or ""),
                )
            console.print(table)
        _print_issues(console, open_issues)
        confirmed = cache.confirmations()
        if confirmed:
            console.print(
                f"{len(confirmed)} booking(s) made offline are confirmed: tell the callers "
                "their real references (in the console: F6)."
            )
    finally:
        cache.close()


def _print_issues(console: Console, issues: list[SyncIssue]) -> None:
    if not issues:
        console.print("No open sync issues.")
        return
    table = Table(title="Sync issues: call the caller back", title_justify="left")
    for column in ("issue", "caller", "phone", "wanted", "what happened", "nearest free"):
        table.add_column(column, overflow="fold")
    for issue in issues:
        wanted = ""
        if issue.slot is not None:
            start = issue.slot.starts_at.astimezone(TZ)
            wanted = f"{start.day}. {start.month}. {start:%H:%M} {issue.slot.location_name}"
        nearest = ", ".join(
            f"{s.starts_at.astimezone(TZ):%d. %m. %H:%M}" for s in issue.nearest[:3]
        )
        table.add_row(
            f"{issue.id} {issue.kind}",
            escape(issue.caller_name),
            format_phone(issue.caller_phone) if issue.caller_phone else "",
            escape(wanted),
            escape(f"{issue.reference or issue.action}: {issue.message}"),
            nearest,
        )
    console.print(table)


def sync_now(config: Config, *, server: str | None = None, token: str | None = None) -> int:
    """Replay the outbox now (a progress bar on stderr), then bring the cache up to date:
    ``server``'s, or every outbox of this home with writes queued."""
    return asyncio.run(_sync_all(config, server=server, token=token))


async def _sync_all(config: Config, *, server: str | None, token: str | None) -> int:
    # Lines are never wrapped (a command or a URL must stay copyable); tables fit the width.
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    out = Console(highlight=False, soft_wrap=True)
    if server:
        return await _sync_one(config, server, token, err, out)
    outboxes = desk_outboxes(config)
    waiting = []
    for found in outboxes:
        cache = LocalCache(found.path)
        try:
            queued = Outbox(cache.db).size()
        finally:
            cache.close()
        if found.url is None:
            if queued:
                err.print(
                    f"agent-console sync: {queued} write(s) wait in {found.path}, a cache of an "
                    "earlier version that does not say which service it is for: run "
                    "agent-console --server URL sync.",
                    markup=False,
                )
                waiting.append(EXIT_CONFIG)
            continue
        if queued:
            waiting.append(await _sync_one(config, found.url, token, err, out))
        else:
            out.print(f"{found.url}: nothing queued.", markup=False)
    if not outboxes:
        out.print(f"No desk outbox in {config.data_path}: nothing is queued.", markup=False)
    if not waiting:
        return EXIT_OK
    # The worst outcome decides: unreachable, then not configured, then issues.
    for code in (EXIT_UNREACHABLE, EXIT_CONFIG, EXIT_ISSUES):
        if code in waiting:
            return code
    return EXIT_OK


async def _open_api(config: Config, url: str, token: str | None) -> CentralApi | str:
    """The API of the service at ``url`` (the embedded one for ``EMBEDDED_URL``, only if its
    database exists: never seeded here); else why not."""
    if url == EMBEDDED_URL:
        database = config.service_database
        if "://" not in database and not Path(database).exists():
            return f"the embedded service's database {database} does not exist"
        from console.client.embedded import open_embedded

        try:
            service = await asyncio.to_thread(open_embedded, config, seed=False)
        except ValueError as exc:
            return str(exc)
        return CentralApi(
            EMBEDDED_URL,
            service.token,
            transport=service.transport(),
            timeout=max(config.server.timeout_seconds, 30.0),
        )
    token = token or config.server.token
    if not token:
        return (
            "no token for the central service: set [server] token in config.toml, "
            "AGENT_CONSOLE_TOKEN, or --token"
        )
    try:
        verify = trust(config.server.ca_file)
    except TrustError as exc:
        return str(exc)
    return CentralApi(url, token, timeout=config.server.timeout_seconds, verify=verify)


async def _sync_one(config: Config, url: str, token: str | None, err: Console, out: Console) -> int:
    api = await _open_api(config, url, token)
    if isinstance(api, str):
        err.print(f"agent-console sync: {url}: {api}.", style="red", markup=False)
        return EXIT_CONFIG
    store = Store.open(api, config.data_path)
    try:
        queued = store.outbox_size()
        try:
            await api.health()
        except Unreachable as exc:
            err.print(
                f"agent-console sync: cannot reach the central service at {url}: {exc.message}",
                style="red",
                markup=False,
            )
            err.print(
                f"{queued} write(s) stay queued; nothing is lost. Try again when the service "
                "answers.",
                markup=False,
            )
            return EXIT_UNREACHABLE
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        ) as progress:
            task = progress.add_task(f"Replaying the outbox ({url})", total=max(queued, 1))

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=max(total, 1))

            report = await store.replay(progress=advance)
            if not queued:
                progress.update(task, completed=1)
        if report.unreachable:
            err.print(
                f"agent-console sync: the central service stopped answering ({store.last_error}).",
                style="red",
                markup=False,
            )
            err.print(
                f"{report.remaining} write(s) stay queued; nothing is lost or sent twice. Try "
                "again when it answers.",
                markup=False,
            )
            return EXIT_UNREACHABLE
        out.print(
            f"Sent {report.sent} queued write(s) to {url} in {report.seconds:.1f} s: "
            f"{report.done} done, {report.conflicts} conflict(s), {report.failed} refused.",
            markup=False,
        )
        if not await store.sync_once():
            err.print(
                f"The outbox is empty, but the cache could not catch up: {store.last_error}",
                style="yellow",
                markup=False,
            )
        issues = store.conflicts()
        _print_issues(out, issues)
        confirmed = store.confirmed()
        if confirmed:
            out.print(
                f"{len(confirmed)} booking(s) made offline are confirmed: tell the callers "
                "their real references (in the console: F6).",
                markup=False,
            )
        return EXIT_ISSUES if issues else EXIT_OK
    finally:
        await store.aclose()
