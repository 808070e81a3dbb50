"""Moved: the booking dialogs are in :mod:`console.screens.booking_dialogs`, the text helpers in
:mod:`console.screens.wording` (``facts`` is ``fact_grid`` there).

Kept only for ``console/screens/sync_issues.py``, which another branch is rewriting.
TODO(lead): after the client split merges, import from those two in sync_issues.py and delete
this module.
"""

from console.screens.booking_dialogs import BookedDialog
from console.screens.wording import fact_grid as facts
from console.screens.wording import refusal_text, when_text

__all__ = ["BookedDialog", "facts", "refusal_text", "when_text"]
