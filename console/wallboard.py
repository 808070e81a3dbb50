"""The wallboard: the supervisor's floor served to a web browser (textual-serve), for the screen
on the call centre's wall. ``agent-console wallboard --server URL --token T --port P``.

Each browser that opens the page gets a console of its own (textual-serve starts one process per
page) with the supervisor's token: a supervisor's console starts on the floor, read-only. The
token and the server reach those processes through the environment, never their command line
(``ps`` shows command lines to every user); each process keeps its local cache in a folder of
its own, removed when the page closes.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile

SESSION = "session"


def session_command() -> str:
    """What textual-serve runs for each page: this module, in this Python."""
    return f"{shlex.quote(sys.executable)} -m console.wallboard {SESSION}"


def serve_wallboard(
    *,
    server: str,
    token: str,
    port: int,
    host: str = "localhost",
    language: str | None = None,
    public_url: str | None = None,
) -> int:
    """Serve the floor on ``http://host:port`` until interrupted."""
    from textual_serve.server import Server

    os.environ["AGENT_CONSOLE_SERVER_URL"] = server
    os.environ["AGENT_CONSOLE_TOKEN"] = token
    if language:
        os.environ["AGENT_CONSOLE_LANGUAGE"] = language
    wall = Server(
        session_command(),
        host=host,
        port=port,
        title="agent-console · floor",
        public_url=public_url,
    )
    wall.serve()
    return 0


def run_session() -> int:
    """One page's console: the floor, with a local cache of its own."""
    from console.app import run_console
    from console.config import load_config

    folder = tempfile.mkdtemp(prefix="agent-console-wallboard-")
    os.environ["AGENT_CONSOLE_DATA_DIR"] = folder
    try:
        return run_console(load_config())  # the server, token and language: the environment
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover - run by textual-serve
    if sys.argv[1:] == [SESSION]:
        sys.exit(run_session())
    sys.exit("usage: python -m console.wallboard session (run by agent-console wallboard)")
