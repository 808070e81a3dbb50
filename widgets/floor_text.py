"""How the floor words things: agents' states, alerts, durations, fill. Plain functions.

The service sends codes (a state, an alert's ``kind``) and numbers; the console words them in
its language (an alert's ``message`` is English, for API users only).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rich.text import Text

from console import i18n
from console.domain.floor import AlertKind, FloorAlert
from console.i18n import _

# One colour per state, on the table and in the status bar (the wallboard too).
STATE_STYLES = {
    "ready": "bold green",
    "on_call": "bold dodger_blue1",
    "after_call_work": "bold dark_orange",
    "away": "bold magenta",
    "signed_out": "dim",
    "unreachable": "bold white on red",
}

STATE_ORDER = ("on_call", "after_call_work", "ready", "away", "unreachable", "signed_out")


def in_language(name: str | None, name_en: str | None) -> str:
    """A service's name in the console's language (English when there is one, else the
    Slovenian)."""
    chosen = name_en if i18n.language() == "en" else name
    return chosen or name or ""


def disposition_labels(dispositions: Iterable[Any]) -> dict[str, str]:
    """The dispositions' names by code in the console's language, with the service's own
    ``abandoned``."""
    english = i18n.language() == "en"
    labels = {d.code: d.label_en if english else d.label for d in dispositions}
    labels.setdefault("abandoned", _("Abandoned (closed by the service)"))
    return labels


def state_label(state: str) -> str:
    """A state as the floor and the status bar name it."""
    labels = {
        "ready": _("ready"),
        "on_call": _("on a call"),
        "after_call_work": _("after-call work"),
        "away": _("away"),
        "signed_out": _("signed out"),
        "unreachable": _("unreachable"),
    }
    return labels.get(state, state)


def state_text(state: str, reason: str | None = None) -> Text:
    """The state, coloured; an away reason after a colon."""
    label = state_label(state)
    if reason:
        label = f"{label}: {reason}"
    return Text(label, style=STATE_STYLES.get(state, ""))


def duration(seconds: float | None) -> str:
    """``4:05``, ``1:02:07``; ``—`` for nothing."""
    if seconds is None:
        return "—"
    total = max(0, int(seconds))
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def percent(fill: float | None) -> str:
    return "—" if fill is None else f"{round(fill * 100)} %"


def fill_style(fill: float | None) -> str:
    """Red when nearly full (callers will wait longer), yellow past two thirds."""
    if fill is None:
        return "dim"
    if fill >= 0.9:
        return "bold red"
    if fill >= 0.67:
        return "yellow"
    return "green"


def alert_text(alert: FloorAlert, *, now_seconds: float | None = None) -> Text:
    """One alert, worded by its kind in the console's language."""
    lasted = duration(now_seconds if now_seconds is not None else alert.seconds)
    limit = duration(alert.threshold_seconds)
    who = alert.agent_name or ""
    if alert.kind is AlertKind.LONG_CALL:
        line = _("{agent}: on a call for {lasted} (limit {limit})")
    elif alert.kind is AlertKind.LONG_AFTER_CALL_WORK:
        line = _("{agent}: in after-call work for {lasted} (limit {limit})")
    elif alert.kind is AlertKind.LONG_AWAY:
        line = _("{agent}: away for {lasted} (limit {limit})")
    elif alert.kind is AlertKind.UNREACHABLE_WITH_QUEUE:
        line = _("{agent}: desk unreachable for {lasted} with {queued} write(s) queued")
    elif alert.kind is AlertKind.OLD_REPORT:
        line = _("Directory report on {provider} open for {hours} h")
    else:  # a kind this console does not know yet: the service's English words
        return Text("⚠ " + alert.message, style="yellow")
    text = line.format(
        agent=who,
        lasted=lasted,
        limit=limit,
        queued=alert.queued_writes or 0,
        provider=alert.provider_name or "?",
        hours=int(alert.seconds // 3600),
    )
    style = "bold red" if alert.kind is AlertKind.UNREACHABLE_WITH_QUEUE else "yellow"
    return Text("⚠ " + text, style=style)


def seconds_between(start: datetime | None, end: datetime) -> float | None:
    return None if start is None else (end - start).total_seconds()
