"""How the doctor directory words its facts: types, sources, ages, freshness, disagreement.

Pure functions (no widgets), shared by the directory table, the details screen, the report
dialog and the supervisors' list, so a fact reads the same everywhere:

- ``✔ sprejema`` / ``✖ ne sprejema`` (never colour alone);
- ``ZZZS 21. 8. 2026 · pred 93 dnevi``, styled as stale past ``[directory] stale_after_days``;
- ``⚠ ZZZS: sprejema · prijavljeno: poln – Mojca, pred 2 h`` where sources disagree.

Counted words go through :func:`plural`: one msgid holds every form, separated by ``|``
(Slovenian has four: 1, 2, 3–4 and the rest, by the last two digits; English two), because
the catalogs are plain msgid/msgstr pairs without gettext's plural forms.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from rich.text import Text

from console.clock import Clock
from console.domain.calendar import format_date
from console.domain.directory import Evidence, Verdict, assess, days_old
from console.domain.models import (
    DirectoryEntry,
    DoctorType,
    FactSource,
    ProviderReport,
    ReportKind,
)
from console.domain.text import fold
from console.i18n import _, language

STALE_STYLE = "bold black on yellow"
ACCEPTS_STYLE = "bold green"
FULL_STYLE = "bold red"
UNKNOWN_STYLE = "dim"
WARNING_STYLE = "bold yellow"


def plural(forms: str, count: int) -> str:
    """The form of ``forms`` (translated, ``|``-separated) for ``count``, with ``{count}``
    filled in (``1.078`` in Slovenian, ``1,078`` in English)."""
    options = forms.split("|")
    if language() == "sl" and len(options) == 4:
        tail = abs(count) % 100
        index = 0 if tail == 1 else 1 if tail == 2 else 2 if tail in (3, 4) else 3
    else:
        index = 0 if count == 1 else len(options) - 1
    return options[index].format(count=whole(count))


# -- names of things --------------------------------------------------------------------------


def type_label(kind: DoctorType) -> str:
    """The doctor type in full: ``družinski zdravnik`` / ``family doctor``."""
    labels = {
        DoctorType.GP: _("family doctor"),
        DoctorType.PED: _("paediatrician"),
        DoctorType.GYN: _("gynaecologist"),
        DoctorType.DEN: _("dentist for adults"),
        DoctorType.DEN_Y: _("dentist for youth"),
        DoctorType.DEN_S: _("dentist for students"),
    }
    return labels[kind]


def source_label(source: FactSource | str) -> str:
    """Who says so: ``ZZZS``, ``Sledilnik``, ``popravek`` (a dated correction), ``prijava``."""
    labels = {
        FactSource.ZZZS: "ZZZS",
        FactSource.SLEDILNIK: "Sledilnik",
        FactSource.SLEDILNIK_OVERRIDE: _("correction"),
        FactSource.REPORT: _("report"),
    }
    try:
        return labels[FactSource(source)]
    except ValueError:
        return str(source)


def kind_label(kind: ReportKind) -> str:
    """What a report says: ``poln``, ``sprejema``, ``napačen kontakt``, ``drugo``."""
    labels = {
        ReportKind.FULL: _("full"),
        ReportKind.ACCEPTS: _("accepts"),
        ReportKind.CONTACT: _("wrong contact"),
        ReportKind.OTHER: _("other"),
    }
    return labels[kind]


def says_label(accepts: bool) -> str:
    """One source's word on accepting, short: ``sprejema`` / ``poln``."""
    return _("accepts") if accepts else _("full")


def accepts_text(accepts: bool | None) -> Text:
    """The accepts cell: a mark and words, so it reads without colour."""
    if accepts is None:
        return Text("? " + _("unknown"), style=UNKNOWN_STYLE)
    if accepts:
        return Text("✔ " + _("accepts new patients"), style=ACCEPTS_STYLE)
    return Text("✖ " + _("not accepting"), style=FULL_STYLE)


# -- numbers ----------------------------------------------------------------------------------


def decimal(value: float, places: int = 1) -> str:
    """``0,5`` in Slovenian, ``0.5`` in English."""
    text = f"{value:.{places}f}"
    return text.replace(".", ",") if language() == "sl" else text


def whole(value: float) -> str:
    """``1.893`` in Slovenian, ``1,893`` in English."""
    text = f"{round(value):,}"
    return text.replace(",", ".") if language() == "sl" else text


def fte_text(fte: float | None) -> str:
    return decimal(fte, 2).rstrip("0").rstrip(",.") if fte is not None else "–"


def load_text(entry: DirectoryEntry) -> str:
    """The load: % of the activity's average (gynaecologists, dentists), else patients per
    full team (family doctors, paediatricians)."""
    if entry.load_percent is not None:
        return f"{round(entry.load_percent)} %"
    if entry.patients_per_team is not None:
        return _("{count} pts.").format(count=whole(entry.patients_per_team))
    return "–"


# -- ages -------------------------------------------------------------------------------------


def days_ago(days: int) -> str:
    """``danes``, ``včeraj``, ``pred 2 dnevoma``, ``pred 93 dnevi``."""
    if days <= 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    return plural(_("{count} day ago|{count} days ago"), days)


def ago(moment: datetime, at: datetime | None = None) -> str:
    """How long ago something happened: ``pravkar``, ``pred 5 min``, ``pred 2 h``, then days.
    ``at``: now by the desk's clock (the screens pass it; the system's clock otherwise)."""
    seconds = max(0, int(((at or Clock().utcnow()) - moment).total_seconds()))
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        return _("{minutes} min ago").format(minutes=seconds // 60)
    if seconds < 48 * 3600:
        return _("{hours} h ago").format(hours=seconds // 3600)
    return days_ago(seconds // 86400)


def evidence_age(evidence: Evidence, today: date, now: datetime | None = None) -> str:
    """A report's age in hours (it has a time); any other fact's in days (it has a date)."""
    if evidence.at is not None:
        return ago(evidence.at, now)
    return days_ago(days_old(evidence.as_of, today))


def is_stale(evidence: Evidence | None, today: date, stale_after_days: int) -> bool:
    if evidence is None:
        return True
    if evidence.at is not None:  # an agent's report: as fresh as its date
        return days_old(evidence.at.date(), today) > stale_after_days
    return days_old(evidence.as_of, today) > stale_after_days


# -- a row's freshness and disagreement -------------------------------------------------------


def freshness_text(
    verdict: Verdict,
    today: date,
    stale_after_days: int,
    now: datetime | None = None,
) -> Text:
    """Which source says so, as of which date, how long ago: ``ZZZS 21. 8. 2026 · pred 93
    dnevi``; highlighted when older than ``stale_after_days``."""
    freshest = verdict.freshest
    if freshest is None:
        return Text(_("no dated source"), style=STALE_STYLE)
    line = (
        f"{source_label(freshest.source)} {format_date(freshest.as_of)} · "
        f"{evidence_age(freshest, today, now)}"
    )
    if is_stale(freshest, today, stale_after_days):
        return Text(line, style=STALE_STYLE)
    return Text(line)


def report_phrase(report: ProviderReport, now: datetime | None = None) -> str:
    """``prijavljeno: poln – Mojca, pred 2 h`` / ``reported full by Mojca 2 h ago``; a report
    made offline (a provisional, negative id until the replay) says it waits to be sent."""
    phrase = _("reported {kind} by {agent} {ago}").format(
        kind=kind_label(report.kind), agent=report.agent_name, ago=ago(report.created_at, now)
    )
    if report.id < 0:
        phrase += " " + _("(queued: sent when the connection is back)")
    return phrase


def _item(evidence: Evidence, entry: DirectoryEntry, now: datetime | None, *, dated: bool) -> str:
    if evidence.source is FactSource.REPORT and entry.report is not None:
        return report_phrase(entry.report, now)
    says = f"{source_label(evidence.source)}: {says_label(evidence.accepts)}"
    return f"{says} ({format_date(evidence.as_of)})" if dated else says


def evidence_note(
    entry: DirectoryEntry, verdict: Verdict | None = None, now: datetime | None = None
) -> Text | None:
    """What the row must say besides the headline: a disagreement between sources
    (``⚠ ZZZS: sprejema · prijavljeno: poln – Mojca, pred 2 h``), and an open report that is
    not part of it (``prijavljeno: napačen kontakt – Mojca, pred 2 h``). None if neither."""
    verdict = verdict or assess(entry)
    lines: list[Text] = []
    reported = False
    if verdict.disagreement and verdict.freshest is not None:
        involved = sorted(
            (verdict.freshest, *verdict.contradicting),
            key=lambda e: e.at or datetime.combine(e.as_of, datetime.min.time(), UTC),
        )
        reported = any(e.source is FactSource.REPORT for e in involved)
        # The freshest one's date is on the line above; the insurer's is the list's date.
        parts = [
            _item(
                evidence,
                entry,
                now,
                dated=evidence is not verdict.freshest and evidence.source is not FactSource.ZZZS,
            )
            for evidence in involved
        ]
        lines.append(Text("⚠ " + " · ".join(parts), style=WARNING_STYLE))
    report = entry.report
    if report is not None and not reported:
        phrase = report_phrase(report, now)
        lines.append(Text(phrase, style=WARNING_STYLE))
    if not lines:
        return None
    if entry.open_reports > 1:
        lines[-1].append(
            " "
            + plural(_("(+{count} more report)|(+{count} more reports)"), entry.open_reports - 1),
            style="dim",
        )
    return Text("\n").join(lines)


def place_text(entry: DirectoryEntry) -> str:
    """``Ljubljana · MO Ljubljana``: the town, and the municipality when it says more."""
    if entry.municipality and entry.town and fold(entry.municipality) != fold(entry.town):
        return f"{entry.town} · {entry.municipality}"
    return entry.town or entry.municipality


def doctor_line(entry: DirectoryEntry) -> str:
    """``Novak Ana (ZD Ljubljana, Ljubljana)``: how a referral reads in the notes and titles."""
    return f"{entry.name} ({entry.institution}, {entry.town})"
