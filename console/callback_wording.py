"""A callback attempt's outcome in words (for the queue, the callbacks screen and F6)."""

from __future__ import annotations

from console.i18n import _


def outcome_label(outcome: str) -> str:
    labels = {
        "reached": _("reached"),
        "no_answer": _("no answer"),
        "busy": _("busy"),
        "wrong_number": _("wrong number"),
        "declined": _("caller declined"),
    }
    return labels.get(outcome, outcome)
