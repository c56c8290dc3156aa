"""Storage: the engine, ORM models, migrations, settings and the SQL helpers every query shares."""
