"""The doctor directory's rules: the insurer's activity codes, and what the evidence says.

The insurer's flag is one dated fact; a Sledilnik correction and an agent's report are others.
:func:`assess` puts them side by side and says which is freshest and whether they disagree, so
the console can say it plainly instead of picking one silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from console.domain.calendar import TZ
from console.domain.models import (
    DirectoryEntry,
    DoctorType,
    FactSource,
    ProviderReport,
    ReportKind,
)
from console.domain.text import collation_key

# The insurer's activity codes (Šifra ZZZS dejavnosti) -> the directory's doctor types.
ACTIVITY_TYPES: dict[str, DoctorType] = {
    "302001": DoctorType.GP,  # splošna ambulanta
    "302068": DoctorType.GP,  # ambulanta specializanta družinske medicine
    "302070": DoctorType.GP,  # splošna ambulanta – dodatno 0,5 DMS
    "327009": DoctorType.PED,  # otroški in šolski dispanzer
    "306007": DoctorType.GYN,  # dispanzer za ženske
    "404101": DoctorType.DEN,  # zobozdravstvo odraslih
    "404103": DoctorType.DEN_Y,  # zobozdravstvo mladine
    "404105": DoctorType.DEN_S,  # zobozdravstvo študentov
}

# Which bookable service (seed/demo) a doctor type offers.
TYPE_SERVICE: dict[DoctorType, str] = {
    DoctorType.GP: "health-gp",
    DoctorType.PED: "health-ped",
    DoctorType.GYN: "health-gyn",
    DoctorType.DEN: "health-den",
    DoctorType.DEN_Y: "health-den-y",
    DoctorType.DEN_S: "health-den-s",
}


@dataclass(frozen=True)
class Evidence:
    source: FactSource
    as_of: date
    accepts: bool
    who: str | None = None  # an agent's name, for reports
    at: datetime | None = None  # when a report was made


@dataclass(frozen=True)
class Verdict:
    """What the freshest evidence says, and whether any source contradicts the insurer."""

    accepts: bool | None
    freshest: Evidence | None
    disagreement: bool
    contradicting: tuple[Evidence, ...]


def local_date(moment: datetime) -> date:
    """The date in Ljubljana of a moment (naive moments are UTC, as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(TZ).date()


def report_says(kind: ReportKind) -> bool | None:
    """What a report kind says about accepting new patients (None: nothing)."""
    if kind is ReportKind.FULL:
        return False
    if kind is ReportKind.ACCEPTS:
        return True
    return None


def evidence(entry: DirectoryEntry) -> list[Evidence]:
    """Every dated statement about accepting new patients, newest first."""
    found: list[Evidence] = []
    if entry.accepts is not None and entry.list_date is not None:
        found.append(Evidence(FactSource.ZZZS, entry.list_date, entry.accepts))
    correction = entry.correction
    if correction is not None and correction.accepts is not None:
        found.append(Evidence(correction.source, correction.as_of, correction.accepts))
    report = entry.report
    if report is not None:
        says = report_says(report.kind)
        if says is not None:
            found.append(
                Evidence(
                    FactSource.REPORT,
                    local_date(report.created_at),
                    says,
                    who=report.agent_name,
                    at=report.created_at,
                )
            )
    rank = {FactSource.REPORT: 2, FactSource.SLEDILNIK_OVERRIDE: 1}
    found.sort(key=lambda e: (e.as_of, rank.get(e.source, 0)), reverse=True)
    return found


def assess(entry: DirectoryEntry) -> Verdict:
    """The freshest statement wins the headline; any contradiction is flagged, never hidden."""
    found = evidence(entry)
    if not found:
        return Verdict(None, None, False, ())
    freshest = found[0]
    contradicting = tuple(e for e in found if e.accepts != freshest.accepts)
    return Verdict(freshest.accepts, freshest, bool(contradicting), contradicting)


def days_old(as_of: date, today: date) -> int:
    return max((today - as_of).days, 0)


def accepting_now(entry: DirectoryEntry, verdict: Verdict | None = None) -> bool | None:
    """Whether to send a caller there: what the freshest evidence says; a doctor no longer on
    the insurer's list accepts no one (None: nothing is known)."""
    return accepting_if_listed(entry.active, (verdict or assess(entry)).accepts)


def accepting_if_listed(active: bool, accepts: bool | None) -> bool | None:
    """What the evidence says, unless the doctor is no longer on the insurer's list."""
    return accepts if active else False


def listing_key(entry: DirectoryEntry, verdict: Verdict | None = None) -> tuple:
    """The directory's order (see :func:`order_key`) for a row."""
    return order_key(
        accepting_now(entry, verdict),
        entry.active,
        entry.name,
        entry.institution,
        entry.provider_id,
    )


def order_key(
    accepting: bool | None, active: bool, name: str, institution: str, provider_id: int
) -> tuple:
    """The directory's order: accepting first, then unknown, then full, then doctors no longer
    listed; within each, by name and institution in Slovenian alphabetical order."""
    rank = 3 if not active else 0 if accepting is True else 1 if accepting is None else 2
    return (rank, collation_key(name), collation_key(institution), provider_id)


def states_accepts(kind: ReportKind) -> bool:
    """True for the report kinds that say whether the doctor accepts (full, accepts)."""
    return report_says(kind) is not None


def headline_report(reports: list[ProviderReport]) -> ProviderReport | None:
    """The open report a directory row shows: the newest that says whether the doctor accepts
    new patients (full, accepts), else the newest open one (contact, other). A later report
    about a wrong phone number does not hide an earlier one that says the doctor is full."""
    open_reports = sorted(
        (r for r in reports if r.status == "open"), key=lambda r: (r.created_at, r.id), reverse=True
    )
    for report in open_reports:
        if states_accepts(report.kind):
            return report
    return open_reports[0] if open_reports else None
