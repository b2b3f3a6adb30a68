"""Migrations own the schema: the migrated database matches the tables the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from iris_resources.db.schema import load_all_tables


def test_migrated_schema_matches_the_declared_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, load_all_tables())
    assert differences == []


def test_the_database_is_at_the_head_revision(engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    from iris_resources.db.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("postgresql://unused/x")).get_current_head()
    with engine.connect() as connection:
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert current == head
