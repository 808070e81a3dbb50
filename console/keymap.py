"""Every key binding of the console, by id: what ``[keys]`` in ``config.toml`` may remap.

Each screen, dialog and widget declares its Textual ``Binding``s with one of these ids and the
default key written here (``tests/unit/test_keymap.py`` checks that they agree). The
configuration maps any id to other keys; :func:`keymap_problems` refuses an unknown id (with a
did-you-mean) and a key that another binding of the same place already has, and
:func:`keymap_for` turns the configuration into the keymap the app hands to Textual's
``App.set_keymap``.

Free of Textual, so that the configuration can check ``[keys]`` when it is read.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

APP = "app"  # bindings of the app itself: they work on every screen and win over the screen's


@dataclass(frozen=True)
class KeyBinding:
    id: str
    keys: str  # the default: Textual key names, several separated by commas
    place: str  # APP, or the screen or dialog whose bindings these are
    what: str  # one line for the documentation


def _place(place: str, *bindings: tuple[str, str, str]) -> tuple[KeyBinding, ...]:
    return tuple(KeyBinding(id_, keys, place, what) for id_, keys, what in bindings)


KEY_BINDINGS: tuple[KeyBinding, ...] = (
    *_place(
        APP,
        ("help", "f1", "the keys of the screen and the app's (again: close it)"),
        ("palette", "ctrl+p", "every action by name, with its key (command palette)"),
        ("lookup", "f2", "caller lookup (picking a caller starts the call)"),
        ("slots", "f3", "free slots for the current caller"),
        ("bookings", "f4", "the current caller's bookings"),
        ("callbacks", "f5", "callbacks (in a dialog, the dialog's own F5 first)"),
        ("directory", "f7", "the doctor directory"),
        ("reports", "f8", "open reports on the directory"),
        ("wrapup", "f9", "wrap-up; ends the call"),
        ("sync_issues", "f6", "sync issues after an outage"),
        ("floor", "f10", "the supervisor's floor (supervisors and admins)"),
        ("away", "f12", "away (with a reason) or back to ready"),
        ("quit", "ctrl+q", "quit"),
        ("alt.lookup", "alt+1", "caller lookup (fallback key: terminals swallow F-keys)"),
        ("alt.slots", "alt+2", "free slots (fallback key)"),
        ("alt.bookings", "alt+3", "bookings (fallback key)"),
        ("alt.callbacks", "alt+5", "callbacks (fallback key)"),
        ("alt.sync_issues", "alt+6", "sync issues (fallback key)"),
        ("alt.directory", "alt+7", "doctor directory (fallback key)"),
        ("alt.reports", "alt+8", "directory reports (fallback key)"),
        ("alt.wrapup", "alt+9", "wrap-up (fallback key)"),
        ("alt.floor", "alt+0", "the floor (fallback key)"),
        ("alt.away", "alt+a", "away or ready (fallback key)"),
    ),
    *_place(
        "help",
        ("help.close", "escape", "close the help"),
    ),
    *_place(
        "startup",
        ("startup.retry", "r", "a desk never yet online: try the central system again now"),
    ),
    *_place(
        "lookup",
        ("lookup.open", "enter", "open the chosen caller"),
        ("lookup.new_caller", "ctrl+n", "a new caller"),
        ("lookup.edit_caller", "ctrl+e", "edit the caller on the card (messages and consent too)"),
        ("lookup.anonymous_call", "ctrl+g", "start an anonymous call (no caller record)"),
        ("lookup.back", "escape", "back to the screen before"),
        ("lookup.clear", "escape", "clear the search box"),
        ("lookup.to_results", "down", "from the search box to the results"),
    ),
    *_place(
        "new_caller",
        ("new_caller.save", "ctrl+s", "save the caller"),
        ("new_caller.save_fallback", "f10", "save the caller (fallback key)"),
        ("new_caller.open_existing", "ctrl+o", "open the caller who already exists"),
        ("new_caller.close", "escape", "close the form; what was typed is kept"),
    ),
    *_place(
        "slots",
        ("slots.overview", "ctrl+o", "the overview by day and place, or the list"),
        ("slots.refresh", "ctrl+r", "search again"),
        ("slots.service", "ctrl+f", "to the service box"),
        ("slots.service_list", "down", "from the service box to its list"),
        ("slots.stop_rescheduling", "ctrl+x", "stop rescheduling"),
        ("slots.choose", "enter", "hold the chosen slot, or open the day"),
        ("slots.back", "escape", "back to the screen before"),
    ),
    *_place(
        "hold",
        ("hold.confirm", "ctrl+s", "book the held slot"),
        ("hold.confirm_fallback", "f10", "book the held slot (fallback key)"),
        ("hold.again", "f5", "hold the same slot again"),
        ("hold.back", "escape", "let the slot go"),
        ("hold.notify", "ctrl+n", "rescheduling: tell the caller about the change, or not"),
    ),
    *_place(
        "clash",
        ("clash.book_anyway", "ctrl+s", "hold and book beside the caller's other bookings"),
        ("clash.back", "escape", "pick another slot"),
    ),
    *_place(
        "booked",
        ("booked.copy", "c", "copy the booking reference"),
        ("booked.withdraw", "n", "switch off the messages to the caller about this booking"),
        ("booked.close", "enter", "close"),
        ("booked.back", "escape", "close"),
    ),
    *_place(
        "cancel",
        ("cancel.confirm", "ctrl+s", "cancel the booking"),
        ("cancel.confirm_fallback", "f10", "cancel the booking (fallback key)"),
        ("cancel.keep", "escape", "keep the booking"),
        ("cancel.notify", "ctrl+n", "tell the caller about the cancellation, or not"),
    ),
    *_place(
        "bookings",
        ("bookings.details", "enter", "the booking's details"),
        ("bookings.cancel", "c", "cancel the booking"),
        ("bookings.reschedule", "r", "reschedule the booking"),
        ("bookings.past", "p", "show past bookings too"),
        ("bookings.refresh", "ctrl+r", "refresh"),
    ),
    *_place(
        "wrapup",
        ("wrapup.save", "ctrl+s", "save the wrap-up; ends the call"),
        ("wrapup.save_fallback", "f10", "save the wrap-up (fallback key)"),
        ("wrapup.clear_referral", "ctrl+r", "the caller was not referred after all"),
        ("wrapup.dispositions", "escape", "back to the disposition list (from a field)"),
        *((f"wrapup.disposition_{n}", str(n), f"disposition {n}") for n in range(1, 10)),
    ),
    *_place(
        "sync",
        ("sync.rebook", "r", "rebook in one step"),
        ("sync.follow_up", "f", "a callback: instead, or to read out the real reference"),
        ("sync.dismiss", "d", "dismiss the issue"),
        ("sync.refresh", "ctrl+r", "look up the nearest free slots again"),
        ("sync.rebook_here", "enter", "book the nearest slot under the cursor for the caller"),
        ("sync.told", "t", "the caller has the confirmed reference"),
    ),
    *_place(
        "sync_note",
        ("sync_note.save", "ctrl+s", "save the issue's note"),
        ("sync_note.save_fallback", "f10", "save the issue's note (fallback key)"),
        ("sync_note.back", "escape", "back; the issue stays open"),
    ),
    *_place(
        "callbacks",
        ("callbacks.claim", "enter", "claim the next due callback"),
        ("callbacks.reached", "r", "reached: the call starts with the caller"),
        ("callbacks.no_answer", "n", "no answer"),
        ("callbacks.busy", "b", "busy"),
        ("callbacks.wrong_number", "w", "wrong number"),
        ("callbacks.declined", "d", "the caller declined"),
        ("callbacks.release", "x", "give the callback back to the queue"),
        ("callbacks.refresh", "ctrl+r", "read the queue again"),
    ),
    *_place(
        "ringing",
        ("ringing.take", "enter", "take the ringing call with the caller shown or chosen"),
        ("ringing.new_caller", "ctrl+n", "take the ringing call as a new caller"),
        ("ringing.dismiss", "escape", "hide the card; the phone rings on"),
        ("ringing.up", "up", "the caller above"),
        ("ringing.down", "down", "the caller below"),
    ),
    *_place(
        "directory",
        ("directory.accepting", "ctrl+t", "accepting new patients only, or all"),
        ("directory.search", "ctrl+f", "to the search box"),
        ("directory.to_results", "down", "from the search box to the results"),
        ("directory.back", "escape", "back to the screen before"),
        ("directory.details", "enter", "the doctor's details"),
        ("directory.report", "p", "report that the data is wrong"),
        ("directory.refer", "n", "refer the caller to this doctor"),
    ),
    *_place(
        "directory.detail",
        ("directory.detail.back", "escape", "back to the list"),
        ("directory.detail.report", "p", "report that the data is wrong"),
        ("directory.detail.refer", "n", "refer the caller to this doctor"),
    ),
    *_place(
        "report",
        ("report.send", "enter", "send the report"),
        ("report.kind_up", "up", "the kind above"),
        ("report.kind_down", "down", "the kind below"),
        ("report.back", "escape", "back without reporting"),
    ),
    *_place(
        "reports",
        ("reports.details", "enter", "the doctor's details"),
        ("reports.close", "z", "close the report"),
        ("reports.refresh", "ctrl+r", "refresh"),
    ),
    *_place(
        "close_report",
        ("close_report.back", "escape", "back without closing"),
    ),
    *_place(
        "away",
        ("away.choose", "enter", "away for the chosen reason"),
        ("away.back", "escape", "stay ready"),
    ),
    *_place(
        "open_calls",
        ("open_calls.wrap_up", "enter", "wrap up the chosen call left open"),
        ("open_calls.later", "escape", "leave the calls open for now (offered on the next start)"),
    ),
    *_place(
        "floor",
        ("floor.details", "enter", "the agent's calls today"),
        ("floor.export", "e", "export the day's calls (csv or xlsx)"),
        ("floor.refresh", "ctrl+r", "read the floor again now"),
    ),
    *_place(
        "agent_day",
        ("agent_day.callers", "c", "show who called (each caller shown is an audited read)"),
        ("agent_day.back", "escape", "back to the floor"),
    ),
    *_place(
        "export",
        ("export.save", "enter", "export to the file named"),
        ("export.back", "escape", "back without exporting"),
    ),
    *_place(
        "quit",
        ("quit.wrap_up", "w", "go to the wrap-up of the call in progress"),
        ("quit.release", "r", "let the held slot go and quit (the call stays open for later)"),
        ("quit.anyway", "q", "quit with writes still queued (they stay on this desk)"),
        ("quit.anyway_again", "ctrl+q", "the same: ctrl+q pressed again"),
        ("quit.send_now", "s", "try to send the queued writes now"),
        ("quit.stay", "escape", "back to the console"),
    ),
)

BY_ID: dict[str, KeyBinding] = {binding.id: binding for binding in KEY_BINDINGS}
# The app's bindings that are always in the keymap, at their keys (configured or default), as
# before keys were data: Textual puts keymapped bindings after the others in the footer.
ALWAYS_MAPPED = (
    "lookup",
    "slots",
    "bookings",
    "callbacks",
    "directory",
    "reports",
    "wrapup",
    "sync_issues",
    "floor",
    "away",
)


def split_keys(keys: str) -> list[str]:
    """``"f2, ctrl+l"`` -> ``["f2", "ctrl+l"]``."""
    return [key.strip() for key in keys.split(",") if key.strip()]


def key_label(key: str) -> str:
    """A key as the console's messages name it: function keys in capitals (``F2``), the
    others as Textual names them (``ctrl+o``, ``p``)."""
    return key.upper() if re.fullmatch(r"f\d{1,2}", key) else key


def keys_of(binding_id: str, configured: Mapping[str, str]) -> str:
    """The keys a binding is on: the configured ones, else its default."""
    return configured.get(binding_id) or BY_ID[binding_id].keys


def keymap_problems(configured: Mapping[str, str]) -> list[tuple[str, str, str | None]]:
    """What is wrong with a ``[keys]`` table, as (binding id, reason, did-you-mean); the last
    is None unless the id is unknown (then the nearest known id, or ``""``). Empty: nothing."""
    problems: list[tuple[str, str, str | None]] = []
    for binding_id, keys in configured.items():
        if binding_id not in BY_ID:
            guess = difflib.get_close_matches(binding_id, list(BY_ID), n=1)
            problems.append((binding_id, "unknown binding id", guess[0] if guess else ""))
        elif not isinstance(keys, str) or not split_keys(keys):
            problems.append((binding_id, "no key given", None))
    if problems:
        return problems
    for binding_id, keys in configured.items():
        binding = BY_ID[binding_id]
        if set(split_keys(keys)) == set(split_keys(binding.keys)):
            continue  # as by default
        for key in split_keys(keys):
            for other in _sharing_places(binding):
                if other.id != binding_id and key in split_keys(keys_of(other.id, configured)):
                    reason = f"{key!r} is already the key of {other.id!r} ({other.what})"
                    problems.append((binding_id, reason, None))
    return problems


def keymap_for(configured: Mapping[str, str]) -> dict[str, str]:
    """The keymap for ``App.set_keymap``: the configured keys, and, at their keys, the bindings
    of the same place that share a default key with a remapped one (Textual drops every
    binding on a key it moves one binding away from, unless the keymap names it too)."""
    keymap = {binding_id: keys_of(binding_id, configured) for binding_id in ALWAYS_MAPPED}
    for binding_id, keys in configured.items():
        keymap[binding_id] = keys
        binding = BY_ID[binding_id]
        old = set(split_keys(binding.keys))
        for other in _same_place(binding):
            if other.id != binding_id and old & set(split_keys(other.keys)):
                keymap.setdefault(other.id, keys_of(other.id, configured))
    return keymap


def _same_place(binding: KeyBinding) -> Iterable[KeyBinding]:
    return (other for other in KEY_BINDINGS if other.place == binding.place)


def _sharing_places(binding: KeyBinding) -> Iterable[KeyBinding]:
    """The bindings a key of ``binding`` would clash with: its own place's, and the app's
    (which work on every screen); for an app binding, every binding."""
    if binding.place == APP:
        return KEY_BINDINGS
    return (other for other in KEY_BINDINGS if other.place in (binding.place, APP))
