"""The ``agent-console`` command line, run as a user would: as a separate process."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

COMMAND = [sys.executable, "-m", "console.cli"]


def run(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_help_names_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("serve", "seed", "token", "migrate"):
        assert command in result.stdout
    assert "examples:" in result.stdout


def test_a_bad_config_file_is_refused_with_a_did_you_mean(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[ui]\nlanguge = "en"\n')
    result = run("--config", str(config), "migrate", "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert "unknown key 'ui.languge'; did you mean 'language'?" in result.stderr


def test_an_unknown_binding_id_in_keys_is_refused_with_a_did_you_mean(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keys]\n"lookup.new_caler" = "ctrl+y"\n')
    result = run("--config", str(config), "migrate", "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert "unknown key 'keys.lookup.new_caler'; did you mean 'lookup.new_caller'?" in result.stderr


def test_seed_prints_tokens_and_refuses_to_seed_twice(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    first = run("seed", "--db", str(db), "--callers", "200", "--days", "2")
    assert first.returncode == 0, first.stderr
    assert re.search(r"Seeded in [\d.]+ s: 200 callers", first.stdout)
    assert re.search(r"^\s+agent\s+ac_\S+$", first.stdout, re.MULTILINE)
    second = run("seed", "--db", str(db), "--callers", "200", "--days", "2")
    assert second.returncode == 1
    assert "replace" in (second.stderr + second.stdout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_on_loopback_with_seeded_data_and_a_created_token(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    assert run("seed", "--db", str(db), "--callers", "100", "--days", "2").returncode == 0
    created = run(
        "token", "create", "--role", "supervisor", "--name", "Maja Kranjc", "--db", str(db)
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen(
        [*COMMAND, "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("serve did not answer")
        headers = {"Authorization": f"Bearer {token}"}
        me = httpx.get(f"{url}/v1/me", headers=headers).json()
        assert me == {"id": me["id"], "name": "Maja Kranjc", "role": "supervisor"}
        services = httpx.get(f"{url}/v1/services", headers=headers).json()
        assert any(s["code"] == "ue-id-card" for s in services)
        search = httpx.get(f"{url}/v1/callers", params={"q": "novak"}, headers=headers)
        assert search.status_code == 200
        refused = httpx.post(f"{url}/v1/calls", json={}, headers=headers)
        assert refused.status_code == 403
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}" in output
