"""The console starts on the embedded service and shows the status bar."""

from __future__ import annotations

from textual.pilot import Pilot

from console.domain.models import Role


async def test_starts_on_the_embedded_service_and_f2_alone_starts_no_call(make_app, ready) -> None:
    """Issue 12 item 4: F2 (the lookup) alone leaves no call record; the anonymous-call key
    (ctrl+g on the lookup) starts one with no caller."""
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        assert app.desk.agent.role is Role.AGENT
        assert app.connection_state == "online"
        assert {s.code for s in app.desk.services} >= {"ue-id-card"}
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.desk.call is None
        assert await app.desk.api.calls(mine=True) == []  # no call record either
        await pilot.press("ctrl+g")  # an anonymous call
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.desk.call is not None and app.desk.call.caller_id is None
        [call] = await app.desk.api.calls(mine=True)
        assert call.id == app.desk.call.id
        await pilot.press("ctrl+g")  # a call is in progress: no second one
        await app.workers.wait_for_complete()
        assert len(await app.desk.api.calls(mine=True)) == 1


async def test_a_supervisor_starts_no_call_and_sees_read_only(make_app, ready) -> None:
    app = make_app(role="supervisor")
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        assert app.desk.read_only
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        assert app.desk.call is None
        bar = app.screen.query_one("StatusBar")
        assert "READ-ONLY" in str(bar.render()) or "SAMO BRANJE" in str(bar.render())


async def test_the_startup_bar_stops_once_the_console_is_up(make_app, ready) -> None:
    """The startup screen stays behind the console's screens: its animated bar must not go on
    redrawing there (15 times a second, for the whole shift)."""
    from textual.widgets import ProgressBar

    from console.screens.startup import StartupScreen

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.pause()
        startups = [
            screen
            for stack in app._screen_stacks.values()
            for screen in stack
            if isinstance(screen, StartupScreen)
        ]
        assert startups, "the startup screen is still on its stack"
        assert not startups[0].query(ProgressBar), "its bar is gone"


async def until_synced(pilot: Pilot) -> None:
    """Wait (up to 5 s) for the desk's first sync to end; fail if it does not."""
    store = pilot.app.store
    for _ in range(100):
        if store.last_sync is not None:
            return
        await pilot.pause(0.05)
    raise AssertionError("the desk's first sync did not end")


async def test_the_sync_loop_starts_once_the_lookup_screen_is_drawn(make_app, ready) -> None:
    from console.screens.lookup import LookupScreen

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        assert isinstance(app.screen, LookupScreen)
        await pilot.pause()
        assert app._sync_task is not None and not app._sync_task.done()
        await until_synced(pilot)  # its first round fills the desk's cache


async def test_long_lived_objects_are_frozen_while_the_console_runs(make_app, ready) -> None:
    """Full garbage collections skip what the console keeps (a 130-140 ms pause while typing on
    the national dataset); the app hands them back when it closes."""
    import gc

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await until_synced(pilot)
        await pilot.pause()
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


async def test_no_sync_loop_starts_once_the_console_is_closing(make_app, ready) -> None:
    """The loop starts after the first frame of the lookup screen; if the console quit before
    that, nothing may start behind its back."""
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await app.stop_sync()
        app._unmounting = True
        app.start_sync()
        assert app._sync_task is None
        app._unmounting = False
