"""The 低保 route under the Xiangshui model, driven through every gateway branch of the real BPMN."""
from __future__ import annotations

import pytest

from tests.factories import in_order, start

# Every walk records the moves it takes; `make test` requires 100% sequence-flow coverage (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def walk(db, clock, who, unit_id):
    return lambda **kw: start(db, clock, who, unit_id, **kw)


def test_plain_application_confirmed_after_quiet_publicity(walk, clock):
    w = walk(incomes=(300, 0, 200))
    assert w.open_names() == ["acceptance"]
    w.do("acceptance")
    assert w.case().accepted_on is not None
    w.drive_to("publicity")
    assert w.open_names() == ["publicity"]
    assert w.case().next_due_at is not None
    assert not w.fire_timers(), "publicity must not end before 7 days"
    clock.advance(days=7, minutes=1)
    assert w.fire_timers()
    assert w.open_names() == ["confirmation"]
    w.do("confirmation")
    case = w.case()
    assert case.status == "completed" and case.outcome == "end_confirmed"
    # (780 − 500/3) × 3 = 1840.00, from the month after the decision.
    assert case.summary["monthly_amount"] == 1840.0
    assert case.summary["payment_from"] == "2026-11-01"
    kinds = [e.kind for e in w.events()]
    assert kinds[0] == "case_started" and "timer_fired" in kinds and kinds[-1] == "case_completed"
    assert in_order(w.steps_done(), ["acceptance", "economic_check", "home_investigation", "preliminary_opinion",
                                     "confirmation"])
    assert "publicity" not in w.steps_done() and "democratic_appraisal" not in w.steps_done()


def test_incomplete_materials_wait_for_resubmission(walk):
    w = walk()
    w.do("acceptance", acceptance_decision="incomplete", missing_materials="缺少户口簿、收入证明")
    assert w.open_names() == ["supplement"]
    assert w.case().accepted_on is None, "the clock has not started while materials are missing"
    w.do("supplement")
    assert w.open_names() == ["acceptance"]
    w.do("acceptance")
    assert w.open_names() == ["economic_check"]


def test_not_accepted_ends_the_case_with_reasons(walk):
    w = walk()
    w.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="申请人户籍不在本镇")
    case = w.case()
    assert case.status == "completed" and case.outcome == "end_not_accepted"
    assert w.open_names() == []
    assert w.events()[-2].data["acceptance_reasons"] == "申请人户籍不在本镇"


def test_near_relative_is_registered_and_needs_a_county_home_visit(walk, clock):
    w = walk(near_relative=True)
    w.do("acceptance")
    assert w.open_names() == ["near_relative_filing"]
    w.do("near_relative_filing")
    w.drive_to("county_home_visit")
    assert w.open_names() == ["county_home_visit"]
    assert w.open_tasks()[0].role == "county"
    w.do("county_home_visit")
    w.do("confirmation")
    assert w.case().outcome == "end_confirmed"


def test_check_failed_without_objection_ends(walk):
    w = walk()
    w.do("acceptance")
    w.do("economic_check", check_result="ineligible")
    assert w.open_names() == ["inform_check_result"]
    w.do("inform_check_result", check_objection=False)
    assert w.case().outcome == "end_check_failed"


def test_check_failed_objection_recheck_passes_then_continues(walk):
    w = walk()
    w.do("acceptance")
    w.do("economic_check", check_result="ineligible")
    w.do("inform_check_result", check_objection=True, check_objection_reason="存款已用于治病")
    assert w.open_names() == ["recheck"]
    w.do("recheck", recheck_result="eligible")
    assert w.open_names() == ["home_investigation"]


def test_check_failed_objection_recheck_fails_ends(walk):
    w = walk()
    w.do("acceptance")
    w.do("economic_check", check_result="ineligible")
    w.do("inform_check_result", check_objection=True)
    w.do("recheck", recheck_result="ineligible")
    assert w.case().outcome == "end_check_failed"


def test_objection_in_publicity_goes_to_democratic_appraisal(walk, clock):
    w = walk()
    w.drive_to("publicity")
    w.do("publicity")  # an objection lodged during publicity interrupts it
    assert w.open_names() == ["objection_handling"]
    assert w.case().next_due_at is None, "the publicity timer is cancelled by the objection"
    w.do("objection_handling", objection_method="democratic_appraisal")
    assert w.open_names() == ["democratic_appraisal"]
    w.do("democratic_appraisal")
    w.do("revised_opinion")
    assert w.open_names() == ["confirmation"]
    w.do("confirmation", confirmation_decision="not_confirmed", confirmation_reasons="子女有赡养能力")
    assert w.case().outcome == "end_not_confirmed"


def test_objection_in_publicity_can_lead_to_reinvestigation(walk):
    w = walk()
    w.drive_to("publicity")
    w.do("publicity")
    w.do("objection_handling", objection_method="reinvestigation")
    assert w.open_names() == ["reinvestigation"]
    w.do("reinvestigation")
    w.do("revised_opinion")
    w.do("confirmation")
    assert w.case().outcome == "end_confirmed"


def test_ineligible_preliminary_opinion_skips_publicity(walk):
    w = walk()
    w.drive_to("preliminary_opinion")
    w.do("preliminary_opinion", opinion="ineligible", opinion_reasons="人均收入高于标准")
    assert w.open_names() == ["confirmation"]
    w.do("confirmation", confirmation_decision="not_confirmed", confirmation_reasons="人均收入高于标准")
    assert w.case().outcome == "end_not_confirmed"


def test_publicity_task_is_withdrawn_when_the_timer_fires(walk, clock, db):
    from engine.store.models import HumanTask
    from sqlalchemy import select
    w = walk()
    w.drive_to("publicity")
    publicity_id = w.open_tasks()[0].id
    clock.advance(days=7, seconds=1)
    w.fire_timers()
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(HumanTask.status).where(HumanTask.id == publicity_id)).scalar_one() == "withdrawn"
