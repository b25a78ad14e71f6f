"""the case's workflow state and timer plan compressed with lz4 on PostgreSQL (14 and newer, built with lz4):
each fired or completed case rewrites its ~15 KB state, and pglz compressing it was most of a sweep's time in
the database. Values already stored stay as they are until next written. SQLite: nothing to do.

Revision ID: 0024_e
Revises: 0024_d
"""
from alembic import op
import sqlalchemy as sa

revision = '0024_e'
down_revision = '0024_d'
branch_labels = None
depends_on = None

COLUMNS = ("state", "timer_plan")


def _lz4_available(bind) -> bool:
    if bind.dialect.name != "postgresql" or bind.dialect.server_version_info < (14,):
        return False
    values = bind.execute(sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")).scalar()
    return bool(values) and "lz4" in values


def _set(method: str) -> None:
    bind = op.get_bind()
    if _lz4_available(bind):
        for column in COLUMNS:
            op.execute(f'ALTER TABLE "case" ALTER COLUMN {column} SET COMPRESSION {method}')


def upgrade() -> None:
    _set("lz4")


def downgrade() -> None:
    _set("pglz")
