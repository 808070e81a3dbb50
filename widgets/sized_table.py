"""A DataTable that draws its rows again once their columns have been measured.

Textual 8.2.8 measures the columns of newly added rows when the table is next idle. If the
table is drawn before that (on a busy desk, another widget's refresh can come first), its rows
are drawn at the old column widths, and they stay cached that way: the row cache is keyed on
an update count that measuring does not change. The rows stayed truncated (the slot list at
its headers' widths: "pon 08: UE Ljubl") until the cursor or the mouse passed over them.
Every table of the console derives from this one. Rows are drawn again only when measuring
changed a width: tables with fixed column widths (the caller results, refilled on every
keystroke) are not drawn twice for nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey


class SizedTable(DataTable):
    """DataTable whose rows are redrawn after their columns are measured."""

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        if not any(column.auto_width for column in self.columns.values()):
            # Every column has a fixed width: measuring the cells changes nothing (it took ~3
            # ms for each answer on the lookup screen). Rows with a label or an automatic
            # height are still measured: their label column and height depend on them.
            new_rows = [key for key in new_rows if self._needs_measuring(key)]
        before = self._render_widths()
        super()._update_dimensions(new_rows)
        if self._render_widths() != before:
            self._update_count += 1  # what was drawn at the old widths is no longer reused
            self.refresh()

    def _needs_measuring(self, row_key: RowKey) -> bool:
        row = self.rows.get(row_key)
        return row is not None and (row.label is not None or row.auto_height)

    def _render_widths(self) -> tuple[int, ...]:
        """The widths the rows are drawn at: the row labels' and each column's."""
        return (
            self._row_label_column_width,
            *(column.get_render_width(self) for column in self.ordered_columns),
        )

    def fit_columns(self, widths: Mapping[str, int]) -> None:
        """Give the columns (by key) these fixed widths, e.g. the room a resize left: the rows
        are drawn again at them, and the scrollable width follows."""
        changed = False
        for key, width in widths.items():
            column = self.columns[ColumnKey(key)]
            if column.width != width or column.auto_width:
                column.width, column.auto_width = width, False
                changed = True
        if changed:
            self._clear_caches()
            self._update_count += 1
            self._require_update_dimensions = True  # the virtual size, when next idle
            self.refresh(layout=True)
