"""``agent-console sync``: the desk's outbox without the console.

``agent-console sync --status``  what is queued, the last sync, the open sync issues (no network)
``agent-console sync``           replay the outbox now, with a progress bar, then catch up the cache

Exit status of ``sync``: 0 everything was sent and nothing needs the agent; 1 the central service
is unreachable (the queued writes stay queued, nothing is lost); 2 the desk is not configured
(no token); 3 everything was sent, but some writes need the agent (sync issues: open the
console, or see ``sync --status``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from console.client.api import CentralApi, Unreachable
from console.client.cache import LocalCache, cache_path, utcnow
from console.client.issues import SyncIssue
from console.client.outbox import CONFLICT, FAILED, PENDING, Outbox
from console.client.store import Store
from console.client.writes import describe_entry
from console.config import Config
from console.domain.calendar import TZ
from console.domain.phone import format_phone

EMBEDDED_URL = "http://embedded"  # the base URL the console uses for the embedded service
EXIT_OK, EXIT_UNREACHABLE, EXIT_CONFIG, EXIT_ISSUES = 0, 1, 2, 3


def _server_url(config: Config, server: str | None) -> str:
    return server or config.server.url or EMBEDDED_URL


def _when(value: datetime | None) -> str:
    if value is None:
        return "never"
    local = value.astimezone(TZ)
    minutes = int((utcnow() - value).total_seconds() // 60)
    ago = "just now" if minutes < 1 else f"{minutes} min ago"
    if minutes >= 120:
        ago = f"{minutes // 60} h ago"
    return f"{local.day}. {local.month}. {local.year} {local:%H:%M} ({ago})"


def sync_status(config: Config, *, server: str | None = None) -> int:
    """Print the outbox, the last sync and the open sync issues of this desk; read only."""
    console = Console()
    url = _server_url(config, server)
    path = cache_path(config.data_path, url)
    if not path.exists():
        console.print(f"No local cache for {url} yet ({path}): nothing is queued.")
        return EXIT_OK
    cache = LocalCache(path)
    try:
        outbox = Outbox(cache.db)
        counts = outbox.counts()
        console.print(f"[bold]Central service[/bold] {url}")
        console.print(f"[bold]Local cache[/bold]     {path}")
        console.print(
            f"[bold]Last sync[/bold]       {_when(cache.last_sync_at)}"
            f"   (change feed at #{cache.last_seq if cache.last_seq is not None else '-'})"
        )
        console.print(
            f"[bold]Outbox[/bold]          {counts[PENDING]} queued, {counts['done']} sent, "
            f"{counts[CONFLICT]} conflicts, {counts[FAILED]} refused"
        )
        rows = outbox.entries(states=(PENDING, CONFLICT, FAILED))
        if rows:
            table = Table(title="Writes not (yet) done", title_justify="left")
            for column in ("#", "state", "what", "queued", "tries", "last error"):
                table.add_column(column, overflow="fold")
            for entry in rows:
                table.add_row(
                    str(entry.seq),
                    entry.state,
                    describe_entry(entry),
                    _when(entry.created_at),
                    str(entry.attempts),
                    entry.last_error or "",
                )
            console.print(table)
        issues = [SyncIssue.from_row(row) for row in cache.issues()]
        _print_issues(console, issues)
    finally:
        cache.close()
    return EXIT_OK


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
            issue.caller_name,
            format_phone(issue.caller_phone) if issue.caller_phone else "",
            wanted,
            f"{issue.reference or issue.action}: {issue.message}",
            nearest,
        )
    console.print(table)


def sync_now(config: Config, *, server: str | None = None, token: str | None = None) -> int:
    """Replay the outbox now (a progress bar on stderr), then bring the cache up to date."""
    return asyncio.run(_sync_now(config, server=server, token=token))


async def _open_api(config: Config, server: str | None, token: str | None) -> CentralApi | None:
    url = server or config.server.url
    if not url:
        from console.client.embedded import open_embedded

        service = await asyncio.to_thread(open_embedded, config)
        return CentralApi(
            EMBEDDED_URL,
            service.token,
            transport=service.transport(),
            timeout=max(config.server.timeout_seconds, 30.0),
        )
    token = token or config.server.token
    if not token:
        return None
    return CentralApi(url, token, timeout=config.server.timeout_seconds)


async def _sync_now(config: Config, *, server: str | None, token: str | None) -> int:
    err = Console(stderr=True)
    out = Console()
    api = await _open_api(config, server, token)
    url = _server_url(config, server)
    if api is None:
        err.print(
            "[red]agent-console sync: no token for the central service: set [server] token in "
            "config.toml, AGENT_CONSOLE_TOKEN, or --token.[/red]"
        )
        return EXIT_CONFIG
    store = Store.open(api, config.data_path)
    try:
        queued = store.outbox_size()
        try:
            await api.health()
        except Unreachable as exc:
            err.print(
                f"[red]agent-console sync: cannot reach the central service at {url}: "
                f"{exc.message}[/red]\n{queued} write(s) stay queued; nothing is lost. "
                "Try again when the service answers."
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
            task = progress.add_task("Replaying the outbox", total=max(queued, 1))

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=max(total, 1))

            report = await store.replay(progress=advance)
            if not queued:
                progress.update(task, completed=1)
        if report.unreachable:
            err.print(
                f"[red]agent-console sync: the central service stopped answering "
                f"({store.last_error}).[/red]\n{report.remaining} write(s) stay queued; "
                "nothing is lost or sent twice. Try again when it answers."
            )
            return EXIT_UNREACHABLE
        out.print(
            f"Sent {report.sent} queued write(s) in {report.seconds:.1f} s: {report.done} done, "
            f"{report.conflicts} conflict(s), {report.failed} refused."
        )
        if not await store.sync_once():
            err.print(
                f"[yellow]The outbox is empty, but the cache could not catch up: "
                f"{store.last_error}[/yellow]"
            )
        issues = store.conflicts()
        _print_issues(out, issues)
        return EXIT_ISSUES if issues else EXIT_OK
    finally:
        await store.aclose()
