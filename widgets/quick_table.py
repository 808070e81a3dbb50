"""A DataTable whose one-line body cells render straight to segments.

Textual's DataTable renders every cell through Rich's layout machinery (``Padding`` inside
``Styled``, measured and wrapped by ``Console.render_lines``). For the tables an agent types
into, the table is refilled on every keystroke, so that cost lands between the key press and the
results on screen: it was most of the ~20 ms a frame took on the lookup screen. Body cells that
are one line of text (all of ours) are cropped, aligned and padded directly here, producing the
same segments; headers, row labels, fixed cells, multi-line rows and non-text renderables still
go through DataTable's own path. ``tests/tui`` snapshot tests guard that the output is unchanged.

While the table draws its lines (one frame), its style and its rows' styles are worked out
once instead of for every line: DataTable asks for them on each line, and each answer walks
the widget's ancestors to blend their backgrounds (a quarter of the drawing time).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip

from widgets.sized_table import SizedTable
from widgets.textual_internals import CellCacheKey

SegmentLines = list[list[Segment]]


class QuickTable(SizedTable):
    """DataTable with a fast path for one-line text cells."""

    _frame_styles: dict[object, Style] | None = None  # while drawing: styles worked out once

    def render_lines(self, crop: Region) -> list[Strip]:
        self._frame_styles = {}
        try:
            return super().render_lines(crop)
        finally:
            self._frame_styles = None

    @property
    def rich_style(self) -> Style:
        styles = self._frame_styles
        if styles is None:
            return super().rich_style
        style = styles.get("widget")
        if style is None:
            style = styles["widget"] = super().rich_style
        return style

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        styles = self._frame_styles
        if styles is None or row_index < self.fixed_rows:  # also the header (-1)
            return super()._get_row_style(row_index, base_style)
        key = (row_index % 2 if self.zebra_stripes else None, base_style)
        style = styles.get(key)
        if style is None:
            style = styles[key] = super()._get_row_style(row_index, base_style)
        return style

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> SegmentLines:
        if (
            row_index < self.fixed_rows  # also the header (-1)
            or column_index < self.fixed_columns  # also the row labels (-1)
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        row = self.rows.get(row_key) if row_key is not None else None
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or row is None or row.height != 1 or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cache_key: CellCacheKey = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cache = self._cell_render_cache
        if cache_key in cache:
            return cache[cache_key]
        _label, cells = self._get_row_renderables(row_index)
        cell = cells[column_index]
        if not isinstance(cell, Text) or "\n" in cell.plain:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)

        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index})
        pre_style += component_style
        padding = self.cell_padding
        inner = max(width - 2 * padding, 0)
        text = cell.copy()
        text.end = ""
        # Cut at the column's edge; a cell that asks for it (one line, ``overflow="ellipsis"``)
        # ends in "…" there, as DataTable draws it.
        ellipsis = text.no_wrap and text.overflow == "ellipsis"
        text.truncate(inner, overflow="ellipsis" if ellipsis else "crop")
        space = max(inner - text.cell_len, 0)
        left = {"right": space, "center": space // 2}.get(str(text.justify), 0)
        segments = list(text.render(self.app.console))
        if not text.spans and text.style:  # Text.render leaves the base style to its caller
            base = self.app.console.get_style(text.style)
            segments = [Segment(segment.text, base) for segment in segments]
        line = [
            Segment(" " * (padding + left)),
            *segments,
            Segment(" " * (padding + space - left)),
        ]
        line = list(Segment.apply_style(line, pre_style, post_style))
        lines = [Segment.adjust_line_length(line, width, style=pre_style + post_style)]
        cache[cache_key] = lines
        return lines
