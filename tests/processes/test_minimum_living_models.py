"""The four 低保 routes side by side (rules §9.2): who does each step, which documents are issued,
which publicity kinds a case goes through; and every branch of the Siping, Santidikou and
national routes, walked through the real BPMN by the demo users of each place."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from tests.factories import sample_application
from engine.catalogue.forms import mask_id_number, with_check_digit
from engine.errors import FormInvalid
from engine.store.models import Case, Document, HumanTask, Recipient
from engine.catalogue.versions import get_version
from engine.oversight.reports import monthly_report, payment_roll
from tests.factories import DONGJIE, FORM_DATA, RENXING, SANTIDIKOU, SHUANGYUAN, in_order, start

pytestmark = pytest.mark.usefixtures("db")

SIPING = "minimum_living_siping"
SANTIDIKOU_MODEL = "minimum_living_santidikou"
NATIONAL = "minimum_living_national"

# Documents that publicise a household (公示, 公布, 长期公示) rather than notify it.
PUBLISHED = {"publicity_list", "minimum_living_publicity_list", "minimum_living_announcement",
             "minimum_living_county_announcement", "minimum_living_appraisal_publicity",
             "minimum_living_approval_publicity", "minimum_living_longterm_publicity"}
SIPING_ID = with_check_digit("22030219650312102")
SANTIDIKOU_ID = with_check_digit("34060319620815202")
DONGJIE_ID = with_check_digit("34060319580101301")

SIPING_FORMS = {
    **FORM_DATA,
    "check_request": {"check_request_decision": "requested", "check_requested_on": "2026-09-15", "privacy_case": False},
    "center_check": {"center_forwarded_on": "2026-09-15", "check_result": "eligible",
                     "check_report_number": "JLHD-220302-2026-0815",
                     "check_findings": "未发现机动车、商业保险及大额存款"},
    "acceptance": {"acceptance_decision": "accepted", "accepted_on": "2026-09-17"},
    "near_relative_filing": {"relative_of": "申请人之女为仁兴社区居委会委员", "filing_number": "TX-BA-2026-03"},
    "publicity": {"objection_summary": "居民反映申请人之子在外地务工有稳定收入", "objection_lodged_on": "2026-09-25"},
    "democratic_appraisal": {"appraisal_held_on": "2026-09-28", "participants": 14, "villager_representatives": 10,
                             "votes_for": 12, "votes_against": 2,
                             "appraisal_conclusion": "经社区两委、网格长、居民代表评议，其子收入不稳定，多数同意纳入"},
    "revised_opinion": {"opinion": "eligible", "opinion_reasons": "经民主评议，符合条件"},
    "approval": {"confirmation_decision": "confirmed", "confirmed_on": "2026-10-12"},
}
SANTIDIKOU_FORMS = {
    **FORM_DATA,
    "near_relative_filing": {"relative_of": "申请人之侄为三堤口街道民政办工作人员", "filing_number": "XSQ-BA-2026-07"},
    "economic_check": {"check_result": "eligible", "check_report_number": "AHHD-340603-2026-1102"},
    "democratic_appraisal": {"appraisal_held_on": "2026-09-22", "participants": 12, "villager_representatives": 9,
                             "votes_for": 11, "votes_against": 1, "appraisal_conclusion": "同意纳入最低生活保障"},
    "appraisal_publicity": {"objection_summary": "居民反映申请人有一辆营运车辆", "objection_lodged_on": "2026-09-24"},
    "reinvestigation": {"reinvestigation_findings": "经重新调查，车辆已于2025年转让，无营运收入"},
    "panel_review": {"panel_decision": "approved", "votes_for": 5, "votes_against": 0, "votes_abstain": 0,
                     "panel_opinion": "材料齐全，程序合规，同意纳入", "meeting_number": "STK-PS-2026-10"},
    "street_approval": {"confirmation_decision": "confirmed", "confirmed_on": "2026-10-12"},
    "approval_publicity": {"objection_summary": "有人反映申请人儿子在外地工作", "objection_lodged_on": "2026-10-15"},
    "longterm_publicity": {"certificate_number": "淮相低证2026-0031", "longterm_posted_on": "2026-10-20",
                           "longterm_places": "三堤口街道便民服务中心公示栏、三堤口社区居务公开栏"},
}
NATIONAL_FORMS = {
    **FORM_DATA,
    "near_relative_filing": {"relative_of": "申请人之妻为东街社区居委会主任", "filing_number": "XSQ-BA-2026-11"},
    "economic_check": {"check_result": "eligible", "check_report_number": "AHHD-340603-2026-1201"},
    "routine_appraisal": {"appraisal_held_on": "2026-09-21", "participants": 11, "villager_representatives": 8,
                          "votes_for": 10, "votes_against": 1, "appraisal_conclusion": "同意纳入"},
    "confirmation": {"confirmation_decision": "confirmed", "confirmed_on": "2026-10-12"},
    "deliver_non_confirmation": {"delivered_on": "2026-10-14", "delivery_method": "in_person",
                                 "delivery_receiver": "赵德明"},
}


def household(name, id_number, address, channel="village_proxy", incomes=(300, 0, 200), near_relative=False):
    """A 低保 application of a household of three (the applicant first)."""
    return {**sample_application(name, id_number, list(incomes), near_relative), "address": address,
            "channel": channel}


class Trail:
    """A Walk that remembers who did each step, in which lane."""

    def __init__(self, walk):
        self.walk = walk

    @property
    def steps(self) -> list[tuple[str, str, str]]:
        """(step, lane role, username) of every step done so far."""
        return self.walk.trail

    def do(self, name, **overrides) -> str:
        return self.walk.do(name, **overrides)

    def drive_to(self, name, **choices) -> None:
        self.walk.drive_to(name, **choices)

    def who(self, name) -> str:
        return next(user for step, _role, user in self.steps if step == name)

    def names(self) -> list[str]:
        return [step for step, _role, _user in self.steps]


@pytest.fixture
def lodge(db, clock, who, unit_id):
    """lodge(model, **kw) → a Trail of a household's application under that model."""
    def go(model, near_relative=False, incomes=(300, 0, 200), fresh=False, account=None, **kw):
        if account and model != "xiangshui":
            kw = {**kw, "data_extra": account}
        if model == "xiangshui":
            walk = start(db, clock, who, unit_id, village=SHUANGYUAN, near_relative=near_relative,
                         incomes=incomes, **kw, **(account or {}))
        elif model == "siping":
            walk = start(db, clock, who, unit_id, village=RENXING, process_id=SIPING, form_data=SIPING_FORMS,
                         data={**household("李淑芬", SIPING_ID, "四平市铁西区仁兴街道仁兴社区5组", incomes=incomes,
                                        near_relative=near_relative), **kw.pop("data_extra", {})}, **kw, fresh_applicant=fresh)
        elif model == "santidikou":
            walk = start(db, clock, who, unit_id, village=SANTIDIKOU, process_id=SANTIDIKOU_MODEL,
                         form_data=SANTIDIKOU_FORMS,
                         data={**household("张桂兰", SANTIDIKOU_ID, "淮北市相山区三堤口街道三堤口社区8栋",
                                        incomes=incomes, near_relative=near_relative), **kw.pop("data_extra", {})}, **kw, fresh_applicant=fresh)
        else:
            village = kw.pop("village", DONGJIE)
            walk = start(db, clock, who, unit_id, village=village, process_id=NATIONAL, form_data=NATIONAL_FORMS,
                         data={**household("赵德明", DONGJIE_ID, "淮北市相山区东街街道东街社区2号楼", "window",
                                        incomes=incomes, near_relative=near_relative), **kw.pop("data_extra", {})}, **kw, fresh_applicant=fresh)
        return Trail(walk)
    return go


def documents(db, case_id) -> list[Document]:
    with db.unit_of_work() as uow:
        s = uow.session
        return s.execute(select(Document).where(Document.case_id == case_id).order_by(Document.id)).scalars().all()


def document(db, case_id, kind) -> Document:
    found = [d for d in documents(db, case_id) if d.kind == kind]
    assert len(found) == 1, f"{kind}: {[d.kind for d in documents(db, case_id)]}"
    return found[0]


def registered(db, case_id) -> tuple | None:
    """(monthly amount, payments from) of the household a case put on the register of recipients."""
    with db.unit_of_work() as uow:
        s = uow.session
        row = s.execute(select(Recipient).where(Recipient.case_id == case_id)).scalar_one_or_none()
        return (row.monthly_amount, row.payment_from.isoformat()) if row else None


def publicity_periods(db, case_id) -> list[str]:
    """The 公示 periods (BPMN property `publicity`) of every step the case has opened, in order."""
    with db.unit_of_work() as uow:
        s = uow.session
        case = s.get(Case, case_id)
        tasks = get_version(s, case.process_version_id).tasks
        names = s.execute(select(HumanTask.task_name).where(HumanTask.case_id == case_id)
                          .order_by(HumanTask.created_at, HumanTask.id)).scalars().all()
    return [tasks[n]["properties"]["publicity"] for n in names if "publicity" in tasks[n]["properties"]]


def quiet_publicity(trail, clock) -> None:
    """Let the open 公示 run its full period without objection."""
    assert not trail.walk.fire_timers(), "a 公示 must not end early"
    clock.advance(days=7, minutes=1)
    assert trail.walk.fire_timers()


# --- one application per model, side by side ------------------------------------------------
def walk_xiangshui(lodge, clock):
    t = lodge("xiangshui")
    t.drive_to("publicity")
    quiet_publicity(t, clock)
    t.drive_to("confirmation")
    t.do("confirmation")
    return t


def walk_siping(lodge, clock):
    t = lodge("siping")
    t.drive_to("publicity")
    assert t.walk.open_names() == ["publicity"] and t.walk.open_tasks()[0].role == "village"
    quiet_publicity(t, clock)
    t.do("approval")
    return t


def walk_santidikou(lodge, clock):
    t = lodge("santidikou")
    t.drive_to("appraisal_publicity")
    quiet_publicity(t, clock)  # 民主评议结果公示
    t.do("panel_review")
    t.do("street_approval")
    quiet_publicity(t, clock)  # 审批结果公示
    t.do("longterm_publicity")
    return t


def walk_national(lodge, clock):
    t = lodge("national")
    t.drive_to("publicity")
    quiet_publicity(t, clock)
    t.do("confirmation")
    return t


def test_xiangshui_the_town_does_everything_but_the_check(lodge, clock, db):
    t = walk_xiangshui(lodge, clock)
    assert in_order(t.steps, [
        ("acceptance", "township", "township_xs"), ("economic_check", "county", "county_mz"),
        ("home_investigation", "township", "township_xs"), ("preliminary_opinion", "township", "township_xs"),
        ("confirmation", "township", "township_xs")])
    case = t.walk.case()
    assert case.outcome == "end_confirmed" and case.summary["monthly_amount"] == 1840.0
    assert [d.kind for d in documents(db, t.walk.case_id)] == ["acceptance_notice", "publicity_list",
                                                              "confirmation_notice", "minimum_living_announcement"]
    assert publicity_periods(db, t.walk.case_id) == ["preliminary"]
    notice = document(db, t.walk.case_id, "confirmation_notice")
    assert notice.number == "响民低确〔2026〕1号" and "响水镇人民政府" in notice.body


def test_siping_the_street_accepts_after_the_centre_checks_and_approves(lodge, clock, db):
    t = lodge("siping")
    assert t.walk.open_names() == ["check_request"]
    t.do("check_request")
    assert t.walk.open_tasks()[0].role == "district_center"
    t.do("center_check")
    assert t.walk.case().accepted_on is None, "in Siping 受理 follows the 信息核对"
    t.do("acceptance")
    assert t.walk.case().accepted_on is not None
    for step in ("home_investigation", "preliminary_opinion"):
        t.do(step)
    quiet_publicity(t, clock)
    assert t.walk.open_names() == ["approval"], "no 民主评议 without a dispute"
    t.do("approval")
    assert in_order(t.steps, [
        ("check_request", "township", "street_rx"), ("center_check", "district_center", "center_tx"),
        ("acceptance", "township", "street_rx"), ("home_investigation", "township", "street_rx"),
        ("preliminary_opinion", "township", "street_rx"), ("approval", "township", "street_rx")])
    case = t.walk.case()
    # (690 − 500/3) × 3 = 1570.00 under 四平铁西's 2024 standard, from the month after the approval.
    assert case.status == "completed" and case.outcome == "end_approved"
    assert case.summary["monthly_amount"] == 1570.0 and case.summary["payment_from"] == "2026-11-01"
    docs = documents(db, t.walk.case_id)
    assert [d.kind for d in docs] == ["minimum_living_acceptance_notice", "minimum_living_publicity_list",
                                      "minimum_living_approval_notice", "minimum_living_announcement"]
    assert [d.number for d in docs] == ["四民低受〔2026〕1号", "四民低公〔2026〕1号", "四民低批〔2026〕1号",
                                        "四民低公布〔2026〕1号"]
    assert publicity_periods(db, t.walk.case_id) == ["preliminary"]
    masked = mask_id_number(SIPING_ID)
    acceptance = docs[0]
    assert acceptance.title == "受理通知书" and "四平市铁西区仁兴街道办事处" in acceptance.body
    assert "李淑芬" in acceptance.body and masked in acceptance.body and SIPING_ID not in acceptance.body
    assert "区社会救助中心通过省级核对机构" in acceptance.body and "JLHD-220302-2026-0815" in acceptance.body
    assert "于 2026-09-17 予以受理" in acceptance.body and "我街道将组织入户调查" in acceptance.body
    publicity = docs[1]
    assert "仁兴社区" in publicity.body and masked in publicity.body and "166.67" in publicity.body
    assert "公示期 7 天" in publicity.body and "仁兴社区居民委员会或仁兴街道办事处反映" in publicity.body
    approval = docs[2]
    assert approval.title == "最低生活保障审批通知书" and "仁兴街道办事处于 2026-10-12 批准纳入最低生活保障" in approval.body
    assert "1570.00 元" in approval.body and "自 2026-11 起按月发放" in approval.body
    announcement = docs[3]
    assert announcement.title == "最低生活保障对象公布" and "公示期满无异议" in announcement.body
    assert "李淑芬" in announcement.body and "1570.00" in announcement.body and masked not in announcement.body


def test_santidikou_appraisal_always_panel_then_street_and_three_publicities(lodge, clock, db):
    t = walk_santidikou(lodge, clock)
    assert in_order(t.steps, [
        ("acceptance", "township", "street_stk"), ("economic_check", "county", "district_xsq"),
        ("home_investigation", "township", "street_stk"), ("democratic_appraisal", "village", "community_stk"),
        ("panel_review", "review_panel", "panel_stk"), ("street_approval", "township", "street_stk"),
        ("longterm_publicity", "township", "street_stk")])
    case = t.walk.case()
    # (730 − 500/3) × 3 = 1690.00 under 相山区's 2024 standard.
    assert case.outcome == "end_approved" and case.summary["monthly_amount"] == 1690.0
    docs = documents(db, t.walk.case_id)
    assert [d.kind for d in docs] == [
        "minimum_living_acceptance_notice", "minimum_living_appraisal_publicity",
        "minimum_living_approval_publicity", "minimum_living_approval_notice", "minimum_living_longterm_publicity"]
    assert [d.number for d in docs] == ["淮民低受〔2026〕1号", "淮民低评公〔2026〕1号", "淮民低批公〔2026〕1号",
                                        "淮民低批〔2026〕1号", "淮民低长公〔2026〕1号"]
    assert publicity_periods(db, t.walk.case_id) == ["appraisal", "approval"]
    masked = mask_id_number(SANTIDIKOU_ID)
    acceptance, appraisal, approval_publicity, approval, longterm = docs
    assert "三堤口街道办事处" in acceptance.body and "材料齐全" in acceptance.body and masked in acceptance.body
    assert "我街道将在受理后 3 个工作日内启动家庭经济状况调查" in acceptance.body
    assert appraisal.title == "最低生活保障民主评议结果公示"
    assert "三堤口社区居民委员会于 2026-09-22 召开最低生活保障民主评议会" in appraisal.body
    assert "参加人员 12 人，其中居民代表 9 人" in appraisal.body and "<td>11</td><td>1</td>" in appraisal.body
    assert masked in appraisal.body and SANTIDIKOU_ID not in appraisal.body
    assert approval_publicity.title == "最低生活保障审批结果公示" and "拟批准" in approval_publicity.body
    assert "1690.00" in approval_publicity.body and masked in approval_publicity.body
    assert "评审小组评审（会议记录编号 STK-PS-2026-10）和审批结果公示" in approval.body
    assert "最低生活保障证编号 淮相低证2026-0031" in approval.body and "1690.00 元" in approval.body
    assert longterm.title == "最低生活保障对象长期公示" and "现予长期公示" in longterm.body
    assert "三堤口社区居务公开栏" in longterm.body and "淮相低证2026-0031" in longterm.body
    assert "自 2026-11 起享受" in longterm.body and masked in longterm.body


def test_national_township_reviews_and_publicises_the_county_confirms(lodge, clock, db):
    t = walk_national(lodge, clock)
    assert in_order(t.steps, [
        ("acceptance", "township", "street_dj"), ("economic_check", "county", "district_xsq"),
        ("home_investigation", "township", "street_dj"), ("preliminary_opinion", "township", "street_dj"),
        ("confirmation", "county", "district_xsq")])
    assert "routine_appraisal" not in t.names(), "相山区: 民主评议 only on objection (57号第十九条)"
    case = t.walk.case()
    assert case.outcome == "end_confirmed" and case.summary["monthly_amount"] == 1690.0
    docs = documents(db, t.walk.case_id)
    assert [d.kind for d in docs] == [
        "minimum_living_acceptance_notice", "minimum_living_publicity_list",
        "minimum_living_county_confirmation_notice", "minimum_living_county_announcement"]
    assert publicity_periods(db, t.walk.case_id) == ["preliminary"]
    confirmation = docs[2]
    assert confirmation.number == "淮民低确〔2026〕1号" and confirmation.title == "最低生活保障确认通知书"
    assert '<h2 class="doc-title">淮北市相山区民政局<br>最低生活保障确认通知书</h2>' in confirmation.body
    assert "经东街街道办事处调查、初审并公示，报我局审核，于 2026-10-12 确认纳入最低生活保障" in confirmation.body
    assert mask_id_number(DONGJIE_ID) in confirmation.body and "1690.00 元" in confirmation.body
    announcement = docs[3]
    assert "淮北市相山区民政局" in announcement.body and "我局于 2026-10-12 审核确认" in announcement.body
    assert "赵德明" in announcement.body and "1690.00" in announcement.body


def test_the_four_models_side_by_side(lodge, clock, db):
    """Rules §9.2 in one table: who checks, who decides, whether 民主评议 always happens, which 公示."""
    trails = {"xiangshui": walk_xiangshui(lodge, clock), "siping": walk_siping(lodge, clock),
              "santidikou": walk_santidikou(lodge, clock), "national": walk_national(lodge, clock)}
    check_step = {"xiangshui": "economic_check", "siping": "center_check", "santidikou": "economic_check",
                  "national": "economic_check"}
    decision_step = {"xiangshui": "confirmation", "siping": "approval", "santidikou": "street_approval",
                     "national": "confirmation"}
    table = {model: {
        "checked_by": t.who(check_step[model]),
        "decided_by": t.who(decision_step[model]),
        "panel": [user for step, _r, user in t.steps if step == "panel_review"],
        "appraised_without_dispute": any("appraisal" in step for step in t.names()),
        "publicity": publicity_periods(db, t.walk.case_id),
        "published": [d.title for d in documents(db, t.walk.case_id) if d.kind in PUBLISHED],
        "registered": registered(db, t.walk.case_id),
    } for model, t in trails.items()}
    assert table == {
        "xiangshui": {"checked_by": "county_mz", "decided_by": "township_xs", "panel": [],
                      "appraised_without_dispute": False, "publicity": ["preliminary"],
                      "published": ["最低生活保障审核结果公示名单", "最低生活保障对象公布"],
                      "registered": (1840.0, "2026-11-01")},
        "siping": {"checked_by": "center_tx", "decided_by": "street_rx", "panel": [],
                   "appraised_without_dispute": False, "publicity": ["preliminary"],
                   "published": ["最低生活保障审核结果公示", "最低生活保障对象公布"],
                   "registered": (1570.0, "2026-11-01")},
        "santidikou": {"checked_by": "district_xsq", "decided_by": "street_stk", "panel": ["panel_stk"],
                       "appraised_without_dispute": True, "publicity": ["appraisal", "approval"],
                       "published": ["最低生活保障民主评议结果公示", "最低生活保障审批结果公示", "最低生活保障对象长期公示"],
                       "registered": (1690.0, "2026-11-01")},
        # 相山区 follows 57号第十九条 (on objection) on the national route; 三堤口街道's own rules say always.
        "national": {"checked_by": "district_xsq", "decided_by": "district_xsq", "panel": [],
                     "appraised_without_dispute": False, "publicity": ["preliminary"],
                     "published": ["最低生活保障审核结果公示", "最低生活保障对象公布"],
                     "registered": (1690.0, "2026-11-01")},
    }


# --- Siping branches --------------------------------------------------------------------------
def test_siping_incomplete_materials_before_the_check(lodge, db):
    t = lodge("siping")
    t.do("check_request", check_request_decision="incomplete", missing_materials="户口簿复印件、残疾证")
    assert t.walk.open_names() == ["supplement"] and t.who("check_request") == "street_rx"
    notice = document(db, t.walk.case_id, "minimum_living_supplement_notice")
    assert notice.number == "四民低补〔2026〕1号" and "户口簿复印件、残疾证" in notice.body
    assert "仁兴社区居民委员会或仁兴街道办事处重新提交" in notice.body
    assert t.do("supplement") == "community_rx"
    assert t.walk.open_names() == ["check_request"]
    t.do("check_request")
    assert t.walk.open_names() == ["center_check"]


def test_siping_check_fails_without_objection_not_accepted_in_writing(lodge, db):
    t = lodge("siping")
    t.do("check_request")
    t.do("center_check", check_result="ineligible", check_findings="家庭成员名下有商业保险年缴保费3万元")
    assert t.walk.open_names() == ["inform_check_result"]
    t.do("inform_check_result", check_objection=False)
    case = t.walk.case()
    assert case.outcome == "end_check_not_accepted" and case.accepted_on is None
    notice = document(db, t.walk.case_id, "minimum_living_check_rejection_notice")
    assert notice.title == "不予受理告知书" and notice.number == "四民低不受〔2026〕1号"
    assert "家庭成员名下有商业保险年缴保费3万元" in notice.body and "JLHD-220302-2026-0815" in notice.body
    assert "决定不予受理" in notice.body and "行政复议" in notice.body and mask_id_number(SIPING_ID) in notice.body


def test_siping_check_objection_means_supplying_evidence_and_a_new_check(lodge, db):
    t = lodge("siping")
    t.do("check_request")
    t.do("center_check", check_result="ineligible", check_findings="名下登记机动车一辆")
    t.do("inform_check_result", check_objection=True, check_objection_reason="车辆已报废")
    assert t.walk.open_names() == ["supplement"]
    assert [d.kind for d in documents(db, t.walk.case_id)] == [], "no refusal while the applicant objects"
    t.do("supplement", supplied_materials="机动车报废证明")
    t.do("check_request")
    t.do("center_check", check_report_number="JLHD-220302-2026-0901")
    t.do("acceptance")
    assert t.walk.open_names() == ["home_investigation"]
    assert [user for step, _r, user in t.steps if step == "center_check"] == ["center_tx", "center_tx"]


def test_siping_not_accepted_after_the_check(lodge, db):
    t = lodge("siping")
    t.do("check_request")
    t.do("center_check")
    t.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="申请人户籍不在本街道")
    assert t.walk.case().outcome == "end_not_accepted"
    notice = document(db, t.walk.case_id, "minimum_living_rejection_notice")
    assert "申请人户籍不在本街道" in notice.body and "仁兴街道办事处" in notice.body


def test_siping_dispute_goes_to_democratic_appraisal_and_near_relative_to_the_district(lodge, clock, db):
    t = lodge("siping", near_relative=True)
    for step in ("check_request", "center_check", "acceptance"):
        t.do(step)
    assert t.walk.open_names() == ["near_relative_filing"]
    for step in ("near_relative_filing", "home_investigation", "preliminary_opinion"):
        t.do(step)
    t.do("publicity")  # an objection lodged in the 公示 makes the case disputed
    assert t.walk.open_names() == ["democratic_appraisal"], "Siping: a dispute always goes to 民主评议"
    assert t.walk.case().next_due_at is None
    t.do("democratic_appraisal")
    t.do("revised_opinion")
    assert t.walk.open_names() == ["county_home_visit"]
    t.do("county_home_visit")
    t.do("approval", confirmation_decision="not_confirmed", confirmation_reasons="其子有稳定收入，家庭人均收入高于标准")
    assert [(step, user) for step, _r, user in t.steps[3:]] == [
        ("near_relative_filing", "street_rx"), ("home_investigation", "street_rx"),
        ("preliminary_opinion", "street_rx"), ("publicity", "community_rx"), ("democratic_appraisal", "community_rx"),
        ("revised_opinion", "street_rx"), ("county_home_visit", "district_tx"), ("approval", "street_rx")]
    assert t.walk.case().outcome == "end_refused" and registered(db, t.walk.case_id) is None
    docs = documents(db, t.walk.case_id)
    assert [d.kind for d in docs] == ["minimum_living_acceptance_notice", "minimum_living_publicity_list",
                                      "minimum_living_refusal_notice"]
    refusal = docs[-1]
    assert refusal.title == "不予批准告知书" and refusal.number == "四民低不批〔2026〕1号"
    assert "其子有稳定收入" in refusal.body and "仁兴街道办事处于 2026-10-12 决定不予批准" in refusal.body


def test_siping_ineligible_opinion_is_refused_without_publicity(lodge, db):
    t = lodge("siping")
    for step in ("check_request", "center_check", "acceptance", "home_investigation"):
        t.do(step)
    t.do("preliminary_opinion", opinion="ineligible", opinion_reasons="人均收入高于标准")
    assert t.walk.open_names() == ["approval"]
    t.do("approval", confirmation_decision="not_confirmed", confirmation_reasons="人均收入高于标准")
    assert t.walk.case().outcome == "end_refused"
    assert publicity_periods(db, t.walk.case_id) == []


# --- Santidikou branches ----------------------------------------------------------------------
def test_santidikou_supplement_and_not_accepted(lodge, db):
    t = lodge("santidikou")
    t.do("acceptance", acceptance_decision="incomplete", missing_materials="低保申请书、收入证明")
    assert t.do("supplement") == "community_stk"
    t.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="申请人不属于本街道户籍")
    assert t.walk.case().outcome == "end_not_accepted"
    kinds = [d.kind for d in documents(db, t.walk.case_id)]
    assert kinds == ["minimum_living_supplement_notice", "minimum_living_rejection_notice"]
    assert "三堤口街道办事处" in document(db, t.walk.case_id, "minimum_living_rejection_notice").body


@pytest.mark.parametrize("objection, recheck, outcome", [
    (False, None, "end_check_failed"), (True, "ineligible", "end_check_failed"), (True, "eligible", None)])
def test_santidikou_check_failed(lodge, objection, recheck, outcome):
    t = lodge("santidikou")
    t.do("acceptance")
    t.do("economic_check", check_result="ineligible")
    t.do("inform_check_result", check_objection=objection)
    if recheck:
        assert t.do("recheck", recheck_result=recheck) == "street_stk"
    if outcome:
        assert t.walk.case().outcome == outcome
    else:
        assert t.walk.open_names() == ["home_investigation"]


def test_santidikou_panel_returns_the_case_for_reinvestigation_then_street_refuses(lodge, clock, db):
    t = lodge("santidikou")
    for step in ("acceptance", "economic_check", "home_investigation", "democratic_appraisal"):
        t.do(step)
    quiet_publicity(t, clock)
    t.do("panel_review", panel_decision="reinvestigate", votes_for=1, votes_against=4,
         panel_opinion="收入来源说明不清，退回重新入户调查")
    assert t.walk.open_names() == ["home_investigation"] and t.walk.open_tasks()[0].role == "township"
    t.do("home_investigation", investigation_findings="子女每月给付赡养费1500元")
    assert t.walk.open_names() == ["democratic_appraisal"], "民主评议 again: it always happens"
    t.do("democratic_appraisal", votes_for=3, votes_against=9, appraisal_conclusion="多数不同意纳入")
    quiet_publicity(t, clock)
    t.do("panel_review", panel_decision="rejected", votes_for=0, votes_against=5, panel_opinion="赡养费计入后收入超标")
    t.do("street_approval", confirmation_decision="not_confirmed", confirmation_reasons="计入赡养费后家庭人均收入高于标准")
    assert t.walk.case().outcome == "end_refused"
    assert [user for step, _r, user in t.steps if step == "panel_review"] == ["panel_stk", "panel_stk"]
    docs = documents(db, t.walk.case_id)
    assert [d.kind for d in docs] == ["minimum_living_acceptance_notice", "minimum_living_appraisal_publicity",
                                      "minimum_living_appraisal_publicity", "minimum_living_refusal_notice"]
    assert [d.number for d in docs[1:3]] == ["淮民低评公〔2026〕1号", "淮民低评公〔2026〕2号"]
    assert "多数不同意纳入" in docs[2].body and "<td>3</td><td>9</td>" in docs[2].body
    assert "评审意见：赡养费计入后收入超标" in docs[3].body and "计入赡养费后家庭人均收入高于标准" in docs[3].body
    assert publicity_periods(db, t.walk.case_id) == ["appraisal", "appraisal"]


def test_santidikou_objections_in_both_publicities_and_district_home_visit(lodge, clock, db):
    t = lodge("santidikou", near_relative=True)
    t.do("acceptance")
    t.do("near_relative_filing")
    for step in ("economic_check", "home_investigation", "democratic_appraisal"):
        t.do(step)
    t.do("appraisal_publicity")  # objection to the 评议结果
    assert t.walk.open_names() == ["reinvestigation"]
    t.do("reinvestigation")
    assert t.walk.open_names() == ["county_home_visit"], "近亲属: the district visits every such household"
    t.do("county_home_visit")
    t.do("panel_review")
    t.do("street_approval")
    t.do("approval_publicity")  # objection to the 审批结果
    t.do("reinvestigation", reinvestigation_findings="其子在外地打零工，收入不稳定")
    t.do("county_home_visit")
    t.do("panel_review")
    t.do("street_approval", confirmed_on="2026-10-26")
    quiet_publicity(t, clock)
    t.do("longterm_publicity")
    assert t.walk.case().outcome == "end_approved"
    assert [(step, user) for step, _r, user in t.steps] == [
        ("acceptance", "street_stk"), ("near_relative_filing", "street_stk"), ("economic_check", "district_xsq"),
        ("home_investigation", "street_stk"), ("democratic_appraisal", "community_stk"),
        ("appraisal_publicity", "community_stk"), ("reinvestigation", "street_stk"),
        ("county_home_visit", "district_xsq"), ("panel_review", "panel_stk"), ("street_approval", "street_stk"),
        ("approval_publicity", "community_stk"), ("reinvestigation", "street_stk"),
        ("county_home_visit", "district_xsq"), ("panel_review", "panel_stk"), ("street_approval", "street_stk"),
        ("longterm_publicity", "street_stk")]
    # Both objections came on the day their 公示 opened (same timestamp), so compare without order.
    assert sorted(publicity_periods(db, t.walk.case_id)) == ["appraisal", "approval", "approval"]
    assert t.walk.case().summary["payment_from"] == "2026-11-01"
    approval_publicities = [d for d in documents(db, t.walk.case_id) if d.kind == "minimum_living_approval_publicity"]
    assert len(approval_publicities) == 2 and "于 2026-10-26 审批" in approval_publicities[1].body


# --- national branches ------------------------------------------------------------------------
def test_national_supplement_at_the_window_and_not_accepted(lodge, db):
    t = lodge("national")
    t.do("acceptance", acceptance_decision="incomplete", missing_materials="户口簿")
    assert t.walk.open_tasks()[0].role == "township", "no village step: the window takes the materials"
    assert t.do("supplement") == "street_dj"
    t.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="申请人已纳入特困供养")
    assert t.walk.case().outcome == "end_not_accepted"
    notice = document(db, t.walk.case_id, "minimum_living_supplement_notice")
    assert "东街社区居民委员会或东街街道办事处重新提交" in notice.body


@pytest.mark.parametrize("objection, recheck, outcome", [
    (False, None, "end_check_failed"), (True, "ineligible", "end_check_failed"), (True, "eligible", None)])
def test_national_check_failed(lodge, objection, recheck, outcome):
    t = lodge("national")
    t.do("acceptance")
    t.do("economic_check", check_result="ineligible")
    t.do("inform_check_result", check_objection=objection)
    if recheck:
        t.do("recheck", recheck_result=recheck)
    if outcome:
        assert t.walk.case().outcome == outcome
    else:
        assert t.walk.open_names() == ["home_investigation"]


def test_national_not_confirmed_is_delivered_through_the_township(lodge, clock, db):
    t = lodge("national", near_relative=True)
    t.do("acceptance")
    t.do("near_relative_filing")
    for step in ("economic_check", "home_investigation", "preliminary_opinion"):
        t.do(step)
    t.do("publicity")
    t.do("objection_handling", objection_method="democratic_appraisal")
    assert t.walk.open_names() == ["democratic_appraisal"] and t.walk.open_tasks()[0].role == "township"
    t.do("democratic_appraisal")
    t.do("revised_opinion")
    assert t.walk.open_names() == ["county_home_visit"]
    assert t.do("county_home_visit") == "district_xsq"
    t.do("confirmation", confirmation_decision="not_confirmed", confirmation_reasons="其妻为社区干部，隐瞒经营收入")
    assert t.walk.open_names() == ["deliver_non_confirmation"] and t.walk.open_tasks()[0].role == "township"
    notice = document(db, t.walk.case_id, "minimum_living_county_non_confirmation_notice")
    assert notice.number == "淮民低不确〔2026〕1号" and notice.title == "不予确认告知书"
    assert "淮北市相山区民政局" in notice.body and "其妻为社区干部，隐瞒经营收入" in notice.body
    assert "由东街街道办事处自决定之日起 3 个工作日内送达" in notice.body
    assert t.do("deliver_non_confirmation") == "street_dj"
    assert t.walk.case().outcome == "end_not_confirmed" and registered(db, t.walk.case_id) is None
    assert t.who("confirmation") == "district_xsq"


def test_national_reinvestigation_after_objection(lodge, clock):
    t = lodge("national")
    for step in ("acceptance", "economic_check", "home_investigation", "preliminary_opinion", "publicity"):
        t.do(step)
    t.do("objection_handling", objection_method="reinvestigation")
    t.do("reinvestigation")
    t.do("revised_opinion")
    assert t.walk.open_names() == ["confirmation"]
    t.do("confirmation")
    assert t.walk.case().outcome == "end_confirmed"


def test_national_ineligible_opinion_goes_straight_to_the_county(lodge, db):
    t = lodge("national")
    for step in ("acceptance", "economic_check", "home_investigation"):
        t.do(step)
    t.do("preliminary_opinion", opinion="ineligible", opinion_reasons="人均收入高于标准")
    assert t.walk.open_names() == ["confirmation"] and publicity_periods(db, t.walk.case_id) == []


def test_national_route_where_the_county_appraises_every_case(lodge, clock, appraise_always):
    t = lodge("national")
    for step in ("acceptance", "economic_check", "home_investigation"):
        t.do(step)
    assert t.walk.open_names() == ["routine_appraisal"]
    assert t.do("routine_appraisal") == "street_dj"
    assert t.walk.open_names() == ["preliminary_opinion"]


def test_national_route_where_the_county_appraises_only_disputed_cases(lodge, clock, db):
    """The national route follows the county's `democratic_appraisal` rule: 四平铁西's rules say
    "on_objection", so a case there goes from the investigation straight to the 初审意见."""
    t = lodge("national", village=RENXING, username="street_rx")
    for step in ("acceptance", "economic_check", "home_investigation"):
        t.do(step)
    assert t.walk.open_names() == ["preliminary_opinion"]
    t.do("preliminary_opinion")
    quiet_publicity(t, clock)
    assert t.do("confirmation") == "district_tx"
    assert t.walk.case().summary["monthly_amount"] == 1570.0
    assert document(db, t.walk.case_id, "minimum_living_county_confirmation_notice").number == "四民低确〔2026〕1号"



# --- the routes in the app ----------------------------------------------------------------------
def test_siping_centre_finds_its_check_in_its_inbox(lodge, login):
    t = lodge("siping")
    t.do("check_request")
    task_id = t.walk.open_tasks()[0].id
    centre = login("center_tx")
    assert "经省级核对机构信息比对" in centre.get("/inbox").text
    page = centre.get(f"/tasks/{task_id}")
    assert page.status_code == 200 and "提交省级核对机构日期" in page.text and "李淑芬" in page.text
    assert login("street_yx").get(f"/tasks/{task_id}").status_code == 404, "another street's staff see nothing"


def test_santidikou_panel_decides_in_a_meeting(lodge, clock, db, who):
    from engine.cases.panel import agenda, hold_meeting
    t = lodge("santidikou")
    for step in ("acceptance", "economic_check", "home_investigation", "democratic_appraisal"):
        t.do(step)
    quiet_publicity(t, clock)
    chair = who("panel_stk")
    with db.unit_of_work() as uow:
        s = uow.session
        items = agenda(s, chair)
    assert [item.applicant_name for item in items] == ["张桂兰"]
    decision = {k: v for k, v in SANTIDIKOU_FORMS["panel_review"].items() if k != "meeting_number"}
    with db.unit_of_work(write=True) as uow:
        number = hold_meeting(uow.session, chair, clock, {items[0].id: decision}, "朱组长、杨干事、韩主任、居民代表二人")
        uow.commit()
    assert t.walk.open_names() == ["street_approval"]
    t.do("street_approval")
    quiet_publicity(t, clock)
    t.do("longterm_publicity")
    notice = document(db, t.walk.case_id, "minimum_living_approval_notice")
    assert f"街道评审小组评审（会议记录编号 {number}）" in notice.body


# --- every refusal in writing, with the reasons and the rights (audit X5, X6) ------------------------------
APPEAL = {  # county data (processes/counties.toml [county.appeal]) every refusal names
    "xiangshui": ("响水县人民政府", "响水县人民法院"), "siping": ("四平市铁西区人民政府", "四平市铁西区人民法院"),
    "santidikou": ("淮北市相山区人民政府", "淮北市相山区人民法院"), "national": ("淮北市相山区人民政府", "淮北市相山区人民法院")}


def rights_named(body: str, model: str) -> bool:
    authority, court = APPEAL[model]
    return (f"60 日内向{authority}申请行政复议" in body and f"6 个月内直接向{court}提起行政诉讼" in body)


@pytest.mark.parametrize("model", ["xiangshui", "santidikou", "national"])
def test_a_failed_check_ends_in_writing_with_reasons_and_rights(lodge, db, model):
    t = lodge(model)
    t.do("acceptance")
    t.do("economic_check", check_result="ineligible", check_report_number="HD-2026-0815",
         check_findings="家庭成员名下有小型汽车一辆（价值12万元）")
    t.do("inform_check_result", check_objection=False)
    case = t.walk.case()
    assert case.outcome == "end_check_failed"
    notice = document(db, t.walk.case_id, "check_refusal_notice")
    assert notice.title == "核对不符合条件告知书" and "家庭成员名下有小型汽车一辆" in notice.body
    assert "HD-2026-0815" in notice.body and "未提出异议" in notice.body and rights_named(notice.body, model)


def test_a_failed_recheck_ends_in_writing_too(lodge, db):
    t = lodge("xiangshui")
    t.do("acceptance")
    t.do("economic_check", check_result="ineligible", check_findings="存款超过规定")
    t.do("inform_check_result", check_objection=True, check_objection_reason="存款为子女学费")
    t.do("recheck", recheck_result="ineligible", recheck_findings="学费已另行缴纳，存款仍超过规定")
    notice = document(db, t.walk.case_id, "check_refusal_notice")
    assert "学费已另行缴纳，存款仍超过规定" in notice.body and "经组织复查，仍不符合条件" in notice.body
    assert rights_named(notice.body, "xiangshui") and "响水镇人民政府" in notice.body


def test_siping_refusal_names_the_reviewing_authority_and_the_court(lodge, db):
    t = lodge("siping")
    t.do("check_request")
    t.do("center_check", check_result="ineligible", check_findings="家庭成员名下有商业保险年缴保费3万元")
    t.do("inform_check_result", check_objection=False)
    notice = document(db, t.walk.case_id, "minimum_living_check_rejection_notice")
    assert rights_named(notice.body, "siping")


# --- payment through the bank (audit X7) ----------------------------------------------------------------
WALKS = {"xiangshui": (walk_xiangshui, "county_mz", "响水镇"), "siping": (walk_siping, "district_tx", "仁兴街道"),
         "santidikou": (walk_santidikou, "district_xsq", "三堤口街道")}
# model → (the township's own user, a user of another township of the same county)
TOWNSHIP_USERS = {"xiangshui": ("township_xs", "township_cjg"), "siping": ("street_rx", "street_yx"),
                  "santidikou": ("street_stk", "street_dj")}
ACCOUNT = "6217001234567890123"


@pytest.mark.parametrize("model", sorted(WALKS))
def test_a_confirmed_household_is_on_its_townships_payment_roll_with_its_account_masked(lodge, clock, db, who, model):
    walk, county_user, township = WALKS[model]
    t = walk(lambda m: lodge(m, account={"payment_account": ACCOUNT, "account_keeper": "self"}), clock)
    name = t.walk.case().applicant_name
    own_user, other_user = TOWNSHIP_USERS[model]
    november = date(2026, 11, 1)
    with db.unit_of_work() as uow:
        s = uow.session
        rolls = {user: payment_roll(s, who(user), november, kind) for user in (county_user, own_user)
                 for kind in ("minimum_living", "all")}
        reports = {user: monthly_report(s, who(user), november, "minimum_living") for user in (county_user, own_user)}
        other = payment_roll(s, who(other_user), november, "all")
    for roll in rolls.values():  # the county's roll and the township's own, of 低保 and of every type
        [line] = [r for r in roll.rows if r[2] == name]
        assert line[0] == township and line[8] == "*" * 15 + "0123" and ACCOUNT not in map(str, line)
        assert line[9] == "本人" and roll.header[8] == "发放账户（社会保障卡）"
    assert {r[0] for r in rolls[own_user].rows} == {township}, "the township's roll is its own township's"
    assert name not in [r[2] for r in other.rows], "nor on a neighbouring township's"
    for report in reports.values():  # the monthly report of its county, and of its township
        assert any(r[0] == township and r[1] >= 1 for r in report.rows)
    assert {r[0] for r in reports[own_user].rows} == {township, "合计"}


def test_an_account_kept_by_village_staff_needs_the_custody_agreement(lodge, clock, db):
    t = walk_xiangshui(lambda m: lodge(m, account={"payment_account": ACCOUNT, "account_keeper": "village_staff"}),
                       clock)
    agreement = document(db, t.walk.case_id, "custody_agreement")
    assert agreement.title == "最低生活保障金代管协议" and "报响水县民政局备案" in agreement.body
    assert "*" * 15 + "0123" in agreement.body and ACCOUNT not in agreement.body
    # The second household's 公示 is posted in November: one posted now (2026-09-22) would span 中秋 and, under
    # Jiangsu's 5-working-day minimum, last past the 7 days quiet_publicity waits (test_publicity_minimum.py).
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc))
    assert "custody_agreement" not in [d.kind for d in documents(db, walk_xiangshui(lodge, clock).walk.case_id)]


# --- the home investigation's record and the refusal to cooperate (57号 Art. 16, 29; audit X11) ----------
APPLICANTS = {"xiangshui": "王小明", "siping": "李淑芬", "santidikou": "张桂兰", "national": "赵德明"}


@pytest.mark.parametrize("model", sorted(APPLICANTS))
def test_a_household_that_refuses_the_investigation_is_ended_in_writing(lodge, db, model):
    t = lodge(model)
    t.drive_to("home_investigation")
    t.do("home_investigation", household_cooperation="refused",
         refusal_details="申请人拒绝调查人员入户，拒不提供银行流水、拒绝签署补充核对授权书",
         household_signatures=[{"name": APPLICANTS[model], "signature": "declined"}],
         investigation_findings="家庭拒不配合，经济状况无法核实")
    case = t.walk.case()
    assert case.status == "completed" and case.outcome == "end_refused_cooperation" and not t.walk.open_names()
    notice = document(db, t.walk.case_id, "investigation_refusal_notice")
    assert notice.title == "终止审核告知书（拒不配合入户调查）"
    assert "拒绝调查人员入户" in notice.body and "第十六条、第二十九条" in notice.body and rights_named(notice.body, model)
    assert APPLICANTS[model] in notice.body and not PUBLISHED & {d.kind for d in documents(db, t.walk.case_id)}


def test_the_investigation_record_is_signed_by_a_member_present(lodge):
    t = lodge("xiangshui")
    t.drive_to("home_investigation")
    with pytest.raises(FormInvalid) as info:  # present, but nobody signed
        t.do("home_investigation", household_signatures=[{"name": "王小明", "signature": "declined"}])
    assert set(info.value.errors) == {"household_signatures"} and "至少一名家庭成员签字" in info.value.errors[
        "household_signatures"]
    with pytest.raises(FormInvalid) as info:  # signed by someone who is not of the household
        t.do("home_investigation", household_signatures=[{"name": "王小明", "signature": "self"},
                                                         {"name": "周邻居", "signature": "self"}])
    assert set(info.value.errors) == {"household_signatures.1.name"}
    with pytest.raises(FormInvalid) as info:  # a refusal says how the household refused
        t.do("home_investigation", household_cooperation="refused")
    assert set(info.value.errors) == {"refusal_details"}
    assert t.walk.open_names() == ["home_investigation"]
    t.do("home_investigation", household_signatures=[{"name": "王小明", "signature": "self"},
                                                     {"name": "王家成员2", "signature": "guardian"}])
    assert t.walk.open_names() == ["preliminary_opinion"]


def test_a_third_party_investigates_and_letters_ask_the_bank_for_evidence(lodge):
    t = lodge("national")
    t.drive_to("home_investigation")
    with pytest.raises(FormInvalid) as info:  # an entrusted third party is named
        t.do("home_investigation", investigated_by="third_party")
    assert set(info.value.errors) == {"third_party_name"}
    letters = [{"addressee": "中国农业银行淮北分行", "sent_on": "2026-09-16", "letter_outcome": "confirmed",
                "reply_summary": "申请人名下存款余额与申报一致"},
               {"addressee": "淮北市某物流公司", "sent_on": "2026-09-16", "letter_outcome": "no_reply"}]
    t.do("home_investigation", investigated_by="third_party", third_party_name="淮北市社会工作服务中心",
         evidence_letters=letters)
    done = [e for e in t.walk.events() if e.kind == "task_completed" and e.task_name == "home_investigation"]
    assert done[-1].data["third_party_name"] == "淮北市社会工作服务中心" and done[-1].data["evidence_letters"] == letters
    assert t.walk.open_names() and "home_investigation" not in t.walk.open_names()


# --- Jilin's privacy route for people living with HIV/AIDS (吉林省办法; audit gap 10) ----------------------
PRIVACY_CHECK = {"check_result": "eligible", "check_report_number": "TXMZ-HD-2026-0007",
                 "check_findings": "区民政局直接核对：无机动车、无大额存款"}


@pytest.mark.parametrize("decision", ["confirmed", "not_confirmed"])
def test_siping_privacy_route_the_district_checks_and_confirms_with_no_appraisal_and_no_publicity(
        lodge, db, decision):
    t = lodge("siping")
    t.do("check_request", privacy_case=True)
    assert t.walk.case().accepted_on is None
    assert t.walk.open_names() == ["county_privacy_check"] and t.walk.open_tasks()[0].role == "county"
    t.do("county_privacy_check", **PRIVACY_CHECK)
    assert t.walk.case().accepted_on is not None, "the district's direct check starts the clock"
    assert t.walk.open_names() == ["county_privacy_confirmation"]
    t.do("county_privacy_confirmation", confirmation_decision=decision, confirmed_on="2026-09-25",
         **({"confirmation_reasons": "家庭人均收入高于当地低保标准"} if decision == "not_confirmed" else {}))
    case = t.walk.case()
    assert case.status == "completed" and not t.walk.open_names()
    assert [role for _step, role, _user in t.steps] == ["township", "county", "county"], "no 评议, no 公示 step"
    assert publicity_periods(db, t.walk.case_id) == []
    docs = documents(db, t.walk.case_id)
    assert not PUBLISHED & {d.kind for d in docs}, "nothing on a board names the household"
    if decision == "confirmed":
        assert case.outcome == "end_approved" and registered(db, t.walk.case_id) == (1570.0, "2026-10-01")
        (notice,) = docs
        assert notice.kind == "minimum_living_county_confirmation_notice"
        assert "经我局直接核对、审核（隐私保护，不进行民主评议和公示）" in notice.body and "公示，报我局" not in notice.body
    else:
        assert case.outcome == "end_privacy_not_confirmed" and registered(db, t.walk.case_id) is None
        (notice,) = docs
        assert notice.kind == "minimum_living_county_non_confirmation_notice" and "由我局直接送达" in notice.body
        assert "高于当地低保标准" in notice.body and rights_named(notice.body, "siping")


def test_siping_privacy_case_is_never_sent_back_to_the_community_for_missing_materials(lodge):
    """The community may no longer see a privacy case (R59), so its 补正 cannot go back there: the street
    collects the materials itself and asks for the check only when they are complete."""
    t = lodge("siping")
    with pytest.raises(FormInvalid) as info:
        t.do("check_request", privacy_case=True, check_request_decision="incomplete", missing_materials="户口簿复印件")
    assert "check_request_decision" in info.value.errors
    assert t.walk.open_names() == ["check_request"] and not t.walk.case().privacy
