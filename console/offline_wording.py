"""What an outage left, in the agent's language: sync issues, queued writes, confirmations.

The replay and the outbox (``console.client``) speak English to logs and to ``agent-console
sync``; the console's screens and the records the desk writes for people (a call's notes) say
it in the UI language through these functions. No Textual here: the desk and the screens both
use them.
"""

from __future__ import annotations

from datetime import datetime

from console.callback_wording import outcome_label
from console.client.issues import SyncIssue
from console.domain.calendar import format_date, format_time, to_local
from console.domain.models import Slot
from console.domain.reference import PROVISIONAL_PREFIX, format_reference
from console.i18n import _


def reference_text(code: str) -> str:
    """A reference grouped for reading aloud: ``K7M 4PX R``, ``P-K7M 4PX R`` (provisional)."""
    if code.upper().startswith(PROVISIONAL_PREFIX):
        rest = code[len(PROVISIONAL_PREFIX) :]
        return code if len(rest) != 7 else PROVISIONAL_PREFIX + format_reference(rest)
    return format_reference(code) if len(code) == 7 else code


def action_label(action: str) -> str:
    """A kind of queued write, in words."""
    labels = {
        "book": _("booking"),
        "reschedule": _("reschedule"),
        "cancel": _("cancellation"),
        "create_caller": _("new caller"),
        "update_caller": _("caller change"),
        "start_call": _("call"),
        "attach_caller": _("caller of a call"),
        "wrap_up": _("wrap-up"),
        "note_call": _("note on a call"),
        "keep_reference": _("provisional reference kept"),
        "report_provider": _("report on a doctor"),
        "close_report": _("report closed"),
        "callback_attempt": _("callback outcome"),
        "callback_release": _("callback given back"),
        "create_callback": _("callback"),
    }
    return labels.get(action, action)


def refusal_reason(error: str | None) -> str:
    """Why the central system refused a queued write, from its error code."""
    known = {
        "slot_booked": _("the slot was booked by someone else"),
        "slot_held": _("another agent was holding the slot"),
        "slot_blocked": _("the office blocked the slot"),
        "slot_past": _("the slot had already started"),
        "slot_not_found": _("the slot no longer exists"),
        "hold_expired": _("the hold had expired"),
        "hold_released": _("the hold had been released"),
        "hold_not_yours": _("the hold belonged to another agent"),
        "caller_exists": _("this caller is already in the register"),
        "caller_has_booking": _("the caller already has a booking at that time or of that service"),
        "caller_not_found": _("the caller is not in the register"),
        "call_not_found": _("the call is not in the central system"),
        "call_wrapped": _("the call was already wrapped up"),
        "booking_cancelled": _("the booking was already cancelled"),
        "booking_rescheduled": _("the booking was already rescheduled"),
        "booking_no_show": _("the booking was marked as a no-show"),
        "booking_not_found": _("the booking is not in the central system"),
        "forbidden": _("this desk is not allowed to do it"),
        "invalid": _("the central system found the data invalid"),
        "time_in_future": _("this desk's clock is ahead of the central system's"),
        "time_too_old": _("it is older than the central system accepts"),
        "idempotency_key_reused": _("it was already sent once in a different form"),
        "internal": _("an error on this desk"),
    }
    if error in known:
        return known[error]
    return _("the central system refused it ({code})").format(code=error or "?")


def problem_text(issue: SyncIssue) -> str:
    """What went wrong, short."""
    if issue.kind == "slot_taken":
        return _("slot taken meanwhile")
    if issue.kind == "blocked":
        return _("not sent: it depended on a refused write")
    if issue.kind in ("callback_claimed", "callback_closed"):
        return callback_taken_text(issue)
    if issue.kind == "too_old":
        return _("not sent: queued too long ago (it could be applied twice); check and redo it")
    return _("refused: {reason}").format(reason=refusal_reason(issue.error))


def slot_text(slot: Slot | None) -> str:
    """``12. 3. 2027 08:00, UE Center``."""
    if slot is None:
        return "—"
    return f"{format_date(to_local(slot.starts_at).date())} {format_time(slot.starts_at)}, " + (
        slot.location_name
    )


def what_it_was(issue: SyncIssue) -> str:
    """The queued write an issue is about, with the reference given and the slot wanted."""
    what = action_label(issue.action)
    if issue.reference:
        what += " " + reference_text(issue.reference)
    if issue.slot is not None:
        what += f" ({slot_text(issue.slot)})"
    return what


def rebooked_note(issue: SyncIssue, reference: str, slot: Slot) -> str:
    """The line the call's record gets when a sync issue is settled by a rebooking."""
    return _(
        "After the outage: {what} was not confirmed ({problem}); rebooked as {new}, {when}."
    ).format(
        what=what_it_was(issue),
        problem=problem_text(issue),
        new=reference_text(reference),
        when=slot_text(slot),
    )


def callback_note(issue: SyncIssue) -> str:
    """The line the call's record gets when a sync issue becomes a callback."""
    return _(
        "After the outage: {what} was not done ({problem}); the caller will be called back."
    ).format(what=what_it_was(issue), problem=problem_text(issue))


def follow_up_call_notes(issue: SyncIssue) -> str:
    """The notes of the callback made for a sync issue."""
    return _("After the outage: {what} was not done ({problem}).").format(
        what=what_it_was(issue), problem=problem_text(issue)
    )


def callback_taken_text(issue: SyncIssue) -> str:
    """A callback's outcome recorded offline that the service did not take: who had the
    callback meanwhile, or how it was closed, and what this desk had recorded."""
    details = issue.details
    at = details.get("at")
    when = format_time(datetime.fromisoformat(at)) if at else "—"
    recorded = _("your outcome “{outcome}” ({time}) was not recorded").format(
        outcome=outcome_label(str(details.get("outcome", ""))), time=when
    )
    if issue.kind == "callback_claimed":
        return _("another agent claimed this callback meanwhile: {recorded}").format(
            recorded=recorded
        )
    how = {
        "reached_us": _("the caller called in"),
        "reached": _("another agent reached the caller"),
        "declined": _("the caller declined"),
        "wrong_number": _("a wrong number"),
        "no_answer": _("no more attempts"),
        "busy": _("no more attempts"),
        "cancelled": _("cancelled"),
    }.get(str(details.get("result")), _("settled elsewhere"))
    return _("the callback was closed meanwhile ({how}): {recorded}").format(
        how=how, recorded=recorded
    )
