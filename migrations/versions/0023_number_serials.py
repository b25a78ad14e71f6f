"""文号 counters keyed by the number's own prefix: a document, receipt, transfer, meeting or report number
``<prefix>〔year〕n号`` now counts on the counter of its prefix text (``no:<prefix>:<year>``) rather than on its
county's or unit's id, so two counties whose names begin with the same character (an admin may add one) or
two townships of one name never issue the same number. Each old counter is carried over to its prefix's
(the highest where several meet), so no number already issued comes again.

Revision ID: 0023_number_serials
Revises: 0020_bench
"""
from alembic import op
import sqlalchemy as sa

revision = '0023_number_serials'
down_revision = '0020_bench'
branch_labels = None
depends_on = None

JOINT_REVIEW_REPORT_CODE = '救报'   # documents.KINDS['joint_review_report'] when this migration was written


def _new_key(old: str, names: dict[int, str]) -> str | None:
    parts = old.split(':')
    try:
        if parts[0] == 'doc' and len(parts) == 4:          # doc:<county>:<code>:<year>
            prefix, year = f"{names[int(parts[1])][:1]}民{parts[2]}", parts[3]
        elif parts[0] == 'window' and len(parts) == 4:     # window:<county>:receipt|transfer:<year>
            word = {'receipt': '救受', 'transfer': '救转'}[parts[2]]
            prefix, year = f"{names[int(parts[1])][:1]}{word}", parts[3]
        elif parts[0] == 'joint_review' and len(parts) == 3:
            prefix, year = f"{names[int(parts[1])][:1]}救会", parts[2]
        elif parts[0] == 'joint_review_report' and len(parts) == 3:
            prefix, year = f"{names[int(parts[1])][:1]}民{JOINT_REVIEW_REPORT_CODE}", parts[2]
        elif parts[0] == 'panel' and len(parts) == 3:      # panel:<unit>:<year>
            prefix, year = f"{names[int(parts[1])]}评审", parts[2]
        else:
            return None
    except (KeyError, ValueError):
        return None
    return f"no:{prefix[:70]}:{year}"


def upgrade() -> None:
    bind = op.get_bind()
    sequence = sa.table('number_sequence', sa.column('key', sa.String), sa.column('value', sa.BigInteger))
    unit = sa.table('unit', sa.column('id', sa.Integer), sa.column('name', sa.String))
    names = dict(bind.execute(sa.select(unit.c.id, unit.c.name)).all())
    rows = bind.execute(sa.select(sequence.c.key, sequence.c.value)).all()
    carried: dict[str, int] = {}
    for key, value in rows:
        new = _new_key(key, names)
        if new is not None:
            carried[new] = max(carried.get(new, 0), value)
    existing = {key: value for key, value in rows}
    for key, value in carried.items():
        if key in existing:
            bind.execute(sa.update(sequence).where(sequence.c.key == key).values(value=max(value, existing[key])))
        else:
            bind.execute(sa.insert(sequence).values(key=key, value=value))


def downgrade() -> None:
    pass  # the old counters are left in place; a downgraded installation counts on from them
