"""A DataTable that draws its rows again once their columns have been measured.

Textual 8.2.8 measures the columns of newly added rows when the table is next idle. If the
table is drawn before that (on a busy desk, another widget's refresh can come first), its rows
are drawn at the old column widths, and they stay cached that way: the row cache is keyed on
an update count that measuring does not change. The rows stayed truncated (the slot list at
its headers' widths: "pon 08: UE Ljubl") until the cursor or the mouse passed over them.
Every table of the console derives from this one.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import DataTable
from textual.widgets._data_table import RowKey


class SizedTable(DataTable):
    """DataTable whose rows are redrawn after their columns are measured."""

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._update_count += 1  # what was drawn at the old widths is no longer reused
        self.refresh()
