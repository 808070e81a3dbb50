"""Entry point for ASGI servers: ``uvicorn --factory console.asgi:app_from_config``.

Reads the configuration the same way the command line does (``AGENT_CONSOLE_CONFIG``,
``AGENT_CONSOLE_DATABASE``, ...), so every uvicorn worker process builds the same app.
"""

from __future__ import annotations

from fastapi import FastAPI

from console.config import load_config
from console.server.app import create_app


def app_from_config() -> FastAPI:
    """The app as ``agent-console serve`` runs it: requests logged for an operator, and the
    daily prune (see ``create_app``'s ``serving``)."""
    config = load_config()
    return create_app(config.server_settings(), serving=True)
