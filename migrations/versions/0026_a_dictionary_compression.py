"""SQLite: workflow states and document bodies recompressed with the preset dictionaries workflow-1 and
document-1 (engine/store/compression.py; issue 14: a state ~1.75 KB → ~0.7 KB, a body ~550 B → well under
200 B). The code reads either form, so the upgrade only saves space; the downgrade writes plain zlib again, the
form the code before it reads. PostgreSQL stores text that TOAST compresses: nothing to do there.

Revision ID: 0026_a
Revises: 0025_a
"""
from alembic import op
import sqlalchemy as sa

from engine.store.compression import DICTIONARY_DIR, compress_with, decompress

revision = '0026_a'
down_revision = '0025_a'
branch_labels = None
depends_on = None

# (table, column, the dictionary this revision writes): named by file, so a later dictionary changes nothing here.
COLUMNS = (('"case"', "state", "workflow-1.txt"), ("document", "body", "document-1.txt"))
BATCH = 500


def _recompress(to_dictionary: bool) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for table, column, name in COLUMNS:
        dictionary = (DICTIONARY_DIR / name).read_bytes() if to_dictionary else None
        last = 0
        while True:
            rows = conn.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE id > :last AND "
                                        f"typeof({column}) = 'blob' ORDER BY id LIMIT {BATCH}"),
                                {"last": last}).all()
            if not rows:
                break
            conn.execute(sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
                         [{"id": id_, "value": compress_with(decompress(value), dictionary)} for id_, value in rows])
            last = rows[-1][0]


def upgrade() -> None:
    _recompress(to_dictionary=True)


def downgrade() -> None:
    _recompress(to_dictionary=False)
