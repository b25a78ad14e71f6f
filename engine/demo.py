"""The demo county (响水县): places, users for every role, and sample cases."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import hash_password, load_principal
from .cases import complete_task, start_case
from .clock import Clock
from .models import RoleAssignment, Unit, User

DEMO_PASSWORD = "jiuzhu-demo-2026"
COUNTY = ("320921", "响水县")
TOWNSHIPS = {
    ("320921100", "响水镇"): [("320921100201", "双园村"), ("320921100202", "大河村"), ("320921100003", "城东社区")],
    ("320921101", "陈家港镇"): [("320921101201", "陈港村"), ("320921101202", "海港村"), ("320921101203", "新民村")],
    ("320921102", "小尖镇"): [("320921102201", "小尖村"), ("320921102202", "王商村"), ("320921102203", "裕安村")],
}
# username, display name, role, unit code
USERS = [
    ("village_sy", "双园村 王会计", "village", "320921100201"),
    ("village_cg", "陈港村 李主任", "village", "320921101201"),
    ("township_xs", "响水镇 张干事", "township", "320921100"),
    ("township_cjg", "陈家港镇 赵干事", "township", "320921101"),
    ("township_xj", "小尖镇 孙干事", "township", "320921102"),
    ("county_mz", "县民政局 周科员", "county", "320921"),
    ("supervisor", "县民政局 吴科长（监督）", "county_supervisor", "320921"),
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
    from .forms import _ID_CHECK, _ID_WEIGHTS
    body = base[:14] + f"{(int(base[14:17]) + i * 2) % 1000:03d}"
    return body + _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS)) % 11]


def load_places_and_users(session: Session, now: datetime) -> bool:
    """Create the demo county and its users; False if they already exist."""
    if session.execute(select(Unit.id).where(Unit.code == COUNTY[0])).first():
        return False
    county = Unit(code=COUNTY[0], name=COUNTY[1], level="county")
    session.add(county)
    session.flush()
    units = {county.code: county}
    for (t_code, t_name), villages in TOWNSHIPS.items():
        township = Unit(code=t_code, name=t_name, level="township", parent_id=county.id)
        session.add(township)
        session.flush()
        units[t_code] = township
        for v_code, v_name in villages:
            village = Unit(code=v_code, name=v_name, level="village", parent_id=township.id)
            session.add(village)
            units[v_code] = village
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
    from .models import Case
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
    from .models import HumanTask
    task_id = session.execute(select(HumanTask.id).where(HumanTask.case_id == started[0].id,
                                                         HumanTask.status == "open")).scalar_one()
    complete_task(session, township, clock, task_id, {"acceptance_decision": "accepted",
                                                      "accepted_on": clock.today().isoformat()})
    return len(started)


def prepare_store(database, now: datetime) -> None:
    """Migrate a database, deploy the routes and load the demo places and users (tests, benchmarks)."""
    from .deployment import deploy
    from .migrate import upgrade
    upgrade(database.engine)
    with database.unit_of_work(write=True) as s:
        deploy(s, now)
    with database.unit_of_work(write=True) as s:
        load_places_and_users(s, now)
