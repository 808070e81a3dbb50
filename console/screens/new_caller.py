"""The new-caller form (ctrl+n on the lookup screen) and the same form editing the caller on
the card (ctrl+e), a modal dialog.

Every field is checked as the agent types, with the same validators the central service uses,
and the message appears under the field in the UI language. Ctrl+S (or F10, for terminals that
swallow ctrl+s) saves: the form refuses while a field is wrong and says which. What the central
service refuses (an EMŠO that already belongs to a caller: 409; a field it rejects: 422) is shown
next to that field, and everything typed stays. Escape closes the form; what was typed is handed
back to the lookup screen and comes back when the form is opened again during the same call.

Messages to the caller: the channel (e-mail, SMS or none) and whether the caller agreed; the
form says since when (editing), and refuses a channel without its address, naming the field,
as the central service does. Editing sends only the fields that changed; offline the change is
queued like any caller change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea
from textual.worker import Worker, WorkerState

from console.client.api import ApiRefused
from console.domain.calendar import format_date
from console.domain.caller_fields import check_channel
from console.domain.email import parse_email
from console.domain.emso import emso_birth_date, emso_sex, parse_emso
from console.domain.errors import InvalidValue
from console.domain.models import Caller, CallerIn, CallerPatch, MessageChannel
from console.domain.phone import format_phone, parse_phone
from console.domain.zzzs import parse_zzzs
from console.i18n import _
from console.screens.base import ConsoleApp, key_label
from widgets.caller_card import flag_label, language_name
from widgets.caller_messages import channel_label
from widgets.footer import KeysFooter
from widgets.translated import translate_bindings
from widgets.validated_input import ValidatedInput, explain

FLAGS = ("interpreter", "hearing", "sight", "mobility")
LANGUAGES = ("sl", "en", "hr", "bs", "sr", "sq", "mk", "it", "hu", "de", "uk", "ru")
MAX_PHONES = 5
TEXT_FIELDS = ("first_name", "last_name", "phones", "email", "emso", "zzzs_number")
# The central service's field names (ApiRefused.field) → the form's fields.
API_FIELDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "phones": "phones",
    "phone": "phones",
    "emso": "emso",
    "zzzs_number": "zzzs_number",
    "zzzs": "zzzs_number",
    "email": "email",
    "notes": "notes",
    "message_channel": "message_channel",
}
CHANNELS = (MessageChannel.NONE, MessageChannel.EMAIL, MessageChannel.SMS)


@dataclass
class FormOutcome:
    """How the form closed: ``created`` a caller, ``updated`` the one it edited, asked to
    ``open_id`` an existing one, or closed with ``values`` typed (kept by the lookup screen for
    this call)."""

    values: dict[str, Any] = field(default_factory=dict)
    created: Caller | None = None
    open_id: int | None = None
    updated: Caller | None = None


def values_of(caller: Caller) -> dict[str, Any]:
    """A caller's record as the form's fields show it (for editing)."""
    return {
        "first_name": caller.first_name,
        "last_name": caller.last_name,
        "phones": ", ".join(format_phone(phone.number) for phone in caller.phones),
        "email": caller.email or "",
        "emso": caller.emso or "",
        "zzzs_number": caller.zzzs_number or "",
        "language": caller.language,
        "flags": list(caller.flags),
        "notes": caller.notes,
        "message_channel": MessageChannel(caller.message_channel).value,
        "message_consent": caller.message_consent,
    }


def consent_since(caller: Caller | None) -> str:
    """Since when the caller agreed to messages, or when they withdrew (editing)."""
    if caller is None or caller.message_consent_at is None:
        return ""
    day = format_date(caller.message_consent_at)
    if caller.message_consent:
        return _("agreed {date}").format(date=day)
    return _("consent withdrawn {date}").format(date=day)


def parse_name(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidValue("name", _("Required"))
    if any(ch.isdigit() for ch in cleaned):
        raise InvalidValue("name", _("A name cannot contain digits"))
    return cleaned


def parse_phones(text: str) -> list[str]:
    """Comma- or semicolon-separated phone numbers, each validated; E.164, without repeats."""
    numbers: list[str] = []
    parts = [p for p in re.split(r"[,;]", text) if p.strip()]
    for part in parts:
        try:
            number = parse_phone(part)
        except InvalidValue as exc:
            if len(parts) == 1:
                raise InvalidValue("phone", explain(exc)) from None
            raise InvalidValue(
                "phone",
                _("{number}: {problem}").format(number=part.strip(), problem=explain(exc)),
            ) from None
        if number not in numbers:
            numbers.append(number)
    if len(numbers) > MAX_PHONES:
        raise InvalidValue("phone", _("At most {count} phone numbers").format(count=MAX_PHONES))
    return numbers


def describe_phones(numbers: list[str]) -> str:
    return " · ".join(format_phone(n) for n in numbers)


def describe_emso(emso: str) -> str:
    born = format_date(emso_birth_date(emso))
    if emso_sex(emso) == "F":
        return _("Valid: a woman born {date}").format(date=born)
    return _("Valid: a man born {date}").format(date=born)


def _localised(error: InvalidValue) -> str:
    # parse_phones and parse_name already say it in the UI language.
    return error.message if error.field in ("phone", "name") else explain(error)


class NewCallerForm(ModalScreen[FormOutcome]):
    """First and last name, phones, EMŠO, ZZZS number, e-mail, language, messages (channel and
    consent), flags, notes. Given ``caller``, it edits that caller's record."""

    SAVE = Binding.Group("Save")
    BINDINGS = [
        Binding(
            "ctrl+s",
            "save",
            "Save",
            id="new_caller.save",
            priority=True,
            tooltip="Save the new caller and open the card",
            group=SAVE,
        ),
        Binding(
            "f10",
            "save_fallback",
            "Save",
            id="new_caller.save_fallback",
            priority=True,
            tooltip="Save the new caller and open the card",
            group=SAVE,
        ),
        Binding(
            "ctrl+o",
            "open_existing",
            "Open that caller",
            id="new_caller.open_existing",
            priority=True,
            tooltip="Open the caller who already has this EMŠO or ZZZS number",
        ),
        Binding(
            "escape",
            "close",
            "Close",
            id="new_caller.close",
            tooltip="Close the form; what you typed is kept for this call",
        ),
    ]

    def __init__(
        self, values: dict[str, Any] | None = None, *, caller: Caller | None = None
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.editing = caller
        self.initial = dict(values or (values_of(caller) if caller is not None else {}))
        self.existing_id: int | None = None
        self.saving = False
        self._refused_choice: tuple[object, bool] | None = None  # the channel last refused

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        values = self.initial
        with VerticalScroll(id="new-caller-dialog") as dialog:
            dialog.border_title = _("Edit caller") if self.editing else _("New caller")
            yield Static("", id="new-caller-problem", markup=False)
            with Horizontal(classes="new-caller-row"):
                yield ValidatedInput(
                    _("First name"),
                    check=parse_name,
                    required=True,
                    value=values.get("first_name", ""),
                    max_length=80,
                    explain_error=_localised,
                    id="first_name",
                )
                yield ValidatedInput(
                    _("Last name"),
                    check=parse_name,
                    required=True,
                    value=values.get("last_name", ""),
                    max_length=80,
                    explain_error=_localised,
                    id="last_name",
                )
            with Horizontal(classes="new-caller-row"):
                yield ValidatedInput(
                    _("Phones (comma between them)"),
                    check=parse_phones,
                    describe=describe_phones,
                    value=values.get("phones", ""),
                    placeholder=_("e.g. 041 234 567, 01 234 56 78"),
                    max_length=120,
                    explain_error=_localised,
                    id="phones",
                )
                yield ValidatedInput(
                    _("E-mail"),
                    check=parse_email,
                    value=values.get("email", ""),
                    placeholder=_("e.g. name@example.si"),
                    max_length=254,
                    id="email",
                )
            with Horizontal(classes="new-caller-row"):
                yield ValidatedInput(
                    _("EMŠO"),
                    check=parse_emso,
                    describe=describe_emso,
                    value=values.get("emso", ""),
                    placeholder=_("13 digits"),
                    max_length=20,
                    id="emso",
                )
                yield ValidatedInput(
                    _("ZZZS number"),
                    check=parse_zzzs,
                    value=values.get("zzzs_number", ""),
                    placeholder=_("9 digits"),
                    max_length=15,
                    id="zzzs_number",
                )
            with Horizontal(classes="new-caller-row new-caller-extras"):
                with Vertical(id="new-caller-language-box"):
                    yield Label(_("Language"), classes="new-caller-label")
                    yield Select(
                        [(language_name(code), code) for code in LANGUAGES],
                        value=values.get("language", "sl"),
                        allow_blank=False,
                        id="new-caller-language",
                    )
                with Vertical(id="new-caller-messages-box"):
                    yield Label(_("Messages"), classes="new-caller-label")
                    yield Select(
                        [(channel_label(channel), channel.value) for channel in CHANNELS],
                        value=values.get("message_channel", MessageChannel.NONE.value),
                        allow_blank=False,
                        id="new-caller-channel",
                    )
                    yield Checkbox(
                        _("caller agreed"),
                        value=bool(values.get("message_consent", False)),
                        id="new-caller-consent",
                        compact=True,
                    )
                    yield Static(
                        consent_since(self.editing), id="new-caller-consent-at", markup=False
                    )
                with Vertical(id="new-caller-flags-box"):
                    yield Label(_("Flags"), classes="new-caller-label")
                    chosen = set(values.get("flags", ()))
                    with Grid(id="new-caller-flags"):
                        for flag in FLAGS:
                            yield Checkbox(
                                flag_label(flag),
                                value=flag in chosen,
                                id=f"flag-{flag}",
                                compact=True,
                            )
            yield Label(_("Notes"), classes="new-caller-label")
            yield TextArea(
                values.get("notes", ""),
                id="new-caller-notes",
                soft_wrap=True,
                tab_behavior="focus",
                show_line_numbers=False,
            )
        yield KeysFooter()

    def on_mount(self) -> None:
        desk = getattr(self.app, "desk", None)
        if desk is not None and desk.read_only:  # the lookup screen never opens it; be sure
            self.dismiss(FormOutcome())
            return
        # A name field, never the phone: the first empty one, else the first name (from the
        # query's last word, usually typed only in part).
        first_empty = next(
            (name for name in ("first_name", "last_name") if not self.field(name).value.strip()),
            "first_name",
        )
        self.field(first_empty).focus_at_end()

    def field(self, name: str) -> ValidatedInput:
        return self.query_one(f"#{name}", ValidatedInput)

    # -- values -------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """Everything typed, as text (for keeping a draft)."""
        out: dict[str, Any] = {name: self.field(name).value for name in TEXT_FIELDS}
        out["notes"] = self.query_one("#new-caller-notes", TextArea).text
        language = self.query_one("#new-caller-language", Select).value
        out["language"] = language if isinstance(language, str) else "sl"
        out["flags"] = [f for f in FLAGS if self.query_one(f"#flag-{f}", Checkbox).value]
        channel = self.query_one("#new-caller-channel", Select).value
        out["message_channel"] = channel if isinstance(channel, str) else MessageChannel.NONE.value
        out["message_consent"] = self.query_one("#new-caller-consent", Checkbox).value
        return out

    def _has_content(self) -> bool:
        values = self.values()
        return (
            any(values[name].strip() for name in (*TEXT_FIELDS, "notes"))
            or bool(values["flags"])
            or values["message_consent"]
            or values["message_channel"] != MessageChannel.NONE.value
        )

    def set_problem(self, text: str) -> None:
        self.query_one("#new-caller-problem", Static).update(text)
        self.query_one("#new-caller-problem").set_class(bool(text), "-shown")

    def _show_channel_problem(self, text: str) -> None:
        self.query_one("#new-caller-consent-at", Static).update(text or consent_since(self.editing))
        self.query_one("#new-caller-consent-at").set_class(bool(text), "-error")

    @on(Select.Changed, "#new-caller-channel")
    @on(Checkbox.Changed, "#new-caller-consent")
    def _messages_changed(self) -> None:
        # A change the agent made since the refusal clears it (not the refused choice itself,
        # whose change may arrive after the refusal).
        if not self.saving and self._messages_choice() != self._refused_choice:
            self._refused_choice = None
            self._show_channel_problem("")
            self.set_problem("")

    def _messages_choice(self) -> tuple[object, bool]:
        channel = self.query_one("#new-caller-channel", Select).value
        return channel, self.query_one("#new-caller-consent", Checkbox).value

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if self.existing_id is not None:
            self.existing_id = None
            self.refresh_bindings()
        if not self.saving:
            self.set_problem("")

    # -- keys ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_existing":
            return self.existing_id is not None
        return True

    def action_close(self) -> None:
        if self.saving:
            self.notify(_("Saving… wait for the central service's answer."), timeout=3)
            return
        self.dismiss(FormOutcome(values=self.values() if self._has_content() else {}))

    def action_open_existing(self) -> None:
        if self.existing_id is not None:
            self.dismiss(FormOutcome(values=self.values(), open_id=self.existing_id))

    def action_save_fallback(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        invalid = [w for w in self.query(ValidatedInput) if not w.validate()]
        if invalid:
            self.set_problem(
                _("Not saved: correct the marked fields ({fields}).").format(
                    fields=", ".join(w._label for w in invalid)
                )
            )
            invalid[0].focus()
            return
        values = self.values()
        payload = CallerIn(
            first_name=self.field("first_name").parsed,
            last_name=self.field("last_name").parsed,
            phones=self.field("phones").parsed or [],
            emso=self.field("emso").parsed,
            zzzs_number=self.field("zzzs_number").parsed,
            email=self.field("email").parsed,
            language=values["language"],
            notes=values["notes"].strip(),
            flags=values["flags"],
            message_channel=MessageChannel(values["message_channel"]),
            message_consent=values["message_consent"],
        )
        try:
            check_channel(payload.message_channel, payload.email, payload.phones)
        except InvalidValue as problem:
            self._channel_refused(channel_problem(problem))
            return
        if self.editing is not None:
            patch = changes(self.editing, payload)
            if not patch.model_fields_set:
                self.dismiss(FormOutcome())  # nothing changed: nothing to send
                return
            self.saving = True
            self.set_problem(_("Saving…"))
            self.save_changes(self.editing.id, patch, payload)
            return
        self.saving = True
        self.set_problem(_("Saving…"))
        self.save(payload)

    def _channel_refused(self, message: str) -> None:
        self._refused_choice = self._messages_choice()
        self._show_channel_problem(message)
        self.set_problem(_("Not saved: {reason}").format(reason=message))
        self.query_one("#new-caller-channel", Select).focus()
        # The reason under the consent box too, on a short screen where the focus alone
        # would stop at the channel above it.
        reason = self.query_one("#new-caller-consent-at")
        self.call_after_refresh(reason.scroll_visible, animate=False)

    @work(exclusive=True, group="save", exit_on_error=False)
    async def save(self, payload: CallerIn) -> None:
        desk = cast(ConsoleApp, self.app).desk
        try:
            await desk.ensure_call()
            caller = await desk.create_caller(payload)
        except ApiRefused as refused:
            if refused.status in (409, 422):
                await self._refused(refused, payload)
                return
            raise
        finally:
            self.saving = False
        self.dismiss(FormOutcome(created=caller))

    @work(exclusive=True, group="save", exit_on_error=False)
    async def save_changes(self, caller_id: int, patch: CallerPatch, payload: CallerIn) -> None:
        desk = cast(ConsoleApp, self.app).desk
        try:
            caller = await desk.update_caller(caller_id, patch)
        except ApiRefused as refused:
            if refused.status in (409, 422):
                await self._refused(refused, payload)
                return
            raise
        finally:
            self.saving = False
        self.dismiss(FormOutcome(updated=caller))

    @on(Worker.StateChanged)
    def _save_failed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "save" and event.state is WorkerState.ERROR:
            self.set_problem(_("Not saved: see the message; what you typed is kept. Try again."))

    async def _refused(self, refused: ApiRefused, payload: CallerIn) -> None:
        """Put the central service's answer next to the field it is about; keep everything."""
        name = API_FIELDS.get(refused.field or "")
        if name == "message_channel":
            self._channel_refused(channel_problem(InvalidValue(name, refused.message)))
            self.refresh_bindings()
            return
        if refused.status == 409 and name is None:
            if "EMŠO" in refused.message:
                name = "emso"
            elif "ZZZS" in refused.message:
                name = "zzzs_number"
        if refused.status == 409 and name in ("emso", "zzzs_number"):
            value = payload.emso if name == "emso" else payload.zzzs_number
            message = await self._already_registered(name, value or "")
        else:
            message = explain(re.sub(r"^Phone number '[^']*': ", "", refused.message))
        if name is not None and name != "notes":
            self.field(name).show_error(message)
            self.field(name).focus()
            self.set_problem(_("Not saved: see the marked field."))
        else:
            self.set_problem(_("Not saved: {reason}").format(reason=message))
        self.refresh_bindings()

    async def _already_registered(self, name: str, value: str) -> str:
        desk = cast(ConsoleApp, self.app).desk
        self.existing_id = None
        try:
            found = await desk.search(value)
        except Exception:  # the message below is enough without the name
            found = None
        match = None
        if found is not None:
            match = next((c for c in found.callers if getattr(c, name) == value), None)
        if match is None:
            if name == "emso":
                return _("A caller with this EMŠO is already registered.")
            return _("A caller with this ZZZS number is already registered.")
        self.existing_id = match.id
        who = f"{match.first_name} {match.last_name}"
        key = key_label(self, "new_caller.open_existing")
        if name == "emso":
            return _("{name} already has this EMŠO: {key} opens that caller.").format(
                name=who, key=key
            )
        return _("{name} already has this ZZZS number: {key} opens that caller.").format(
            name=who, key=key
        )


def channel_problem(problem: InvalidValue) -> str:
    """A channel without its address, in the UI language (the service's words otherwise)."""
    if "e-mail" in problem.message:
        return _("Messages by e-mail need an e-mail address: fill in E-mail, or choose another.")
    if "SMS" in problem.message:
        return _(
            "Messages by SMS need a mobile number: add one to Phone numbers, or choose another."
        )
    return problem.message


def changes(caller: Caller, wanted: CallerIn) -> CallerPatch:
    """The fields of ``wanted`` that differ from ``caller``'s record: what an edit sends."""
    now = {
        "first_name": caller.first_name,
        "last_name": caller.last_name,
        "phones": [phone.number for phone in caller.phones],
        "emso": caller.emso,
        "zzzs_number": caller.zzzs_number,
        "email": caller.email,
        "language": caller.language,
        "notes": caller.notes,
        "flags": sorted(caller.flags),
        "message_channel": MessageChannel(caller.message_channel),
        "message_consent": caller.message_consent,
    }
    new = wanted.model_dump()
    new["flags"] = sorted(new["flags"])
    changed = {name: new[name] for name, value in now.items() if new[name] != value}
    return CallerPatch(**changed)
