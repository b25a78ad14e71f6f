"""A household that refuses to cooperate with the 入户调查 on the routes other than 低保 (R57): the application
routes (特困, 低收入, 刚性支出, 临时救助) end in writing with the reasons and the rights; a periodic review proposes to stop the benefit and the
decider decides it as any stop, with its written decision (docs/rules.md, Readings)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.store.models import Case, Document, Recipient
from tests.factories import DONGJIE, RENXING, SANTIDIKOU, SHUANGYUAN, start
from tests.processes import test_dynamic_management as dm
from tests.processes import test_extreme_poverty as ep
from tests.processes import test_rigid_expenditure as rigid
from tests.processes import test_subsidies_allowances as subsidies
from tests.processes import test_temporary_assistance as temporary

REFUSAL = "申请人拒绝调查人员入户，拒不提供住院费用清单和银行流水"


def temporary_case(process_id, village):
    return lambda db, clock, who, unit_id: start(
        db, clock, who, unit_id, village=village, process_id=process_id, data=temporary.application(village, 600),
        form_data=temporary.FORMS, fresh_applicant=True)


def low_income_case(process_id, village):
    return lambda db, clock, who, unit_id: start(
        db, clock, who, unit_id, village=village, process_id=process_id,
        data=subsidies.low_income_application(village, (1000, 800, 700)), form_data=subsidies.LOW_INCOME_FORMS,
        fresh_applicant=True)


def rigid_case(db, clock, who, unit_id):
    return start(db, clock, who, unit_id, village=SHUANGYUAN, process_id=rigid.ROUTE, data=rigid.application(),
                 form_data=rigid.FORMS, fresh_applicant=True)


def extreme_poverty_case(process_id, village):
    return lambda db, clock, who, unit_id: start(
        db, clock, who, unit_id, village=village, process_id=process_id, data=ep.application(village),
        form_data=ep.EP_FORM_DATA, fresh_applicant=True)


APPLICATIONS = {
    "extreme_poverty_xiangshui": extreme_poverty_case("extreme_poverty_xiangshui", SHUANGYUAN),
    "extreme_poverty_siping": extreme_poverty_case("extreme_poverty_siping", RENXING),
    "extreme_poverty_national": extreme_poverty_case("extreme_poverty_national", DONGJIE),
    "temporary_assistance_national": temporary_case("temporary_assistance_national", DONGJIE),
    "temporary_assistance_siping": temporary_case("temporary_assistance_siping", RENXING),
    "temporary_assistance_xiangshui": temporary_case("temporary_assistance_xiangshui", SHUANGYUAN),
    "temporary_assistance_santidikou": temporary_case("temporary_assistance_santidikou", SANTIDIKOU),
    "low_income_siping": low_income_case("low_income_siping", RENXING),
    "low_income_national": low_income_case("low_income_national", DONGJIE),
    "rigid_expenditure_national": rigid_case,
}


def documents(db, case_id) -> dict[str, Document]:
    with db.unit_of_work() as uow:
        return {d.kind: d for d in uow.session.execute(select(Document).where(Document.case_id == case_id)).scalars()}


@pytest.mark.parametrize("route", sorted(APPLICATIONS))
def test_an_application_whose_household_refuses_the_investigation_ends_in_writing(db, clock, who, unit_id, route):
    w = APPLICATIONS[route](db, clock, who, unit_id)
    step = "investigation" if route.startswith("extreme_poverty") else "home_investigation"
    w.drive_to(step)
    applicant = w.case().applicant_name
    signatures = {} if step == "investigation" else {  # the 特困 record has no signature list
        "household_signatures": [{"name": applicant, "signature": "declined"}]}
    w.do(step, household_cooperation="refused", refusal_details=REFUSAL, investigation_findings="家庭拒不配合，经济状况无法核实",
         **signatures)
    case = w.case()
    assert case.status == "completed" and case.outcome == "end_refused_cooperation" and not w.open_names()
    docs = documents(db, w.case_id)
    notice = docs["cooperation_refusal_notice"]
    assert notice.title == "终止办理告知书（拒不配合调查核实）"
    assert REFUSAL in notice.body and applicant in notice.body and "终止办理" in notice.body
    assert "行政复议" in notice.body and "行政诉讼" in notice.body
    assert case.applicant_id_number not in notice.body, "the ID number is masked"
    assert not {k for k in docs if "approval" in k or "recognition" in k or "publicity" in k}
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(Recipient).where(Recipient.case_id == w.case_id)).first() is None


@pytest.mark.parametrize("place", dm.BOTH)
def test_a_household_that_refuses_the_review_visit_has_its_benefit_stopped_by_the_decider(db, clock, who, unit_id,
                                                                                           place):
    p = dm.PLACES[place]
    variant = "delegated" if p["delegated"] else "national"
    w = start(db, clock, who, unit_id, village=p["village"], process_id=f"periodic_review_{variant}",
              data=dm.recipient(place), username=p["township_user"], form_data=dm.REVIEW_STEPS)
    w.do("home_visit", household_cooperation="refused", refusal_details="户主拒绝调查人员入户，拒不签署核对授权书",
         household_signatures=[{"name": p["name"], "signature": "declined"}])
    assert w.open_names() == ["decision"], "no assessment of a household that could not be verified"
    assert w.open_tasks()[0].role == p["decider_role"], "the stop is the decider's, as every stop"
    assert w.do("decision") == p["decider"]
    w.do("inform_household")
    case = w.case()
    assert case.status == "completed" and case.outcome == "end_stopped"
    stop = documents(db, w.case_id)["benefit_stop_decision"].body
    assert "拒不配合入户核查" in stop and "户主拒绝调查人员入户" in stop and "行政复议" in stop
    record = documents(db, w.case_id)["periodic_review_record"].body
    assert "拒不配合入户核查" in record
    with db.unit_of_work() as uow:
        assert uow.session.get(Case, w.case_id).outcome == "end_stopped"


def test_a_supported_person_who_refuses_the_review_visit_goes_to_the_termination_publicity(db, clock, who, unit_id):
    """特困: a stop is a termination, publicised first (认定办法第二十四至二十六条), as on every 特困 stop."""
    p = dm.PLACES["national"]
    w = start(db, clock, who, unit_id, village=p["village"], process_id="periodic_review_national",
              data=dm.recipient("national", assistance_type="extreme_poverty", amount=1100, size=1, review_class="A"),
              username=p["township_user"], form_data=dm.REVIEW_STEPS)
    w.do("home_visit", household_cooperation="refused", refusal_details="本人拒绝调查人员入户，拒不说明其子赡养情况",
         household_signatures=[{"name": p["name"], "signature": "declined"}])
    assert w.do("decision") == p["decider"]
    assert w.open_names() == ["termination_publicity"]
    assert "benefit_stop_decision" not in documents(db, w.case_id), "no decision before the publicity"
