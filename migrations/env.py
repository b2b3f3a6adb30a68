"""Alembic environment: migrations own every table of the application database."""

from __future__ import annotations

from alembic import context

from iris_resources.db.engine import create_db_engine
from iris_resources.db.schema import load_all_tables

target_metadata = load_all_tables()


def _url() -> str:
    url = context.config.attributes.get("database_url") or context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return str(url)
    from iris_resources.services.runtime import resolve_urls
    from iris_resources.settings import get_settings

    return resolve_urls(get_settings()).database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_db_engine(_url(), pool_size=1)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
