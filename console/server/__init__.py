"""The central service: schema, migrations, storage, the FastAPI routes, the demo seed."""
