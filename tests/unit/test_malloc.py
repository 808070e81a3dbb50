"""The console's process keeps few malloc arenas (console.malloc)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from console import malloc


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_allocator_takes_the_limit_and_an_operators_setting_wins() -> None:
    code = "from console.malloc import limit_malloc_arenas; print(limit_malloc_arenas())"
    took = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert took.stdout.strip() == "True", took.stderr
    env_set = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"MALLOC_ARENA_MAX": "4", "PATH": ""},
    )
    assert env_set.stdout.strip() == "False", env_set.stderr


def test_nowhere_but_linux_it_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(malloc.sys, "platform", "darwin")
    assert malloc.limit_malloc_arenas() is False


def test_the_embedded_service_keeps_few_connections(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from console.client.embedded import KEPT_CONNECTIONS
    from console.server.db import SQLITE_POOL_OVERFLOW, SQLITE_POOL_SIZE, Database

    database = Database.open(tmp_path / "kept.db", sqlite_kept=KEPT_CONNECTIONS)
    try:
        pool = database.engine.pool
        assert pool.size() == KEPT_CONNECTIONS  # type: ignore[attr-defined]
        # the same cap on connections at once as the service's own
        assert pool._max_overflow == SQLITE_POOL_SIZE + SQLITE_POOL_OVERFLOW - KEPT_CONNECTIONS  # type: ignore[attr-defined]
        held = [database.engine.connect() for _ in range(5)]
        for connection in held:
            connection.close()
        assert pool.checkedin() == KEPT_CONNECTIONS  # type: ignore[attr-defined]
    finally:
        database.dispose()


def test_the_platform_is_asked_at_every_call_even_after_the_library_was_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    malloc.give_back_freed()  # loads (and caches) the C library where there is one
    monkeypatch.setattr(malloc.sys, "platform", "darwin")
    assert malloc.give_back_freed() is False
    assert malloc.limit_malloc_arenas() is False
