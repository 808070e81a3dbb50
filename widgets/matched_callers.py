"""The callers one phone number belongs to (a family's landline, a parent's mobile): enough to
tell them apart over the phone and choose one. Keyed by caller id; the screen decides what
choosing means (take the ringing call, mark the callback reached)."""

from __future__ import annotations

from datetime import date

from rich.text import Text

from console.domain.models import Caller
from console.domain.phone import format_phone
from console.i18n import _
from widgets.caller_card import age_on
from widgets.caller_results import birth_date_text
from widgets.quick_table import QuickTable


class MatchedCallers(QuickTable):
    """Callers with one number (``show(callers, today)``)."""

    DEFAULT_CSS = """
    MatchedCallers {
        height: auto;
        max-height: 12;
        border: tall $border-blurred;
        &:focus {
            border: tall $border;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, show_cursor=True)
        self.callers: list[Caller] = []

    def on_mount(self) -> None:
        self.add_column(_("Name"), key="name", width=22)
        self.add_column(_("Born"), key="born", width=17)
        self.add_column(_("EMŠO"), key="emso", width=13)
        self.add_column(_("Phones"), key="phones", width=28)

    def show(self, callers: list[Caller], today: date | None = None) -> None:
        """Replace the rows (with ``today``, each caller's age beside the birth date)."""
        self.callers = list(callers)
        self.clear()
        for caller in callers:
            born = birth_date_text(caller.birth_date)
            if caller.birth_date and today is not None:
                age = age_on(date.fromisoformat(caller.birth_date), today)
                born = f"{born} ({age})"
            self.add_row(
                Text(f"{caller.first_name} {caller.last_name}", style="bold"),
                Text(born),
                Text(caller.emso or ""),
                Text(", ".join(format_phone(p.number) for p in caller.phones)),
                key=str(caller.id),
            )
        if callers:
            self.move_cursor(row=0, column=0, animate=False)

    @property
    def highlighted_id(self) -> int | None:
        if not self.callers or not 0 <= self.cursor_row < len(self.callers):
            return None
        return self.callers[self.cursor_row].id
