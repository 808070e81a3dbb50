"""Footer labels in the UI language: translate a node's bindings when it is created.

``BINDINGS`` are class attributes, fixed when a module is imported, but the language is chosen
at run time (and tests run both). Each screen and widget with bindings calls
:func:`translate_bindings` in ``__init__``; the descriptions and tooltips are English msgids.
"""

from __future__ import annotations

import dataclasses

from textual.dom import DOMNode

from console.i18n import _


def translate_bindings(node: DOMNode) -> None:
    bindings = node._bindings.key_to_bindings  # the instance's own copy (see DOMNode)
    for key, entries in bindings.items():
        bindings[key] = [
            dataclasses.replace(
                binding,
                description=_(binding.description) if binding.description else "",
                tooltip=_(binding.tooltip) if binding.tooltip else "",
            )
            for binding in entries
        ]
