"""临时救助 (temporary assistance): the expenditure routes of the four models, whose approver is the
DMN table's answer, and the emergency route (help first, paperwork within the limit).

Small-amount limits of the demo places (small_temporary_limit = 低保 standard × multiple, counties.toml):
响水县 780 × 2 = 1560 元, 四平市铁西区 690 × 1 = 690 元, 淮北市相山区 730 × 1 = 730 元.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

import engine.catalogue.rules
from engine.catalogue.forms import with_check_digit
from engine.errors import FormInvalid
from engine.store.models import Case, Document, HumanTask
from engine.catalogue.versions import get_version
from engine.runtime.workflow import Workflow
from tests.factories import DONGJIE, RENXING, SANTIDIKOU, SHUANGYUAN, start

pytestmark = pytest.mark.usefixtures("db")

XIANGSHUI = "temporary_assistance_xiangshui"
SIPING = "temporary_assistance_siping"
SANTIDIKOU_ROUTE = "temporary_assistance_santidikou"
NATIONAL = "temporary_assistance_national"
EMERGENCY = "temporary_emergency"

ID_NUMBERS = {
    SHUANGYUAN: with_check_digit("32092119800202123"),
    RENXING: with_check_digit("22030219700101123"),
    SANTIDIKOU: with_check_digit("34060319850505124"),
    DONGJIE: with_check_digit("34060319900909125"),
}
ADDRESSES = {SHUANGYUAN: "响水县响水镇双园村5组", RENXING: "铁西区仁兴街道仁兴社区2栋", SANTIDIKOU: "相山区三堤口街道三堤口社区",
             DONGJIE: "相山区东街街道东街社区8号"}

FORMS = {
    "acceptance": {"acceptance_decision": "accepted", "accepted_on": "2026-09-15"},
    "supplement": {"supplied_materials": "医疗费用票据、诊断证明", "supplied_on": "2026-09-16"},
    "economic_check": {"check_result": "eligible", "check_report_number": "HD-2026-0101"},
    "home_investigation": {"investigators": [{"name": "张干事"}, {"name": "李干事"}], "visited_on": "2026-09-17",
                           "village_assisted": True, "investigation_findings": "住院治疗，自付医疗费用超出家庭承受能力"},
    "review_opinion": {"temporary_opinion": "eligible", "temporary_proposed_amount": 600,
                       "temporary_opinion_reasons": "医疗支出突增，家庭基本生活暂时困难"},
    "publicity": {"objection_summary": "邻居反映其子女有稳定收入", "objection_lodged_on": "2026-09-20"},
    "reinvestigation": {"reinvestigation_findings": "经重新调查，子女务工收入不稳定"},
    "revised_opinion": {"temporary_opinion": "eligible", "temporary_proposed_amount": 600,
                        "temporary_opinion_reasons": "经重新调查，仍符合条件"},
    "township_approval": {"temporary_approval_decision": "approved", "temporary_approved_amount": 600,
                          "temporary_assistance_method": "cash", "temporary_approved_on": "2026-09-30"},
    "county_approval": {"temporary_approval_decision": "approved", "temporary_approved_amount": 600,
                        "temporary_assistance_method": "cash", "temporary_approved_on": "2026-09-30"},
    "democratic_appraisal": {"appraisal_held_on": "2026-09-18", "participants": 9, "villager_representatives": 7,
                             "votes_for": 8, "votes_against": 1, "appraisal_conclusion": "因病支出突增属实，同意给予小额临时救助"},
    "appraisal_publicity": {"objection_summary": "居民反映其家庭有经营性收入", "objection_lodged_on": "2026-09-20"},
    "street_approval": {"temporary_approval_decision": "approved", "temporary_approved_amount": 600,
                        "temporary_assistance_method": "cash", "temporary_approved_on": "2026-09-30"},
    "approval_publicity": {"objection_summary": "居民反映其子女有稳定收入", "objection_lodged_on": "2026-10-02"},
    "longterm_publicity": {"longterm_posted_on": "2026-10-09", "longterm_places": "三堤口社区居务公开栏"},
    "panel_review": {"panel_decision": "approved", "votes_for": 5, "votes_against": 0, "votes_abstain": 0,
                     "panel_opinion": "情况属实，同意救助", "meeting_number": "STK-PS-2026-09"},
    "emergency_relief": {"temporary_emergency_amount": 1000, "temporary_emergency_method": "cash_and_goods",
                         "temporary_emergency_granted_on": "2026-09-15",
                         "temporary_emergency_situation": "住房失火，衣物被褥全部烧毁，需立即安置",
                         "temporary_emergency_handlers": "张干事、李干事"},
    "paperwork": {"temporary_paperwork_findings": "经核实，火灾属实，家庭无其他收入来源",
                  "temporary_paperwork_conclusion": "eligible", "temporary_signatures_completed": True,
                  "temporary_paperwork_completed_on": "2026-09-18"},
    "county_escalation": {"temporary_escalation_note": "镇经办人员逾期未补办，已责令说明原因",
                          "temporary_paperwork_findings": "经县级核实，申请人有稳定租金收入",
                          "temporary_paperwork_conclusion": "ineligible",
                          "temporary_paperwork_completed_on": "2026-09-25"},
    "township_retro_approval": {"temporary_approval_decision": "approved", "temporary_approved_amount": 1000,
                                "temporary_assistance_method": "cash_and_goods",
                                "temporary_approved_on": "2026-09-18"},
    "county_retro_approval": {"temporary_approval_decision": "approved", "temporary_approved_amount": 3000,
                              "temporary_assistance_method": "cash", "temporary_approved_on": "2026-09-18"},
    "recovery": {"temporary_recovered_amount": 1000, "temporary_recovered_on": "2026-10-09",
                 "temporary_recovery_note": "已追回救助金，实物已使用部分折价退回"},
}


def application(village: str, amount: float, kind: str = "medical_expense", recipient: bool = False,
                name: str = "李秀兰") -> dict:
    """A 临时救助 start form for a household of the village."""
    return {"applicant_name": name, "applicant_id_number": ID_NUMBERS[village], "address": ADDRESSES[village],
            "phone": "0515-86812345", "channel": "window", "household_size": 3, "temporary_kind": kind,
            "temporary_occurred_on": "2026-09-10", "requested_amount": amount,
            "temporary_description": "丈夫突发重病住院，自付医疗费用较高", "temporary_existing_recipient": recipient,
            "authorises_check": True}


@pytest.fixture
def walk(db, clock, who, unit_id):
    def lodge(process_id, village, amount, username=None, **kw):
        return start(db, clock, who, unit_id, village=village, process_id=process_id, username=username,
                     data=application(village, amount, **kw), form_data=FORMS, fresh_applicant=True)
    return lodge


def case_data(db, w) -> dict:
    """The case data of a walk's workflow (e.g. the DMN's output)."""
    with db.unit_of_work() as uow:
        s = uow.session
        case = s.get(Case, w.case_id)
        return Workflow.restore(get_version(s, case.process_version_id).spec, case.state).data


def documents(db, case_id) -> dict[str, Document]:
    with db.unit_of_work() as uow:
        s = uow.session
        return {d.kind: d for d in s.execute(select(Document).where(Document.case_id == case_id)).scalars()}


def to_approval(w, clock, amount, objection=False, check=True) -> list[str]:
    """Accept, check, investigate, propose ``amount`` and let the 公示 pass; returns who did each step."""
    done = [w.do("acceptance")]
    if check:
        assert w.open_names() == ["economic_check"]
        done.append(w.do("economic_check"))
    done.append(w.do("home_investigation"))
    done.append(w.do("review_opinion", temporary_proposed_amount=amount))
    assert w.open_names() == ["publicity"]
    if objection:
        done.append(w.do("publicity"))
        done.append(w.do("reinvestigation"))
        done.append(w.do("revised_opinion", temporary_proposed_amount=amount))
    else:
        assert not w.fire_timers(), "the 公示 lasts publicity_duration"
        clock.advance(days=7, minutes=1)
        assert w.fire_timers()
    return done


# --- the DMN table through the real routes -----------------------------------------------------------
@pytest.mark.parametrize("process_id, village, amount, task, role, username, approver", [
    (XIANGSHUI, SHUANGYUAN, 800, "township_approval", "township", "township_xs", "township"),
    (XIANGSHUI, SHUANGYUAN, 5000, "township_approval", "township", "township_xs", "township"),
    (SIPING, RENXING, 300, "county_approval", "county", "district_tx", "county"),
    (SIPING, RENXING, 3000, "county_approval", "county", "district_tx", "county"),
    (SANTIDIKOU_ROUTE, SANTIDIKOU, 730.01, "county_approval", "county", "district_xsq", "county"),
    (NATIONAL, DONGJIE, 700, "township_approval", "township", "street_dj", "township"),
    (NATIONAL, DONGJIE, 3000, "county_approval", "county", "district_xsq", "county"),
])
def test_amount_and_model_choose_the_approver(walk, clock, db, process_id, village, amount, task, role, username,
                                              approver):
    w = walk(process_id, village, amount)
    to_approval(w, clock, amount)
    assert w.open_names() == [task]
    assert w.open_tasks()[0].role == role
    data = case_data(db, w)
    assert data["approver"] == approver and data["temporary_approval_basis"] == amount
    assert w.do(task, temporary_approved_amount=amount) == username
    case = w.case()
    assert case.status == "completed" and case.outcome == "end_approved"


def test_raising_the_small_limit_moves_the_decision_down(walk, clock, db, monkeypatch):
    """相山区: 1000 元 is above 730 × 1 and goes to the district; with the multiple raised to 2 the same amount
    is within the street's limit (the DMN reads small_temporary_limit from the case's rules)."""
    before = walk(NATIONAL, DONGJIE, 1000)
    to_approval(before, clock, 1000)
    assert case_data(db, before)["small_temporary_limit"] == 730
    assert before.open_names() == ["county_approval"]

    rules_in_force = engine.catalogue.rules.rules_in_force
    monkeypatch.setattr(engine.catalogue.rules, "rules_in_force",
                        lambda code, on, township=None, session=None: {**rules_in_force(code, on, township, session), "small_temporary_multiple": 2})
    after = walk(NATIONAL, DONGJIE, 1000)
    to_approval(after, clock, 1000)
    data = case_data(db, after)
    assert data["small_temporary_limit"] == 1460 and data["approver"] == "township"
    assert after.open_names() == ["township_approval"]
    assert after.do("township_approval", temporary_approved_amount=1000) == "street_dj"

    # 三堤口: the same change turns a district case into a street case (民主评议 first).
    small = walk(SANTIDIKOU_ROUTE, SANTIDIKOU, 1000)
    to_street(small, 1000)
    assert small.open_names() == ["democratic_appraisal"] and case_data(db, small)["approver"] == "panel"


def test_refused_amount_is_decided_by_who_would_grant_the_request(walk, clock, db):
    """An ineligible opinion skips the 公示; the approver is chosen by the requested amount."""
    w = walk(NATIONAL, DONGJIE, 5000)
    w.do("acceptance")
    w.do("economic_check", check_result="ineligible", check_findings="家庭存款超过当地规定")
    w.do("home_investigation")
    w.do("review_opinion", temporary_opinion="ineligible", temporary_proposed_amount=0,
         temporary_opinion_reasons="家庭存款足以负担医疗支出")
    assert w.open_names() == ["county_approval"]
    assert case_data(db, w)["temporary_approval_basis"] == 5000
    assert w.do("county_approval", temporary_approval_decision="rejected",
                temporary_approval_reasons="家庭金融资产超过规定，可自行负担") == "district_xsq"
    assert w.case().outcome == "end_rejected"
    refusal = documents(db, w.case_id)["temporary_assistance_refusal_notice"]
    assert refusal.number == "淮民临不〔2026〕1号" and "淮北市相山区民政局" in refusal.body
    assert "家庭金融资产超过规定，可自行负担" in refusal.body and "行政复议" in refusal.body


# --- Xiangshui: the town approves every amount -----------------------------------------------------------
def test_xiangshui_small_grant_documents(walk, clock, db):
    w = walk(XIANGSHUI, SHUANGYUAN, 800)
    who = to_approval(w, clock, 800)
    assert who == ["township_xs", "county_mz", "township_xs", "township_xs"]
    w.do("township_approval", temporary_approved_amount=800, temporary_assistance_method="cash")
    docs = documents(db, w.case_id)
    assert set(docs) == {"temporary_assistance_approval_notice"}
    notice = docs["temporary_assistance_approval_notice"]
    assert notice.title == "临时救助审批通知书" and notice.number == "响民临批〔2026〕1号"
    assert "响水县响水镇人民政府" in notice.body and "李秀兰" in notice.body and w.number in notice.body
    assert "800.00 元" in notice.body and "医疗支出突增" in notice.body and "发放临时救助金" in notice.body
    assert ID_NUMBERS[SHUANGYUAN] not in notice.body and "320921********" in notice.body
    assert "双园村" in notice.body and "评审小组" not in notice.body


def test_xiangshui_large_amount_with_objection_refused_by_the_town(walk, clock, db):
    w = walk(XIANGSHUI, SHUANGYUAN, 5000)
    who = to_approval(w, clock, 5000, objection=True)
    assert who[-3:] == ["village_sy", "township_xs", "township_xs"], "objection at the village, town re-investigates"
    assert w.open_names() == ["township_approval"]
    assert w.do("township_approval", temporary_approval_decision="rejected",
                temporary_approval_reasons="子女有赡养能力，已承担医疗费用") == "township_xs"
    assert w.case().outcome == "end_rejected"
    refusal = documents(db, w.case_id)["temporary_assistance_refusal_notice"]
    assert refusal.title == "临时救助不予救助告知书" and "响水县响水镇人民政府" in refusal.body
    assert "子女有赡养能力，已承担医疗费用" in refusal.body and "先行救助" not in refusal.body


def test_xiangshui_incomplete_then_not_accepted(walk):
    w = walk(XIANGSHUI, SHUANGYUAN, 800)
    w.do("acceptance", acceptance_decision="incomplete", missing_materials="医疗费用票据")
    assert w.open_names() == ["supplement"] and w.open_tasks()[0].role == "village"
    assert w.do("supplement") == "village_sy"
    w.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="同一事由一年内已获救助")
    assert w.case().outcome == "end_not_accepted"


def test_xiangshui_recipient_skips_the_check_and_ineligible_skips_publicity(walk, clock):
    w = walk(XIANGSHUI, SHUANGYUAN, 800, recipient=True)
    w.do("acceptance")
    assert w.open_names() == ["home_investigation"], "低保、特困对象: no 信息核对, check the necessary spending"
    w.do("home_investigation")
    w.do("review_opinion", temporary_opinion="ineligible", temporary_proposed_amount=0,
         temporary_opinion_reasons="医疗费用已由医疗救助全额解决")
    assert w.open_names() == ["township_approval"]
    w.do("township_approval", temporary_approval_decision="rejected", temporary_approval_reasons="困难已解决")
    assert w.case().outcome == "end_rejected"


# --- Siping: the district approves ----------------------------------------------------------------
def test_siping_district_checks_and_approves_after_an_objection(walk, clock, db):
    w = walk(SIPING, RENXING, 300)
    w.do("acceptance")
    assert w.open_tasks()[0].role == "county", "the district passes the check request to the province"
    assert w.do("economic_check") == "district_tx"
    w.do("home_investigation")
    w.do("review_opinion", temporary_proposed_amount=300)
    assert w.do("publicity") == "community_rx"
    assert w.do("reinvestigation") == "street_rx"
    w.do("revised_opinion", temporary_proposed_amount=300)
    assert w.do("county_approval", temporary_approved_amount=300, temporary_assistance_method="goods") == "district_tx"
    assert w.case().outcome == "end_approved"
    notice = documents(db, w.case_id)["temporary_assistance_approval_notice"]
    assert notice.number == "四民临批〔2026〕1号" and "四平市铁西区民政局" in notice.body
    assert "300.00 元" in notice.body and "发放实物" in notice.body and "仁兴社区" in notice.body


def test_siping_recipient_found_ineligible_is_refused_by_the_district(walk, db):
    w = walk(SIPING, RENXING, 3000, recipient=True)
    w.do("acceptance")
    assert w.open_names() == ["home_investigation"]
    w.do("home_investigation")
    w.do("review_opinion", temporary_opinion="ineligible", temporary_proposed_amount=0,
         temporary_opinion_reasons="医疗费用已由医疗救助解决")
    assert w.open_names() == ["county_approval"]
    w.do("county_approval", temporary_approval_decision="rejected", temporary_approval_reasons="困难已通过医疗救助解决")
    assert w.case().outcome == "end_rejected"
    assert "四平市铁西区民政局" in documents(db, w.case_id)["temporary_assistance_refusal_notice"].body


def test_siping_incomplete_then_not_accepted(walk):
    w = walk(SIPING, RENXING, 300)
    w.do("acceptance", acceptance_decision="incomplete", missing_materials="诊断证明")
    assert w.do("supplement") == "community_rx"
    w.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="户籍和居住地均不在本街道")
    assert w.case().outcome == "end_not_accepted"


# --- Santidikou: small amounts appraised, reviewed and approved by the street, the district above -------------
def to_street(w, amount, **opinion) -> None:
    """Accept, check, investigate and propose ``amount``: the route then knows who approves."""
    w.do("acceptance")
    w.do("economic_check")
    w.do("home_investigation")
    w.do("review_opinion", temporary_proposed_amount=amount, **opinion)


def pass_publicity(w, clock, name) -> None:
    assert w.open_names() == [name] and w.open_tasks()[0].role == "village"
    assert not w.fire_timers(), "the 公示 lasts its 7 days"
    clock.advance(days=7, minutes=1)
    assert w.fire_timers()


def test_santidikou_small_grant_appraised_reviewed_approved_by_the_street_publicised_and_filed(walk, clock, db, who):
    """Seed 003 二: the street organises the 民主评议 (its result publicised), the 评审小组 gives its 审批意见, the
    street approves (审批结果公示, then 长期公示); the grant is on the register, in the district's monthly report
    of 小额临时救助 and on its month's 备案 list."""
    from engine.clock import to_local_date
    from engine.oversight.county_reviews import supervision_month
    from engine.oversight.reports import monthly_report
    from engine.store.models import Recipient

    w = walk(SANTIDIKOU_ROUTE, SANTIDIKOU, 600)
    to_street(w, 600)
    assert w.open_names() == ["democratic_appraisal"] and w.open_tasks()[0].role == "township"
    assert w.do("democratic_appraisal") == "street_stk"
    appraisal = documents(db, w.case_id)["temporary_assistance_appraisal_publicity"]
    assert appraisal.title == "临时救助民主评议结果公示" and "三堤口街道办事处" in appraisal.body
    assert "600.00" in appraisal.body and "因病支出突增属实" in appraisal.body and ID_NUMBERS[SANTIDIKOU] not in appraisal.body
    pass_publicity(w, clock, "appraisal_publicity")
    assert w.open_names() == ["panel_review"] and w.do("panel_review") == "panel_stk"
    assert w.case().status == "running", "the panel gives its opinion; the street decides"
    assert w.open_names() == ["street_approval"] and w.open_tasks()[0].role == "township"
    assert w.do("street_approval") == "street_stk"
    docs = documents(db, w.case_id)
    assert set(docs) == {"temporary_assistance_appraisal_publicity", "temporary_assistance_approval_notice",
                         "temporary_assistance_approval_publicity"}
    notice = docs["temporary_assistance_approval_notice"]
    assert notice.number == "淮民临批〔2026〕1号" and "600.00 元" in notice.body
    assert "淮北市相山区三堤口街道办事处" in notice.body and "三堤口街道临时救助评审小组评审" in notice.body
    assert "2026-09-30" in docs["temporary_assistance_approval_publicity"].body
    pass_publicity(w, clock, "approval_publicity")
    assert w.do("longterm_publicity") == "street_stk"
    case = w.case()
    assert case.status == "completed" and case.outcome == "end_approved"
    longterm = documents(db, w.case_id)["temporary_assistance_longterm_publicity"]
    assert longterm.title == "临时救助对象长期公示" and "三堤口社区居务公开栏" in longterm.body and "12345" in longterm.body

    with db.unit_of_work() as uow:
        s = uow.session
        benefit = s.execute(select(Recipient).where(Recipient.case_id == w.case_id)).scalar_one()
        assert (benefit.assistance_type, benefit.payment, benefit.monthly_amount) == ("temporary_assistance", "once", 600)
        report = monthly_report(s, who("district_xsq"), benefit.payment_from.replace(day=1), "temporary_assistance")
        assert ["三堤口街道", 1, 3, 600.0] in report.rows
        day = to_local_date(case.completed_at)
        [xiangshan] = [m for m in supervision_month(s, who("district_xsq"), day.replace(day=1)) if m.county == "淮北市相山区"]
        [filed] = [f for f in xiangshan.filings if f["id"] == w.case_id]
        assert filed["monthly_amount"] == 600 and filed["township"] == "三堤口街道"


def to_street_approval(w, clock, amount) -> None:
    """A small request appraised, publicised and reviewed by the panel: the street's approval is open."""
    to_street(w, amount)
    w.do("democratic_appraisal")
    pass_publicity(w, clock, "appraisal_publicity")
    w.do("panel_review")
    assert w.open_names() == ["street_approval"]


def test_santidikou_the_street_approves_up_to_its_limit_and_not_a_fen_more(walk, clock, db):
    """R56: the street may approve up to the district's small-amount limit (730 × 1 = 730 元 for 三堤口街道); more
    is refused at the step with the limit named, nothing changes, and the limit itself is approved."""
    w = walk(SANTIDIKOU_ROUTE, SANTIDIKOU, 730)
    to_street_approval(w, clock, 730)
    with pytest.raises(FormInvalid) as info:
        w.do("street_approval", temporary_approved_amount=730.01)
    message = info.value.errors["temporary_approved_amount"]
    assert set(info.value.errors) == {"temporary_approved_amount"}
    assert "730.01 元超过小额临时救助审批额度" in message and " 730 元" in message and "区）民政局审批" in message
    assert w.open_names() == ["street_approval"] and "temporary_assistance_approval_notice" not in documents(db, w.case_id)
    assert w.do("street_approval", temporary_approved_amount=730) == "street_stk"
    assert w.open_names() == ["approval_publicity"]
    assert "730.00 元" in documents(db, w.case_id)["temporary_assistance_approval_notice"].body


def test_santidikou_a_limit_changed_from_a_date_caps_the_streets_decisions_from_that_date(walk, clock, db, who):
    """The authority to approve is the one in force on the day of the decision: an admin halves 三堤口街道's
    multiple from 2026-10-01; a case decided before keeps 730 元, one lodged the same day but decided from
    October may approve at most 365 元."""
    from engine.catalogue.rules import rules_in_force
    from engine.rule_changes import add_rule_entry, form_of_entry

    before, after = walk(SANTIDIKOU_ROUTE, SANTIDIKOU, 700), walk(SANTIDIKOU_ROUTE, SANTIDIKOU, 700)
    to_street(before, 700)
    to_street(after, 700)
    for w in (before, after):
        w.do("democratic_appraisal")
    pass_publicity(before, clock, "appraisal_publicity")
    after.fire_timers()
    assert after.open_names() == ["panel_review"]
    for w in (before, after):
        w.do("panel_review")
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        street = rules_in_force("340603", clock.today(), "340603004", session=s)
        form = {**form_of_entry("rules", street), "county": "340603", "township": "340603004", "kind": "rules",
                "effective_from": "2026-10-01", "note": "测试：小额临时救助审批额度调整",
                "small_temporary_multiple": "0.5",
                "source.small_temporary_multiple": "相民〔2026〕30号：街道审批额度调整为低保标准的0.5倍"}
        add_rule_entry(s, who("admin"), clock.now(), clock.today(), form)
        uow.commit()
    assert before.do("street_approval", temporary_approved_amount=700) == "street_stk"
    clock.set(datetime(2026, 10, 9, 2, 0, tzinfo=timezone.utc))   # the first working day after National Day
    with pytest.raises(FormInvalid) as info:
        after.do("street_approval", temporary_approved_amount=700)
    message = info.value.errors["temporary_approved_amount"]
    assert " 365 元" in message and "2026-10-01 起执行" in message
    assert case_data(db, after)["small_temporary_limit"] == 730, "the case keeps the rules it was lodged under"
    assert after.do("street_approval", temporary_approved_amount=365) == "street_stk"


def test_santidikou_panel_sends_back_then_the_street_refuses_in_writing(walk, clock, db):
    w = walk(SANTIDIKOU_ROUTE, SANTIDIKOU, 600)
    to_street(w, 600)
    w.do("democratic_appraisal")
    pass_publicity(w, clock, "appraisal_publicity")
    w.do("panel_review", panel_decision="reinvestigate", votes_for=1, votes_against=4,
         panel_opinion="收入情况不清，退回重新调查")
    assert w.open_names() == ["home_investigation"] and w.open_tasks()[0].role == "township"
    w.do("home_investigation", investigation_findings="家庭有经营性收入")
    w.do("review_opinion", temporary_opinion="ineligible", temporary_proposed_amount=0,
         temporary_opinion_reasons="家庭有经营性收入")
    assert w.open_names() == ["panel_review"], "600 is within the street's limit; an ineligible opinion is not appraised"
    w.do("panel_review", panel_decision="rejected", votes_for=0, votes_against=5, panel_opinion="家庭有经营性收入，不予救助")
    assert w.open_names() == ["street_approval"]
    assert w.do("street_approval", temporary_approval_decision="rejected",
                temporary_approval_reasons="家庭有经营性收入，可自行负担医疗支出") == "street_stk"
    assert w.case().outcome == "end_rejected"
    docs = documents(db, w.case_id)
    assert "temporary_assistance_approval_publicity" not in docs and "temporary_assistance_approval_notice" not in docs
    refusal = docs["temporary_assistance_refusal_notice"]
    assert "三堤口街道办事处" in refusal.body and "家庭有经营性收入，可自行负担医疗支出" in refusal.body
    assert "行政复议" in refusal.body and "行政诉讼" in refusal.body and "淮北市相山区人民政府" in refusal.body


def test_santidikou_objections_to_either_publicity_send_the_case_back_to_the_investigation(walk, clock, db):
    w = walk(SANTIDIKOU_ROUTE, SANTIDIKOU, 600)
    to_street(w, 600)
    w.do("democratic_appraisal")
    assert w.do("appraisal_publicity") == "community_stk", "an objection to the appraisal's result"
    assert w.open_names() == ["home_investigation"]
    w.do("home_investigation")
    w.do("review_opinion", temporary_proposed_amount=500)
    assert w.open_names() == ["democratic_appraisal"], "appraised again after the new investigation"
    w.do("democratic_appraisal")
    pass_publicity(w, clock, "appraisal_publicity")
    w.do("panel_review")
    w.do("street_approval", temporary_approved_amount=500)
    assert w.do("approval_publicity") == "community_stk", "an objection to the approval"
    assert w.open_names() == ["home_investigation"] and w.case().status == "running"


def test_santidikou_large_request_found_ineligible_is_refused_by_the_district(walk, clock, db):
    w = walk(SANTIDIKOU_ROUTE, SANTIDIKOU, 3000)
    to_street(w, 0, temporary_opinion="ineligible", temporary_opinion_reasons="家庭存款足以负担医疗支出")
    assert w.open_names() == ["county_approval"], "the request (3000) is above the street's limit; no 公示"
    assert w.do("county_approval", temporary_approval_decision="rejected",
                temporary_approval_reasons="家庭金融资产超过规定") == "district_xsq"
    assert w.case().outcome == "end_rejected"
    assert "淮北市相山区民政局" in documents(db, w.case_id)["temporary_assistance_refusal_notice"].body


def test_santidikou_large_amount_goes_to_the_district(walk, clock, db):
    w = walk(SANTIDIKOU_ROUTE, SANTIDIKOU, 3000, recipient=True)
    w.do("acceptance")
    w.do("home_investigation")
    w.do("review_opinion", temporary_proposed_amount=3000)
    w.do("publicity")
    w.do("reinvestigation")
    w.do("revised_opinion", temporary_proposed_amount=2500)
    assert w.open_names() == ["county_approval"]
    assert w.do("county_approval", temporary_approved_amount=2500) == "district_xsq"
    notice = documents(db, w.case_id)["temporary_assistance_approval_notice"]
    assert "淮北市相山区民政局" in notice.body and "2500.00 元" in notice.body and "评审小组" not in notice.body


def test_santidikou_incomplete_then_not_accepted(walk):
    w = walk(SANTIDIKOU_ROUTE, SANTIDIKOU, 600)
    w.do("acceptance", acceptance_decision="incomplete", missing_materials="诊断证明")
    assert w.do("supplement") == "community_stk"
    w.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="已申请医疗救助，待其结果")
    assert w.case().outcome == "end_not_accepted"


# --- National: the street up to the limit, the district above -------------------------------------
def test_national_window_supplement_and_objection(walk, clock):
    w = walk(NATIONAL, DONGJIE, 700, recipient=True)
    w.do("acceptance", acceptance_decision="incomplete", missing_materials="诊断证明")
    assert w.open_tasks()[0].role == "township", "the applicant brings the materials to the street window"
    assert w.do("supplement") == "street_dj"
    w.do("acceptance")
    w.do("home_investigation")
    w.do("review_opinion", temporary_proposed_amount=700)
    assert w.do("publicity") == "street_dj"
    w.do("reinvestigation")
    w.do("revised_opinion", temporary_proposed_amount=700)
    assert w.do("township_approval", temporary_approved_amount=700) == "street_dj"
    assert w.case().outcome == "end_approved"


def test_national_not_accepted(walk):
    w = walk(NATIONAL, DONGJIE, 700)
    w.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="非本街道户籍或居住")
    assert w.case().outcome == "end_not_accepted"


# --- Emergency: help first, paperwork within the limit ----------------------------------------------
def test_emergency_help_first_paperwork_in_time(walk, clock, db):
    w = walk(EMERGENCY, SHUANGYUAN, 1000, kind="fire", username="township_xs")
    assert w.open_names() == ["emergency_relief"]
    assert w.do("emergency_relief") == "township_xs"
    record = documents(db, w.case_id)["temporary_emergency_record"]
    assert record.title == "临时救助先行救助登记表" and record.number == "响民临先〔2026〕1号"
    for text in ("响水县响水镇人民政府", "李秀兰", "320921********", "火灾", "1000.00 元", "住房失火",
                 "发放临时救助金和实物", "张干事、李干事", "5 个工作日内补办"):
        assert text in record.body, text
    assert ID_NUMBERS[SHUANGYUAN] not in record.body
    assert w.open_names() == ["paperwork"] and w.case().next_due_at is not None
    clock.advance(days=6)
    assert not w.fire_timers(), "the paperwork limit has not passed"
    assert w.do("paperwork") == "township_xs"
    assert w.case().next_due_at is None
    assert case_data(db, w)["approver"] == "township"
    assert w.do("township_retro_approval") == "township_xs"
    assert w.case().outcome == "end_recorded"
    notice = documents(db, w.case_id)["temporary_assistance_approval_notice"]
    assert "现已补办审批手续" in notice.body and "先行救助 1000.00 元" in notice.body
    assert "火灾" in notice.body and "响水县响水镇人民政府" in notice.body


def test_emergency_late_paperwork_escalates_to_the_county_and_help_is_recovered(walk, clock, db):
    w = walk(EMERGENCY, SHUANGYUAN, 1000, kind="traffic_accident", username="township_xs")
    w.do("emergency_relief", temporary_emergency_situation="交通事故致家中唯一劳动力重伤")
    clock.advance(days=7, minutes=1)
    assert w.fire_timers()
    assert w.open_names() == ["county_escalation"]
    assert w.open_tasks()[0].role == "county"
    assert "补办期限届满" in [e.title for e in w.events() if e.kind == "timer_fired"]
    assert w.do("county_escalation") == "county_mz"
    assert w.open_names() == ["township_retro_approval"], "1000 元 is within 响水's 1560 元"
    w.do("township_retro_approval", temporary_approval_decision="rejected",
         temporary_approval_reasons="经县级核实，申请人有稳定租金收入，不符合临时救助条件")
    assert w.open_names() == ["recovery"]
    assert w.do("recovery") == "township_xs"
    assert w.case().outcome == "end_recovered"
    docs = documents(db, w.case_id)
    assert set(docs) == {"temporary_emergency_record", "temporary_assistance_refusal_notice"}
    refusal = docs["temporary_assistance_refusal_notice"]
    assert "交通事故" in refusal.body and "有稳定租金收入" in refusal.body
    assert "2026-09-15 获得的先行救助 1000.00 元" in refusal.body and "应予退回" in refusal.body


def test_emergency_above_the_limit_is_approved_by_the_county(walk, clock, db):
    w = walk(EMERGENCY, DONGJIE, 3000, kind="serious_illness")
    assert w.do("emergency_relief", temporary_emergency_amount=3000) == "street_dj"
    w.do("paperwork")
    assert w.open_names() == ["county_retro_approval"], "3000 元 is above 相山区's 730 元"
    assert w.do("county_retro_approval") == "district_xsq"
    assert w.case().outcome == "end_recorded"
    notice = documents(db, w.case_id)["temporary_assistance_approval_notice"]
    assert "淮北市相山区民政局" in notice.body and "3000.00 元" in notice.body
    record = documents(db, w.case_id)["temporary_emergency_record"]
    assert "东街街道办事处" in record.body and "突发重大疾病" in record.body


# --- lodged through the web window: the county's model picks the route ----------------------------------
def web_application(village: str, unit_id, assistance_type: str, amount: str) -> dict:
    return {"assistance_type": assistance_type, "village_id": str(unit_id(village)), "applicant_name": "周建国",
            "applicant_id_number": ID_NUMBERS[village], "address": ADDRESSES[village], "channel": "window",
            "household_size": "2", "temporary_kind": "education_expense", "temporary_occurred_on": "2026-09-01",
            "requested_amount": amount, "temporary_description": "子女考入大学，学费无力负担",
            "temporary_existing_recipient": "false", "authorises_check": "true"}


@pytest.mark.parametrize("username, village, assistance_type, process_id, first_task, doer", [
    ("street_dj", DONGJIE, "temporary_assistance", NATIONAL, "acceptance", "street_dj"),
    ("community_stk", SANTIDIKOU, "temporary_assistance", SANTIDIKOU_ROUTE, "acceptance", "street_stk"),
    ("community_rx", RENXING, "temporary_assistance", SIPING, "acceptance", "street_rx"),
    ("village_sy", SHUANGYUAN, "temporary_emergency", EMERGENCY, "emergency_relief", "township_xs"),
])
def test_lodged_at_the_window_runs_the_route_of_the_model(login, unit_id, db, username, village, assistance_type,
                                                          process_id, first_task, doer):
    user = login(username)
    page = user.get(f"/cases/new?assistance_type={assistance_type}")
    assert page.status_code == 200 and "申请救助金额" in page.text and "困难类型" in page.text
    response = user.post_form("/cases/new", web_application(village, unit_id, assistance_type, "1200.50"))
    assert response.status_code == 302, response.text
    with db.unit_of_work() as uow:
        s = uow.session
        case = s.execute(select(Case).order_by(Case.id.desc()).limit(1)).scalar_one()
        assert case.process_id == process_id and case.assistance_type == assistance_type
        assert case.applicant_name == "周建国" and case.summary["household_size"] == 2
        task = s.execute(select(HumanTask).where(HumanTask.case_id == case.id)).scalar_one()
    assert task.task_name == first_task
    form_page = login(doer).get(f"/tasks/{task.id}")
    assert form_page.status_code == 200 and case.number in form_page.text


def test_an_unsafe_cell_in_the_decision_table_is_refused_at_deploy(tmp_path):
    from pathlib import Path

    from engine.catalogue.deployment import validate_decision
    source = Path("processes/decisions/temporary_assistance_approver.dmn").read_text(encoding="utf-8")
    decision, problems = validate_decision(Path("processes/decisions/temporary_assistance_approver.dmn"), "ok.dmn")
    assert problems == [] and decision.decision_id == "temporary_assistance_approver"
    broken = tmp_path / "approver.dmn"
    broken.write_text(source.replace("&lt;= small_temporary_limit</text></inputEntry>\n        <outputEntry "
                                     "id=\"Rule_santidikou_small_approver\">",
                                     "&lt;= small_temporary_limit.__class__</text></inputEntry>\n        <outputEntry "
                                     "id=\"Rule_santidikou_small_approver\">", 1), encoding="utf-8")
    decision, problems = validate_decision(broken, "decisions/approver.dmn")
    assert decision is None and len(problems) == 1
    assert problems[0].element_id == "Rule_santidikou_small_amount" and "__class__" in problems[0].message
