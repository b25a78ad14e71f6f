"""Alembic environment: the URL comes from the caller (engine.store.migrations) or DATABASE_URL."""
from alembic import context

from engine.store.database import make_engine, default_database_url, normalise_url
from engine.store.models import Base
import os

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    url = normalise_url(config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL") or default_database_url())
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL") or default_database_url()
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
