"""Importers for the doctor directory: the insurer's (ZZZS) lists and Sledilnik's copy.

- :mod:`.zzzs` and :mod:`.sledilnik` read the files exactly as published;
- :mod:`.load_zzzs` and :mod:`.load_sledilnik` apply them on a connection (one transaction);
- :mod:`.load` reads files and applies them, for the command line.
"""

from console.server.importers.errors import ListFormatError
from console.server.importers.load import import_lists, import_sledilnik
from console.server.importers.results import ImportResult, Outcome

__all__ = ["ImportResult", "ListFormatError", "Outcome", "import_lists", "import_sledilnik"]
