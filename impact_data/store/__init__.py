"""Storage: the engine, ORM models, migrations, settings and the SQL helpers every query shares.

- `db`: the `Database` (engine, sessions, schema upgrade, data version) and `database_url`.
- `models`: the typed ORM tables; every row that came from a file carries its `upload_id`.
- `settings`: settings kept in the database (the suppression threshold and its rule in words).
- `sql`: the public SQL helpers every query shares (read a frame, limit to a viewer's detail).
- `migrations/`: the Alembic revisions (run by `Database`, never imported directly).
"""

__all__ = ["db", "models", "settings", "sql"]
