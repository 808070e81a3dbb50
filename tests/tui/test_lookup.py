"""Caller lookup (F2): search as you type, open the card, add a new caller.

The console runs for real on the embedded central service (see ``conftest.py``); the known
callers are Janez Kovač (EMŠO 0101990500003, 041 234 567, ZZZS 123456789), Špela Česnik
(+386 31 555 111, needs an interpreter, "Prefers mornings.") and Marija Novak (01 234 56 78).
"""

from __future__ import annotations

import asyncio
import io

import pytest
from harness import settle
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Checkbox, TextArea

from console import i18n
from console.client.api import ApiRefused
from console.domain.emso import emso_check_digit, parse_emso
from console.domain.errors import InvalidValue
from console.domain.models import CallerIn, CallerSearch, CallerSummary
from console.domain.phone import parse_phone
from console.messages import CallerChosen, DeskChanged
from console.screens.lookup import LookupScreen, describe_query, prefill_for
from console.screens.new_caller import NewCallerForm
from widgets.caller_card import CallerCardView
from widgets.validated_input import ValidatedInput, explain

SIZE = (120, 36)


async def search(pilot: Pilot, text: str) -> LookupScreen:
    """Replace the search box's text (as a paste would) and wait for the answer."""
    screen = pilot.app.screen
    assert isinstance(screen, LookupScreen)
    screen.search_box.focus()
    screen.search_box.value = text
    await settle(pilot)
    return screen


def names(screen: LookupScreen) -> list[str]:
    return [f"{c.first_name} {c.last_name}" for c in screen.results.callers]


def info(screen: LookupScreen) -> str:
    return str(screen.query_one("#lookup-info").render())


def card_text(app) -> str:
    """Everything the caller card shows, as plain text."""
    card = app.screen.query_one(CallerCardView)
    parts = []
    for widget in card.query("Static, Label"):
        content = widget.content
        if isinstance(content, str):
            parts.append(content)
        elif hasattr(content, "plain"):
            parts.append(content.plain)
        else:
            console = Console(width=200, file=io.StringIO(), record=True)
            console.print(content)
            parts.append(console.export_text())
    return "\n".join(parts)


def footer_actions(screen) -> set[str]:
    return {b.binding.action for b in screen.active_bindings.values() if b.binding.show}


# -- pure helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "kind", "expected"),
    [
        ("041 234 567", "phone", {"phones": "041 234 567"}),
        ("041234567", None, {"phones": "041234567"}),
        ("+386 31 555 111", None, {"phones": "+386 31 555 111"}),
        ("0101990500003", "emso", {"emso": "0101990500003"}),
        ("123456789", "zzzs", {"zzzs_number": "123456789"}),
        # Surname first, as the lookup reads names (``kova jan``): issue 12 item 7.
        ("zupan ana", "name", {"last_name": "Zupan", "first_name": "Ana"}),
        ("zupancic mar", "name", {"last_name": "Zupancic", "first_name": "Mar"}),
        ("Zupan Ana Marija", None, {"last_name": "Zupan", "first_name": "Ana Marija"}),
        ("mcDonald", None, {"last_name": "mcDonald"}),
        ("kovač", None, {"last_name": "Kovač"}),
        ("ana@example.si", None, {"email": "ana@example.si"}),
        ("K7M 4PX Y", "reference", {}),
        ("", None, {}),
    ],
)
def test_search_text_goes_to_the_right_field_of_a_new_caller(query, kind, expected) -> None:
    assert prefill_for(query, kind) == expected


@pytest.fixture
def language():
    """Set the UI language for a test of plain functions; restore it afterwards."""
    previous = i18n.language()
    yield i18n.set_language
    i18n.set_language(previous)


def test_the_query_line_says_how_the_box_was_read(language) -> None:
    language("en")

    def said(query: str, kind: str) -> str:
        return describe_query(CallerSearch(query=query, kind=kind, callers=[]))

    assert said("041234567", "phone") == "Searched by phone: +386 41 234 567"
    assert said("00386 1 234 56 78", "phone") == "Searched by phone: +386 1 234 56 78"
    assert said("041 234", "phone") == "Searched by phone: +386 41 234…"
    assert said("041 2345", "phone") == "Searched by phone: +386 41 234 5…"
    assert said("01 234 5", "phone") == "Searched by phone: +386 1 234 5…"
    assert said("0101990 500003", "emso") == "Searched by EMŠO: 0101990500003"
    assert said("k7m4pxy", "reference") == "Searched by booking reference: K7M 4PX Y"


def test_validator_messages_are_translated_and_unknown_ones_kept(language) -> None:
    language("sl")
    with pytest.raises(InvalidValue) as caught:
        parse_emso("0101990500004")
    assert explain(caught.value) == (
        "Kontrolna števka EMŠO se ne ujema z ostalimi 12 števkami: nekje je napačna števka"
    )
    emso_error = caught.value
    with pytest.raises(InvalidValue) as caught:
        parse_phone("041 23")
    assert explain(caught.value) == (
        "Slovenske številke imajo za začetno 0 še 8 števk (041 234 567), vpisanih je 4"
    )
    assert explain("Something new from a validator") == "Something new from a validator"
    language("en")
    assert explain(caught.value) == (
        "Slovenian numbers have 8 digits after the leading 0 (041 234 567), got 4"
    )
    assert explain(emso_error) == (
        "EMŠO check digit does not match the other 12 digits: a digit is mistyped somewhere"
    )


# -- searching ---------------------------------------------------------------------------------


async def test_typing_kova_jan_finds_janez_kovac(make_app, ready) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = app.screen
        assert screen.focused is screen.search_box
        await pilot.press(*"kova jan")
        await settle(pilot)
        assert names(screen)[0] == "Janez Kovač"
        count = len(names(screen))
        assert info(screen) == f"Iskano po imenu: kova jan · Najdenih klicateljev: {count}"
        row = screen.results.get_row_at(0)
        assert [str(cell) for cell in row] == ["Janez Kovač", "1. 1. 1990", "041 234 567", "ime"]


FORMATS = [
    ("041 234 567", "Janez Kovač", "phone"),
    ("041234567", "Janez Kovač", "phone"),
    ("041-234-567", "Janez Kovač", "phone"),
    ("+386 41 234 567", "Janez Kovač", "phone"),
    ("00386 41 234 567", "Janez Kovač", "phone"),
    ("+386 (0)41 234 567", "Janez Kovač", "phone"),
    ("41234567", "Janez Kovač", "phone"),  # issue 12 item 9: without the 0
    ("41 234 567", "Janez Kovač", "phone"),
    ("0101990500003", "Janez Kovač", "emso"),
    ("0101990 500 003", "Janez Kovač", "emso"),
    ("123456789", "Janez Kovač", "zzzs"),
    ("123 456 789", "Janez Kovač", "zzzs"),
    ("031 555 111", "Špela Česnik", "phone"),
    ("+38631555111", "Špela Česnik", "phone"),
    ("01 234 56 78", "Marija Novak", "phone"),
    ("012345678", "Marija Novak", "phone"),
    ("cesnik", "Špela Česnik", "name"),
]


async def test_phone_emso_and_zzzs_in_any_format_find_the_caller(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for query, who, kind in FORMATS:
            screen = await search(pilot, query)
            assert names(screen) == [who], query
            assert screen.last_search is not None and screen.last_search.kind == kind, query
            assert info(screen).endswith("· Callers found: 1"), query


@pytest.mark.parametrize(
    ("query", "said"), [("+386", "+386 …"), ("+38641", "+386 41…"), ("00386 41 2", "+386 41 2…")]
)
async def test_the_start_of_a_number_in_international_form_is_a_phone_search(
    make_app, ready, query: str, said: str
) -> None:
    """Issue 12 item 9: "+386" and "+38641" are phone searches, not names."""
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await search(pilot, query)
        assert screen.last_search is not None and screen.last_search.kind == "phone"
        assert names(screen), "the callers whose numbers start so"
        if query != "+386":  # every Slovenian number: Janez may be past the first page
            assert "Janez Kovač" in names(screen)
        assert info(screen).startswith(f"Searched by phone: {said} · ")


async def test_short_and_unknown_queries_say_what_to_do(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await search(pilot, "k")
        assert names(screen) == []
        assert info(screen) == "Type at least 2 characters"
        screen = await search(pilot, "Qwxzyq Plonk")
        assert names(screen) == []
        assert info(screen) == (
            "Searched by name: Qwxzyq Plonk · No caller found — press ctrl+n to add a new one"
        )


async def test_fast_typing_shows_only_the_answer_for_the_final_text(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = app.screen
        await pilot.press(*"kova")
        for _ in range(4):
            await pilot.press("backspace")
        await pilot.press(*"cesnik")
        await settle(pilot)
        assert screen.search_box.value == "cesnik"
        assert names(screen) == ["Špela Česnik"]
        assert screen.shown_query == "cesnik"


async def test_a_slow_stale_answer_cannot_overwrite_a_newer_one(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = app.screen
        desk = app.desk
        real_search = desk.search
        release = asyncio.Event()
        slow_answers: list[CallerSearch] = []

        async def slow_search(query: str) -> CallerSearch:
            found = await real_search(query)
            if query == "kovač":
                slow_answers.append(found)
                await release.wait()  # the central service takes its time on this one
            return found

        desk.search = slow_search  # type: ignore[method-assign]
        screen.search_box.value = "kovač"
        for _ in range(100):  # until the central service has the slow question
            if slow_answers:
                break
            await pilot.pause(0.02)
        screen.search_box.value = "novak"
        await settle(pilot)
        release.set()
        await settle(pilot)
        assert names(screen) and all(n.endswith("Novak") for n in names(screen))

        # However late the old answer arrives, it is dropped: the box says something else.
        stale = slow_answers[0]
        assert not screen.show_search("kovač", stale)
        assert all(n.endswith("Novak") for n in names(screen))
        # An answer for the box's text is shown.
        fresh = CallerSearch(
            query="novak",
            kind="name",
            callers=[CallerSummary(id=1, first_name="A", last_name="Novak", matched_on="name")],
        )
        assert screen.show_search("novak", fresh)
        assert names(screen) == ["A Novak"]


# -- moving and opening ------------------------------------------------------------------------


async def test_enter_opens_a_single_caller_with_flags_and_notes(make_app, ready) -> None:
    messages: list[object] = []
    app = make_app(language="en")
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await ready(pilot)
        screen = await search(pilot, "česnik")
        await pilot.press("enter")
        await settle(pilot)
        assert app.desk.caller is not None and app.desk.caller.last_name == "Česnik"
        assert app.desk.call is not None, "opening a caller starts the call"
        assert app.desk.call.caller_id == app.desk.caller.id, "and attaches the caller to it"
        text = card_text(app)
        assert "Špela Česnik" in text
        assert "needs an interpreter" in text
        assert "Prefers mornings." in text
        assert "031 555 111" in text
        badge = screen.query_one(".card--badge")
        assert badge.has_class("-interpreter")
        assert any(isinstance(m, DeskChanged) for m in messages)
        assert any(isinstance(m, CallerChosen) for m in messages)


async def test_enter_with_several_results_moves_to_them_and_escape_comes_back(
    make_app, ready
) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await add_the_zlatorogs(app, "Urška", "Urša")
        screen = await search(pilot, "zlatorog")
        assert names(screen) == ["Urša Zlatorog", "Urška Zlatorog"]
        await pilot.press("enter")
        await settle(pilot)
        assert screen.focused is screen.results
        assert app.desk.caller is None, "enter on several results only moves to them"
        assert "back" in footer_actions(screen)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.desk.caller is not None
        assert app.desk.caller.id == screen.results.callers[1].id
        await pilot.press("escape")
        assert screen.focused is screen.search_box
        assert screen.search_box.value == "zlatorog"
        assert "clear" in footer_actions(screen)
        await pilot.press("escape")
        assert screen.search_box.value == ""
        assert app.desk.caller is not None, "clearing the box keeps the open card"


async def test_enter_before_the_answer_arrives_still_opens_it(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = app.screen
        screen.search_box.value = "0101990500003"
        await pilot.press("enter")  # no pause: the search is still on its way
        await settle(pilot)
        assert app.desk.caller is not None and app.desk.caller.emso == "0101990500003"


async def test_down_and_up_move_between_box_and_results_and_typing_returns(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await search(pilot, "novak")
        await pilot.press("down")
        assert screen.focused is screen.results
        await pilot.press("up")
        assert screen.focused is screen.search_box
        await pilot.press("down", "down")
        assert screen.results.cursor_row == 1
        await pilot.press("a")
        assert screen.focused is screen.search_box
        assert screen.search_box.value == "novaka"


@pytest.mark.parametrize(
    ("language", "query", "said"),
    [
        (
            "sl",
            "DUPH435",
            "Videti je kot referenca rezervacije, a kontrolni znak ni pravilen: "
            "najbrž je napačno vpisana",
        ),
        (
            "en",
            "duph 43a",
            "Looks like a booking reference, but its check character is wrong: probably mistyped",
        ),
        (
            "en",
            "D5PH434",
            "Looks like a booking reference, but it has “5”, which references never use",
        ),
    ],
)
async def test_a_reference_with_a_wrong_check_character_is_said_so(
    make_app, ready, language: str, query: str, said: str
) -> None:
    """Issue 12 item 8: not a name search that found nobody ("press ctrl+n to add")."""
    app = make_app(language=language)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await search(pilot, query)
        assert names(screen) == []
        assert info(screen) == said


# -- a new caller ------------------------------------------------------------------------------


def valid_emso(day: str = "1503985", register: str = "50", serial: str = "501") -> str:
    head = day + register + serial
    check = emso_check_digit(head)
    if check is None:
        return valid_emso(day, register, f"{int(serial) + 1:03d}")
    return f"{head}{check}"


async def open_form(pilot: Pilot) -> NewCallerForm:
    await pilot.press("ctrl+n")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, NewCallerForm)
    return form


async def type_into(pilot: Pilot, form: NewCallerForm, name: str, text: str) -> ValidatedInput:
    """Type ``text`` into a field: the start inserted at once (as a fast typist would), the
    last keys pressed one by one."""
    field = form.field(name)
    field.focus()
    await pilot.pause()
    field.input.insert_text_at_cursor(text[:-2])
    await pilot.press(*text[-2:])
    await pilot.pause()
    return field


async def test_a_bad_emso_check_digit_is_shown_as_you_type_and_save_refused(
    make_app, ready
) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await search(pilot, "zupan ana")
        form = await open_form(pilot)
        assert form.field("first_name").value == "Ana"
        assert form.field("last_name").value == "Zupan"
        emso = await type_into(pilot, form, "emso", "01019905")
        assert emso.message == "EMŠO ima 13 števk, vpisanih je 8"
        assert emso.state == "soft", "while typing the message is a hint, not an error"
        await pilot.press(*"00004")
        assert emso.message == (
            "Kontrolna števka EMŠO se ne ujema z ostalimi 12 števkami: nekje je napačna števka"
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form, "save is refused"
        assert emso.state == "error"
        problem = str(form.query_one("#new-caller-problem").render())
        assert problem.startswith("Ni shranjeno: popravite označena polja (EMŠO)")
        assert form.focused is emso.input
        assert (await app.desk.search("ana zupan")).callers == []


@pytest.mark.parametrize(
    ("query", "last", "first", "focused"),
    [
        ("zupancic mar", "Zupancic", "Mar", "first_name"),  # the query's last word: completed next
        ("zupancic", "Zupancic", "", "first_name"),
        ("041 234 567", "", "", "first_name"),
    ],
)
async def test_a_new_caller_from_the_query_is_surname_first_and_the_focus_on_a_name(
    make_app, ready, query: str, last: str, first: str, focused: str
) -> None:
    """Issue 12 item 7: "zupancic mar" is Priimek Zupancic, Ime Mar (the lookup's convention),
    and typing goes into a name field, never into the phone."""
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await search(pilot, query)
        form = await open_form(pilot)
        assert (form.field("last_name").value, form.field("first_name").value) == (last, first)
        assert form.focused is form.field(focused).input
        await pilot.press("k", "o")
        assert form.field(focused).value == first + "ko"
        assert form.field("phones").value == ("" if query[0].isalpha() else query)


async def test_phone_and_email_are_checked_as_you_type(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        form = await open_form(pilot)
        phones = await type_into(pilot, form, "phones", "041 234 567, 01 23")
        assert phones.message == (
            "01 23: Slovenian numbers have 8 digits after the leading 0 (041 234 567), got 3"
        )
        phones.input.insert_text_at_cursor("4 56 7")
        await pilot.press("8")
        assert phones.state == "ok"
        assert phones.message == "041 234 567 · 01 234 56 78"
        email = await type_into(pilot, form, "email", "ana.zupan")
        assert email.message == "E-mail address needs an @"
        email.input.insert_text_at_cursor("@siol.ne")
        await pilot.press("t")
        assert email.state == "ok"
        emso = await type_into(pilot, form, "emso", valid_emso())
        assert emso.message == "Valid: a woman born 15. 3. 1985"


async def test_a_valid_form_creates_the_caller_and_opens_the_card(make_app, ready) -> None:
    messages: list[object] = []
    app = make_app(language="en")
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await ready(pilot)
        await search(pilot, "040 111 222")
        form = await open_form(pilot)
        assert form.field("phones").value == "040 111 222"
        await type_into(pilot, form, "first_name", "Ana")
        await type_into(pilot, form, "last_name", "Zupan")
        emso = valid_emso()
        await type_into(pilot, form, "emso", emso)
        form.query_one("#flag-interpreter", Checkbox).value = True
        form.query_one("#new-caller-notes", TextArea).text = "Calls in the morning."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen), "the form closes"
        caller = app.desk.caller
        assert caller is not None
        assert (caller.first_name, caller.last_name, caller.emso) == ("Ana", "Zupan", emso)
        assert [p.number for p in caller.phones] == ["+38640111222"]
        assert caller.flags == ["interpreter"]
        assert app.desk.call is not None and app.desk.call.caller_id == caller.id
        text = card_text(app)
        assert "Ana Zupan" in text and "needs an interpreter" in text
        assert "Calls in the morning." in text
        assert any(isinstance(m, DeskChanged) for m in messages)
        found = await app.desk.search(emso)
        assert [c.id for c in found.callers] == [caller.id]


async def test_f10_saves_too(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await search(pilot, "Golob Tina")
        form = await open_form(pilot)
        assert {"save", "save_fallback"} <= footer_actions(form)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        assert app.desk.caller is not None and app.desk.caller.last_name == "Golob"


async def test_an_emso_that_exists_is_shown_at_the_field_and_nothing_is_lost(
    make_app, ready
) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await search(pilot, "kovač janko")
        form = await open_form(pilot)
        await type_into(pilot, form, "phones", "041 999 888")
        await type_into(pilot, form, "emso", "0101990500003")
        form.query_one("#new-caller-notes", TextArea).text = "Pravi, da je nov."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form, "the form stays open"
        emso = form.field("emso")
        assert emso.state == "error"
        assert emso.message == "Ta EMŠO že ima Janez Kovač: ctrl+o odpre tega klicatelja."
        assert form.focused is emso.input
        values = form.values()
        assert values["first_name"] == "Janko" and values["last_name"] == "Kovač"
        assert values["phones"] == "041 999 888"
        assert values["emso"] == "0101990500003"
        assert values["notes"] == "Pravi, da je nov."
        assert "open_existing" in footer_actions(form)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        assert app.desk.caller is not None and app.desk.caller.emso == "0101990500003"
        # What was typed is still there when the form is opened again in this call.
        form = await open_form(pilot)
        assert form.field("first_name").value == "Janko"
        assert form.field("phones").value == "041 999 888"
        assert form.query_one("#new-caller-notes", TextArea).text == "Pravi, da je nov."


async def test_escape_keeps_the_draft_for_the_call(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f2", "ctrl+g")  # an anonymous call: the caller is not found yet
        await settle(pilot)
        form = await open_form(pilot)
        await type_into(pilot, form, "first_name", "Mojca")
        form.query_one("#flag-hearing", Checkbox).value = True
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen)
        await search(pilot, "041 777 666")
        form = await open_form(pilot)
        assert form.field("first_name").value == "Mojca"
        assert form.field("phones").value == "041 777 666", "empty fields take the search text"
        assert form.query_one("#flag-hearing", Checkbox).value is True
        # A new call starts with an empty form.
        await pilot.press("escape")
        await pilot.pause()
        await app.desk.wrap_up("information", "")
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("f2")
        await settle(pilot)
        form = await open_form(pilot)
        assert form.field("first_name").value == ""


async def test_a_supervisor_can_open_cards_but_not_the_new_caller_form(make_app, ready) -> None:
    app = make_app(language="en", role="supervisor")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await search(pilot, "Qwxzyq Plonk")
        assert info(screen) == "Searched by name: Qwxzyq Plonk · No caller found"
        assert "new_caller" not in footer_actions(screen)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen), "no form for a supervisor"
        notes = [n.message for n in app._notifications]
        assert any("Read-only" in message for message in notes)
        screen = await search(pilot, "česnik")
        await pilot.press("enter")
        await settle(pilot)
        assert "Prefers mornings." in card_text(app)
        assert app.desk.call is None, "a supervisor's look starts no call"


async def test_the_card_moves_below_the_results_when_narrow(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=(90, 36)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert screen.has_class("-narrow")
        results = screen.results.region
        card = screen.query_one(CallerCardView).region
        assert card.y >= results.bottom


async def test_at_80_columns_a_long_answer_line_takes_a_second_row_not_cut_off(
    make_app, ready
) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.screen
        line = screen.query_one("#lookup-info")
        await pilot.press(*"an")  # typed key by key, as an agent does: many callers
        await settle(pilot)
        said = info(screen)
        assert "vpišite več za ožji izbor" in said, said
        assert line.region.height == 2, said  # it needs two rows at 80 columns: it has them
        assert names(screen) and screen.results.region.y >= line.region.bottom
        await pilot.press("ctrl+a", "ctrl+k", *"novak mar")  # a short answer again: one row
        await settle(pilot)
        assert "Marija Novak" in names(screen) and line.region.height == 1, info(screen)


@pytest.mark.parametrize("language", ["sl", "en"])
async def test_at_80x24_the_new_caller_forms_inputs_side_by_side_are_level(
    make_app, ready, language: str
) -> None:
    """Each label fits on its row at 80 columns, so the two inputs of a row sit side by side
    (a label wrapped to two rows put its input a row below its neighbour's)."""
    app = make_app(language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await search(pilot, "zupan ana")
        form = await open_form(pilot)
        for left, right in (
            ("first_name", "last_name"),
            ("phones", "email"),
            ("emso", "zzzs_number"),
        ):
            one, other = form.field(left), form.field(right)
            assert one.input.region.y == other.input.region.y, (left, right)
            assert one.input.region.x < other.input.region.x, (left, right)
            for field in (one, other):
                label = field.query_one(".validated-input--label")
                assert label.region.height == 1, (field.id, str(label.render()))


async def test_a_field_the_central_service_refuses_is_marked_in_the_ui_language(
    make_app, ready
) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await search(pilot, "zupan ana")
        form = await open_form(pilot)
        refused = ApiRefused(422, "invalid", "ZZZS number must have 9 digits, got 8", "zzzs_number")
        await form._refused(refused, CallerIn(first_name="Ana", last_name="Zupan"))
        await pilot.pause()
        zzzs = form.field("zzzs_number")
        assert zzzs.state == "error"
        assert zzzs.message == "Številka ZZZS ima 9 števk, vpisanih je 8"
        assert form.focused is zzzs.input
        assert form.field("first_name").value == "Ana", "nothing typed is lost"


def type_at_once(app, *keys: str) -> None:
    """Queue key presses back to back, as a fast typist or a paste sends them: unlike
    ``pilot.press`` nothing waits for the app to go idle between them, so a focus change
    asked for by one key has not happened yet when the next arrives."""
    from textual import events

    characters = {"enter": "\r"}
    for key in keys:
        event = events.Key(key, characters.get(key, key if len(key) == 1 else None))
        event.set_sender(app)
        app._driver.send_message(event)


async def add_the_zlatorogs(app, *firsts: str) -> None:
    for first in firsts or ("Urška", "Urša", "Uroš"):
        await app.desk.api.create_caller(CallerIn(first_name=first, last_name="Zlatorog"))


@pytest.mark.parametrize(
    ("keys", "opened"),
    [(("down", "enter"), 0), (("down", "down", "enter"), 1)],
    ids=["down-enter", "down-down-enter"],
)
async def test_downs_and_enter_typed_at_once_open_the_caller_under_the_cursor(
    make_app, ready, keys, opened
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await add_the_zlatorogs(app)
        screen = await search(pilot, "zlatorog")
        assert len(screen.results.callers) == 3
        type_at_once(app, *keys)
        await settle(pilot)
        assert app.desk.caller is not None, "enter after down opens the caller under the cursor"
        assert app.desk.caller.id == screen.results.callers[opened].id
        assert screen.focused is screen.results


@pytest.mark.parametrize("enter", [True, False], ids=["down-enter", "down"])
async def test_down_before_the_answer_takes_effect_when_it_arrives(make_app, ready, enter) -> None:
    """Typed faster than the search answers: down (and enter) before the results are in."""
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await add_the_zlatorogs(app)
        screen = app.screen
        screen.search_box.focus()
        await pilot.pause()
        type_at_once(app, *"zlatorog", "down", *(["enter"] if enter else []))
        await settle(pilot)
        assert screen.shown_query == "zlatorog"
        assert screen.focused is screen.results, "the answer arrived and down took effect"
        assert screen.results.cursor_row == 0
        if enter:
            assert app.desk.caller is not None, "the answer came after enter and was opened"
            assert app.desk.caller.id == screen.results.callers[0].id
        else:
            assert app.desk.caller is None, "nothing is opened without enter"


async def test_typing_on_after_a_down_before_the_answer_keeps_the_box(make_app, ready) -> None:
    app = make_app(language="en", search_delay_ms=2000)  # the search waits: down comes first
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await add_the_zlatorogs(app)
        screen = app.screen
        box = screen.search_box
        box.focus()
        box.value = "zlato"
        await pilot.pause()
        screen.action_to_results()  # down while "zlato" is still being searched
        assert screen.into_results
        box.insert_text_at_cursor("rog")  # ... and the agent types on
        await settle(pilot)
        assert screen.shown_query == "zlatorog"
        assert screen.into_results is False
        assert screen.focused is box, "typing after the down took it back"


async def test_a_slow_answer_says_searching_and_a_quick_one_does_not(
    make_app, ready, monkeypatch
) -> None:
    import console.screens.lookup as lookup

    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = app.screen
        said: list[str] = []
        set_info = screen.set_info
        monkeypatch.setattr(screen, "set_info", lambda text: (said.append(text), set_info(text)))
        monkeypatch.setattr(lookup, "SEARCHING_NOTICE_AFTER", 30.0)  # every answer is quick
        await search(pilot, "kovač")
        assert "Searching…" not in said, "an answer in time is shown without the notice"
        assert info(screen).startswith("Searched by name: kovač")

        monkeypatch.setattr(lookup, "SEARCHING_NOTICE_AFTER", 0.05)
        answer_now = asyncio.Event()
        quick = app.desk.search

        async def held(query: str):
            await answer_now.wait()
            return await quick(query)

        monkeypatch.setattr(app.desk, "search", held)
        screen.search_box.value = "novak"
        for _ in range(200):  # the notice comes once the answer is late
            await pilot.pause(0.025)
            if info(screen) == "Searching…":
                break
        assert info(screen) == "Searching…"
        answer_now.set()
        await settle(pilot)
        assert info(screen).startswith("Searched by name: novak")


# -- the room: the results take the card's while no caller is open; names end in "…" -----------


def rows_in_sight(screen: LookupScreen) -> int:
    """How many result rows show (the table's height less its header's row)."""
    results = screen.results
    return min(results.row_count, results.scrollable_content_region.height - 1)


@pytest.mark.parametrize("language", ["sl", "en"])
async def test_at_80x24_with_no_caller_open_the_results_take_the_cards_room(
    make_app, ready, language: str
) -> None:
    app = make_app(language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert screen.has_class("-narrow")
        await pilot.press(*"an")  # twenty callers and more
        await settle(pilot)
        results, card = screen.results, screen.card
        assert len(results.callers) == 20
        # Ten callers and more in sight (it was four): the card is a row below them, its hint
        # in full.
        assert rows_in_sight(screen) >= 10, rows_in_sight(screen)
        assert card.region.height <= 2 and card.region.y >= results.region.bottom
        assert card.region.bottom <= 24 - 2  # above the footer's two rows
        hint = "Poiščite klicatelja" if language == "sl" else "Find the caller"
        assert hint in card_text(app)

        # Enter to the results, down to the fourteenth caller, enter opens the card: the layout
        # of an open card (results above, at most half the room; the card below), the cursor's
        # caller still in sight.
        await pilot.press("enter")
        await pilot.press(*["down"] * 13)
        await settle(pilot)
        chosen = results.callers[results.cursor_row]
        assert results.cursor_row == 13
        await pilot.press("enter")
        await settle(pilot)
        await settle(pilot)
        assert app.desk.caller is not None and app.desk.caller.id == chosen.id
        assert card.caller_id == chosen.id and chosen.first_name in card_text(app)
        assert card.region.height >= 6 and card.region.y >= results.region.bottom
        top = int(results.scroll_y)
        assert top <= results.cursor_row < top + rows_in_sight(screen), "the cursor in sight"
        assert screen.focused is results
        await pilot.press("escape")  # back to the box; the card stays
        await settle(pilot)
        assert screen.focused is screen.search_box and card.caller_id == chosen.id
        assert card.region.height >= 6


@pytest.mark.parametrize("language", ["sl", "en"])
async def test_at_120x36_the_results_are_full_width_until_a_caller_is_open(
    make_app, ready, language: str
) -> None:
    app = make_app(language=language)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await search(pilot, "an")
        results, card = screen.results, screen.card
        assert screen.has_class("-wide")
        assert results.region.width >= 110, "no empty card beside the results"
        assert card.region.height <= 2 and card.region.y >= results.region.bottom
        assert rows_in_sight(screen) == 20
        await pilot.press("enter", "enter")  # to the results, open the first
        await settle(pilot)
        await settle(pilot)
        assert card.caller_id == results.callers[0].id
        assert card.region.x > results.region.right - 1, "the card beside the results"
        assert card.region.height == results.region.height


async def test_a_long_name_ends_in_an_ellipsis_and_the_name_column_takes_the_room(
    make_app, ready
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for first, last in (("Marjan", "Simonič-Novak"), ("Martina", "Novak-Kotnik")):
            await app.desk.api.create_caller(CallerIn(first_name=first, last_name=last))
        longest = "Maksimilijana Bernarda Novak-Kotnikarjeva"  # longer than any column
        await app.desk.api.create_caller(
            CallerIn(first_name="Maksimilijana Bernarda", last_name="Novak-Kotnikarjeva")
        )
        screen = await search(pilot, "novak ma")
        results = screen.results
        assert not screen.last_search.more

        def shown() -> list[str]:
            """Each row's name as drawn (the name column's cells, stripped)."""
            width = results.ordered_columns[0].get_render_width(results)
            drawn = []
            for row in range(len(results.callers)):
                cells = results._render_cell(row, 0, results.rich_style, width)
                drawn.append("".join(segment.text for segment in cells[0]).strip())
            return drawn

        # No caller open: the whole width; the names in full but the longest.
        names_now = dict(zip(names(screen), shown(), strict=True))
        assert names_now["Marjan Simonič-Novak"] == "Marjan Simonič-Novak"
        assert names_now["Martina Novak-Kotnik"] == "Martina Novak-Kotnik"
        cut = names_now[longest]
        assert cut.endswith("…") and longest.startswith(cut[:-1]) and len(cut) < len(longest)
        # A caller open, the card beside: the name column takes what the others leave, and a
        # name longer than that ends in "…", never cut off mid-letter.
        await pilot.press("enter", "enter")
        await settle(pilot)
        await settle(pilot)
        assert screen.card.caller_id is not None
        name = results.ordered_columns[0]
        others = sum(column.get_render_width(results) for column in results.ordered_columns[1:])
        room = results.scrollable_content_region.width
        assert name.get_render_width(results) + others >= room - 1  # no room left unused
        for full, drawn in zip(names(screen), shown(), strict=True):
            assert drawn == full or (drawn.endswith("…") and full.startswith(drawn[:-1])), drawn
