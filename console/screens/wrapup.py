"""Wrap-up (placeholder until the screen is built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label

from console.i18n import _
from console.screens.base import DeskScreen


class WrapUpScreen(DeskScreen):
    def compose_body(self) -> ComposeResult:
        yield Label(_("Wrap-up"))
