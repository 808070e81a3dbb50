"""An Input whose typing does not lay the screen out again.

Textual 8.2.8's Input sets its virtual size to the width of its text whenever the value changes,
and the virtual size is a reactive that asks for a layout of the whole screen. So every key
press in a box re-arranged every widget on the screen before the frame could be drawn: on the
lookup screen, the layout pass cost more than drawing the typed character and the answer.

A box's size does not depend on its text (its width and height come from CSS, unless they are
``auto``, when Input lays out itself as before). So the new virtual size, which only bounds how
far the text scrolls, is set here without that refresh; the box is still repainted for its new
value. The boxes an agent types searches into derive from this one.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Input


class SteadyInput(Input):
    """Input whose typing repaints the box without a layout of the screen.

    Overrides Input's private ``_watch_value`` (listed in
    :data:`widgets.textual_internals.LEANS_ON`)."""

    def _watch_value(self, value: str) -> None:
        # Set the virtual size first (no layout): the Input's own assignment then finds it
        # unchanged. content_width already measures the new value.
        self.set_reactive(Widget.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)
