"""The Alembic migrations create exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine.store.models import Base


def test_models_and_migrations_agree(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_the_case_state_is_compressed_with_lz4_on_postgresql(db):
    """Migration 0024_e: the hot TOASTed columns are lz4 where the server offers it (pglz took most of a sweep's
    database time); SQLite has nothing of the kind."""
    if not db.is_postgres:
        return
    with db.engine.connect() as conn:
        offered = "lz4" in (conn.exec_driver_sql(
            "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'").scalar() or [])
        methods = dict(conn.exec_driver_sql(
            "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = '\"case\"'::regclass "
            "AND attname IN ('state', 'timer_plan')").all())
    assert methods == ({"state": "l", "timer_plan": "l"} if offered else {"state": "", "timer_plan": ""})
