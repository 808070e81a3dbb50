"""The console's side of the wire: the HTTP client, the desk's Store (its cache, outbox, queued
writes, replay and sync) and the embedded service. README's development section lists the parts.

Nothing here imports Textual: screens call into this package, never the other way round.
"""
