"""What an agent does to a doctor from the directory list and from a doctor's details: report
that the data is wrong (``p``) and refer the caller (``n``). Shared by both screens, so neither
imports the other.
"""

from __future__ import annotations

from collections.abc import Callable

from console.domain.models import DirectoryEntry, ProviderReport
from console.i18n import _
from console.messages import DeskChanged
from console.screens.base import DeskScreen
from console.screens.report_provider import ReportDialog
from widgets.directory_text import doctor_line, kind_label


def report_sent(screen: DeskScreen, entry: DirectoryEntry, report: ProviderReport) -> None:
    """Say that the report went (or waits in the outbox, offline)."""
    what = _("Reported: {doctor} — {kind}.").format(doctor=entry.name, kind=kind_label(report.kind))
    if report.id < 0:  # provisional: made offline, sent by the replay
        screen.notify(
            what + " " + _("It is sent when the central system answers again."),
            title=_("Report queued"),
            severity="warning",
            timeout=6,
        )
    else:
        screen.notify(what, title=_("Report sent"), timeout=4)


def open_report_dialog(
    screen: DeskScreen,
    entry: DirectoryEntry,
    done: Callable[[DirectoryEntry, ProviderReport], None],
) -> None:
    """``p``: the report dialog for this doctor (not for supervisors); ``done`` gets the report
    that was made."""
    if screen.desk.read_only:
        screen.notify(
            _("Read-only: supervisors cannot report."), title=_("Not allowed"), severity="warning"
        )
        return

    def closed(report: ProviderReport | None) -> None:
        if report is not None:
            done(entry, report)

    screen.app.push_screen(ReportDialog(entry), closed)


async def refer(screen: DeskScreen, entry: DirectoryEntry) -> bool:
    """``n``: the caller was referred to this doctor (again: not any more). Outside a call it
    starts one: a health-line caller is often anonymous, and a referral needs no caller."""
    desk = screen.desk
    if desk.read_only:
        screen.notify(
            _("Read-only: supervisors do not take calls."),
            title=_("Not allowed"),
            severity="warning",
        )
        return False
    if desk.call is None and await desk.ensure_call() is None:
        return False
    if desk.referral is not None and desk.referral.provider_id == entry.provider_id:
        desk.clear_referral()
        screen.notify(_("Referral cleared."), timeout=3)
    else:
        desk.refer(entry)
        screen.notify(
            _("The caller is referred to {doctor}; the wrap-up ({key}) saves it.").format(
                doctor=doctor_line(entry), key=screen.console.key_label("wrapup")
            ),
            title=_("Referred"),
            timeout=5,
        )
    screen.post_message(DeskChanged())
    return True
