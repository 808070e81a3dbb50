"""Footer labels in the UI language: translate a node's bindings when it is created.

``BINDINGS`` are class attributes, fixed when a module is imported, but the language is chosen
at run time (and tests run both). Each screen and widget with bindings calls
:func:`translate_bindings` in ``__init__``; the descriptions, tooltips and group labels are
English msgids.
"""

from __future__ import annotations

import dataclasses

from textual.binding import Binding
from textual.dom import DOMNode

from console.i18n import _
from widgets.textual_internals import bindings_of


def translate_bindings(node: DOMNode) -> None:
    bindings = bindings_of(node).key_to_bindings
    for key, entries in bindings.items():
        bindings[key] = [
            dataclasses.replace(
                binding,
                description=_(binding.description) if binding.description else "",
                tooltip=_(binding.tooltip) if binding.tooltip else "",
                group=(
                    Binding.Group(_(binding.group.description), binding.group.compact)
                    if binding.group is not None
                    else None
                ),
            )
            for binding in entries
        ]
