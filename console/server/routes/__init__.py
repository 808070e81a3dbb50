"""The HTTP API's routes, one module per resource; each handler stays thin."""
