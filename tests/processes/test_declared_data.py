"""What the engine reads from a route is what the route declares: the overall limit and the step that
starts it (急难 counts 5 working days from the relief; 尊老金 says the law sets none), and the data each
outcome writes to the register (a review records the class and household size it decided)."""
from __future__ import annotations

from datetime import date

import pytest
from lxml import etree
from sqlalchemy import select

from engine.catalogue.declarations import OverallLimit
from engine.store.models import Case, Recipient
from engine.jobs import review_sweep
from engine.catalogue.versions import get_version, latest_version_id
from tests.factories import DONGJIE, SHUANGYUAN, Walk
from tests.integration.test_periodic_reviews import register  # noqa: F401  (fixture)
from tests.processes.test_dynamic_management import REVIEW_STEPS
from tests.processes.test_subsidies_allowances import old_age  # noqa: F401  (fixture)
from tests.processes.test_temporary_assistance import EMERGENCY, walk  # noqa: F401  (fixture)

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}


def test_an_emergency_case_has_twenty_working_days_from_the_relief_and_five_for_the_paperwork(walk, clock):
    w = walk(EMERGENCY, SHUANGYUAN, 1000, kind="fire", username="township_xs")
    case = w.case()
    assert (case.accepted_on, case.due_on) == (None, None), "the clock starts with the relief, not the report"
    w.do("emergency_relief")
    case = w.case()
    # Relief on Tuesday 2026-09-15. The case (宁国: 20 wd) crosses 中秋 and 国庆 and two 调休 working days
    # (Sunday 09-20, Saturday 10-10); the paperwork (楚雄、邹平: 5 wd) is due the 16th, 17th, 18th, Sunday
    # the 20th and the 21st.
    assert (case.accepted_on, case.due_on) == (date(2026, 9, 15), date(2026, 10, 19))
    assert [t.due_on for t in w.open_tasks() if t.task_name == "paperwork"] == [date(2026, 9, 21)]
    clock.advance(days=1)
    w.do("paperwork")
    assert w.case().due_on == date(2026, 10, 19), "the clock starts once"


@pytest.mark.parametrize("process_id, village", [("old_age_allowance_xiangshui", SHUANGYUAN),
                                                 ("old_age_allowance_national", DONGJIE)])
def test_an_old_age_allowance_route_says_the_law_sets_no_overall_limit(db, old_age, process_id, village):
    with db.unit_of_work() as uow:
        version = get_version(uow.session, latest_version_id(uow.session, process_id))
    assert version.declarations.overall_limit == OverallLimit() and not version.declarations.clock_starts
    process = etree.fromstring(version.bpmn_xml.encode()).find("bpmn:process", NS)
    declared = {p.get("name"): p.get("value") for p in
                process.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS)}
    assert declared["overall_limit"] == "none", "said explicitly, not left out"
    assert "法规未规定尊老金" in process.findtext("bpmn:documentation", namespaces=NS)
    w = old_age("1940-03-01", village=village, process_id=process_id)
    while w.open_names():
        w.do(w.open_names()[0])
    case = w.case()
    assert case.outcome == "end_approved" and (case.accepted_on, case.due_on) == (None, None)


def test_a_review_records_the_class_and_household_size_it_decided(register, db, clock, who):
    """户主0 is class A with 3 persons; the review finds 2 persons and class C (响水: every 3 months)."""
    review_sweep(db, clock)
    with db.unit_of_work() as uow:
        review = uow.session.execute(select(Case).where(Case.applicant_name == "户主0",
                                                        Case.process_id.like("periodic%"))).scalar_one()
    steps = {**REVIEW_STEPS, "check": {**REVIEW_STEPS["check"], "reviewed_household_size": 2, "new_review_class": "C",
                                       "class_change_reason": "家庭成员外出务工，收入不稳定"}}
    w = Walk(db, clock, who, review.id, review.number, SHUANGYUAN[:9], steps)
    while w.open_names():
        w.do(w.open_names()[0])
    assert w.case().outcome == "end_unchanged"
    with db.unit_of_work() as uow:
        r = uow.session.execute(select(Recipient).where(Recipient.applicant_name == "户主0")).scalar_one()
    assert (r.review_class, r.household_size, r.monthly_amount) == ("C", 2, 1840.0)
    assert r.next_review_on == date(2026, 12, 1) and r.review_case_id is None
