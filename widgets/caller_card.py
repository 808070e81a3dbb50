"""The caller card: who is on the line, what they have booked, how earlier calls ended.

Shows the caller's name, flags as coloured badges (an interpreter is needed: the agent must see
it before saying a word), birth date and age, EMŠO, ZZZS number, phones (formatted), e-mail,
language, where messages go (channel, address, since when the caller agreed) and notes; then
the upcoming bookings (date and time in Ljubljana, service, location, reference grouped for
reading aloud), the latest messages to the caller with their status (carried by those bookings:
no request of their own), and the recent calls (date, agent, disposition, the first line of the
wrap-up notes). A last line reminds of the next keys (find a slot, bookings).

Three states: empty (a hint how to open a caller), loading, and a
:class:`console.desk_views.CallerCard`.
A caller created offline and bookings made offline are marked provisional until the outbox is
replayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import HorizontalGroup, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Label, Static

from console import i18n
from console.clock import Clock
from console.desk_views import CallerCard, Delivery
from console.domain.calendar import format_date, format_datetime, format_time, to_local
from console.domain.models import Booking, BookingStatus, Call, Disposition
from console.domain.phone import format_phone
from console.domain.reference import PROVISIONAL_PREFIX, format_reference
from console.i18n import _
from widgets.caller_messages import card_table, consent_text, delivery_note, newest_first

# The caller card lists this many of the caller's newest messages (and says how many more).
MAX_MESSAGES = 4


def flag_label(flag: str) -> str:
    """A caller flag in words (unknown flags are shown as they are stored)."""
    labels = {
        "interpreter": _("needs an interpreter"),
        "hearing": _("hearing impaired"),
        "sight": _("visually impaired"),
        "mobility": _("limited mobility"),
    }
    return labels.get(flag, flag)


def language_name(code: str) -> str:
    names = {
        "sl": _("Slovenian"),
        "en": _("English"),
        "hr": _("Croatian"),
        "bs": _("Bosnian"),
        "sr": _("Serbian"),
        "it": _("Italian"),
        "hu": _("Hungarian"),
        "de": _("German"),
        "sq": _("Albanian"),
        "uk": _("Ukrainian"),
        "ru": _("Russian"),
        "mk": _("Macedonian"),
    }
    return names.get(code, code)


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def provisional_text(code: str) -> str:
    """``P-K7M 4PX R``: a provisional reference grouped for reading aloud."""
    rest = code[len(PROVISIONAL_PREFIX) :]
    return PROVISIONAL_PREFIX + format_reference(rest) if len(rest) == 7 else code


def first_line(text: str | None) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


class CallerCardView(VerticalScroll, can_focus=True):
    """The card of the caller on the line (``show``, ``show_loading``, ``clear``)."""

    DEFAULT_CSS = """
    CallerCardView {
        height: 1fr;
        border: tall $border-blurred;
        padding: 0 1;
        &:focus {
            border: tall $border;
        }
        & .card--name {
            text-style: bold;
            color: $text;
            width: 1fr;
        }
        & .card--flags {
            height: auto;
            margin: 0 0 1 0;
        }
        & .card--badge {
            padding: 0 1;
            margin: 0 1 0 0;
            text-style: bold;
            background: $primary;
            color: $text;
        }
        & .card--badge.-interpreter {
            background: $warning;
            color: $background;
        }
        & .card--provisional {
            color: $text-warning;
            text-style: bold;
            width: 100%;
            height: auto;
        }
        & .card--heading {
            text-style: bold;
            color: $accent;
            margin: 1 0 0 0;
        }
        & .card--notes {
            background: $boost;
            padding: 0 1;
            margin: 1 0 0 0;
        }
        & .card--empty {
            color: $text-muted;
        }
        & .card--hint {
            color: $text-muted;
            margin: 1 0 0 0;
        }
    }
    """

    card: reactive[CallerCard | None] = reactive(None, recompose=True, always_update=True)
    loading_card: reactive[bool] = reactive(False, recompose=True)

    def __init__(
        self,
        *,
        slots_key: str = "F3",
        bookings_key: str = "F4",
        edit_key: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.slots_key = slots_key
        self.bookings_key = bookings_key
        self.edit_key = edit_key  # None: the caller cannot be edited here (read-only)
        self.today: date = Clock().today()  # the screen gives the desk's
        self.dispositions: dict[str, Disposition] = {}
        self.current_call_id: int | None = None
        self.provisional = False  # entered offline, not yet accepted by the central service

    # -- what the screen calls ----------------------------------------------------------------

    def show(
        self,
        card: CallerCard,
        *,
        today: date,
        dispositions: Sequence[Disposition] = (),
        current_call_id: int | None = None,
        provisional: bool = False,
    ) -> None:
        """Show ``card``; ``provisional``: the caller was entered offline and the central
        service has not accepted them yet."""
        self.today = today
        self.dispositions = {d.code: d for d in dispositions}
        self.current_call_id = current_call_id
        self.provisional = provisional
        self.loading_card = False
        self.card = card

    def show_bookings(
        self,
        bookings: list[Booking],
        *,
        provisional: bool | None = None,
        delivery: Delivery | None = None,
    ) -> None:
        """Refresh the upcoming bookings and their messages (after one was made or cancelled
        elsewhere), whether the caller is still ``provisional`` (None: as it was), and whether
        anything sends the messages (None: as it was)."""
        if provisional is not None:
            self.provisional = provisional
        if self.card is not None:
            self.card = CallerCard(
                caller=self.card.caller,
                bookings=bookings,
                calls=self.card.calls,
                delivery=delivery or self.card.delivery,
            )

    def show_loading(self) -> None:
        self.loading_card = True

    def clear(self) -> None:
        self.loading_card = False
        self.card = None

    @property
    def caller_id(self) -> int | None:
        return self.card.caller.id if self.card is not None else None

    # -- drawing ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        if self.loading_card:
            yield Static(_("Opening the caller's card…"), classes="card--empty")
            return
        card = self.card
        if card is None:
            yield Static(
                _("Find the caller, then press enter to open the card."), classes="card--empty"
            )
            return
        caller = card.caller
        yield Label(f"{caller.first_name} {caller.last_name}", classes="card--name", markup=False)
        if self.provisional:  # a Static: it wraps in a narrow card instead of being cut
            yield Static(
                _("New, entered offline: the central register gets it when the connection is back"),
                classes="card--provisional",
            )
        if caller.flags:
            with HorizontalGroup(classes="card--flags"):
                for flag in caller.flags:
                    yield Label(
                        flag_label(flag),
                        classes=f"card--badge -{flag}" if flag.isidentifier() else "card--badge",
                        markup=False,
                    )
        yield Static(self._facts(card), classes="card--facts")
        if caller.notes.strip():
            yield Static(
                Text.assemble((_("Notes") + ": ", "bold"), caller.notes.strip()),
                classes="card--notes",
            )
        yield Label(_("Upcoming bookings"), classes="card--heading")
        yield Static(self._bookings(card.bookings), classes="card--bookings")
        messages = self._messages(card)
        if messages is not None:
            yield Label(_("Messages"), classes="card--heading card--messages-heading")
            yield Static(messages, classes="card--messages")
        yield Label(_("Recent calls"), classes="card--heading")
        yield Static(self._calls(card.calls), classes="card--calls")
        hint = Text.assemble(
            (self.slots_key, "bold"),
            f" {_('find a slot')}   ",
            (self.bookings_key, "bold"),
            f" {_('bookings')}",
        )
        if self.edit_key:
            hint.append("\n")
            hint.append(self.edit_key, style="bold")
            hint.append(f" {_('edit: contacts, messages, consent')}")
        yield Static(hint, classes="card--hint")

    def _facts(self, card: CallerCard) -> Table:
        caller = card.caller
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        if caller.birth_date:
            birth = date.fromisoformat(caller.birth_date)
            age = age_on(birth, self.today)
            grid.add_row(
                _("Date of birth"), _("{date} (age {age})").format(date=format_date(birth), age=age)
            )
        grid.add_row(_("EMŠO"), caller.emso or "—")
        grid.add_row(_("ZZZS"), caller.zzzs_number or "—")
        if caller.phones:
            phones = Text()
            for index, phone in enumerate(caller.phones):
                if index:
                    phones.append("\n")
                phones.append(format_phone(phone.number), style="bold")
                kind = _("mobile") if phone.label == "mobile" else _("landline")
                phones.append(f"  {kind}", style="dim")
            grid.add_row(_("Phone"), phones)
        else:
            grid.add_row(_("Phone"), "—")
        grid.add_row(_("E-mail"), caller.email or "—")
        grid.add_row(_("Language"), language_name(caller.language))
        grid.add_row(_("Messages"), consent_text(caller))
        return grid

    def _messages(self, card: CallerCard) -> Group | None:
        """The caller's newest messages, one line each, and a word when nothing sends them."""
        found = newest_first([m for booking in card.bookings for m in booking.messages])
        if not found:
            return None
        starts = {booking.reference: booking.slot.starts_at for booking in card.bookings}
        items: list[RenderableType] = [card_table(found[:MAX_MESSAGES], self.today, starts)]
        if len(found) > MAX_MESSAGES:
            more = len(found) - MAX_MESSAGES
            items.append(Text(_("and {count} older").format(count=more), style="dim"))
        note = delivery_note(found, card.delivery)
        if note is not None:
            items.append(note)
        return Group(*items)

    def _service_name(self, booking: Booking) -> str:
        if i18n.language() == "en":
            return booking.service.name_en or booking.service.name
        return booking.service.name

    def _bookings(self, bookings: list[Booking]) -> Group | Text:
        upcoming = [b for b in bookings if b.status is BookingStatus.CONFIRMED]
        if not upcoming:
            return Text(_("No upcoming bookings."), style="dim")
        items: list[RenderableType] = []
        for booking in upcoming:
            when = to_local(booking.slot.starts_at)
            items.append(
                Text.assemble(
                    (f"{format_date(when.date())} {format_time(booking.slot.starts_at)}", "bold"),
                    "  ",
                    self._service_name(booking),
                )
            )
            reference = Text.assemble(
                (booking.location.name, "dim"),
                "  ",
                (format_reference(booking.reference), "bold"),
            )
            if getattr(booking, "provisional", False):
                reference = Text.assemble(
                    (booking.location.name, "dim"),
                    "  ",
                    (booking.reference_display, "bold yellow"),
                    "  ",
                    (_("provisional, to be confirmed"), "yellow"),
                )
            elif booking.provisional_reference:  # made offline: the caller may quote either
                reference.append("  ")
                reference.append(
                    _("given offline as {reference}").format(
                        reference=provisional_text(booking.provisional_reference)
                    ),
                    style="yellow",
                )
            items.append(Padding(reference, (0, 0, 0, 2)))
        return Group(*items)

    def _disposition(self, code: str | None) -> str:
        if not code:
            return _("not wrapped up")
        found = self.dispositions.get(code)
        if found is None and code == "abandoned":  # closed by the service, left open too long
            return _("Abandoned (closed by the service)")
        if found is None:
            return code
        return found.label_en if i18n.language() == "en" else found.label

    def _calls(self, calls: list[Call]) -> Group | Text:
        earlier = [c for c in calls if c.id != self.current_call_id]
        if not earlier:
            return Text(_("No earlier calls."), style="dim")
        items: list[RenderableType] = []
        for call in earlier:
            items.append(
                Text.assemble(
                    (format_datetime(call.started_at), "bold"),
                    "  ",
                    self._disposition(call.disposition),
                )
            )
            detail = Text()
            detail.append(call.agent_name or "", style="dim")
            note = first_line(call.notes)
            if note:
                detail.append(": " if call.agent_name else "", style="dim")
                detail.append(note)
            if detail.plain:
                items.append(Padding(detail, (0, 0, 0, 2)))
        return Group(*items)
