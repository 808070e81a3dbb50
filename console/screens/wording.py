"""How the screens word the domain for the agent: a server's refusal, a service, a slot's time,
an address, the documents to bring, and the label-and-value grid the dialogs and detail panes
lay their facts out in. Plain functions of the UI language, used by the booking dialogs and the
slot, bookings, sync-issue, directory and report screens.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from console.client.api import ApiRefused
from console.domain.calendar import format_time, to_local
from console.domain.models import Location, Service, Slot
from console.i18n import _, language
from widgets.slot_table import format_day


def refusal_text(error: ApiRefused) -> str:
    """The server's refusal in the UI language where it is a known one, else as sent."""
    if error.error == "slot_held":
        until = re.search(r"\b(\d{1,2}:\d{2})\b", error.message)
        if until:
            return _(
                "Another agent is holding this slot until {time}; pick another or try again then."
            ).format(time=until.group(1))
        return _("Another agent is holding this slot; pick another.")
    known = {
        "slot_booked": _("This slot was just booked by someone else; pick another."),
        "slot_blocked": _("This slot is blocked by the office; pick another."),
        "slot_past": _("This slot has already started; pick a later one."),
        "hold_expired": _("The hold expired and the slot may be taken; hold it again."),
        "hold_released": _("This hold was released; hold the slot again."),
    }
    return known.get(error.error, error.message)


def taken_mark(error: ApiRefused) -> str:
    """How the slot list marks a slot the server refused: ``held`` (may come free) or taken."""
    return "held" if error.error == "slot_held" else "booked"


def service_label(service: Service) -> str:
    return service.name if language() == "sl" else service.name_en


def documents_of(service: Service) -> list[str]:
    return list(service.documents if language() == "sl" else service.documents_en)


def address_of(location: Location) -> str:
    return f"{location.address}, {location.postcode} {location.town}"


def when_text(slot: Slot) -> str:
    local = to_local(slot.starts_at)
    return _("{day} at {time}").format(
        day=format_day(local.date()), time=format_time(slot.starts_at)
    )


def fact_grid(rows: Sequence[tuple[str, RenderableType | str]]) -> Table:
    """Label and value, one pair a line."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def documents_text(service: Service) -> Text:
    documents = documents_of(service)
    if not documents:
        return Text(_("nothing in particular"), style="dim")
    return Text("\n".join(f"• {document}" for document in documents))
