"""SizedTable: rows drawn before their columns were measured are drawn again at the new widths
(Textual 8.2.8's DataTable kept them at the old widths until the cursor passed over them)."""

from __future__ import annotations

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from widgets.floor_agents import AgentsTable
from widgets.floor_panels import SlotFillTable
from widgets.sized_table import SizedTable

DAY, PLACE = "Monday 4. 3. 2030", "UE Ljubljana, Izpostava Center"


class TableApp(App):
    def __init__(self, table_class: type[DataTable]) -> None:
        super().__init__()
        self.table_class = table_class

    def compose(self) -> ComposeResult:
        yield self.table_class(cursor_type="row")


async def drawn_before_and_after_measuring(table_class: type[DataTable]) -> tuple[str, str]:
    app = TableApp(table_class)
    async with app.run_test(size=(100, 10)) as pilot:
        table = app.query_one(DataTable)
        table.add_columns("Day", "Location")
        table.add_row("Tue", "UE Kranj")
        table.add_row("Wed", "UE Celje")
        await pilot.pause()
        # The second row is drawn before the table is idle: its columns are still narrow.
        table.add_row(DAY, PLACE)
        table.move_cursor(row=0)
        early = "".join(segment.text for segment in table.render_line(3))
        # The table measures its columns when idle; the Resize that would also refresh it is
        # a message of its own, which a frame drawn in between does not wait for.
        await table._on_idle(events.Idle())
        late = "".join(segment.text for segment in table.render_line(3))
        return early, late


async def test_rows_drawn_at_the_old_widths_are_drawn_again_once_measured() -> None:
    early, late = await drawn_before_and_after_measuring(SizedTable)
    assert DAY not in early  # drawn while the columns were as wide as "Tue" and "UE Kranj"
    assert DAY in late and PLACE in late


async def test_textuals_own_table_draws_them_at_the_old_widths() -> None:
    """Why SizedTable exists: if this starts failing, Textual fixed it and SizedTable can go."""
    _early, late = await drawn_before_and_after_measuring(DataTable)
    assert DAY not in late


async def test_a_table_of_fixed_widths_is_not_drawn_twice() -> None:
    """Measuring cannot change fixed widths, so rows drawn before it are kept, not redrawn
    (the caller results are refilled on every keystroke)."""
    app = TableApp(SizedTable)
    async with app.run_test(size=(100, 10)):
        table = app.query_one(DataTable)
        table.add_column("Day", width=20)
        table.add_column("Location", width=34)
        table.add_row(DAY, PLACE)
        first = table.render_line(1)
        await table._on_idle(events.Idle())
        again = table.render_line(1)
        assert DAY in first.text and PLACE in first.text
        assert again is first, "the line drawn before measuring is reused"


async def test_a_table_of_fixed_widths_still_measures_row_labels() -> None:
    app = TableApp(SizedTable)
    async with app.run_test(size=(100, 10)):
        table = app.query_one(DataTable)
        table.add_column("Day", width=20)
        table.add_row(DAY, label="12:30")
        await table._on_idle(events.Idle())
        assert "12:30" in table.render_line(1).text
        assert DAY in table.render_line(1).text


# -- every table of the console ----------------------------------------------------------------

LONG = "Mojca Novak-Zupančič"


class OwnTableApp(App):
    def __init__(self, table: DataTable) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        yield self.table


async def drawn_once_measured(table: DataTable) -> str:
    """A row added to ``table`` (with its own columns) drawn before the table measured it,
    then again once it has: the row as drawn then."""
    app = OwnTableApp(table)
    async with app.run_test(size=(200, 10)) as pilot:
        await pilot.pause()
        if not table.columns:  # its columns come with the first floor read
            table.add_columns("Service", "Booked today")
        table.add_row(*["x"] * len(table.columns))
        await pilot.pause()
        table.add_row(*[LONG] * len(table.columns))
        table.render_line(2)  # drawn early (another widget's refresh, e.g. the footer's)
        await table._on_idle(events.Idle())
        return "".join(segment.text for segment in table.render_line(2))


@pytest.mark.parametrize("table", [AgentsTable, SlotFillTable], ids=lambda kind: kind.__name__)
async def test_the_floors_tables_draw_their_rows_at_the_measured_widths(table: type) -> None:
    """The supervisor's floor drew its agents at the columns' label widths in some runs (the
    footer's refresh came before the table measured its rows): its tables are SizedTables."""
    assert LONG in await drawn_once_measured(table())
