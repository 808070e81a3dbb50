"""QuickTable renders one-line body cells itself; what it draws must match DataTable's own
rendering cell for cell, style for style, with and without focus and cursor."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from widgets.quick_table import QuickTable


def characters(strip) -> list[tuple[str, object]]:
    return [(char, segment.style) for segment in strip for char in segment.text]


class TwoTables(App):
    def compose(self) -> ComposeResult:
        yield DataTable(id="plain", cursor_type="row", zebra_stripes=True)
        yield QuickTable(id="quick", cursor_type="row", zebra_stripes=True)


def fill(table: DataTable) -> None:
    table.add_column("Name", width=19)
    table.add_column("Born", width=12)
    table.add_column("Phone", width=8)
    table.add_column("N", width=6)
    table.add_row(
        Text("Janez Kovačevič Longname", style="bold"),  # cropped
        "1. 1. 1990",
        "041 234 567 +1",
        Text("12", justify="right"),
        key="1",
    )
    table.add_row(
        Text("Ana", style="bold"),
        "",
        Text.assemble(("x", "red"), " y"),  # spans
        Text("čšž", justify="center"),
        key="2",
    )
    table.add_row("[b]markup[/b]", "", "", "", key="3")
    longer = Text("Maksimilijana Novak-Kotnik", style="bold")  # ends in "…" at its column's edge
    longer.no_wrap, longer.overflow = True, "ellipsis"
    table.add_row(longer, "", "", "", key="4")


@pytest.mark.parametrize("cursor_row", [0, 1, 2, 3])
async def test_quick_cells_look_exactly_like_datatable_cells(cursor_row: int) -> None:
    app = TwoTables()
    async with app.run_test(size=(100, 30)) as pilot:
        plain, quick = app.query_one("#plain", DataTable), app.query_one("#quick", QuickTable)
        for table in (plain, quick):
            fill(table)
            table.move_cursor(row=cursor_row)
        for focused in (True, False):
            drawn = {}
            for table, other in ((plain, quick), (quick, plain)):
                (table if focused else other).focus()
                await pilot.pause()
                drawn[table.id] = [characters(table.render_line(y)) for y in range(6)]
            assert drawn["quick"] == drawn["plain"]
            assert any(char == "J" for char, _ in drawn["quick"][1])  # something was drawn
