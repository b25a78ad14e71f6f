"""Places, people and rules are data an installation changes: places and users load idempotently from
files, and every bad file is refused with its file and line, loading nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from engine.people.accounts import authenticate
from engine.people.directory import load_places, load_users, read_places, read_users
from engine.errors import DataFileInvalid
from engine.store.models import RoleAssignment, Unit, User
from engine.catalogue import rules

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


@pytest.fixture(autouse=True)
def scratch_county(db):
    """The places and users these tests load are removed afterwards (the store is shared)."""
    yield
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        ids = s.execute(select(Unit.id).where(Unit.code.like("320999%"))).scalars().all()
        s.execute(delete(RoleAssignment).where(RoleAssignment.unit_id.in_(ids)))
        s.execute(delete(User).where(User.username == "clerk_one"))
        for level in ("village", "township", "county"):
            s.execute(delete(Unit).where(Unit.id.in_(ids), Unit.level == level))
        uow.commit()


def county_file(path: Path, townships: int = 20, villages: int = 20, name_suffix: str = "") -> Path:
    lines = ['[[county]]', 'code = "320999"', 'name = "演示县"', '']
    for t in range(townships):
        lines += ['[[county.township]]', f'code = "320999{100 + t:03d}"', f'name = "第{t + 1}镇{name_suffix}"',
                  'villages = [']
        lines += [f'  {{ code = "320999{100 + t:03d}{200 + v:03d}", name = "第{t + 1}镇{v + 1}村" }},'
                  for v in range(villages)]
        lines += [']', '']
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def unit_count(db, level: str) -> int:
    with db.unit_of_work() as uow:
        s = uow.session
        return s.execute(select(func.count()).select_from(Unit).where(Unit.level == level,
                                                                      Unit.code.like("320999%"))).scalar_one()


def test_a_county_of_20_townships_and_400_villages_loads_once_however_often(db, tmp_path):
    path = county_file(tmp_path / "county.toml")
    for expected_created in (421, 0):
        with db.unit_of_work(write=True) as uow:
            s = uow.session
            report = load_places(s, read_places(path))
            uow.commit()
        assert len(report.created) == expected_created
    assert (unit_count(db, "county"), unit_count(db, "township"), unit_count(db, "village")) == (1, 20, 400)
    # A renamed township is updated in place, not duplicated.
    county_file(path, townships=1, villages=0, name_suffix="（更名）")
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        report = load_places(s, read_places(path))
        uow.commit()
    assert report.updated == ["320999100"] and unit_count(db, "township") == 20
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(Unit.name).where(Unit.code == "320999100")).scalar_one() == "第1镇（更名）"


def test_a_place_outside_its_parent_is_refused_with_its_line_and_nothing_loads(db, tmp_path):
    path = county_file(tmp_path / "county.toml", townships=2, villages=3)
    text = path.read_text(encoding="utf-8").replace('code = "320999101201"', 'code = "320921101201"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileInvalid) as refused:
        read_places(path)
    [problem] = refused.value.problems
    assert problem.line == text.splitlines().index('  { code = "320921101201", name = "第2镇2村" },') + 1
    assert "不属于上级" in problem.message_zh
    assert unit_count(db, "village") == 0


def test_users_load_idempotently_and_a_reload_changes_roles_but_never_passwords(db, tmp_path, clock):
    places = county_file(tmp_path / "county.toml", townships=2, villages=1)
    users = tmp_path / "users.toml"
    users.write_text('''
[[user]]
username = "clerk_one"
display_name = "第一镇 窗口"
roles = [{ role = "township", unit = "320999100" }]
''', encoding="utf-8")
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        load_places(s, read_places(places))
        report = load_users(s, read_users(users, s), clock.now())
        uow.commit()
    password = report.generated_passwords["clerk_one"]
    assert len(password) >= 12
    users.write_text(users.read_text(encoding="utf-8").replace('unit = "320999100"', 'unit = "320999101"'),
                     encoding="utf-8")
    for _ in range(2):
        with db.unit_of_work(write=True) as uow:
            s = uow.session
            report = load_users(s, read_users(users, s), clock.now())
            uow.commit()
    assert report.unchanged == 1 and not report.generated_passwords
    with db.unit_of_work() as uow:
        s = uow.session
        principal = authenticate(s, "clerk_one", password)
        assert principal is not None
        roles = s.execute(select(RoleAssignment.role, Unit.code).join(Unit).join(User)
                          .where(User.username == "clerk_one")).all()
    assert roles == [("township", "320999101")]


def test_a_user_whose_unit_is_unknown_is_refused_with_its_line(db, tmp_path):
    users = tmp_path / "users.toml"
    users.write_text('[[user]]\nusername = "ghost"\ndisplay_name = "无此单位"\n'
                     'roles = [{ role = "township", unit = "999999999" }]\n', encoding="utf-8")
    with db.unit_of_work() as uow:
        s = uow.session
        with pytest.raises(DataFileInvalid) as refused:
            read_users(users, s)
    assert refused.value.problems[0].line == 4 and "请先载入区划" in refused.value.problems[0].message_zh


def test_an_unknown_model_in_counties_toml_is_refused_with_its_line(tmp_path):
    (tmp_path / "catalog.toml").write_text((PROCESSES / "catalog.toml").read_text(encoding="utf-8"), encoding="utf-8")
    text = (PROCESSES / "counties.toml").read_text(encoding="utf-8").replace('model = "santidikou"',
                                                                             'model = "santidikuo"')
    (tmp_path / "counties.toml").write_text(text, encoding="utf-8")
    with pytest.raises(DataFileInvalid) as refused:
        rules.counties(tmp_path)
    [problem] = refused.value.problems
    assert problem.line == text.splitlines().index('model = "santidikuo"') + 1
    assert "santidikuo" in problem.message and "未知的审批模式" in problem.message_zh and "national" in problem.message


BY_TYPE = "review_interval_months_by_type = { extreme_poverty = 12, old_age_allowance = 12 }"
DEATH = "death_review_months_by_type = { minimum_living = 3 }"
LIMITS = ("time_limit_wd_by_type = { extreme_poverty = 35, disability_subsidy = 35, low_income = 30, "
          "temporary_assistance = 30, rigid_expenditure = 30 }")
SOURCE = 'democratic_appraisal = "民发〔2021〕57号第十九条：公示有异议的，重新调查或民主评议"'
ASSUMED = ('"time_limit_wd_by_type.low_income" = "低保边缘家庭认定办法的程序未查到：按低保未下放时的30个工作日'
           '（民发〔2021〕57号第二十二条）"')
OWN_RULES = 'township = "340603004"               # 三堤口街道: its own model and rules'


@pytest.mark.parametrize("broken, expected", [
    ('publicity_unit = "d"', 'publicity_unit = "days"'),       # not d / wd
    ("time_limit_wd = 20", 'time_limit_wd = "twenty"'),         # not a number
    ("democratic_appraisal = \"on_objection\"", "democratic_appraisal = \"sometimes\""),
    # a cadence of its own for a one-off payment (never reviewed), and one of no months
    (BY_TYPE, BY_TYPE.replace("extreme_poverty", "temporary_assistance")),
    (BY_TYPE, BY_TYPE.replace("= 12,", "= 0,")),
    # a death review for a one-off payment, one of no months, one of a word
    (DEATH, DEATH.replace("minimum_living", "temporary_assistance")),
    (DEATH, DEATH.replace("= 3", "= 0")),
    (DEATH, DEATH.replace("= 3", '= "three"')),
    # a limit for a type the catalogue does not have; a source or assumption about no value of the entry;
    # a township's own rules naming a township of another county
    (LIMITS, LIMITS.replace("low_income", "low_incme")),
    (SOURCE, SOURCE.replace("democratic_appraisal", "democratic_apraisal")),
    (ASSUMED, ASSUMED.replace("low_income", "orphan")),
    (OWN_RULES, OWN_RULES.replace("340603004", "320921100")),
])
def test_a_county_rule_of_the_wrong_shape_is_refused_with_its_line(tmp_path, broken, expected):
    (tmp_path / "catalog.toml").write_text((PROCESSES / "catalog.toml").read_text(encoding="utf-8"), encoding="utf-8")
    text = (PROCESSES / "counties.toml").read_text(encoding="utf-8").replace(broken, expected, 1)
    (tmp_path / "counties.toml").write_text(text, encoding="utf-8")
    with pytest.raises(DataFileInvalid) as refused:
        rules.counties(tmp_path)
    assert refused.value.problems[0].line == text.splitlines().index(expected) + 1


def test_a_catalog_variant_without_a_process_is_refused(tmp_path):
    text = (PROCESSES / "catalog.toml").read_text(encoding="utf-8").replace(
        'variants.national = { process_id = "low_income_national",', 'variants.national = { process = "low_income_national",')
    (tmp_path / "catalog.toml").write_text(text, encoding="utf-8")
    with pytest.raises(DataFileInvalid) as refused:
        rules.catalog(tmp_path)
    assert refused.value.problems[0].line == next(i for i, l in enumerate(text.splitlines(), 1)
                                                  if 'process = "low_income_national"' in l)


def test_the_cli_loads_places_and_refuses_a_bad_file_with_exit_status_1(db, db_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": os.getcwd()}
    path = county_file(tmp_path / "county.toml", townships=3, villages=2)
    ok = subprocess.run([sys.executable, "-m", "webapp.cli", "load-places", str(path)], env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "10 created" in ok.stdout, ok.stderr
    path.write_text(path.read_text(encoding="utf-8").replace('name = "第1镇"', 'name = ""'), encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "webapp.cli", "load-places", str(path)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "county.toml:7" in bad.stderr and "未载入任何内容" in bad.stderr


def test_a_county_lies_in_the_province_its_code_begins_with_and_the_province_supervises_it(db, tmp_path):
    from engine.people.accounts import principal_of
    path = county_file(tmp_path / "county.toml", townships=1, villages=1)
    path.write_text('[[province]]\ncode = "32"\nname = "江苏省"\n\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        report = load_places(s, read_places(path))
        uow.commit()
    assert "32" not in report.created and "32" not in report.updated  # stored already, unchanged
    with db.unit_of_work() as uow:
        s = uow.session
        province = s.execute(select(Unit.id).where(Unit.code == "32", Unit.level == "province")).scalar_one()
        county = s.execute(select(Unit).where(Unit.code == "320999")).scalar_one()
        assert county.parent_id == province
        assert county.id in principal_of(s, "province_js").units_for("county_supervisor")
        assert county.id not in principal_of(s, "supervisor").units_for("county_supervisor")
    # A province's code has 2 digits, and appears once; nothing loads.
    for bad, message in (('[[province]]\ncode = "320"\nname = "错"\n\n', "'320' does not match"),
                         ('[[province]]\ncode = "32"\nname = "江苏省"\n\n' * 2, "重复")):
        path.write_text(bad + county_file(tmp_path / "plain.toml", 1, 1).read_text(encoding="utf-8"), encoding="utf-8")
        with pytest.raises(DataFileInvalid) as refused:
            read_places(path)
        [problem] = refused.value.problems
        assert message in problem.message_zh
