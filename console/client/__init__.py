"""The console's side of the wire: the HTTP client, the embedded service, (later) cache and outbox.

Nothing here imports Textual: screens call into this package, never the other way round.
"""
