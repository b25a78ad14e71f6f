"""places gain a province level (省) above the counties: one province unit per province whose code begins a
stored county's code, each such county put under it (a city level, 地级市, is skipped: supervision runs
county → province)

Revision ID: 0024_d
Revises: 0023_a
"""
from alembic import op
import sqlalchemy as sa

revision = '0024_d'
down_revision = '0024_b'
branch_labels = None
depends_on = None

# The provinces of the national administrative codes (GB/T 2260), by their two leading digits.
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区", "21": "辽宁省",
    "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省",
    "35": "福建省", "36": "江西省", "37": "山东省", "41": "河南省", "42": "湖北省", "43": "湖南省",
    "44": "广东省", "45": "广西壮族自治区", "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省",
    "53": "云南省", "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省",
    "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
}
UNIT = sa.table("unit", sa.column("id", sa.Integer), sa.column("code", sa.String), sa.column("name", sa.String),
                sa.column("level", sa.String), sa.column("parent_id", sa.Integer))
ROLE = sa.table("role_assignment", sa.column("unit_id", sa.Integer))


def upgrade() -> None:
    bind = op.get_bind()
    counties = bind.execute(sa.select(UNIT.c.id, UNIT.c.code).where(UNIT.c.level == "county",
                                                                     UNIT.c.parent_id.is_(None))).all()
    for prefix in sorted({code[:2] for _id, code in counties if code[:2] in PROVINCES}):
        province_id = bind.execute(sa.select(UNIT.c.id).where(UNIT.c.code == prefix)).scalar()
        if province_id is None:
            bind.execute(sa.insert(UNIT).values(code=prefix, name=PROVINCES[prefix], level="province"))
            province_id = bind.execute(sa.select(UNIT.c.id).where(UNIT.c.code == prefix)).scalar_one()
        bind.execute(sa.update(UNIT).where(UNIT.c.level == "county", UNIT.c.parent_id.is_(None),
                                           UNIT.c.code.like(prefix + "%")).values(parent_id=province_id))


def downgrade() -> None:
    bind = op.get_bind()
    provinces = sa.select(UNIT.c.id).where(UNIT.c.level == "province").scalar_subquery()
    bind.execute(sa.update(UNIT).where(UNIT.c.parent_id.in_(provinces)).values(parent_id=None))
    bind.execute(sa.delete(ROLE).where(ROLE.c.unit_id.in_(provinces)))
    bind.execute(sa.delete(UNIT).where(UNIT.c.level == "province"))
