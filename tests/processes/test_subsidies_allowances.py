"""两项补贴, 尊老金 and 低收入家庭认定: every route walked through its gateways by the people of each model.

Places: 双园村 (响水, Xiangshui model), 仁兴社区 (四平铁西, Siping model: low-income on its own
route, the two subsidies and the old-age allowance on the national one) and 东街社区 (相山区,
national default). Each walk asserts who did each step and what the documents say.
"""
from __future__ import annotations

from datetime import date

import pytest

import engine.catalogue.rules
from sqlalchemy import delete, select

from engine.cases.lifecycle import start_application
from engine.catalogue.forms import with_check_digit
from engine.store.models import Case, CaseEvent, Document, HumanTask, RoleAssignment, Sequence, Unit, User
from engine.catalogue.rules import process_for
from tests.conftest import START
from tests.factories import DONGJIE, LANE_USERS, RENXING, SHUANGYUAN, Walk, start

pytestmark = pytest.mark.usefixtures("db")

# 残联 users for 铁西区 and 相山区: the demo data has one only in 响水县 (see the report).
EXTRA_USERS = [("disability_tx", "铁西区残联 测试员", "disability_federation", "220302"),
               ("disability_xsq", "相山区残联 测试员", "disability_federation", "340603")]


def documents(db, case_id) -> dict[str, Document]:
    with db.unit_of_work() as uow:
        s = uow.session
        return {d.kind: d for d in s.execute(select(Document).where(Document.case_id == case_id)).scalars()}


def steps(w: Walk, *names: str) -> list[str]:
    """Do each step with its default data; the usernames who did them."""
    return [w.do(name) for name in names]


def roles(w: Walk) -> dict[str, str]:
    return {t.task_name: t.role for t in w.open_tasks()}


def quiet_publicity(w: Walk, clock) -> None:
    assert not w.fire_timers(), "publicity must not end before its period"
    clock.advance(days=7, minutes=1)
    assert w.fire_timers()


def test_each_place_runs_its_models_route():
    on = date(2026, 9, 15)
    expected = {
        ("disability_subsidy", SHUANGYUAN): "disability_subsidy_xiangshui",
        ("disability_subsidy", RENXING): "disability_subsidy_national",
        ("disability_subsidy", DONGJIE): "disability_subsidy_national",
        ("old_age_allowance", SHUANGYUAN): "old_age_allowance_xiangshui",
        ("old_age_allowance", RENXING): "old_age_allowance_national",
        ("old_age_allowance", DONGJIE): "old_age_allowance_national",
        ("low_income", SHUANGYUAN): "low_income_national",
        ("low_income", RENXING): "low_income_siping",
        ("low_income", DONGJIE): "low_income_national",
    }
    for (kind, village), process_id in expected.items():
        assert process_for(kind, village[:6], village[:9], on) == process_id, (kind, village)


# --- 两项补贴 ---------------------------------------------------------------------
XS_DISABLED = with_check_digit("32092119700315123")
DJ_DISABLED = with_check_digit("34060319851102201")
RX_DISABLED = with_check_digit("22030219900708402")

DISABILITY_FORMS = {
    "acceptance": {"acceptance_decision": "accepted", "accepted_on": "2026-09-15"},
    "supplement": {"supplied_materials": "第二代残疾人证复印件", "supplied_on": "2026-09-16"},
    "township_review": {"disability_review_household_checked": True, "disability_review_opinion": "eligible",
                        "disability_reviewed_on": "2026-09-16"},
    "publicity": {"objection_summary": "邻居反映申请人已外出务工", "objection_lodged_on": "2026-09-18"},
    "objection_check": {"disability_objection_upheld": False, "disability_objection_findings": "经核查，申请人在家居住"},
    "federation_check": {"disability_certificate_valid": True, "disability_verified_category": "physical",
                         "disability_verified_level": 1, "disability_federation_checked_on": "2026-09-24"},
    "inform_ineligible": {"disability_refusal_reasons": "不符合补贴条件", "disability_refusal_notified_on": "2026-09-25"},
    "township_approval": {"disability_subsidy_decision": "approved", "disability_subsidy_decided_on": "2026-09-25"},
    "county_approval": {"disability_subsidy_decision": "approved", "disability_subsidy_decided_on": "2026-09-28"},
}


def disability_application(id_number, category="physical", level=1, household="dibao", requested="both",
                           name="陈志强", address="响水县响水镇双园村5组"):
    return {"applicant_name": name, "applicant_id_number": id_number, "applied_on": "2026-09-15",
            "address": address, "disability_certificate_number": id_number + {
                "visual": "1", "hearing": "2", "speech": "3", "physical": "4", "intellectual": "5", "mental": "6",
                "multiple": "7"}[category] + str(level),
            "disability_category": category, "disability_level": level, "household_status": household,
            "disability_subsidy_requested": requested, "disability_declaration_true": True}


@pytest.fixture
def disability(db, clock, who, unit_id):
    def go(village=SHUANGYUAN, process_id="disability_subsidy_xiangshui", **application):
        id_number = {SHUANGYUAN: XS_DISABLED, DONGJIE: DJ_DISABLED, RENXING: RX_DISABLED}[village]
        return start(db, clock, who, unit_id, village=village, process_id=process_id,
                     data=disability_application(id_number, **application), form_data=DISABILITY_FORMS)
    return go


def test_disability_xiangshui_township_approves_after_the_federation_check(db, disability):
    w = disability()
    assert w.open_names() == ["acceptance"] and roles(w) == {"acceptance": "township"}
    assert w.do("acceptance") == "township_xs"
    assert roles(w) == {"federation_check": "disability_federation"}
    assert w.open_tasks()[0].unit_id != w.case().township_id, "the county 残联 does the check, not the township"
    assert w.do("federation_check") == "disability_xs"
    case = w.case()
    # 2024 rates of the Xiangshui table: living 100, nursing 120 for 一级 (肢体一级, 低保家庭).
    assert case.summary["monthly_amount"] == 220.0 and case.summary["payment_from"] == "2026-09-01"
    assert w.open_names() == ["township_approval"]
    assert w.do("township_approval") == "township_xs"
    case = w.case()
    assert case.status == "completed" and case.outcome == "end_approved"
    assert [e.task_name for e in w.events() if e.kind == "task_completed"] == [
        "acceptance", "federation_check", "township_approval"]
    notice = documents(db, w.case_id)["disability_subsidy_approval_notice"]
    assert notice.number == "响民残补〔2026〕1号" and notice.title == "困难残疾人两项补贴审批通知书"
    body = notice.body
    assert "陈志强" in body and XS_DISABLED not in body
    assert XS_DISABLED[:6] + "********" + XS_DISABLED[-4:] in body
    assert "肢体残疾一级" in body and "困难残疾人生活补贴</td><td>100.00" in body
    assert "重度残疾人护理补贴</td><td>120.00" in body and "合计</td><td>220.00" in body
    assert "2026-09 起计发" in body and "响水县响水镇人民政府" in body and w.number in body


def test_disability_xiangshui_incomplete_then_not_accepted(db, disability):
    w = disability()
    w.do("acceptance", acceptance_decision="incomplete", missing_materials="缺少第二代残疾人证")
    assert roles(w) == {"supplement": "village"}
    assert w.do("supplement") == "village_sy"
    assert w.open_names() == ["acceptance"]
    w.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="户籍不在本镇")
    assert w.case().outcome == "end_not_accepted"
    notice = documents(db, w.case_id)["disability_subsidy_refusal_notice"]
    assert notice.number == "响民残不〔2026〕1号"
    assert "决定不予受理" in notice.body and "户籍不在本镇" in notice.body and "响水镇人民政府" in notice.body
    assert XS_DISABLED not in notice.body


def test_disability_xiangshui_invalid_certificate_is_refused_in_writing(db, disability):
    w = disability()
    w.do("acceptance")
    w.do("federation_check", disability_certificate_valid=False,
         disability_federation_notes="残疾人证已过有效期")
    assert w.case().summary["monthly_amount"] == 0
    assert roles(w) == {"inform_ineligible": "township"}
    assert w.do("inform_ineligible", disability_refusal_reasons="残疾人证已过有效期，不符合补贴条件") == "township_xs"
    assert w.case().outcome == "end_ineligible"
    body = documents(db, w.case_id)["disability_subsidy_refusal_notice"].body
    assert "决定不予批准" in body and "残疾人证已过有效期" in body and "未通过核验" in body


def test_disability_xiangshui_township_may_refuse(db, disability):
    w = disability(household="low_income", requested="both", category="mental", level=3)
    w.do("acceptance")
    w.do("federation_check", disability_verified_category="mental", disability_verified_level=3)
    # Not a 低保 household: no living subsidy; 精神三级 qualifies for nursing at the "other" rate.
    assert w.case().summary["monthly_amount"] == 100.0
    w.do("township_approval", disability_subsidy_decision="rejected",
         disability_subsidy_decision_reasons="已享受特困人员照料护理补贴")
    assert w.case().outcome == "end_refused"
    docs = documents(db, w.case_id)
    assert set(docs) == {"disability_subsidy_refusal_notice"}
    body = docs["disability_subsidy_refusal_notice"].body
    assert "已享受特困人员照料护理补贴" in body and "精神残疾三级" in body and "响水县响水镇人民政府" in body


def test_disability_national_township_reviews_federation_checks_county_approves(db, disability, clock):
    w = disability(village=DONGJIE, process_id="disability_subsidy_national", household="other",
                   requested="nursing", category="intellectual", level=3, name="周晓",
                   address="淮北市相山区东街社区")
    assert steps(w, "acceptance", "township_review") == ["street_dj", "street_dj"]
    assert roles(w) == {"publicity": "township"}
    quiet_publicity(w, clock)
    assert roles(w) == {"federation_check": "disability_federation"}
    assert w.do("federation_check", disability_verified_category="intellectual",
                disability_verified_level=3) == "disability_xsq"
    assert w.case().summary["monthly_amount"] == 90.0  # national table 2024: nursing, not 一级
    assert roles(w) == {"county_approval": "county"}
    assert w.do("county_approval") == "district_xsq"
    assert w.case().outcome == "end_approved"
    notice = documents(db, w.case_id)["disability_subsidy_approval_notice"]
    assert notice.number == "淮民残补〔2026〕1号"
    body = notice.body
    assert "淮北市相山区民政局" in body and "智力残疾三级" in body and "生活补贴</td>" not in body
    assert "重度残疾人护理补贴</td><td>90.00" in body and DJ_DISABLED not in body


def test_disability_national_incomplete_then_not_accepted(db, disability):
    w = disability(village=DONGJIE, process_id="disability_subsidy_national")
    w.do("acceptance", acceptance_decision="incomplete", missing_materials="缺少低保证")
    assert roles(w) == {"supplement": "township"}
    assert w.do("supplement") == "street_dj"
    w.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="已迁出本街道")
    assert w.case().outcome == "end_not_accepted"
    body = documents(db, w.case_id)["disability_subsidy_refusal_notice"].body
    assert "东街街道办事处" in body and "已迁出本街道" in body


def test_disability_national_preliminary_review_refuses(db, disability):
    w = disability(village=DONGJIE, process_id="disability_subsidy_national")
    w.do("acceptance")
    w.do("township_review", disability_review_opinion="ineligible", disability_review_reasons="非本辖区户籍")
    assert w.open_names() == ["inform_ineligible"]
    assert w.do("inform_ineligible", disability_refusal_reasons="非本辖区户籍") == "street_dj"
    assert w.case().outcome == "end_ineligible"
    notice = documents(db, w.case_id)["disability_subsidy_refusal_notice"]
    assert "淮北市相山区东街街道办事处" in notice.body and "民政局" not in notice.body


def test_disability_national_upheld_objection_refuses(db, disability):
    w = disability(village=DONGJIE, process_id="disability_subsidy_national")
    steps(w, "acceptance", "township_review")
    assert w.do("publicity") == "street_dj"
    assert w.case().next_due_at is None, "the objection ends the publicity timer"
    w.do("objection_check", disability_objection_upheld=True, disability_objection_findings="申请人已纳入特困供养")
    assert w.open_names() == ["inform_ineligible"]
    w.do("inform_ineligible")
    assert w.case().outcome == "end_ineligible"


def test_disability_national_at_siping_dismissed_objection_then_not_entitled(db, disability):
    w = disability(village=RENXING, process_id="disability_subsidy_national", household="dibao", requested="nursing",
                   category="physical", level=3, name="孙丽", address="四平市铁西区仁兴社区")
    assert steps(w, "acceptance", "township_review", "publicity", "objection_check") == ["street_rx"] * 4
    assert w.do("federation_check", disability_verified_level=3) == "disability_tx"
    # 肢体三级 does not qualify for the nursing subsidy, and only the nursing subsidy was applied for.
    assert w.case().summary["monthly_amount"] == 0 and w.open_names() == ["inform_ineligible"]
    assert w.do("inform_ineligible", disability_refusal_reasons="肢体三级不属于护理补贴对象") == "street_rx"
    body = documents(db, w.case_id)["disability_subsidy_refusal_notice"].body
    assert "四平市铁西区仁兴街道办事处" in body and "肢体残疾三级" in body and RX_DISABLED not in body


def test_disability_national_at_siping_county_refuses(db, disability, clock):
    w = disability(village=RENXING, process_id="disability_subsidy_national")
    steps(w, "acceptance", "township_review")
    quiet_publicity(w, clock)
    w.do("federation_check")
    assert w.do("county_approval", disability_subsidy_decision="rejected",
                disability_subsidy_decision_reasons="经抽查，家庭已退出低保") == "district_tx"
    assert w.case().outcome == "end_refused"
    notice = documents(db, w.case_id)["disability_subsidy_refusal_notice"]
    assert notice.number == "四民残不〔2026〕1号"
    assert "四平市铁西区民政局" in notice.body and "家庭已退出低保" in notice.body


# --- 尊老金 -----------------------------------------------------------------------
OLD_AGE_FORMS = {
    "township_review": {"old_age_identity_verified": True, "old_age_alive_verified": True,
                        "old_age_review_opinion": "eligible", "old_age_reviewed_on": "2026-09-16"},
    "inform_ineligible": {"old_age_refusal_reasons": "未达到享受年龄", "old_age_refusal_notified_on": "2026-09-16"},
    "township_approval": {"old_age_decision": "approved", "old_age_decided_on": "2026-09-20"},
    "county_approval": {"old_age_decision": "approved", "old_age_decided_on": "2026-10-09"},
}


def old_age_application(id_number, name="赵秀兰"):
    return {"applicant_name": name, "applicant_id_number": id_number, "applied_on": "2026-09-15",
            "address": "响水县响水镇双园村2组", "agent_name": "赵大成", "agent_relation": "儿子",
            "payment_account": "6228480012345678", "old_age_declaration_true": True}


@pytest.fixture
def old_age(db, clock, who, unit_id):
    def go(born: str, village=SHUANGYUAN, process_id="old_age_allowance_xiangshui", serial="224"):
        id_number = with_check_digit(village[:6] + born.replace("-", "") + serial)
        return start(db, clock, who, unit_id, village=village, process_id=process_id,
                     data=old_age_application(id_number), form_data=OLD_AGE_FORMS)
    return go


def test_old_age_xiangshui_township_approves_from_next_month(db, old_age):
    w = old_age("1940-03-01")
    assert roles(w) == {"township_approval": "township"}
    assert w.case().summary["monthly_amount"] == 50.0  # 86 岁: 80—89 档
    assert w.do("township_approval") == "township_xs"
    case = w.case()
    assert case.outcome == "end_approved" and case.summary["payment_from"] == "2026-10-01"
    notice = documents(db, w.case_id)["old_age_allowance_approval_notice"]
    assert notice.number == "响民尊发〔2026〕1号" and notice.title == "尊老金（高龄津贴）发放通知书"
    body = notice.body
    assert "年满 86 周岁" in body and "80至89周岁" in body and "50.00 元" in body and "2026-10 起" in body
    assert "响水县响水镇人民政府" in body and w.case().applicant_id_number not in body


@pytest.mark.parametrize(("born", "age", "amount"), [
    ("1946-09-15", 80, 50.0),     # 80th birthday on the day of application
    ("1935-01-20", 91, 150.0),
    ("1925-05-05", 101, 500.0),
])
def test_old_age_bands(old_age, born, age, amount):
    w = old_age(born)
    assert w.open_names() == ["township_approval"]
    assert w.case().summary["monthly_amount"] == amount
    assert w.events()[0].kind == "case_started"


def test_the_amounts_are_the_countys_dated_data_not_the_scripts(monkeypatch, old_age, db):
    """Audit X10: a county that raises its 尊老金 band or its 特困 multiple changes new cases' amounts,
    without touching a route."""
    in_force = engine.catalogue.rules.rules_in_force
    monkeypatch.setattr(engine.catalogue.rules, "rules_in_force", lambda code, on, township=None, session=None: {
        **in_force(code, on, township, session), "old_age_allowance_90_99": 222, "old_age_min_age": 85})
    assert old_age("1934-02-02").case().summary["monthly_amount"] == 222.0   # 92: the 90—99 band
    assert old_age("1944-02-02").case().summary["monthly_amount"] == 0       # 82: under the county's 85
    rules = in_force("320921", date(2026, 9, 15))
    assert "假设" in rules["assumptions"]["old_age_allowance_80_89"]


def test_old_age_xiangshui_under_80_is_told_in_writing(db, old_age):
    w = old_age("1946-09-16")  # turns 80 the day after applying
    assert w.case().summary["monthly_amount"] == 0
    assert roles(w) == {"inform_ineligible": "township"}
    assert w.do("inform_ineligible") == "township_xs"
    assert w.case().outcome == "end_ineligible"
    body = documents(db, w.case_id)["old_age_allowance_refusal_notice"].body
    assert "年满 79 周岁" in body and "未达到 80 周岁" in body and "响水镇人民政府" in body


def test_old_age_xiangshui_township_may_refuse(db, old_age):
    w = old_age("1938-07-07")
    w.do("township_approval", old_age_decision="rejected", old_age_decision_reasons="户籍已迁出本镇")
    assert w.case().outcome == "end_refused"
    docs = documents(db, w.case_id)
    assert set(docs) == {"old_age_allowance_refusal_notice"}
    assert "户籍已迁出本镇" in docs["old_age_allowance_refusal_notice"].body
    assert "未达到" not in docs["old_age_allowance_refusal_notice"].body


def test_old_age_national_township_reviews_county_approves(db, old_age):
    w = old_age("1934-02-02", village=DONGJIE, process_id="old_age_allowance_national")
    assert w.case().summary["monthly_amount"] == 60.0  # 92 岁: 贵池 bands
    assert roles(w) == {"township_review": "township"}
    assert w.do("township_review") == "street_dj"
    assert roles(w) == {"county_approval": "county"}
    assert w.do("county_approval") == "district_xsq"
    case = w.case()
    assert case.outcome == "end_approved" and case.summary["payment_from"] == "2026-11-01"
    notice = documents(db, w.case_id)["old_age_allowance_approval_notice"]
    assert notice.number == "淮民尊发〔2026〕1号"
    assert "淮北市相山区民政局" in notice.body and "90至99周岁" in notice.body and "60.00 元" in notice.body


def test_old_age_national_at_siping_under_80(db, old_age):
    w = old_age("1950-01-01", village=RENXING, process_id="old_age_allowance_national")
    assert w.do("inform_ineligible") == "street_rx"
    assert w.case().outcome == "end_ineligible"
    body = documents(db, w.case_id)["old_age_allowance_refusal_notice"].body
    assert "四平市铁西区仁兴街道办事处" in body and "年满 76 周岁" in body


def test_old_age_national_township_review_refuses(db, old_age):
    w = old_age("1940-01-01", village=RENXING, process_id="old_age_allowance_national")
    w.do("township_review", old_age_alive_verified=False, old_age_review_opinion="ineligible",
         old_age_review_reasons="老年人已去世")
    assert w.open_names() == ["inform_ineligible"]
    w.do("inform_ineligible", old_age_refusal_reasons="经核实，老年人已于 2026 年 8 月去世")
    assert w.case().outcome == "end_ineligible"
    assert "已于 2026 年 8 月去世" in documents(db, w.case_id)["old_age_allowance_refusal_notice"].body


def test_old_age_national_county_refuses(db, old_age):
    w = old_age("1940-01-01", village=DONGJIE, process_id="old_age_allowance_national")
    w.do("township_review")
    w.do("county_approval", old_age_decision="rejected", old_age_decision_reasons="已在户籍迁入地享受")
    assert w.case().outcome == "end_refused"
    body = documents(db, w.case_id)["old_age_allowance_refusal_notice"].body
    assert "淮北市相山区民政局" in body and "已在户籍迁入地享受" in body


# --- 低收入家庭认定 ---------------------------------------------------------------
LOW_INCOME_FORMS = {
    "economic_check": {"check_result": "eligible", "check_report_number": "HD-2026-0101"},
    "acceptance": {"acceptance_decision": "accepted", "accepted_on": "2026-09-17"},
    "supplement": {"supplied_materials": "存款已用于医疗的票据", "supplied_on": "2026-09-18"},
    "inform_check_result": {"notified_on": "2026-09-18", "check_objection": False},
    "recheck": {"recheck_result": "eligible", "recheck_findings": "存款系代亲属保管"},
    "home_investigation": {"investigators": [{"name": "高干事"}, {"name": "刘书记"}], "visited_on": "2026-09-22",
                           "village_assisted": True, "investigation_findings": "家庭情况属实"},
    "township_review": {"low_income_disputed": False, "low_income_review_notes": "调查情况与申报一致，无争议"},
    "democratic_appraisal": {"appraisal_held_on": "2026-09-25", "participants": 11, "villager_representatives": 7,
                             "votes_for": 10, "votes_against": 1, "appraisal_conclusion": "多数同意"},
    "objection_appraisal": {"appraisal_held_on": "2026-10-08", "participants": 13, "villager_representatives": 9,
                            "votes_for": 12, "votes_against": 1, "appraisal_conclusion": "异议不成立"},
    "preliminary_opinion": {"opinion": "eligible", "opinion_reasons": "人均收入低于低保标准的 1.5 倍"},
    "publicity": {"objection_summary": "群众反映其子女有稳定收入", "objection_lodged_on": "2026-09-29"},
    "result_publicity": {"objection_summary": "群众反映家中有经营性车辆", "objection_lodged_on": "2026-10-14"},
    "objection_handling": {"objection_method": "democratic_appraisal"},
    "reinvestigation": {"reinvestigation_findings": "子女收入不稳定"},
    "revised_opinion": {"opinion": "eligible", "opinion_reasons": "经复核，符合条件"},
    "objection_review": {"low_income_objection_upheld": False, "low_income_objection_findings": "车辆已于 2025 年转让"},
    "recognition": {"low_income_decision": "recognised", "low_income_decided_on": "2026-10-12"},
    "county_recognition": {"low_income_decision": "recognised", "low_income_decided_on": "2026-10-12"},
}


def low_income_application(village, incomes, assets=20000, vehicles=0, extra_housing=False):
    head = with_check_digit(village[:6] + "19720405" + "311")
    members = [{"name": "吴建国" if i == 0 else f"吴家成员{i}",
                "id_number": head if i == 0 else with_check_digit(village[:6] + f"1998060{i}" + "322"),
                "relation": ["self", "spouse", "child", "parent"][i], "monthly_income": income, "authorisation": "self"}
               for i, income in enumerate(incomes)]
    return {"applicant_name": "吴建国", "applicant_id_number": head, "applied_on": "2026-09-15",
            "address": "本社区 8 号楼", "members": members, "household_financial_assets": assets,
            "household_vehicles": vehicles, "household_extra_housing": extra_housing, "authorises_check": True}


@pytest.fixture
def low_income(db, clock, who, unit_id):
    def go(village=RENXING, process_id="low_income_siping", incomes=(1000, 800, 700), **kw):
        return start(db, clock, who, unit_id, village=village, process_id=process_id,
                     data=low_income_application(village, incomes, **kw), form_data=LOW_INCOME_FORMS,
                     fresh_applicant=True)
    return go


def test_low_income_siping_centre_checks_street_recognises_then_publicises(db, low_income, clock):
    w = low_income()
    case = w.case()
    # 2500 / 3 = 833.33 < 1.5 × 690 = 1035 (铁西区 2024 standard).
    assert case.summary["per_capita_income"] == 833.33 and case.summary["local_standard"] == 690
    assert roles(w) == {"economic_check": "district_center"}
    assert w.do("economic_check") == "center_tx"
    assert roles(w) == {"acceptance": "township"}
    assert steps(w, "acceptance", "home_investigation", "township_review") == ["street_rx"] * 3
    assert w.open_names() == ["recognition"], "no dispute: no democratic appraisal"
    assert w.do("recognition") == "street_rx"
    assert roles(w) == {"result_publicity": "township"}, "the recognised result is publicised"
    notice = documents(db, w.case_id)["low_income_recognition_notice"]
    quiet_publicity(w, clock)
    case = w.case()
    assert case.status == "completed" and case.outcome == "end_recognised"
    assert notice.number == "四民低收认〔2026〕1号" and notice.title == "低收入家庭认定通知书"
    body = notice.body
    assert "四平市铁西区仁兴街道办事处" in body and "仁兴社区" in body and "833.33" in body and "1035.00" in body
    assert "2026-10-12 至 2027-09-30" in body and "另行申请最低生活保障" not in body
    assert w.case().applicant_id_number not in body


def test_low_income_siping_supplement_after_check_then_not_accepted(db, low_income):
    w = low_income()
    w.do("economic_check", check_result="ineligible", check_findings="名下有存款 30 万元")
    w.do("acceptance", acceptance_decision="incomplete", missing_materials="对核对结果的异议材料")
    assert roles(w) == {"supplement": "village"}
    assert w.do("supplement") == "community_rx"
    assert w.open_names() == ["acceptance"]
    w.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="补证材料不能说明存款来源，明显不符合条件")
    assert w.case().outcome == "end_not_accepted"
    body = documents(db, w.case_id)["low_income_refusal_notice"].body
    assert "决定不予受理" in body and "明显不符合条件" in body and "HD-2026-0101" in body
    assert "仁兴街道办事处" in body


def test_low_income_siping_dispute_goes_to_democratic_appraisal_then_not_recognised(db, low_income):
    w = low_income(incomes=(1500, 1500, 300))  # 1100 > 1035
    steps(w, "economic_check", "acceptance", "home_investigation")
    w.do("township_review", low_income_disputed=True, low_income_review_notes="邻里反映有隐性收入")
    assert roles(w) == {"democratic_appraisal": "village"}
    assert w.do("democratic_appraisal", appraisal_conclusion="多数不同意") == "community_rx"
    w.do("recognition", low_income_decision="not_recognised", low_income_decision_reasons="人均收入超过低保标准的 1.5 倍")
    assert w.case().outcome == "end_not_recognised"
    docs = documents(db, w.case_id)
    assert set(docs) == {"low_income_refusal_notice"}
    body = docs["low_income_refusal_notice"].body
    assert "决定不予认定" in body and "1100.00" in body and "1035.00" in body


def test_low_income_siping_upheld_objection_revokes(db, low_income):
    w = low_income()
    steps(w, "economic_check", "acceptance", "home_investigation", "township_review", "recognition")
    assert w.do("result_publicity") == "street_rx"
    w.do("objection_review", low_income_objection_upheld=True, low_income_objection_findings="家中有经营性车辆未申报")
    assert w.case().outcome == "end_revoked"
    docs = documents(db, w.case_id)
    assert set(docs) == {"low_income_recognition_notice", "low_income_refusal_notice"}
    body = docs["low_income_refusal_notice"].body
    assert "决定撤销认定" in body and "家中有经营性车辆未申报" in body


def test_low_income_siping_dismissed_objection_keeps_recognition(low_income):
    w = low_income()
    steps(w, "economic_check", "acceptance", "home_investigation", "township_review", "recognition",
          "result_publicity", "objection_review")
    assert w.case().outcome == "end_recognised"


def test_low_income_national_always_appraises_and_county_recognises(db, low_income, clock, appraise_always):
    w = low_income(village=DONGJIE, process_id="low_income_national", incomes=(900, 600, 500))
    assert w.case().summary["local_standard"] == 730  # 相山区
    assert w.do("acceptance") == "street_dj"
    assert roles(w) == {"economic_check": "county"}
    assert w.do("economic_check") == "district_xsq"
    assert steps(w, "home_investigation", "democratic_appraisal", "preliminary_opinion") == ["street_dj"] * 3
    quiet_publicity(w, clock)
    assert roles(w) == {"county_recognition": "county"}
    assert w.do("county_recognition") == "district_xsq"
    assert w.case().outcome == "end_recognised"
    body = documents(db, w.case_id)["low_income_recognition_notice"].body
    # 2000 / 3 = 666.67 is below the 低保 standard itself: the notice points to 低保.
    assert "淮北市相山区民政局" in body and "666.67" in body and "1095.00" in body
    assert "另行申请最低生活保障" in body and "2027-09-30" in body


def test_low_income_national_in_xiangshui_appraises_only_on_objection(db, low_income):
    w = low_income(village=SHUANGYUAN, process_id="low_income_national", incomes=(1200, 900, 600))
    assert steps(w, "acceptance", "economic_check", "home_investigation") == [
        "township_xs", "county_mz", "township_xs"]
    assert w.open_names() == ["preliminary_opinion"], "响水: no democratic appraisal without an objection"
    w.do("preliminary_opinion")
    w.do("publicity")
    w.do("objection_handling", objection_method="democratic_appraisal")
    assert w.do("objection_appraisal") == "township_xs"
    w.do("revised_opinion")
    assert w.do("county_recognition", low_income_decision="not_recognised",
                low_income_decision_reasons="子女有赡养能力") == "county_mz"
    assert w.case().outcome == "end_not_recognised"
    body = documents(db, w.case_id)["low_income_refusal_notice"].body
    assert "响水县民政局" in body and "子女有赡养能力" in body and "900.00" in body and "1170.00" in body


def test_low_income_national_objection_reinvestigated_then_recognised(low_income):
    w = low_income(village=SHUANGYUAN, process_id="low_income_national")
    steps(w, "acceptance", "economic_check", "home_investigation", "preliminary_opinion", "publicity")
    w.do("objection_handling", objection_method="reinvestigation")
    assert w.open_names() == ["reinvestigation"]
    steps(w, "reinvestigation", "revised_opinion", "county_recognition")
    assert w.case().outcome == "end_recognised"


def test_low_income_national_check_failed_without_objection(db, low_income):
    w = low_income(village=DONGJIE, process_id="low_income_national")
    w.do("acceptance")
    w.do("economic_check", check_result="ineligible", check_report_number="HD-2026-0999")
    assert roles(w) == {"inform_check_result": "township"}
    w.do("inform_check_result")
    assert w.case().outcome == "end_check_failed"
    body = documents(db, w.case_id)["low_income_refusal_notice"].body
    assert "HD-2026-0999" in body and "信息核对" in body and "东街街道办事处" in body


def test_low_income_national_check_objection_rechecked(db, low_income):
    passed = low_income(village=DONGJIE, process_id="low_income_national")
    passed.do("acceptance")
    passed.do("economic_check", check_result="ineligible")
    passed.do("inform_check_result", check_objection=True, check_objection_reason="存款系代亲属保管")
    assert passed.do("recheck") == "street_dj"
    assert passed.open_names() == ["home_investigation"]
    assert "low_income_refusal_notice" not in documents(db, passed.case_id)

    failed = low_income(village=DONGJIE, process_id="low_income_national")
    failed.do("acceptance")
    failed.do("economic_check", check_result="ineligible")
    failed.do("inform_check_result", check_objection=True)
    failed.do("recheck", recheck_result="ineligible", recheck_findings="存款确属本户所有")
    assert failed.case().outcome == "end_check_failed"
    assert "存款确属本户所有" in documents(db, failed.case_id)["low_income_refusal_notice"].body


def test_low_income_national_incomplete_then_not_accepted(db, low_income):
    w = low_income(village=DONGJIE, process_id="low_income_national")
    w.do("acceptance", acceptance_decision="incomplete", missing_materials="户口簿")
    assert roles(w) == {"supplement": "township"}
    w.do("supplement")
    w.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="户籍不在本街道")
    assert w.case().outcome == "end_not_accepted"
    assert "户籍不在本街道" in documents(db, w.case_id)["low_income_refusal_notice"].body


def test_low_income_national_ineligible_opinion_goes_straight_to_the_county(low_income):
    w = low_income(village=SHUANGYUAN, process_id="low_income_national")
    steps(w, "acceptance", "economic_check", "home_investigation")
    w.do("preliminary_opinion", opinion="ineligible", opinion_reasons="有两套住房")
    assert w.open_names() == ["county_recognition"], "no publicity for an ineligible opinion"
    w.do("county_recognition", low_income_decision="not_recognised", low_income_decision_reasons="有两套住房")
    assert w.case().outcome == "end_not_recognised"


def test_low_income_tests_from_the_declaration(db, low_income):
    w = low_income(incomes=(600, 0), assets=40000, vehicles=1)
    with db.unit_of_work() as uow:
        s = uow.session
        from engine.catalogue.versions import get_version
        from engine.runtime.workflow import Workflow
        case = s.get(Case, w.case_id)
        data = Workflow.restore(get_version(s, case.process_version_id).spec, case.state).data
    assert data["per_capita_income"] == 300.0 and data["low_income_income_test"] is True
    assert data["low_income_asset_limit"] == 690 * 24 * 2 and data["low_income_asset_test"] is False
    assert data["approval_level"] == "township"


def test_lodging_by_type_picks_the_route_and_runs_it(db, clock, who, unit_id):
    with db.unit_of_work(write=True) as uow:
        started = start_application(uow.session, who("community_rx"), clock, "disability_subsidy", unit_id(RENXING),
                                    disability_application(RX_DISABLED, address="四平市铁西区仁兴社区"))
        uow.commit()
    w = Walk(db, clock, who, started.id, started.number, RENXING[:9], DISABILITY_FORMS)
    assert w.case().process_id == "disability_subsidy_national"
    assert w.case().assistance_type == "disability_subsidy"
    assert w.do("acceptance") == "street_rx"
