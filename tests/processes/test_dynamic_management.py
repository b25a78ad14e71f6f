"""Dynamic management (动态管理): the periodic review and the change of benefits, under both deciders.

Delegated routes (Xiangshui 双园村, Siping 仁兴社区, Santidikou 三堤口社区): the township/street checks
and decides. National route (相山区 东街社区): the street checks and proposes, the district decides.
Next-review rule: the first day of the month N months after the month of the decision, N = the
county's review_interval_months_a/_b/_c for the class after the review, 12 for 特困 and 尊老金.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine.errors import FormInvalid
from engine.catalogue.forms import with_check_digit
from engine.store.models import Case, Document, Unit
from engine.catalogue.rules import process_for
from engine.catalogue.versions import get_version
from engine.runtime.workflow import Workflow
from tests.factories import DONGJIE, RENXING, SANTIDIKOU, SHUANGYUAN, start

pytestmark = pytest.mark.usefixtures("db")

XS_ID = with_check_digit("32092119650312401")  # masked as the first 6 and the last 4 characters
DJ_ID = with_check_digit("34060319580723202")

# Per place: who starts a review, who reports a change, who decides, and the document issuer.
PLACES = {
    "xiangshui": {"village": SHUANGYUAN, "delegated": True, "township_user": "township_xs", "reporter": "village_sy",
                  "decider": "township_xs", "decider_role": "township", "issuer": "响水县响水镇人民政府",
                  "township_office": "响水县响水镇人民政府", "prefix": "响民", "id": XS_ID, "name": "王小明"},
    "siping": {"village": RENXING, "delegated": True, "township_user": "street_rx", "reporter": "community_rx",
               "decider": "street_rx", "decider_role": "township", "issuer": "四平市铁西区仁兴街道办事处",
               "township_office": "四平市铁西区仁兴街道办事处", "prefix": "四民",
               "id": with_check_digit("22030219700101123"), "name": "刘淑芬"},
    "santidikou": {"village": SANTIDIKOU, "delegated": True, "township_user": "street_stk", "reporter": "community_stk",
                   "decider": "street_stk", "decider_role": "township", "issuer": "淮北市相山区三堤口街道办事处",
                   "township_office": "淮北市相山区三堤口街道办事处", "prefix": "淮民",
                   "id": with_check_digit("34060319661111303"), "name": "赵建国"},
    "national": {"village": DONGJIE, "delegated": False, "township_user": "street_dj", "reporter": "street_dj",
                 "decider": "district_xsq", "decider_role": "county", "issuer": "淮北市相山区民政局",
                 "township_office": "淮北市相山区东街街道办事处", "prefix": "淮民", "id": DJ_ID, "name": "孙桂兰"},
}
BOTH = ["xiangshui", "national"]

HOME_VISIT = {"investigators": [{"name": "张干事"}, {"name": "李干事"}], "visited_on": "2026-09-15",
              "village_assisted": True, "investigation_findings": "家庭成员均在家，生活状况与上次复核一致"}
COMMON_STEPS = {
    "panel_review": {"panel_decision": "approved", "votes_for": 5, "votes_against": 0, "votes_abstain": 0,
                     "panel_opinion": "同意街道复核意见", "meeting_number": "STK-PS-2026-09"},
    "decision": {"decision_on_proposal": "agree", "decided_on": "2026-09-18"},
    "termination_publicity": {"objection_summary": "邻居反映其仍无劳动能力、无生活来源", "objection_lodged_on": "2026-09-21"},
    "objection_review": {"objection_investigated_on": "2026-09-25", "termination_objection_finding": "rejected",
                         "objection_investigation_findings": "经调查，其子已具备赡养能力，异议不成立"},
    "termination_decision": {"termination_decided_on": "2026-10-12", "transfer_checked": True,
                             "transfer_notes": "本人不符合低保条件，已告知可申请临时救助"},
    "inform_household": {"notice_delivered_on": "2026-09-21", "notice_delivery_method": "in_person",
                         "household_acknowledged": True},
}
REVIEW_STEPS = {**COMMON_STEPS, "home_visit": HOME_VISIT,
                "check": {"reviewed_on": "2026-09-15", "info_check_result": "no_change", "reviewed_household_size": 3,
                          "new_review_class": "B", "dynamic_proposal": "unchanged"}}
CHANGE_STEPS = {**COMMON_STEPS,
                "check": {"verified_on": "2026-09-16", "change_verification_method": "home_visit_and_check",
                          "change_investigators": [{"name": "张干事"}, {"name": "李干事"}],
                          "change_kind": "income_increase", "change_facts": "长子2026年8月起在县城务工，月收入2400元",
                          "changed_household_size": 3, "dynamic_proposal": "unchanged"}}
# Proposals (the township's opinion) that lead to each outcome, with the end event reached.
PROPOSALS = {
    "increase": ({"dynamic_proposal": "increase", "proposed_monthly_amount": 2100,
                  "proposal_reasons": "配偶2026年8月起患病住院，家庭收入减少"}, "end_increased"),
    "reduce": ({"dynamic_proposal": "reduce", "proposed_monthly_amount": 1000,
                "proposal_reasons": "长子务工，家庭月收入增加至1340元"}, "end_reduced"),
    "gradual_exit": ({"dynamic_proposal": "gradual_exit", "proposed_exit_months": 6,
                      "gradual_exit_income_confirmed": True, "proposal_reasons": "长子就业后家庭人均收入超过低保标准"},
                     "end_gradual_exit"),
    "stop": ({"dynamic_proposal": "stop", "proposal_reasons": "户主服刑，暂停发放"}, "end_stopped"),
    "terminate": ({"dynamic_proposal": "terminate", "proposal_reasons": "家庭人均收入明显高于低保标准，不再符合条件"},
                  "end_terminated"),
}


def recipient(place: str, assistance_type: str = "minimum_living", review_class: str = "B", amount: float = 1840,
              size: int = 3, reason: str = "periodic") -> dict:
    p = PLACES[place]
    return {"assistance_type": assistance_type, "recipient_case_number": "GB-2024-0012", "applicant_name": p["name"],
            "applicant_id_number": p["id"], "household_size": size, "current_monthly_amount": amount,
            "review_class": review_class, "start_reason": reason}


@pytest.fixture
def begin(db, clock, who, unit_id):
    """begin(family, place, **start data) → a Walk of a review ('review') or a change ('change')."""
    def go(family: str, place: str, **data):
        p = PLACES[place]
        variant = "delegated" if p["delegated"] else "national"
        process = ("periodic_review_" if family == "review" else "benefit_change_") + variant
        return start(db, clock, who, unit_id, village=p["village"], process_id=process, data=recipient(place, **data),
                     username=p["township_user"] if family == "review" else p["reporter"],
                     form_data=REVIEW_STEPS if family == "review" else CHANGE_STEPS)
    return go


def documents(db, case_id) -> dict[str, Document]:
    with db.unit_of_work() as uow:
        s = uow.session
        return {d.kind: d for d in s.execute(select(Document).where(Document.case_id == case_id)).scalars()}


def case_data(db, w) -> dict:
    """The case's workflow data (script results included)."""
    with db.unit_of_work() as uow:
        s = uow.session
        case = s.get(Case, w.case_id)
        return Workflow.restore(get_version(s, case.process_version_id).spec, case.state).data


def unit(db, code: str) -> int:
    with db.unit_of_work() as uow:
        s = uow.session
        return s.execute(select(Unit.id).where(Unit.code == code)).scalar_one()


def to_decision(w, family: str, **check):
    """Check (with a home visit for a review) and propose; returns who did the township steps."""
    done = [w.do("home_visit")] if family == "review" else []
    done.append(w.do("check", **check))
    if "panel_review" in w.open_names():
        w.do("panel_review")
    return done


def single_person(family: str) -> dict:
    return {"reviewed_household_size": 1} if family == "review" else {"changed_household_size": 1}


# --- which route a place runs ----------------------------------------------------------------
@pytest.mark.parametrize("county, township, family, expected", [
    ("320921", "320921100", "periodic_review", "periodic_review_delegated"),
    ("220302", "220302001", "periodic_review", "periodic_review_delegated"),
    ("340603", "340603004", "benefit_change", "benefit_change_delegated"),
    ("340603", "340603001", "periodic_review", "periodic_review_national"),
    ("340603", "340603001", "benefit_change", "benefit_change_national"),
])
def test_the_model_picks_the_decider(county, township, family, expected):
    assert process_for(family, county, township, date(2026, 9, 15)) == expected


# --- periodic review -------------------------------------------------------------------------
@pytest.mark.parametrize("place, assistance_type, old_class, new_class, next_review, interval", [
    ("xiangshui", "minimum_living", "B", "A", "2027-09-01", 12),   # 响水 A = 12 months
    ("xiangshui", "minimum_living", "B", "B", "2027-03-01", 6),
    ("national", "minimum_living", "C", "C", "2026-12-01", 3),     # 相山区 C = 3 months
    ("siping", "low_income", "B", "C", "2027-03-01", 6),           # 铁西区 C = 6 months
    ("santidikou", "disability_subsidy", "A", "C", "2026-12-01", 3),
    ("national", "extreme_poverty", "C", "C", "2027-09-01", 12),   # 特困: yearly whatever the class
    ("xiangshui", "old_age_allowance", "B", "B", "2027-09-01", 12),
])
def test_unchanged_review_is_closed_by_the_township_with_the_next_review_date(
        db, begin, place, assistance_type, old_class, new_class, next_review, interval):
    p = PLACES[place]
    w = begin("review", place, assistance_type=assistance_type, review_class=old_class)
    assert w.open_names() == ["home_visit"]
    assert w.open_tasks()[0].role == "township" and w.open_tasks()[0].unit_id == unit(db, p["village"][:9])
    assert w.do("home_visit") == p["township_user"]
    assert w.do("check", new_review_class=new_class,
                class_change_reason="" if old_class == new_class else "家庭收入状况变化") == p["township_user"]
    case = w.case()
    assert case.status == "completed" and case.outcome == "end_unchanged", "no decider needed when nothing changed"
    assert [e.task_name for e in w.events() if e.kind == "task_completed"] == ["home_visit", "check"]
    data = case_data(db, w)
    assert data["next_review_on"] == next_review and data["next_review_interval_months"] == interval
    assert data["dynamic_decision"] == "unchanged" and data["decided_on"] == "2026-09-15"
    assert case.summary["monthly_amount"] == 1840 and case.summary["payment_from"] == "2026-10-01"
    docs = documents(db, w.case_id)
    assert set(docs) == {"periodic_review_record"}
    record = docs["periodic_review_record"]
    assert record.title == "社会救助对象定期复核记录" and record.number == f"{p['prefix']}动复〔2026〕1号"
    y, m = int(next_review[:4]), int(next_review[5:7])
    assert f"{y}年{m}月1日起当月内（{new_class} 类，每 {interval} 个月复核）" in record.body
    assert f"复核前 {old_class} 类，复核后 {new_class} 类" in record.body
    assert p["name"] in record.body and p["id"] not in record.body
    assert f"{p['id'][:6]}********{p['id'][-4:]}" in record.body
    assert "张干事、李干事" in record.body and "继续保障，金额不变" in record.body
    assert p["township_office"] in record.body and "乡镇（街道）决定" in record.body


def test_increase_decided_by_the_township_in_the_delegated_model(db, begin):
    w = begin("review", "xiangshui", review_class="B")
    proposal, _end = PROPOSALS["increase"]
    assert to_decision(w, "review", info_check_result="changed", household_changes="配偶患病住院，收入减少",
                       reviewed_monthly_income=240, **proposal) == ["township_xs", "township_xs"]
    assert w.open_names() == ["decision"]
    task = w.open_tasks()[0]
    assert task.role == "township" and task.unit_id == unit(db, "320921100")
    assert w.do("decision") == "township_xs"
    assert w.open_names() == ["inform_household"]
    assert w.do("inform_household") == "township_xs"
    case = w.case()
    assert case.outcome == "end_increased"
    assert case.summary["monthly_amount"] == 2100 and case.summary["payment_from"] == "2026-10-01"
    docs = documents(db, w.case_id)
    assert set(docs) == {"benefit_adjustment_notice", "periodic_review_record"}
    notice = docs["benefit_adjustment_notice"]
    assert notice.title == "救助金增发（减发）通知书" and notice.number == "响民动调〔2026〕1号"
    body = notice.body
    assert "响水县响水镇人民政府" in body and "王小明" in body and "320921********" + XS_ID[-4:] in body
    assert XS_ID not in body
    assert "决定增发救助金，自 2026年10月1日起执行" in body
    assert "1840.00 元" in body and "2100.00 元" in body and "每月增加" in body and "260.00 元" in body
    assert "配偶2026年8月起患病住院" in body and "GB-2024-0012" in body and w.number in body
    assert "下次复核时间为 2027年3月" in body and "行政复议" not in body
    record = docs["periodic_review_record"].body
    assert "月人均 80.00 元（当地低保标准 780 元/月）" in record and "自 2026年10月1日起调整为 2100.00 元" in record


def test_reduction_decided_by_the_district_in_the_national_model(db, begin):
    w = begin("review", "national", review_class="C")
    assert w.do("home_visit") == "street_dj"
    with pytest.raises(FormInvalid) as info:  # a reduction needs written reasons
        w.do("check", dynamic_proposal="reduce", proposed_monthly_amount=1000)
    assert info.value.errors == {"proposal_reasons": "「理由及依据（增发、减发、停发、终止时必填）」为必填项"}
    proposal, _end = PROPOSALS["reduce"]
    assert w.do("check", info_check_result="changed", household_changes="长子务工", new_review_class="C",
                **proposal) == "street_dj"
    task = w.open_tasks()[0]
    assert task.task_name == "decision" and task.role == "county" and task.unit_id == unit(db, "340603")
    assert w.do("decision") == "district_xsq"
    inform = w.open_tasks()[0]
    assert inform.task_name == "inform_household" and inform.role == "township", "delivered through the street"
    assert w.do("inform_household", notice_delivery_method="via_village") == "street_dj"
    assert w.case().outcome == "end_reduced"
    notice = documents(db, w.case_id)["benefit_adjustment_notice"]
    assert notice.number == "淮民动调〔2026〕1号"
    body = notice.body
    assert "淮北市相山区民政局" in body and "东街街道" not in body.split("</h2>")[0]
    assert "决定减发救助金" in body and "1840.00 元" in body and "1000.00 元" in body and "每月减少" in body
    assert "840.00 元" in body and "长子务工，家庭月收入增加至1340元" in body and "行政复议" in body
    assert "340603********" + DJ_ID[-4:] in body and DJ_ID not in body
    assert "下次复核时间为 2026年12月" in body   # C class in 相山区: every 3 months
    record = documents(db, w.case_id)["periodic_review_record"].body
    assert "县级民政部门决定" in record


@pytest.mark.parametrize("place", BOTH)
def test_job_refusals_cut_that_members_share(db, begin, place):
    w = begin("review", place)
    w.do("home_visit")
    with pytest.raises(FormInvalid) as info:  # three refusals: the proposal must reduce (or stop)
        w.do("check", job_refusal_count=3, job_refusing_member="王大力")
    assert set(info.value.errors) == {"dynamic_proposal"}
    w.do("check", job_refusal_count=3, job_refusing_member="王大力", dynamic_proposal="reduce",
         proposal_reasons="有劳动能力的成员无正当理由三次拒绝介绍的工作")
    assert w.do("decision") == PLACES[place]["decider"]
    w.do("inform_household")
    data = case_data(db, w)
    # 1840 / 3 = 613.33 per member; the other two keep theirs.
    assert data["member_share_deduction"] == 613.33 and data["new_monthly_amount"] == 1226.67
    assert w.case().outcome == "end_reduced" and w.case().summary["monthly_amount"] == 1226.67
    body = documents(db, w.case_id)["benefit_adjustment_notice"].body
    assert "家庭成员王大力有劳动能力，无正当理由 3 次拒绝" in body and "613.33 元" in body and "1226.67 元" in body
    assert "第三十四条" in body


@pytest.mark.parametrize("place", BOTH)
def test_gradual_exit_keeps_the_amount_for_its_months_then_stops(db, begin, place):
    w = begin("review", place)
    proposal, end = PROPOSALS["gradual_exit"]
    w.do("home_visit")
    with pytest.raises(FormInvalid) as info:  # the months, the income and the income condition are needed
        w.do("check", dynamic_proposal="gradual_exit", proposal_reasons="就业后收入超标")
    assert set(info.value.errors) == {"proposed_exit_months", "gradual_exit_income_confirmed",
                                      "reviewed_monthly_income"}
    w.do("check", info_check_result="changed", household_changes="长子就业", reviewed_monthly_income=2700, **proposal)
    w.do("decision")
    w.do("inform_household")
    case = w.case()
    assert case.outcome == end and case.summary["monthly_amount"] == 1840
    data = case_data(db, w)
    assert data["stops_from"] == "2027-04-01" and data["next_review_on"] == ""
    docs = documents(db, w.case_id)
    assert set(docs) == {"benefit_stop_decision", "periodic_review_record"}
    stop = docs["benefit_stop_decision"]
    assert stop.title == "救助停发（终止）决定书" and stop.number == f"{PLACES[place]['prefix']}动停〔2026〕1号"
    assert "决定给予 6 个月渐退期" in stop.body and "每月 1840.00 元继续发放，自 2027年4月1日起停发" in stop.body
    assert "长子就业后家庭人均收入超过低保标准" in stop.body and PLACES[place]["issuer"] in stop.body
    assert "月人均 900.00 元" in docs["periodic_review_record"].body and "不再复核" in docs["periodic_review_record"].body


@pytest.mark.parametrize("family", ["review", "change"])
@pytest.mark.parametrize("place", BOTH)
@pytest.mark.parametrize("outcome", sorted(PROPOSALS))
def test_every_outcome_under_both_deciders(db, begin, family, place, outcome):
    p = PLACES[place]
    w = begin(family, place, reason="periodic" if family == "review" else "reported_change")
    proposal, end = PROPOSALS[outcome]
    extra = {"reviewed_monthly_income": 2700} if family == "review" else {"changed_monthly_income": 2700}
    to_decision(w, family, **proposal, **extra)
    task = w.open_tasks()[0]
    assert task.task_name == "decision" and task.role == p["decider_role"]
    assert w.do("decision") == p["decider"]
    assert w.do("inform_household") == p["township_user"]
    case = w.case()
    assert case.outcome == end
    docs = documents(db, w.case_id)
    expected = {"benefit_adjustment_notice" if outcome in ("increase", "reduce") else "benefit_stop_decision"}
    assert set(docs) - {"periodic_review_record"} == expected
    assert ("periodic_review_record" in docs) == (family == "review")
    body = next(iter(d for k, d in docs.items() if k in expected)).body
    assert p["issuer"] in body and p["id"] not in body and f"{p['id'][:6]}********{p['id'][-4:]}" in body
    assert proposal["proposal_reasons"] in body
    assert ("经定期复核" if family == "review" else "经核实家庭情况变化") in body
    if outcome in ("stop", "terminate"):
        assert case.summary["monthly_amount"] == 0
        what = "停发救助金" if outcome == "stop" else "终止最低生活保障待遇"
        assert f"决定自 2026年10月1日起{what}" in body and "1840.00 元" in body and "行政复议" in body


@pytest.mark.parametrize("family", ["review", "change"])
@pytest.mark.parametrize("place", BOTH)
def test_the_decider_may_decide_otherwise(db, begin, family, place):
    w = begin(family, place)
    to_decision(w, family, **PROPOSALS["increase"][0])
    with pytest.raises(FormInvalid) as info:  # deciding otherwise needs reasons
        w.do("decision", decision_on_proposal="amend", amended_decision="unchanged")
    assert set(info.value.errors) == {"amendment_reasons"}
    w.do("decision", decision_on_proposal="amend", amended_decision="unchanged",
         amendment_reasons="住院费用已由医疗救助解决，家庭收入无明显下降")
    case = w.case()
    assert case.outcome == "end_unchanged" and case.summary["monthly_amount"] == 1840
    assert "inform_household" not in [e.task_name for e in w.events()]
    docs = documents(db, w.case_id)
    if family == "review":
        assert set(docs) == {"periodic_review_record"}
        record = docs["periodic_review_record"].body
        assert "复核意见</th><td>增发" in record and "住院费用已由医疗救助解决" in record
    else:
        assert docs == {}


def test_decider_may_amend_to_a_reduction_with_its_own_amount(db, begin):
    w = begin("change", "national")
    to_decision(w, "change", **PROPOSALS["reduce"][0])
    with pytest.raises(FormInvalid) as info:
        w.do("decision", decision_on_proposal="amend", amended_decision="reduce", amendment_reasons="按实际收入核定")
    assert set(info.value.errors) == {"amended_monthly_amount"}
    w.do("decision", decision_on_proposal="amend", amended_decision="reduce", amended_monthly_amount=1200,
         amendment_reasons="按实际收入核定")
    w.do("inform_household")
    body = documents(db, w.case_id)["benefit_adjustment_notice"].body
    assert "1200.00 元" in body and "640.00 元" in body and "按实际收入核定" in body


# --- the Santidikou review panel --------------------------------------------------------------
@pytest.mark.parametrize("family", ["review", "change"])
def test_santidikou_review_panel_reviews_changes_before_the_street_decides(db, begin, family):
    w = begin(family, "santidikou")
    first = "home_visit" if family == "review" else "check"
    if family == "review":
        w.do("home_visit")
    w.do("check", **PROPOSALS["reduce"][0])
    task = w.open_tasks()[0]
    assert task.task_name == "panel_review" and task.role == "review_panel"
    assert task.unit_id == unit(db, "340603004")
    assert w.do("panel_review", panel_decision="reinvestigate", panel_opinion="收入证明不全，退回重新核查") == "panel_stk"
    assert w.open_names() == [first]
    to_decision(w, family, **PROPOSALS["reduce"][0])
    assert w.do("decision") == "street_stk"
    assert w.do("inform_household") == "street_stk"
    assert w.case().outcome == "end_reduced"
    notice = documents(db, w.case_id)["benefit_adjustment_notice"]
    assert "淮北市相山区三堤口街道办事处" in notice.body and notice.number == "淮民动调〔2026〕1号"


def test_other_delegated_models_have_no_panel(db, begin):
    w = begin("change", "siping")
    w.do("check", **PROPOSALS["increase"][0])
    assert w.open_names() == ["decision"]
    assert w.do("decision") == "street_rx"


# --- change of benefits -------------------------------------------------------------------------
@pytest.mark.parametrize("place", BOTH)
def test_unfounded_complaint_keeps_the_benefits(db, begin, place):
    w = begin("change", place, reason="complaint")
    assert w.open_names() == ["check"] and w.open_tasks()[0].role == "township"
    assert w.do("check", change_kind="complaint_unfounded", change_facts="经入户核实，举报所称车辆为亲属所有") \
        == PLACES[place]["township_user"]
    case = w.case()
    assert case.outcome == "end_unchanged" and case.summary["monthly_amount"] == 1840
    assert documents(db, w.case_id) == {}


def test_death_of_a_member_reduces_the_benefits(db, begin):
    w = begin("change", "xiangshui", reason="death")
    death = {"change_kind": "member_death", "change_facts": "户主之母于2026年9月2日病故", "changed_household_size": 2,
             "dynamic_proposal": "reduce", "proposed_monthly_amount": 1226.67,
             "proposal_reasons": "家庭成员死亡，保障人口由3人减为2人"}
    with pytest.raises(FormInvalid) as info:
        w.do("check", **death)
    assert set(info.value.errors) == {"deceased_member_name", "date_of_death"}
    w.do("check", deceased_member_name="王李氏", date_of_death="2026-09-02", **death)
    w.do("decision")
    w.do("inform_household")
    body = documents(db, w.case_id)["benefit_adjustment_notice"].body
    assert "家庭成员死亡，保障人口由3人减为2人" in body and "1226.67 元" in body and "613.33 元" in body


def test_a_home_visit_needs_two_investigators(begin):
    w = begin("change", "xiangshui")
    with pytest.raises(FormInvalid) as info:
        w.do("check", change_investigators=[{"name": "张干事"}])
    assert set(info.value.errors) == {"change_investigators"}
    w.do("check", change_verification_method="information_check", change_investigators=[{"name": "张干事"}])
    assert w.case().outcome == "end_unchanged"


# --- 特困 termination: publicity first ----------------------------------------------------------
@pytest.mark.parametrize("family", ["review", "change"])
@pytest.mark.parametrize("place", BOTH)
def test_extreme_poverty_termination_after_a_quiet_publicity(db, clock, begin, family, place):
    p = PLACES[place]
    w = begin(family, place, assistance_type="extreme_poverty", amount=1100, size=1, review_class="A")
    to_decision(w, family, dynamic_proposal="terminate", proposal_reasons="其子已成年就业，具备赡养能力",
                **single_person(family))
    w.do("decision")
    task = w.open_tasks()[0]
    assert task.task_name == "termination_publicity" and task.role == p["decider_role"], "the decider publicises"
    assert "benefit_stop_decision" not in documents(db, w.case_id), "no decision before the publicity"
    assert not w.fire_timers()
    clock.advance(days=7, minutes=1)
    assert w.fire_timers()
    assert w.open_names() == ["termination_decision"]
    assert w.do("termination_decision") == p["decider"]
    assert w.do("inform_household") == p["township_user"]
    assert w.case().outcome == "end_terminated"
    data = case_data(db, w)
    assert data["stops_from"] == "2026-11-01", "effective the month after the termination decision"
    stop = documents(db, w.case_id)["benefit_stop_decision"]
    assert "决定自 2026年11月1日起终止特困人员救助供养" in stop.body and "1100.00 元" in stop.body
    assert "公示期满无异议" in stop.body and "已告知可申请临时救助" in stop.body and p["issuer"] in stop.body
    if family == "review":
        assert "拟终止，经公示后作出终止决定" in documents(db, w.case_id)["periodic_review_record"].body


@pytest.mark.parametrize("family", ["review", "change"])
@pytest.mark.parametrize("place", BOTH)
def test_extreme_poverty_objection_is_investigated_and_may_keep_the_support(db, clock, begin, family, place):
    p = PLACES[place]
    w = begin(family, place, assistance_type="extreme_poverty", amount=1100, size=1, review_class="A")
    to_decision(w, family, dynamic_proposal="stop", proposal_reasons="本人服刑", **single_person(family))
    w.do("decision")
    assert w.do("termination_publicity") == p["decider"], "objections are lodged with the publicising body"
    assert w.open_tasks()[0].task_name == "objection_review" and w.open_tasks()[0].role == p["decider_role"]
    w.do("objection_review")                       # not upheld: publicise again
    assert w.open_names() == ["termination_publicity"]
    w.do("termination_publicity", objection_summary="家属反映其已刑满释放")
    w.do("objection_review", termination_objection_finding="upheld",
         objection_investigation_findings="经核实已于2026年9月刑满释放，仍符合特困条件")
    case = w.case()
    assert case.outcome == "end_continued" and case.summary["monthly_amount"] == 1100
    assert "benefit_stop_decision" not in documents(db, w.case_id)
    data = case_data(db, w)
    assert data["termination_withdrawn"] is True
    if family == "review":
        assert data["next_review_on"] == "2027-09-01", "特困 are reviewed yearly"


# --- the forms in the web app ----------------------------------------------------------------------
def test_every_step_renders_and_a_checkbox_form_submits_from_html(db, clock, begin, login):
    web = login("township_xs")
    w = begin("review", "xiangshui", assistance_type="extreme_poverty", amount=1100, size=1, review_class="A")
    titles = {"home_visit": "入户调查", "check": "复核评估", "decision": "作出决定",
              "termination_decision": "已核查是否符合低保、临时救助等其他救助条件"}
    for step, kwargs in (("home_visit", {}), ("check", {"dynamic_proposal": "terminate", "reviewed_household_size": 1,
                                                       "proposal_reasons": "其子已具备赡养能力"}), ("decision", {})):
        page = web.get(f"/tasks/{w.open_tasks()[0].id}")
        assert page.status_code == 200 and titles[step] in page.text
        w.do(step, **kwargs)
    clock.advance(days=7, minutes=1)
    w.fire_timers()
    web = login("township_xs")  # a week later the session has long ended
    task = w.open_tasks()[0]
    assert titles["termination_decision"] in web.get(f"/tasks/{task.id}").text
    response = web.post_form(f"/tasks/{task.id}", {"termination_decided_on": "2026-10-12", "transfer_checked": "true"})
    assert response.status_code == 302, response.text
    assert w.open_names() == ["inform_household"]
    case_page = web.get(f"/cases/{w.case_id}")
    assert "救助停发（终止）决定书" in case_page.text and "社会救助对象定期复核记录" in case_page.text
