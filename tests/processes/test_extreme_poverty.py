"""特困人员救助供养: the three routes (Xiangshui, Siping, national) walked through every branch of the
real BPMN, with who does each step, the amounts and the documents (文书) they issue."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import engine.catalogue.rules
from engine.cases import lifecycle as cases
from engine.cases.lifecycle import start_application
from engine.errors import FormInvalid
from engine.catalogue.forms import with_check_digit
from engine.store.models import Case, Document, HumanTask
from engine.catalogue.versions import get_version
from engine.runtime.workflow import Workflow
from tests.factories import DONGJIE, FORM_DATA, RENXING, SANTIDIKOU, SHUANGYUAN, start

pytestmark = pytest.mark.usefixtures("db")

XIANGSHUI = "extreme_poverty_xiangshui"
SIPING = "extreme_poverty_siping"
NATIONAL = "extreme_poverty_national"

# Applicants: an old man at each demo place whose only son is in prison (so has no ability to support).
PEOPLE = {
    SHUANGYUAN: ("王德福", "32092119540305123", "响水县响水镇双园村5组", "32092119780612131"),
    RENXING: ("刘桂兰", "22030219500817222", "四平市铁西区仁兴街道仁兴社区3委", "22030219750203141"),
    SANTIDIKOU: ("孙长山", "34060319480112151", "淮北市相山区三堤口街道三堤口社区2号楼", "34060319730926171"),
    DONGJIE: ("赵月英", "34060319520420282", "淮北市相山区东街街道东街社区", "34060319790301191"),
}
ADL_PARTIAL = {"adl_eating": True, "adl_dressing": True, "adl_bed_transfer": False, "adl_toileting": True,
               "adl_indoor_walking": False, "adl_bathing": False}          # 3 not done alone → 部分失能
ADL_TOTAL = {**ADL_PARTIAL, "adl_dressing": False, "adl_toileting": False}  # 5 → 完全失能
ADL_SELF = {key: True for key in ADL_PARTIAL}                               # 0 → 完全自理
ELIGIBLE = {"support_opinion": "eligible", "finding_no_work_capacity": True, "finding_no_living_source": True,
            "finding_no_capable_supporter": True, "proposed_care_mode": "dispersed",
            "opinion_reasons": "年满60周岁，无收入，唯一儿子服刑，符合特困人员认定条件"}
INELIGIBLE = {"support_opinion": "ineligible", "finding_no_work_capacity": True, "finding_no_living_source": False,
              "finding_no_capable_supporter": True, "opinion_reasons": "本人有租金收入，高于当地低保标准"}
EP_FORM_DATA: dict[str, dict[str, Any]] = {
    **{k: FORM_DATA[k] for k in ("acceptance", "supplement", "economic_check", "inform_check_result", "recheck",
                                 "publicity", "objection_handling", "democratic_appraisal", "reinvestigation")},
    "investigation": {"investigators": [{"name": "张干事"}, {"name": "李干事"}], "visited_on": "2026-09-18",
                      "household_cooperation": "cooperated",
                      "village_assisted": True, "living_situation": "独居，患高血压，行动不便",
                      "supporters_findings": "唯一儿子在监狱服刑，无履行赡养义务能力",
                      "investigation_findings": "情况属实", "appraisal_requested": False},
    "self_care_assessment": {"assessed_on": "2026-09-21", "assessment_agency": "受委托的第三方评估机构",
                             "assessors": [{"name": "赵评估"}, {"name": "钱评估"}], **ADL_PARTIAL},
    "preliminary_opinion": ELIGIBLE,
    "approval_opinion": ELIGIBLE,
    "revised_opinion": {**ELIGIBLE, "opinion_reasons": "经重新调查，异议不成立，仍符合条件"},
    "objection_appraisal": FORM_DATA["democratic_appraisal"],
    "confirmation": {"confirmation_decision": "confirmed", "confirmed_on": "2026-10-12", "care_mode": "dispersed"},
    "approval": {"confirmation_decision": "confirmed", "confirmed_on": "2026-10-12", "care_mode": "dispersed"},
    "care_agreement": {"caregiver_name": "王小红", "caregiver_relation": "relative", "agreement_signed_on": "2026-10-14",
                       "care_content": "每日上门送餐、协助洗澡"},
    "institution_placement": {"admitted_on": "2026-10-20", "placement_agreement_number": "RZ-2026-015"},
    "refusal_delivery": {"notice_delivered_on": "2026-10-14", "delivery_method": "village_committee"},
}


def application(village: str, **overrides) -> dict[str, Any]:
    """A valid 特困 application of the demo place's applicant."""
    name, id17, address, son17 = PEOPLE[village]
    return {"applicant_name": name, "applicant_id_number": with_check_digit(id17), "age": 72, "address": address,
            "phone": "0515-86812345", "hukou_type": "rural", "channel": "village_proxy",
            "disability_category": "none", "disability_grade": 0, "monthly_income": 120, "savings": 800,
            "assets": "自住平房一间，无车辆", "supporters": [
                {"name": f"{name[0]}小军", "id_number": with_check_digit(son17), "relation": "child",
                 "supporter_status": "incapacitated_missing_imprisoned"}],
            "preferred_care_mode": "dispersed", "orphan": False, "authorises_check": True, **overrides}


@pytest.fixture
def walk(db, clock, who, unit_id):
    def go(village: str, process_id: str, fresh: bool = True, **overrides):
        return start(db, clock, who, unit_id, village=village, process_id=process_id,
                     data=application(village, **overrides), form_data=EP_FORM_DATA, fresh_applicant=fresh)
    return go


def documents(db, case_id) -> dict[str, list[Document]]:
    """kind → the documents of that kind issued for the case, in order."""
    out: dict[str, list[Document]] = {}
    with db.unit_of_work() as uow:
        s = uow.session
        for d in s.execute(select(Document).where(Document.case_id == case_id).order_by(Document.id)).scalars():
            out.setdefault(d.kind, []).append(d)
    return out


def case_data(db, case_id) -> dict[str, Any]:
    """The case's current workflow data (form submissions plus script and decision results)."""
    with db.unit_of_work() as uow:
        s = uow.session
        case = s.get(Case, case_id)
        return Workflow.restore(get_version(s, case.process_version_id).spec, case.state).data


def end_publicity(w, clock) -> None:
    assert w.open_names() == ["publicity"] and w.open_tasks()[0].role == "village"
    assert not w.fire_timers(), "公示 must run its 7 days"
    clock.advance(days=7, minutes=1)
    assert w.fire_timers()


def assert_masked(doc: Document, village: str) -> None:
    region = PEOPLE[village][1][:6]
    assert not re.search(r"\d{17}[\dX]", doc.body) and re.search(rf"{region}\*{{8}}\d{{3}}[\dX]", doc.body)


# --- routing ----------------------------------------------------------------------------------
def test_each_place_runs_its_model_route(db, clock, who, unit_id):
    expected = {SHUANGYUAN: ("village_sy", XIANGSHUI), RENXING: ("community_rx", SIPING),
                SANTIDIKOU: ("community_stk", NATIONAL), DONGJIE: ("street_dj", NATIONAL)}
    for village, (username, process_id) in expected.items():
        with db.unit_of_work(write=True) as uow:
            started = start_application(uow.session, who(username), clock, "extreme_poverty", unit_id(village),
                                        application(village))
            uow.commit()
        with db.unit_of_work() as uow:
            s = uow.session
            case = s.get(Case, started.id)
            assert (case.process_id, case.assistance_type) == (process_id, "extreme_poverty"), village
            assert case.applicant_name == PEOPLE[village][0]


def test_precheck_applies_the_three_conditions(walk, db):
    w = walk(SHUANGYUAN, XIANGSHUI)
    data = case_data(db, w.case_id)
    assert data["work_incapacity_basis"] == "年满60周岁" and data["no_living_source"] is True
    assert data["meets_extreme_poverty_conditions"] is True and data["basic_living_standard"] == 1014.0
    disabled = walk(SHUANGYUAN, XIANGSHUI, age=45, disability_category="physical", disability_grade=2,
                    monthly_income=900, supporters=[{"name": "王大军", "relation": "sibling",
                                                     "id_number": with_check_digit("32092119800101111"),
                                                     "supporter_status": "able"}])
    data = case_data(db, disabled.case_id)
    assert data["no_work_capacity"] is True and data["work_incapacity_basis"] == "残疾等级属无劳动能力情形"
    assert data["no_living_source"] is False, "900 元 is not below the 780 元 standard"
    assert data["able_supporters"] == ["王大军"] and data["meets_extreme_poverty_conditions"] is False
    hearing = walk(SHUANGYUAN, XIANGSHUI, age=40, disability_category="hearing", disability_grade=1)
    assert case_data(db, hearing.case_id)["no_work_capacity"] is False


def test_the_care_ratios_are_the_countys_dated_data_not_the_decision_table(walk, db, monkeypatch):
    """Audit X10: the DMN decides the self-care band only; the 照料护理 of each band is county data (a multiple
    of the 低保 standard, dated, with its source or assumption), so a county changing it changes new cases."""
    dmn = Path("processes/decisions/extreme_poverty_care_allowance.dmn").read_text(encoding="utf-8")
    outputs = re.findall(r"<outputEntry[^>]*><text>(.*?)</text>", dmn)
    assert outputs and all(o.startswith('"') for o in outputs), "labels only: no amount in the decision table"
    rules = engine.catalogue.rules.rules_in_force("320921", date(2026, 9, 15))
    bands = ("self_care", "partial", "total")
    assert [rules[f"extreme_poverty_care_ratio_{band}"] for band in bands] == [0.1, 0.3, 0.6]
    assert "假设" in rules["assumptions"]["extreme_poverty_care_ratio_partial"]
    in_force = engine.catalogue.rules.rules_in_force
    monkeypatch.setattr(engine.catalogue.rules, "rules_in_force", lambda code, on, township=None, session=None: {
        **in_force(code, on, township, session), "extreme_poverty_care_ratio_partial": 0.5})
    w = walk(SHUANGYUAN, XIANGSHUI)
    for step in ("acceptance", "economic_check", "investigation", "self_care_assessment"):
        w.do(step)
    data = case_data(db, w.case_id)
    assert (data["self_care_level"], data["care_level"], data["care_allowance_ratio"]) == ("partial", "半护理", 0.5)


# --- Xiangshui: the township confirms and issues the certificate --------------------------------
def test_xiangshui_township_confirms_and_issues_the_certificate(walk, clock, db, login):
    w = walk(SHUANGYUAN, XIANGSHUI)
    assert w.open_names() == ["acceptance"]
    assert w.do("acceptance") == "township_xs"
    assert [(t.task_name, t.role) for t in w.open_tasks()] == [("economic_check", "county")]
    assert w.do("economic_check") == "county_mz"
    assert w.do("investigation") == "township_xs"
    assert w.open_names() == ["self_care_assessment"], "undisputed: no 民主评议 (on_objection county)"
    assert w.do("self_care_assessment") == "township_xs"
    data = case_data(db, w.case_id)
    assert (data["adl_unable"], data["self_care_level"], data["self_care_label"]) == (3, "partial", "部分失能")
    assert data["care_allowance_ratio"] == 0.3
    assert w.do("preliminary_opinion") == "township_xs"
    end_publicity(w, clock)
    assert [(t.task_name, t.role) for t in w.open_tasks()] == [("confirmation", "township")]
    assert w.do("confirmation") == "township_xs"
    assert w.do("care_agreement") == "township_xs"
    case = w.case()
    assert case.status == "completed" and case.outcome == "end_confirmed"
    # 1.3 × 780 + 0.3 × 780 (部分失能) from the month after the decision.
    assert case.summary["monthly_amount"] == 1248.0 and case.summary["payment_from"] == "2026-11-01"
    assert case.summary["local_standard"] == 780
    assert [e.task_name for e in w.events() if e.kind == "task_completed"] == [
        "acceptance", "economic_check", "investigation", "self_care_assessment", "preliminary_opinion",
        "confirmation", "care_agreement"]

    docs = documents(db, w.case_id)
    assert set(docs) == {"extreme_poverty_acceptance_notice", "extreme_poverty_publicity_list",
                         "extreme_poverty_certificate", "extreme_poverty_announcement"}
    announcement = docs["extreme_poverty_announcement"][0]  # 《特困人员认定办法》第十六条: 公布 in the village
    assert announcement.title == "特困人员认定结果公布" and "监督电话 12345" in announcement.body
    assert "公布期：自 " in announcement.body and "公民身份号码" not in announcement.body
    acceptance = docs["extreme_poverty_acceptance_notice"][0]
    assert acceptance.number == "响民特受〔2026〕1号" and acceptance.title == "特困人员救助供养申请受理通知书"
    assert "王德福" in acceptance.body and w.number in acceptance.body and "响水县响水镇人民政府" in acceptance.body
    assert_masked(acceptance, SHUANGYUAN)
    publicity = docs["extreme_poverty_publicity_list"][0]
    assert "双园村" in publicity.body and "年满60周岁" in publicity.body and "分散供养" in publicity.body
    assert "公示期 7 天" in publicity.body and "部分失能" not in publicity.body
    assert_masked(publicity, SHUANGYUAN)
    certificate = docs["extreme_poverty_certificate"][0]
    assert certificate.title == "特困人员供养证" and certificate.number == "响民特证〔2026〕1号"
    assert f"<td>{certificate.number}</td>" in certificate.body
    for text in ("响水县响水镇人民政府", "王德福", "72 周岁", "分散供养", "部分失能", "1014.00 元/月", "780 元/月的 1.3 倍",
                 "234.00 元/月", "1248.00 元/月", "2026-11 起按月发放", "2026-10-12"):
        assert text in certificate.body, text
    assert "民政局" not in certificate.body
    assert_masked(certificate, SHUANGYUAN)
    page = login("township_xs").get(f"/cases/{w.case_id}")
    assert page.status_code == 200 and "特困人员供养证" in page.text and certificate.number in page.text


def test_xiangshui_dispute_objection_and_centralised_care(walk, clock, db):
    w = walk(SHUANGYUAN, XIANGSHUI, preferred_care_mode="centralised")
    w.do("acceptance")
    w.do("economic_check")
    w.do("investigation", appraisal_requested=True)
    assert w.do("democratic_appraisal") == "village_sy"
    w.do("self_care_assessment", **ADL_TOTAL)
    w.do("preliminary_opinion", proposed_care_mode="centralised")
    assert w.open_names() == ["publicity"]
    assert w.do("publicity") == "village_sy"  # an objection interrupts the 公示
    assert w.case().next_due_at is None
    assert [(t.task_name, t.role) for t in w.open_tasks()] == [("reinvestigation", "township")]
    w.do("reinvestigation")
    w.do("revised_opinion", proposed_care_mode="centralised")
    end_publicity(w, clock)  # published again after the new opinion
    w.do("confirmation", care_mode="centralised", care_institution="响水县中心敬老院", household_spot_check=True)
    assert w.open_names() == ["institution_placement"]
    assert w.do("institution_placement") == "township_xs"
    case = w.case()
    assert case.outcome == "end_confirmed" and case.summary["monthly_amount"] == 1482.0  # 1014 + 0.6 × 780
    docs = documents(db, w.case_id)
    assert len(docs["extreme_poverty_publicity_list"]) == 2
    assert all("集中供养" in d.body for d in docs["extreme_poverty_publicity_list"])
    certificate = docs["extreme_poverty_certificate"][0].body
    assert "集中供养（响水县中心敬老院）" in certificate and "完全失能" in certificate
    assert "468.00 元/月" in certificate and "1482.00 元/月" in certificate


def test_xiangshui_incomplete_then_not_accepted(walk, db):
    w = walk(SHUANGYUAN, XIANGSHUI)
    w.do("acceptance", acceptance_decision="incomplete", missing_materials="户口簿、法定义务人身份证明")
    assert w.open_names() == ["supplement"] and w.case().accepted_on is None
    assert w.do("supplement") == "village_sy"
    w.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="申请人户籍不在本镇")
    assert w.case().outcome == "end_not_accepted"
    docs = documents(db, w.case_id)
    supplement = docs["extreme_poverty_supplement_notice"][0]
    assert "户口簿、法定义务人身份证明" in supplement.body and "一次性告知" in supplement.body
    assert supplement.number == "响民特补〔2026〕1号"
    rejection = docs["extreme_poverty_rejection_notice"][0]
    assert "申请人户籍不在本镇" in rejection.body and "行政复议" in rejection.body
    assert_masked(rejection, SHUANGYUAN)


def test_xiangshui_check_failures(walk):
    quiet = walk(SHUANGYUAN, XIANGSHUI)
    quiet.do("acceptance")
    quiet.do("economic_check", check_result="ineligible")
    assert quiet.do("inform_check_result", check_objection=False) == "township_xs"
    assert quiet.case().outcome == "end_check_failed"

    rechecked = walk(SHUANGYUAN, XIANGSHUI)
    rechecked.do("acceptance")
    rechecked.do("economic_check", check_result="ineligible")
    rechecked.do("inform_check_result", check_objection=True, check_objection_reason="存款为丧葬费")
    assert rechecked.do("recheck", recheck_result="eligible") == "township_xs"
    assert rechecked.open_names() == ["investigation"]

    refused = walk(SHUANGYUAN, XIANGSHUI)
    refused.do("acceptance")
    refused.do("economic_check", check_result="ineligible")
    refused.do("inform_check_result", check_objection=True)
    refused.do("recheck", recheck_result="ineligible")
    assert refused.case().outcome == "end_check_failed"


def test_xiangshui_refusals_carry_reasons(walk, clock, db):
    w = walk(SHUANGYUAN, XIANGSHUI)
    for step in ("acceptance", "economic_check", "investigation", "self_care_assessment"):
        w.do(step)
    w.do("preliminary_opinion", **INELIGIBLE)
    assert w.open_names() == ["confirmation"], "拟不认定: no 公示, straight to the decision"
    w.do("confirmation", confirmation_decision="not_confirmed", confirmation_reasons="本人有租金收入，高于当地低保标准")
    assert w.case().outcome == "end_not_confirmed"
    docs = documents(db, w.case_id)
    assert "extreme_poverty_publicity_list" not in docs and "extreme_poverty_certificate" not in docs
    refusal = docs["extreme_poverty_refusal_notice"][0]
    assert refusal.title == "特困人员救助供养不予确认告知书" and refusal.number == "响民特不确〔2026〕1号"
    assert "本人有租金收入" in refusal.body and "响水县响水镇人民政府" in refusal.body and "送达" not in refusal.body
    assert_masked(refusal, SHUANGYUAN)

    revised = walk(SHUANGYUAN, XIANGSHUI)
    for step in ("acceptance", "economic_check", "investigation", "self_care_assessment", "preliminary_opinion",
                 "publicity", "reinvestigation"):
        revised.do(step)
    revised.do("revised_opinion", **INELIGIBLE)
    assert revised.open_names() == ["confirmation"]
    revised.do("confirmation", confirmation_decision="not_confirmed", confirmation_reasons="异议属实，有赡养人")
    assert revised.case().outcome == "end_not_confirmed"


def test_forms_refuse_an_inconsistent_opinion_and_confirmation(walk):
    w = walk(SHUANGYUAN, XIANGSHUI)
    for step in ("acceptance", "economic_check", "investigation", "self_care_assessment"):
        w.do(step)
    with pytest.raises(FormInvalid) as refused:
        w.do("preliminary_opinion", finding_no_capable_supporter=False)
    assert "finding_no_capable_supporter" in refused.value.errors
    w.do("preliminary_opinion")
    w.do("publicity")
    w.do("reinvestigation")
    w.do("revised_opinion", **INELIGIBLE)
    with pytest.raises(FormInvalid) as refused:
        w.do("confirmation", care_mode="centralised")  # no institution named
    assert "care_institution" in refused.value.errors
    assert w.open_names() == ["confirmation"]


# --- Siping: the district centre checks first, the 乡街 approves ----------------------------------
def test_siping_check_before_acceptance_and_street_approves(walk, clock, db):
    w = walk(RENXING, SIPING)
    assert [(t.task_name, t.role) for t in w.open_tasks()] == [("economic_check", "county")]
    assert w.do("economic_check") == "district_tx"
    assert w.do("acceptance") == "street_rx"
    assert w.do("investigation") == "street_rx"
    assert w.do("self_care_assessment", **ADL_SELF) == "street_rx"
    assert w.do("approval_opinion") == "street_rx"
    end_publicity(w, clock)
    assert [(t.task_name, t.role) for t in w.open_tasks()] == [("approval", "township")]
    assert w.do("approval") == "street_rx"
    assert w.do("care_agreement") == "street_rx"
    case = w.case()
    assert case.outcome == "end_confirmed" and case.summary["monthly_amount"] == 966.0  # 897 + 0.1 × 690
    docs = documents(db, w.case_id)
    assert set(docs) == {"extreme_poverty_acceptance_notice", "extreme_poverty_publicity_list",
                         "extreme_poverty_certificate", "extreme_poverty_announcement"}
    certificate = docs["extreme_poverty_certificate"][0]
    assert certificate.number == "四民特证〔2026〕1号"
    for text in ("四平市铁西区仁兴街道办事处", "刘桂兰", "完全自理", "897.00 元/月", "690 元/月的 1.3 倍", "69.00 元/月",
                 "966.00 元/月", "2026-11 起按月发放"):
        assert text in certificate.body, text
    assert_masked(certificate, RENXING)
    assert "仁兴社区" in docs["extreme_poverty_publicity_list"][0].body


def test_siping_failed_check_is_refused_in_writing(walk, db):
    quiet = walk(RENXING, SIPING)
    quiet.do("economic_check", check_result="ineligible", check_report_number="JL-HD-2026-0088")
    assert quiet.do("inform_check_result", check_objection=False) == "street_rx"
    assert quiet.case().outcome == "end_check_failed"
    notice = documents(db, quiet.case_id)["extreme_poverty_rejection_notice"][0]
    assert "JL-HD-2026-0088" in notice.body and "不予受理" in notice.body and notice.number == "四民特不受〔2026〕1号"
    assert "四平市铁西区仁兴街道办事处" in notice.body

    refused = walk(RENXING, SIPING)
    refused.do("economic_check", check_result="ineligible")
    refused.do("inform_check_result", check_objection=True)
    refused.do("recheck", recheck_result="ineligible", recheck_findings="补证材料不能证明存款已支出")
    assert refused.case().outcome == "end_check_failed"
    assert "补证材料不能证明存款已支出" in documents(db, refused.case_id)["extreme_poverty_rejection_notice"][0].body

    passed = walk(RENXING, SIPING)
    passed.do("economic_check", check_result="ineligible")
    passed.do("inform_check_result", check_objection=True)
    passed.do("recheck", recheck_result="eligible")
    assert passed.open_names() == ["acceptance"]
    assert "extreme_poverty_rejection_notice" not in documents(db, passed.case_id)
    passed.do("acceptance", acceptance_decision="incomplete", missing_materials="残疾人证")
    assert passed.do("supplement") == "community_rx"
    passed.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="已纳入孤儿保障")
    assert passed.case().outcome == "end_not_accepted"


def test_siping_dispute_goes_to_appraisal_and_objection_to_appraisal(walk, db):
    w = walk(RENXING, SIPING)
    w.do("economic_check")
    w.do("acceptance")
    w.do("investigation", appraisal_requested=True)
    assert [(t.task_name, t.role) for t in w.open_tasks()] == [("democratic_appraisal", "village")]
    assert w.do("democratic_appraisal") == "community_rx"
    w.do("self_care_assessment")
    w.do("approval_opinion")
    w.do("publicity")
    assert w.do("objection_handling", objection_method="democratic_appraisal") == "street_rx"
    assert w.do("objection_appraisal") == "community_rx"
    w.do("revised_opinion", **INELIGIBLE)
    assert w.open_names() == ["approval"]
    w.do("approval", confirmation_decision="not_confirmed", confirmation_reasons="评议认定其子女有赡养能力")
    assert w.case().outcome == "end_not_confirmed"
    refusal = documents(db, w.case_id)["extreme_poverty_refusal_notice"][0]
    assert "评议认定其子女有赡养能力" in refusal.body and "四平市铁西区仁兴街道办事处" in refusal.body


def test_siping_objection_reinvestigated_then_centralised(walk, clock, db):
    w = walk(RENXING, SIPING)
    for step in ("economic_check", "acceptance", "investigation", "self_care_assessment"):
        w.do(step)
    w.do("approval_opinion", **INELIGIBLE)
    assert w.open_names() == ["approval"], "拟不批准: no 公示"
    w.do("approval", confirmation_decision="not_confirmed", confirmation_reasons="收入高于标准")

    w = walk(RENXING, SIPING)
    for step in ("economic_check", "acceptance", "investigation", "self_care_assessment", "approval_opinion",
                 "publicity"):
        w.do(step)
    w.do("objection_handling", objection_method="reinvestigation")
    assert w.do("reinvestigation") == "street_rx"
    w.do("revised_opinion")
    end_publicity(w, clock)
    w.do("approval", care_mode="centralised", care_institution="铁西区社会福利中心")
    assert w.do("institution_placement") == "street_rx"
    assert w.case().outcome == "end_confirmed"
    assert "集中供养（铁西区社会福利中心）" in documents(db, w.case_id)["extreme_poverty_certificate"][0].body


def test_a_minors_support_is_confirmed_but_not_published(walk, clock, db):
    """长乐 practice (rules §2): minors are not publicised; the 公布 is for adults only."""
    w = walk(SHUANGYUAN, XIANGSHUI, age=15)
    for step in ("acceptance", "economic_check", "investigation", "self_care_assessment", "preliminary_opinion"):
        w.do(step)
    end_publicity(w, clock)
    w.do("confirmation")
    docs = documents(db, w.case_id)
    assert "extreme_poverty_certificate" in docs and "extreme_poverty_announcement" not in docs


# --- 特困人员（孤儿）: the guardian applies, the category and its allowance are the county's ------------
ORPHAN = {"applicant_name": "孙小雨", "age": 12, "channel": "entrusted", "proxy_name": "孙桂芳", "orphan": True,
          "guardian_relation": "grandparent", "orphan_evidence": "父母均于2025年交通事故中死亡，有死亡医学证明书",
          "supporters": [], "monthly_income": 0, "savings": 0, "assets": "无房产、车辆"}


def test_an_orphan_is_confirmed_by_the_district_with_the_orphan_allowance_and_registered_as_such(walk, clock, db):
    """Seed 001 (特困人员（孤儿）供养): a child under 18 whose parents are dead, for whom the guardian applies, is
    confirmed with the 孤儿 confirmation notice; the basic living part is the county's orphan allowance
    (counties.toml ``orphan_basic_allowance``), not 1.3 × the 低保 standard; the register records the category."""
    from engine.store.models import Recipient

    w = walk(SANTIDIKOU, NATIONAL, **ORPHAN)
    for step in ("acceptance", "economic_check", "investigation", "democratic_appraisal"):
        w.do(step)
    w.do("self_care_assessment", **ADL_SELF)
    w.do("preliminary_opinion", opinion_reasons="未满16周岁，父母双亡，无收入，符合特困人员（孤儿）认定条件")
    end_publicity(w, clock)
    assert w.do("confirmation", household_spot_check=True) == "district_xsq"
    w.do("care_agreement", caregiver_name="孙桂芳", caregiver_relation="relative")
    assert w.case().outcome == "end_confirmed"
    data = case_data(db, w.case_id)
    assert data["support_category"] == "孤儿" and data["basic_living_amount"] == 1200.0  # 相山区's assumed allowance
    assert data["monthly_amount"] == 1200.0 + data["care_allowance"]
    docs = documents(db, w.case_id)
    assert "extreme_poverty_announcement" not in docs, "a minor is not announced"
    [notice] = docs["extreme_poverty_orphan_confirmation"]
    assert notice.title == "特困人员（孤儿）救助供养确认通知书" and notice.number == "淮民特孤〔2026〕1号"
    for text in ("孙桂芳（孙小雨的监护人，祖父母、外祖父母）", "特困人员（孤儿）", "交通事故中死亡", "1200.00 元/月",
                 "孤儿基本生活费标准", "年满18周岁", "淮北市相山区民政局"):
        assert text in notice.body, text
    certificate = docs["extreme_poverty_certificate"][0]
    assert "孤儿（监护人 孙桂芳）" in certificate.body and "1.3 倍" not in certificate.body
    with db.unit_of_work() as uow:
        benefit = uow.session.execute(select(Recipient).where(Recipient.case_id == w.case_id)).scalar_one()
        assert (benefit.assistance_type, benefit.category, benefit.monthly_amount) == (
            "extreme_poverty", "孤儿", data["monthly_amount"])


@pytest.mark.parametrize("village, process_id, issuer", [(SHUANGYUAN, XIANGSHUI, "响水县响水镇人民政府"),
                                                     (RENXING, SIPING, "四平市铁西区仁兴街道办事处")])
def test_where_the_township_confirms_it_issues_the_orphan_notice(walk, db, village, process_id, issuer):
    w = walk(village, process_id, **ORPHAN)
    w.drive_to(None)
    assert w.case().outcome == "end_confirmed"
    [notice] = documents(db, w.case_id)["extreme_poverty_orphan_confirmation"]
    assert issuer in notice.body and "1200.00 元/月" in notice.body and "孙桂芳" in notice.body


def test_an_orphan_placed_in_an_institution_gets_the_centralised_allowance(walk, db):
    """集中供养 orphans get the county's dated ``orphan_basic_allowance_centralised`` (an assumption shown with the
    rules), 分散供养 ones ``orphan_basic_allowance``; the notice states the amount paid."""
    w = walk(SHUANGYUAN, XIANGSHUI, **ORPHAN, preferred_care_mode="centralised")
    w.drive_to("confirmation", proposed_care_mode="centralised")
    w.do("confirmation", care_mode="centralised", care_institution="响水县儿童福利院", household_spot_check=True)
    w.drive_to(None)
    data = case_data(db, w.case_id)
    assert data["basic_living_amount"] == 1600.0 and data["monthly_amount"] == 1600.0 + data["care_allowance"]
    [notice] = documents(db, w.case_id)["extreme_poverty_orphan_confirmation"]
    assert "1600.00 元/月" in notice.body and "响水县儿童福利院" in notice.body


def test_an_adult_is_not_an_orphan_and_keeps_the_1_3_multiple(walk, clock, db):
    from engine.store.models import Recipient

    w = walk(SHUANGYUAN, XIANGSHUI)
    w.drive_to(None)
    data = case_data(db, w.case_id)
    assert data["support_category"] is None and data["basic_living_amount"] == 1014.0  # 780 × 1.3
    assert "extreme_poverty_orphan_confirmation" not in documents(db, w.case_id)
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(Recipient.category).where(Recipient.case_id == w.case_id)).scalar_one() is None


@pytest.mark.parametrize("change, field", [
    ({"age": 18}, "age"),                         # 孤儿 are under 18
    ({"proxy_name": None}, "proxy_name"),         # the guardian applies
    ({"guardian_relation": None}, "guardian_relation"),
    ({"orphan_evidence": None}, "orphan_evidence"),
])
def test_an_orphans_application_needs_a_minor_the_guardian_and_the_proof(walk, change, field):
    application = {k: v for k, v in {**ORPHAN, **change}.items() if v is not None}
    with pytest.raises(FormInvalid) as refused:
        walk(SANTIDIKOU, NATIONAL, **application)
    assert field in refused.value.errors


# --- national route at 三堤口街道: the district confirms ----------------------------------------
def test_santidikou_district_assesses_confirms_and_issues_the_certificate(walk, clock, db):
    w = walk(SANTIDIKOU, NATIONAL)
    assert w.do("acceptance") == "street_stk"
    assert [(t.task_name, t.role) for t in w.open_tasks()] == [("economic_check", "county")]
    assert w.do("economic_check") == "district_xsq"
    assert w.do("investigation") == "street_stk"
    # 三堤口街道's own rules: 民主评议 always, even without a dispute.
    assert [(t.task_name, t.role) for t in w.open_tasks()] == [("democratic_appraisal", "village")]
    assert w.do("democratic_appraisal") == "community_stk"
    assert [(t.task_name, t.role) for t in w.open_tasks()] == [("self_care_assessment", "county")]
    assert w.do("self_care_assessment") == "district_xsq"
    assert w.do("preliminary_opinion") == "street_stk"
    end_publicity(w, clock)
    assert [(t.task_name, t.role) for t in w.open_tasks()] == [("confirmation", "county")]
    assert w.do("confirmation", household_spot_check=True) == "district_xsq"
    assert w.do("care_agreement") == "street_stk"
    case = w.case()
    assert case.outcome == "end_confirmed" and case.summary["monthly_amount"] == 1168.0  # 949 + 0.3 × 730
    docs = documents(db, w.case_id)
    acceptance = docs["extreme_poverty_acceptance_notice"][0]
    assert "淮北市相山区三堤口街道办事处" in acceptance.body and acceptance.number == "淮民特受〔2026〕1号"
    certificate = docs["extreme_poverty_certificate"][0]
    assert certificate.number == "淮民特证〔2026〕1号"
    for text in ("淮北市相山区民政局", "孙长山", "部分失能", "949.00 元/月", "730 元/月的 1.3 倍", "219.00 元/月",
                 "1168.00 元/月"):
        assert text in certificate.body, text
    assert "办事处" not in certificate.body.split("<p class=\"doc-number\">")[0], "the district issues it"
    assert_masked(certificate, SANTIDIKOU)


def test_santidikou_refusal_is_delivered_through_the_street(walk, db):
    w = walk(SANTIDIKOU, NATIONAL)
    for step in ("acceptance", "economic_check", "investigation", "democratic_appraisal", "self_care_assessment"):
        w.do(step)
    w.do("preliminary_opinion", **INELIGIBLE)
    assert w.do("confirmation", confirmation_decision="not_confirmed",
                confirmation_reasons="有租金收入，不符合无生活来源条件") == "district_xsq"
    assert [(t.task_name, t.role) for t in w.open_tasks()] == [("refusal_delivery", "township")]
    assert w.do("refusal_delivery") == "street_stk"
    assert w.case().outcome == "end_not_confirmed"
    refusal = documents(db, w.case_id)["extreme_poverty_refusal_notice"][0]
    assert refusal.number == "淮民特不确〔2026〕1号" and "淮北市相山区民政局" in refusal.body
    assert "由三堤口街道在 3 个工作日内送达" in refusal.body and "有租金收入" in refusal.body
    assert_masked(refusal, SANTIDIKOU)


def test_santidikou_objection_republicity_and_centralised_care_by_the_district(walk, clock, db):
    w = walk(SANTIDIKOU, NATIONAL)
    for step in ("acceptance", "economic_check", "investigation", "democratic_appraisal"):
        w.do(step)
    w.do("self_care_assessment", **ADL_TOTAL)
    w.do("preliminary_opinion", proposed_care_mode="centralised")
    w.do("publicity")
    assert w.do("reinvestigation") == "street_stk"
    w.do("revised_opinion", proposed_care_mode="centralised")
    end_publicity(w, clock)
    w.do("confirmation", care_mode="centralised", care_institution="相山区社会福利院")
    assert [(t.task_name, t.role) for t in w.open_tasks()] == [("institution_placement", "county")]
    assert w.do("institution_placement") == "district_xsq"
    assert w.case().summary["monthly_amount"] == 1387.0  # 949 + 0.6 × 730
    assert len(documents(db, w.case_id)["extreme_poverty_publicity_list"]) == 2

    revised = walk(SANTIDIKOU, NATIONAL)
    for step in ("acceptance", "economic_check", "investigation", "democratic_appraisal", "self_care_assessment",
                 "preliminary_opinion", "publicity", "reinvestigation"):
        revised.do(step)
    revised.do("revised_opinion", **INELIGIBLE)
    assert revised.open_names() == ["confirmation"]


def test_santidikou_acceptance_and_check_branches(walk, db):
    w = walk(SANTIDIKOU, NATIONAL)
    w.do("acceptance", acceptance_decision="incomplete", missing_materials="赡养人服刑证明")
    assert w.do("supplement") == "community_stk"
    w.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="户籍不在本街道")
    assert w.case().outcome == "end_not_accepted"
    assert "淮北市相山区三堤口街道办事处" in documents(db, w.case_id)["extreme_poverty_rejection_notice"][0].body

    for objection, recheck, outcome in ((False, None, "end_check_failed"), (True, "ineligible", "end_check_failed"),
                                        (True, "eligible", None)):
        c = walk(SANTIDIKOU, NATIONAL)
        c.do("acceptance")
        c.do("economic_check", check_result="ineligible")
        assert c.do("inform_check_result", check_objection=objection) == "street_stk"
        if recheck:
            c.do("recheck", recheck_result=recheck)
        assert c.case().outcome == outcome
    assert c.open_names() == ["investigation"]


def test_national_route_skips_appraisal_where_it_is_conditional(walk, monkeypatch):
    """A county whose rules make 民主评议 conditional (57号 era) skips it when nobody disputes the case."""
    real = cases.case_parameters

    def on_objection(*args, **kwargs):
        return {**real(*args, **kwargs), "democratic_appraisal": "on_objection"}
    monkeypatch.setattr(cases, "case_parameters", on_objection)
    w = walk(SANTIDIKOU, NATIONAL)
    for step in ("acceptance", "economic_check", "investigation"):
        w.do(step)
    assert w.open_names() == ["self_care_assessment"]


# --- the web forms ------------------------------------------------------------------------------
def test_lodged_and_accepted_through_the_web_forms(login, unit_id, db):
    """The start form (with a row of obliged persons) and the first step work as plain HTML forms."""
    clerk = login("village_sy")
    page = clerk.get("/cases/new?assistance_type=extreme_poverty")
    assert page.status_code == 200 and "特困人员救助供养申请" in page.text and "响水模式" in page.text
    data = application(SHUANGYUAN)
    form = {k: str(v) for k, v in data.items() if k not in ("supporters", "authorises_check", "orphan")}
    son = data["supporters"][0]
    form.update({f"supporters-0-{k}": v for k, v in son.items()})
    form.update({"supporters-1-name": "", "supporters-1-id_number": "", "authorises_check": "true", "orphan": "false",
                 "village_id": str(unit_id(SHUANGYUAN)), "assistance_type": "extreme_poverty"})
    response = clerk.post_form("/cases/new", form)
    assert response.status_code == 302, response.text
    with db.unit_of_work() as uow:
        s = uow.session
        case = s.execute(select(Case).where(Case.process_id == XIANGSHUI)).scalar_one()
    assert case_data(db, case.id)["supporters"] == [son]
    with db.unit_of_work() as uow:
        s = uow.session
        task_id = s.execute(select(HumanTask.id).where(HumanTask.case_id == case.id,
                                                       HumanTask.status == "open")).scalar_one()
    township = login("township_xs")
    assert f"/tasks/{task_id}" in township.get("/inbox").text
    response = township.post_form(f"/tasks/{task_id}", {"acceptance_decision": "accepted", "accepted_on": "2026-09-15"})
    assert response.status_code == 302
    notice = documents(db, case.id)["extreme_poverty_acceptance_notice"][0]
    shown = township.get(f"/cases/{case.id}/documents/{notice.id}")
    assert shown.status_code == 200 and "特困人员救助供养申请受理通知书" in shown.text and "王德福" in shown.text
