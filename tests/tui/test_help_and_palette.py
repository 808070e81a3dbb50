"""Issue 12, items 16-19: F1's help, F6 at any time, the command palette, the footer by role,
and no English left in the Slovenian UI."""

from __future__ import annotations

from harness import settle, until
from textual.command import CommandInput, CommandList
from textual.widgets import Static

from console.screens.lookup import LookupScreen
from widgets.footer import KeysFooter

SIZE = (120, 36)


def _help_text(app) -> str:
    return " ".join(str(static.render()) for static in app.screen.query(Static))


def _footer_keys(app) -> dict[str, str]:
    footer = app.screen.query_one(KeysFooter)
    return {
        key.key: key.description
        for key in footer.query("FooterKey")
        if key.display and not key.has_class("-disabled")
    }


async def test_16_f1_lists_the_screens_keys_and_the_apps_in_the_uis_language(
    make_app, ready
) -> None:
    from console.screens.help import HelpScreen

    for language, new_caller, lookup, help_title in (
        ("sl", "Nov klicatelj", "Klicatelj", "Tipke"),
        ("en", "New caller", "Caller", "Keys"),
    ):
        app = make_app(language=language)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("f1")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            text = " ".join(str(label.render()) for label in app.screen.query("Label"))
            assert help_title in text
            body = app.screen.query_one("#help-body")
            assert body is not None
            rendered = app.screen.query(".help-keys")
            assert len(rendered) == 2  # this screen's keys, then the app's
            here = [row.description for row in app.screen.here]  # type: ignore[attr-defined]
            everywhere = {row.description: row.keys for row in app.screen.everywhere}  # type: ignore[attr-defined]
            assert new_caller in here
            assert everywhere[lookup] == ("f2", "alt+1")
            await pilot.press("f1")  # F1 again closes it
            await pilot.pause()
            assert isinstance(app.screen, LookupScreen)


async def test_16_f6_opens_the_sync_issues_when_there_are_none(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.sync_status.issues == 0
        await pilot.press("f6")
        await settle(pilot)
        assert type(app.screen).__name__ == "SyncIssuesScreen"
        title = str(app.screen.query_one("#sync-title", Static).render())
        assert title.startswith("No open sync issues")


async def test_17_the_palette_lists_every_bound_action_with_its_key(make_app, ready) -> None:
    for language, expected in (
        ("sl", {"Nov klicatelj", "Klicatelj", "Termini", "Zdravniki", "Prijave", "Pomoč"}),
        ("en", {"New caller", "Caller", "Slots", "Doctors", "Reports", "Help"}),
    ):
        app = make_app(language=language)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
            assert expected <= set(commands), set(commands)
            assert commands[next(iter(expected & {"Klicatelj", "Caller"}))].endswith("(f2, alt+1)")
            if language == "sl":
                assert not {"Theme", "Quit", "Keys", "Screenshot"} & set(commands)
                assert {"Tema", "Izhod", "Posnetek zaslona"} <= set(commands)


async def test_17_the_palette_runs_a_screens_action(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        await commands["New caller"].callback()
        await settle(pilot)
        assert type(app.screen).__name__ == "NewCallerForm"


async def test_19_the_palette_its_prompt_and_no_matches_in_slovenian(make_app, ready) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette_input = app.screen.query_one(CommandInput)
        assert palette_input.placeholder == "Poiščite ukaz …"
        await pilot.press(*"xqzwv")

        def no_matches() -> bool:
            options = app.screen.query_one(CommandList)
            prompts = [options.get_option_at_index(i).prompt for i in range(options.option_count)]
            # A hit's prompt is Content; the no-matches line a Text inside a renderable.
            return any("Ni zadetkov" in str(getattr(p, "renderable", p)) for p in prompts)

        await until(pilot, no_matches, timeout=10)


async def test_19_the_desk_and_ctrl_c_speak_slovenian(make_app, ready) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        bar = str(app.screen.query_one("StatusBar").render())
        assert bar.strip().startswith("Mojca (agent)"), bar
        assert "demo" not in bar
        await pilot.press("ctrl+c")
        await pilot.pause()
        shown = [(n.title, n.message) for n in app._notifications]
        assert ("Želite končati?", "Program zaprete s ctrl+q.") in shown
        keys = _footer_keys(app)
        assert keys.get("ctrl+p") == "Ukazi"


async def test_18_an_agents_footer_shows_f8_f6_and_f1(make_app, ready) -> None:
    app = make_app(language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        keys = _footer_keys(app)
        assert {"f1", "f6", "f8", "f9", "ctrl+n"} <= set(keys), keys
        await pilot.press("f3")
        await settle(pilot)
        keys = _footer_keys(app)
        assert {"ctrl+f", "ctrl+o"} <= set(keys), keys
        # Every key fits: the footer wraps rather than cut keys off at the edge.
        footer = app.screen.query_one(KeysFooter)
        for key in footer.query("FooterKey"):
            if key.display:
                assert key.region.right <= 80, (key.key, key.region)


async def test_18_a_supervisors_footer_has_no_write_keys(make_app, ready) -> None:
    app = make_app(language="en", role="supervisor")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert "ctrl+n" not in _footer_keys(app)
        await pilot.press("f3")
        await settle(pilot)
        assert "enter" not in _footer_keys(app)  # no "Hold slot"
        await pilot.press("f4")
        await settle(pilot)
        keys = _footer_keys(app)
        assert "c" not in keys and "r" not in keys, keys
