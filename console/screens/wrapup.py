"""Wrap-up (F9): the call ends; disposition, notes and an optional call back are saved.

Entering the screen ends the agent's call (after-call work starts and the status bar counts it).
The form keeps what was typed while the agent looks elsewhere (each mode keeps its screen), and
through any refusal or outage; only a successful save clears it, resets the desk and returns to
the caller lookup for the next call.

The form is pre-filled from everything done in the call (``Desk.actions`` and the referral):
the disposition the actions come to (:func:`~console.desk_views.suggested_disposition`: a
reschedule and then a cancel is "cancelled") and a generated part of the notes: a first line
that follows the disposition chosen (its label and the bookings it is about) and one line per
booking, reschedule, cancellation and referral, in order. Whenever the disposition or the
actions change, the generated lines are written again and whatever the agent typed stays. A
referral made in the doctor directory (``n``) is shown and saved with the wrap-up, and ctrl+r
clears it. The summary line says what became of each booking of the call (booked, moved to,
cancelled), not the references it replaced.

The call back: ticking it (by hand, or by choosing "call back later") puts the suggested time in
When as a value that saves as it is (typing replaces it). A call back the disposition ticked by
itself goes again when the agent chooses a disposition that does not call back, unless the agent
wrote something in its fields; one ticked by hand stays. A refusal marks every field at fault and
focuses the first; when that is a field to type in (the number keys type there, they no longer
choose), the message and the footer name the key back to the disposition list (escape).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Static, TextArea
from textual.worker import Worker, WorkerState

from console import i18n
from console.client.api import ApiRefused
from console.desk import Referral
from console.desk_views import CallAction, call_outcome, suggested_disposition
from console.domain.calendar import format_date, format_time
from console.domain.errors import InvalidValue
from console.domain.models import Call, Disposition
from console.domain.phone import format_phone, parse_phone
from console.domain.reference import format_reference, is_reference_shaped
from console.i18n import _
from console.malloc import give_back_freed
from console.messages import DeskChanged
from console.screens.base import DeskScreen
from widgets.directory_text import type_label
from widgets.disposition_list import DispositionList
from widgets.follow_up_input import FollowUpInput
from widgets.status_bar import clock_text
from widgets.validated_input import explain

SAVE_GROUP = Binding.Group("Save")


SEPARATOR = "   ·   "


def joined_in_lines(parts: list[str], width: int) -> str:
    """The parts joined by :data:`SEPARATOR`, a part that would not fit ``width`` cells on the
    line put on the next one: a line never breaks inside one (a reference read aloud to the
    caller, ``PK4 MRF T``, split over two lines at 80 columns). 0: all on one line."""
    lines: list[str] = []
    for part in parts:
        if lines and (width <= 0 or cell_len(lines[-1] + SEPARATOR + part) <= width):
            lines[-1] += SEPARATOR + part
        else:
            lines.append(part)
    return "\n".join(lines)


class WrapUpScreen(DeskScreen):
    """Disposition, notes and a call back for the call that just ended."""

    # On a short terminal (80x24) the call back's fields are one line each, so that all of them
    # stay above the footer (styles/wrapup.tcss).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "save",
            "Save",
            id="wrapup.save",
            priority=True,
            group=SAVE_GROUP,
            tooltip="Save the wrap-up and get ready for the next call",
        ),
        # Fallback for terminals that swallow ctrl+s (XON/XOFF flow control).
        Binding(
            "f10",
            "save_fallback",
            "Save",
            id="wrapup.save_fallback",
            priority=True,
            group=SAVE_GROUP,
            tooltip="Save the wrap-up and get ready for the next call",
        ),
        Binding(
            "ctrl+r",
            "clear_referral",
            "Clear referral",
            id="wrapup.clear_referral",
            priority=True,
            tooltip="The caller was not referred to this doctor after all",
        ),
        # Out of a field to type in (where the number keys type), back to choosing by number.
        Binding(
            "escape",
            "to_dispositions",
            "Disposition",
            id="wrapup.dispositions",
            tooltip="Back to the disposition list: 1–9 choose there",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._generated: list[str] = []  # the generated lines now in the notes
        self._suggested: str | None = None  # the disposition chosen by the pre-fill, not the agent
        self._number_prefilled: str | None = None  # the caller's phone put in the number
        self._follow_up_ticked = False  # the call back's box as this screen last set or saw it
        self._follow_up_by_disposition = False  # ticked by choosing "call back", not by hand
        self._saving = False

    # -- layout ---------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        desk = self.console.desk
        with Vertical(id="wrapup"):
            yield Static(_("Wrap-up"), id="wrapup-title")
            yield Static(id="wrapup-summary")
            yield Static(id="wrapup-referral")
            yield Static(id="wrapup-notice")
            with Vertical(id="wrapup-form"):
                with Horizontal(id="wrapup-main"):
                    with Vertical(id="wrapup-disposition-box"):
                        disposition = DispositionList(
                            desk.dispositions if desk else (),
                            language=i18n.language(),
                            id="wrapup-disposition",
                        )
                        disposition.border_title = _("Disposition")
                        yield disposition
                        yield Static(id="wrapup-disposition-error", classes="wrapup-error")
                    notes = TextArea(
                        id="wrapup-notes",
                        soft_wrap=True,
                        tab_behavior="focus",
                        placeholder=_(
                            "What the caller needed and what was agreed. "
                            "Enter starts a new line; ctrl+s or F10 saves."
                        ),
                    )
                    notes.border_title = _("Notes")
                    yield notes
                with Horizontal(id="wrapup-follow-up-row"):
                    yield Checkbox(_("Call back"), id="wrapup-follow-up")
                    with Vertical(id="wrapup-follow-up-fields"):
                        with Horizontal(classes="wrapup-field"):
                            yield Label(_("When"), classes="wrapup-field-label")
                            yield FollowUpInput(now=self._now, id="wrapup-follow-up-at")
                        with Horizontal(classes="wrapup-field"):
                            yield Label(_("About"), classes="wrapup-field-label")
                            yield Input(
                                placeholder=_("What to call back about"),
                                max_length=1000,
                                id="wrapup-follow-up-note",
                            )
                        with Horizontal(classes="wrapup-field"):
                            yield Label(_("Number"), classes="wrapup-field-label")
                            yield Input(
                                placeholder=_("the caller's phone"),
                                max_length=40,
                                id="wrapup-follow-up-number",
                            )
                            yield Checkbox(
                                _("anyone may call back"),
                                id="wrapup-follow-up-pool",
                                compact=True,
                            )
                yield Static(id="wrapup-message", classes="wrapup-error")

    @property
    def dispositions(self) -> DispositionList:
        return self.query_one("#wrapup-disposition", DispositionList)

    @property
    def notes(self) -> TextArea:
        return self.query_one("#wrapup-notes", TextArea)

    @property
    def follow_up(self) -> Checkbox:
        return self.query_one("#wrapup-follow-up", Checkbox)

    @property
    def follow_up_at(self) -> FollowUpInput:
        return self.query_one("#wrapup-follow-up-at", FollowUpInput)

    @property
    def follow_up_note(self) -> Input:
        return self.query_one("#wrapup-follow-up-note", Input)

    @property
    def follow_up_number(self) -> Input:
        return self.query_one("#wrapup-follow-up-number", Input)

    @property
    def follow_up_pool(self) -> Checkbox:
        return self.query_one("#wrapup-follow-up-pool", Checkbox)

    # -- entering: the call ends ----------------------------------------------------------

    def on_mount(self) -> None:
        self.query_one("#wrapup-follow-up-fields").display = False

    def on_screen_resume(self) -> None:
        desk = self.desk
        if desk is None:
            return
        if not self.dispositions.dispositions and desk.dispositions:
            self.dispositions.set_dispositions(desk.dispositions)
        if desk.call is not None and not desk.read_only:
            desk.end_call()
            self.post_message(DeskChanged())
            self._prefill()
            self._prefill_number()
        self._show_state()
        if self._can_save() and not isinstance(self.focused, (TextArea, Input, Checkbox)):
            self.dispositions.focus()

    def _can_save(self) -> bool:
        desk = self.desk
        return desk is not None and desk.call is not None and not desk.read_only

    def _show_state(self) -> None:
        desk = self.desk
        notice = self.query_one("#wrapup-notice", Static)
        form = self.query_one("#wrapup-form")
        if desk is not None and desk.read_only:
            notice.update(
                _(
                    "Supervisors see the floor read-only: they do not take calls, "
                    "so there is no call to wrap up here."
                )
            )
        elif desk is None or desk.call is None:
            notice.update(
                _(
                    "No call in progress — {lookup}: pick the caller (that starts the call), "
                    "or {anonymous} there for an anonymous call."
                ).format(
                    lookup=self.console.key_label("lookup"),
                    anonymous=self.console.key_label("lookup.anonymous_call"),
                )
            )
        notice.display = not self._can_save()
        form.display = self._can_save()
        # Disabled, so that no hidden field takes the focus (and its keys and footer labels).
        form.disabled = not self._can_save()
        if form.disabled and self.focused is not None:
            self.set_focus(None)
        self._show_summary()
        self._show_referral()
        self.refresh_bindings()

    def _show_summary(self) -> None:
        summary = self.query_one("#wrapup-summary", Static)
        width = summary.content_size.width or self.size.width - 2
        summary.update(Content(joined_in_lines(self._summary_parts(), width)))

    def on_resize(self) -> None:
        self._show_summary()

    def _summary_parts(self) -> list[str]:
        desk = self.desk
        if desk is None or desk.call is None:
            return []
        if desk.caller is not None:
            who = f"{desk.caller.first_name} {desk.caller.last_name}"
        else:
            who = _("not identified")
        parts = [
            _("Caller: {name}").format(name=who),
            _("Call duration: {duration}").format(duration=clock_text(self._call_seconds())),
        ]
        if desk.actions:
            parts.extend(self._outcome_parts())
        elif desk.last_booking is not None:
            reference = desk.last_booking.reference_display
            parts.append(_("Booking: {reference}").format(reference=reference))
        return parts

    def _outcome_parts(self) -> list[str]:
        """``Booked: A, B``, ``Moved to: C``, ``Cancelled: D``: what became of each booking of
        the call (a reference a reschedule replaced is no booking any more, and not named)."""
        outcome = call_outcome(self.desk.actions)
        labels = {
            "booked": _("Booked: {references}"),
            "rescheduled": _("Moved to: {references}"),
            "cancelled": _("Cancelled: {references}"),
        }
        return [
            label.format(references=", ".join(b.reference_display for b in outcome[kind]))
            for kind, label in labels.items()
            if outcome[kind]
        ]

    def _call_seconds(self) -> int:
        timers = self.console.config.ui.timers
        return (self.desk.call_seconds() or 0) if timers else 0

    def _now(self) -> datetime:
        """Now in Ljubljana, on the desk's day, by the desk's clock."""
        return self.desk.clock.now() if self.desk is not None else self.console.clock.now()

    def day_changed(self, before: date, today: date) -> None:
        """A new day: the call back's example follows it; a time typed stays as typed."""
        self.follow_up_at.day_changed()

    def _prefill(self) -> None:
        """Choose the disposition the call's actions suggest (unless the agent chose one) and
        write the generated lines of the notes afresh."""
        desk = self.desk
        suggested = suggested_disposition(desk.actions, desk.referral is not None)
        chosen = self.dispositions.chosen
        if suggested is not None and (chosen is None or chosen.code == self._suggested):
            if chosen is None or chosen.code != suggested:
                self.dispositions.choose(suggested)
            self._suggested = suggested
        self._regenerate()

    def _generated_lines(self) -> list[str]:
        """The notes' generated part: the outcome as the chosen disposition says it, then each
        booking, reschedule, cancellation and referral of the call (none when nothing was
        done)."""
        desk = self.desk
        facts = [self._action_line(action) for action in desk.actions]
        if desk.referral is not None:
            facts.append(self._referral_text(desk.referral))
        chosen = self.dispositions.chosen
        if not facts or chosen is None:
            return facts
        return [self._outcome_line(chosen, several=len(facts) > 1), *facts]

    def _outcome_line(self, disposition: Disposition, *, several: bool) -> str:
        """``Appointment cancelled: B7K 4PX R.``: the disposition's label, and — when the call
        did ``several`` things — the bookings (or the doctor) the call's actions make it about.
        After one thing, the line below names it: ``Appointment booked.``"""
        label = disposition.label_en if i18n.language() == "en" else disposition.label
        if not several:
            return f"{label}."
        outcome = call_outcome(self.desk.actions)
        about = [booking.reference_display for booking in outcome.get(disposition.code, [])]
        referral = self.desk.referral
        if disposition.code == "referred" and referral is not None:
            about = [referral.name]
        return f"{label}: {', '.join(about)}." if about else f"{label}."

    def _regenerate(self) -> None:
        """Write the generated lines afresh at the top of the notes; every line the agent
        typed stays, in its order."""
        new = self._generated_lines()
        if new == self._generated and all(line in self.notes.text for line in new):
            return
        old = set(self._generated)
        typed = [row for row in self.notes.text.split("\n") if row not in old]
        while typed and not typed[0].strip():
            typed.pop(0)
        self._generated = new
        text = "\n".join([*new, *typed]) if not new else "\n".join(new) + "\n" + "\n".join(typed)
        if text != self.notes.text:
            self.notes.load_text(text)
            self.notes.move_cursor(self.notes.document.end)

    def _prefill_number(self) -> None:
        """The call back goes to the caller's first phone unless the agent types another."""
        caller = self.desk.caller
        number = format_phone(caller.phones[0].number) if caller and caller.phones else ""
        if self.follow_up_number.value.strip() in ("", self._number_prefilled):  # not typed
            self.follow_up_number.value = number
            self._number_prefilled = number

    # -- the referral (from the doctor directory) -----------------------------------------

    def _show_referral(self) -> None:
        desk = self.desk
        field = self.query_one("#wrapup-referral", Static)
        referral = desk.referral if desk is not None and self._can_save() else None
        field.display = referral is not None
        if referral is not None:
            field.update(
                Content.assemble(
                    (_("Referred to:") + " ", "bold"),
                    f"{referral.name} ({referral.institution}, {referral.town})",
                    ("   " + _("ctrl+r: clear the referral"), "dim"),
                )
            )

    def _referral_text(self, referral: Referral) -> str:
        return _("Referred to {doctor}, {institution}, {town} ({type}).").format(
            doctor=referral.name,
            institution=referral.institution,
            town=referral.town,
            type=type_label(referral.type),
        )

    def action_clear_referral(self) -> None:
        if self.desk is None or self.desk.referral is None:
            return
        self.desk.clear_referral()
        self._prefill()
        self._show_state()
        self.post_message(DeskChanged())

    def _action_line(self, action: CallAction) -> str:
        """One line of the notes per booking, reschedule or cancellation."""
        booking = action.booking
        english = i18n.language() == "en"
        values = {
            "reference": booking.reference_display,
            "old": _readable(booking.replaces),
            "service": booking.service.name_en if english else booking.service.name,
            "date": format_date(booking.slot.starts_at),
            "time": format_time(booking.slot.starts_at),
            "location": booking.location.name,
        }
        if action.kind == "cancelled":
            return _("Cancelled {reference}: {service}, {date} at {time}, {location}.").format(
                **values
            )
        if action.kind == "rescheduled" or booking.replaces:
            return _(
                "Rescheduled to {reference} (was {old}): {service}, {date} at {time}, {location}."
            ).format(**values)
        return _("Booked {reference}: {service}, {date} at {time}, {location}.").format(**values)

    # -- the form -------------------------------------------------------------------------

    @on(DispositionList.Chosen)
    def _disposition_chosen(self, event: DispositionList.Chosen) -> None:
        self.query_one("#wrapup-disposition-error", Static).update("")
        self.query_one("#wrapup-message", Static).update("")  # fields keep their own marks
        self.dispositions.remove_class("-invalid")
        if event.disposition.code == "callback":
            if not self.follow_up.value:
                self._tick_follow_up(True, by_disposition=True)
        elif self._follow_up_by_disposition and not self._follow_up_written():
            self._tick_follow_up(False)  # the disposition ticked it: it goes with it
        if self._can_save():
            self._regenerate()  # the generated notes follow the disposition

    @on(DispositionList.OptionSelected)
    def _disposition_confirmed(self) -> None:
        self.notes.focus()

    def _tick_follow_up(self, value: bool, *, by_disposition: bool = False) -> None:
        self._follow_up_ticked = value
        self._follow_up_by_disposition = value and by_disposition
        self.follow_up.value = value

    def _follow_up_written(self) -> bool:
        """The agent wrote in the call back's fields (a time, what about, another number, or
        anyone may call back): the call back is theirs now."""
        number = self.follow_up_number.value.strip()
        return (
            self.follow_up_at.typed
            or bool(self.follow_up_note.value.strip())
            or number not in ("", self._number_prefilled)
            or self.follow_up_pool.value
        )

    @on(Checkbox.Changed, "#wrapup-follow-up")
    def _follow_up_toggled(self, event: Checkbox.Changed) -> None:
        if event.value != self._follow_up_ticked:  # not set here: the agent's hand
            self._follow_up_ticked = event.value
            self._follow_up_by_disposition = False
        self.query_one("#wrapup-follow-up-fields").display = event.value
        if event.value:
            self.follow_up_at.suggest()  # a time that saves as it is, or is typed over
            if event.checkbox.has_focus:
                self.follow_up_at.focus_input()

    @on(Input.Submitted, "#wrapup-follow-up-at Input")
    def _follow_up_at_submitted(self) -> None:
        self.follow_up_note.focus()

    @on(Input.Changed, "#wrapup-follow-up-number")
    def _number_typed(self) -> None:
        self.follow_up_number.remove_class("-invalid")

    @on(Input.Submitted, "#wrapup-follow-up-note")
    def _follow_up_note_submitted(self) -> None:
        self.action_save()

    # -- saving ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "save_fallback"):
            return self._can_save()
        if action == "to_dispositions":  # shown while the focus is elsewhere in the form
            return self._can_save() and self.focused is not self.dispositions
        if action == "clear_referral":
            return self._can_save() and self.desk.referral is not None
        return True

    def action_save_fallback(self) -> None:
        self.action_save()

    def action_to_dispositions(self) -> None:
        self.dispositions.focus()

    def _refused(self, said: str, first: Widget) -> None:
        """Say under the form why nothing was saved and focus the first field at fault; when
        that is a field to type in (where the number keys type, not choose), name the key back
        to the disposition list too."""
        if first is not self.dispositions:
            said += " " + _("{key}: back to the dispositions.").format(
                key=self.console.key_label("wrapup.dispositions")
            )
        self.query_one("#wrapup-message", Static).update(Content(said))  # plain: not markup
        first.focus()

    def action_save(self) -> None:
        if not self._can_save() or self._saving:
            return
        message = self.query_one("#wrapup-message", Static)
        message.update("")
        disposition = self.dispositions.chosen
        problems: list[Widget] = []
        named: list[str] = []  # the fields at fault, as the form labels them
        if disposition is None:
            named.append(_("Disposition"))
            self.query_one("#wrapup-disposition-error", Static).update(
                _("Choose a disposition: 1–9 or the arrow keys.")
            )
            self.dispositions.add_class("-invalid")
            problems.append(self.dispositions)
        follow_up_at: datetime | None = None
        number: str | None = None
        said = ""
        if self.follow_up.value:
            follow_up_at = self.follow_up_at.check()
            if follow_up_at is None:
                problems.append(self.follow_up_at.input)
                named.append(_("Call back") + " · " + _("When"))
            typed = self.follow_up_number.value.strip()
            if typed:
                try:
                    number = parse_phone(typed)
                except InvalidValue as error:
                    self.follow_up_number.add_class("-invalid")
                    problems.append(self.follow_up_number)
                    problem = _("The number to call back: {problem}")
                    said = problem.format(problem=explain(error))
        if problems:
            if not said:
                said = _("Not saved: correct {fields}.").format(fields=", ".join(named))
            self._refused(said, problems[0])
            return
        assert disposition is not None
        self._saving = True
        self.save(
            disposition.code,
            self.notes.text.strip(),
            follow_up_at,
            self.follow_up_note.value.strip() if follow_up_at is not None else "",
            number,
            "pool" if self.follow_up_pool.value else "me",
        )

    @work(exclusive=True, group="wrapup", exit_on_error=False)
    async def save(
        self,
        disposition: str,
        notes: str,
        follow_up_at: datetime | None,
        follow_up_note: str,
        follow_up_number: str | None = None,
        follow_up_assign: str = "me",
    ) -> None:
        try:
            call = await self.desk.wrap_up(
                disposition,
                notes,
                follow_up_at,
                follow_up_note,
                follow_up_number=follow_up_number,
                follow_up_assign=follow_up_assign,
            )
        except ApiRefused as refused:
            if refused.status != 422:
                raise
            self._show_refusal(refused)
            return
        finally:
            self._saving = False
        self._saved(call)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """Worker.StateChanged does not bubble, so the app's one error handler never sees this
        screen's workers: hand their failures to it (an outage marks the desk offline)."""
        if event.state is WorkerState.ERROR:
            event.prevent_default()  # once, even if the base screen learns to do this too
            self.console.show_error(event.worker.error)

    def _show_refusal(self, refused: ApiRefused) -> None:
        text = _("Not saved: {reason}").format(reason=refused.message)
        if refused.field == "disposition":
            self.query_one("#wrapup-disposition-error", Static).update(Content(refused.message))
            self.dispositions.add_class("-invalid")
            self._refused(text, self.dispositions)
        elif refused.field == "follow_up_at":
            self.follow_up_at.show_error(refused.message)
            self._refused(text, self.follow_up_at.input)
        elif refused.field == "follow_up_number":
            self.follow_up_number.add_class("-invalid")
            self._refused(text, self.follow_up_number)
        else:
            self.query_one("#wrapup-message", Static).update(Content(text))

    def _saved(self, call: Call) -> None:
        give_back_freed()  # the call is over: what it read, freed, back to the system
        talk = 0
        if call.ended_at is not None and self.console.config.ui.timers:
            talk = max(0, int((call.ended_at - call.started_at).total_seconds()))
        after = (call.after_call_work_seconds or 0) if self.console.config.ui.timers else 0
        self.notify(
            _("Call {duration}, after-call work {after}.").format(
                duration=clock_text(talk), after=clock_text(after)
            ),
            title=_("Call saved"),
        )
        self.clear_form()
        self.post_message(DeskChanged())
        self.app.switch_mode("lookup")
        self.console.offer_open_calls()  # more calls left open: the next one

    def clear_form(self) -> None:
        self.dispositions.choose(None)
        self.notes.clear()
        self._tick_follow_up(False)
        self.follow_up_at.clear()
        self.follow_up_note.value = ""
        self.follow_up_number.value = ""
        self.follow_up_number.remove_class("-invalid")
        self.follow_up_pool.value = False
        self._number_prefilled = None
        self._generated = []
        self._suggested = None
        for static in self.query(".wrapup-error").results(Static):
            static.update("")
        self.dispositions.remove_class("-invalid")
        self._show_state()


def _readable(reference: str | None) -> str:
    """A reference as the agent reads it aloud (``K7M 4PX Y``); anything else as it is."""
    if reference and is_reference_shaped(reference):
        return format_reference(reference)
    return reference or ""
