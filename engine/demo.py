"""The demo county (响水县): places, users for every role, and sample cases."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import hash_password, load_principal
from .cases import complete_task, start_case
from .clock import Clock
from .forms import with_check_digit
from .deployment import deploy
from .migrate import upgrade
from .models import Case, HumanTask, RoleAssignment, Unit, User

DEMO_PASSWORD = "jiuzhu-demo-2026"
# code, name, [(township code, name, [(village code, name)])]
PLACES = [
    ("320921", "响水县", [
        ("320921100", "响水镇", [("320921100201", "双园村"), ("320921100202", "大河村"), ("320921100003", "城东社区")]),
        ("320921101", "陈家港镇", [("320921101201", "陈港村"), ("320921101202", "海港村"), ("320921101203", "新民村")]),
        ("320921102", "小尖镇", [("320921102201", "小尖村"), ("320921102202", "王商村"), ("320921102203", "裕安村")]),
    ]),
    ("220302", "四平市铁西区", [
        ("220302001", "仁兴街道", [("220302001001", "仁兴社区"), ("220302001002", "站前社区"), ("220302001003", "南仁兴社区")]),
        ("220302002", "英雄街道", [("220302002001", "英雄社区"), ("220302002002", "北英雄社区"), ("220302002003", "东英雄社区")]),
        ("220302003", "北沟街道", [("220302003001", "北沟社区"), ("220302003002", "平安社区"), ("220302003003", "红嘴社区")]),
    ]),
    ("340603", "淮北市相山区", [
        ("340603004", "三堤口街道", [("340603004001", "三堤口社区"), ("340603004002", "铁路社区"), ("340603004003", "石油社区")]),
        ("340603001", "东街街道", [("340603001001", "东街社区"), ("340603001002", "人民路社区"), ("340603001003", "沱河社区")]),
        ("340603002", "南黎街道", [("340603002001", "南黎社区"), ("340603002002", "黎苑社区"), ("340603002003", "南湖社区")]),
    ]),
]
# username, display name, role, unit code
USERS = [
    ("village_sy", "双园村 王会计", "village", "320921100201"),
    ("village_cg", "陈港村 李主任", "village", "320921101201"),
    ("township_xs", "响水镇 张干事", "township", "320921100"),
    ("township_cjg", "陈家港镇 赵干事", "township", "320921101"),
    ("township_xj", "小尖镇 孙干事", "township", "320921102"),
    ("county_mz", "县民政局 周科员", "county", "320921"),
    ("disability_xs", "响水县残联 钱科员", "disability_federation", "320921"),
    ("supervisor", "县民政局 吴科长（监督）", "county_supervisor", "320921"),
    ("community_rx", "仁兴社区 刘书记", "village", "220302001001"),
    ("street_rx", "仁兴街道 高干事", "township", "220302001"),
    ("street_yx", "英雄街道 马干事", "township", "220302002"),
    ("district_tx", "铁西区民政局 于科员", "county", "220302"),
    ("center_tx", "铁西区社会救助中心 郑主任", "district_center", "220302"),
    ("supervisor_tx", "铁西区民政局 冯科长（监督）", "county_supervisor", "220302"),
    ("disability_tx", "铁西区残联 崔科员", "disability_federation", "220302"),
    ("community_stk", "三堤口社区 韩主任", "village", "340603004001"),
    ("street_stk", "三堤口街道 杨干事", "township", "340603004"),
    ("panel_stk", "三堤口街道评审小组 朱组长", "review_panel", "340603004"),
    ("street_dj", "东街街道 秦干事", "township", "340603001"),
    ("district_xsq", "相山区民政局 许科员", "county", "340603"),
    ("supervisor_xsq", "相山区民政局 何科长（监督）", "county_supervisor", "340603"),
    ("disability_xsq", "相山区残联 潘科员", "disability_federation", "340603"),
    ("designer", "流程设计 陈工", "designer", "320921"),
    ("admin", "系统管理员", "admin", "320921"),
]


def sample_application(name: str, id_number: str, incomes: list[float], near_relative: bool = False) -> dict:
    """A valid application form for a household (the first member is the applicant)."""
    relations = ["self", "spouse", "child", "parent", "sibling"]
    members = [{"name": name if i == 0 else f"{name[0]}家成员{i}", "id_number": id_number if i == 0 else _member_id(id_number, i),
                "relation": relations[i % len(relations)], "monthly_income": income} for i, income in enumerate(incomes)]
    return {"applicant_name": name, "applicant_id_number": id_number, "address": "响水县响水镇双园村3组",
            "phone": "0515-86812345", "channel": "village_proxy", "members": members,
            "assets": "无存款，无车辆，自住房一处", "near_relative": near_relative, "authorises_check": True}


def _member_id(base: str, i: int) -> str:
    return with_check_digit(base[:14] + f"{(int(base[14:17]) + i * 2) % 1000:03d}")


def load_places_and_users(session: Session, now: datetime) -> bool:
    """Create the demo counties and their users; False if they already exist."""
    if session.execute(select(Unit.id).where(Unit.code == PLACES[0][0])).first():
        return False
    units: dict[str, Unit] = {}
    for county_code, county_name, townships in PLACES:
        county = units[county_code] = Unit(code=county_code, name=county_name, level="county")
        session.add(county)
        session.flush()
        for township_code, township_name, villages in townships:
            township = units[township_code] = Unit(code=township_code, name=township_name, level="township",
                                                   parent_id=county.id)
            session.add(township)
            session.flush()
            for village_code, village_name in villages:
                units[village_code] = Unit(code=village_code, name=village_name, level="village",
                                           parent_id=township.id)
                session.add(units[village_code])
    session.flush()
    password_hash = hash_password(DEMO_PASSWORD)
    for username, display, role, unit_code in USERS:
        user = User(username=username, display_name=display, password_hash=password_hash, created_at=now)
        session.add(user)
        session.flush()
        session.add(RoleAssignment(user_id=user.id, role=role, unit_id=units[unit_code].id))
    session.commit()
    return True


def principal(session: Session, username: str):
    """The principal of a demo user."""
    return load_principal(session, session.execute(select(User).where(User.username == username)).scalar_one())


def load_sample_cases(session: Session, clock: Clock) -> int:
    """Start a few cases at different steps (only when the county has none yet)."""
    if session.execute(select(Case.id).limit(1)).first():
        return 0
    village = principal(session, "village_sy")
    township = principal(session, "township_xs")
    sy = session.execute(select(Unit.id).where(Unit.code == "320921100201")).scalar_one()
    started = [
        start_case(session, village, clock, "minimum_living_xiangshui", sy,
                   sample_application("王小明", "320921197001011236", [300, 0, 200])),
        start_case(session, village, clock, "minimum_living_xiangshui", sy,
                   sample_application("刘桂英", "320921195503032222", [450], near_relative=True)),
    ]
    task_id = session.execute(select(HumanTask.id).where(HumanTask.case_id == started[0].id,
                                                         HumanTask.status == "open")).scalar_one()
    complete_task(session, township, clock, task_id, {"acceptance_decision": "accepted",
                                                      "accepted_on": clock.today().isoformat()})
    return len(started)


def prepare_store(database, now: datetime) -> None:
    """Migrate a database, deploy the routes and load the demo places and users (tests, benchmarks)."""
    upgrade(database.engine)
    with database.unit_of_work(write=True) as s:
        deploy(s, now)
    with database.unit_of_work(write=True) as s:
        load_places_and_users(s, now)
