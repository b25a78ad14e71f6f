"""The county's review route (county_supervision_review): a sampled approval reviewed by the county, or a
complaint's county home visit (57号第二十条②); 维持 ends it, 纠正 sends the township to correct on its own
deadline. Every branch walked from the BPMN."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.cases.lifecycle import start_township_case
from engine.errors import FormInvalid
from engine.store.models import Unit
from tests.factories import Walk
from tests.integration.test_county_supervision import REVIEW_FORMS

pytestmark = pytest.mark.usefixtures("db")
ROUTE = "county_supervision_review"
START = {"reviewed_case_number": "320921-2026-000001", "applicant_name": "王小明"}


def review(db, clock, who, kind: str, **extra) -> Walk:
    with db.unit_of_work(write=True) as uow:
        township_id = uow.session.execute(select(Unit.id).where(Unit.code == "320921100")).scalar_one()
        started = start_township_case(uow.session, clock, ROUTE, township_id, {**START, "review_kind": kind, **extra},
                                      f"320921-2026-000001-{kind}")
        uow.commit()
    return Walk(db, clock, who, started.id, started.number, "320921100", REVIEW_FORMS)


@pytest.mark.parametrize("kind, step", [("sampling", "county_review"), ("complaint", "complaint_home_visit")])
def test_the_county_reviews_and_upholds(db, clock, who, kind, step):
    w = review(db, clock, who, kind, sampling_month="2026-08") if kind == "sampling" else \
        review(db, clock, who, kind, complaint_kind="complaint", complaint="投诉其子女有稳定收入")
    [task] = w.open_tasks()
    assert (task.task_name, task.role) == (step, "county")
    assert w.do(step) == "county_mz"
    assert w.case().outcome == "end_upheld"


@pytest.mark.parametrize("kind, step", [("sampling", "county_review"), ("complaint", "complaint_home_visit")])
def test_a_correction_is_the_townships_to_make(db, clock, who, kind, step):
    w = review(db, clock, who, kind)
    w.do(step, supervision_verdict="corrected", supervision_opinion="核定人口有误")
    [task] = w.open_tasks()
    assert (task.task_name, task.role, task.due_on is not None) == ("township_correction", "township", True)
    assert w.do("township_correction") == "township_xs"
    assert w.case().outcome == "end_corrected"


def test_a_home_visit_needs_two_investigators_and_a_verdict(db, clock, who):
    w = review(db, clock, who, "complaint")
    with pytest.raises(FormInvalid):
        w.do("complaint_home_visit", investigators=[{"name": "王科长"}])
    with pytest.raises(FormInvalid):
        w.do("complaint_home_visit", supervision_verdict="maybe")
    assert w.open_names() == ["complaint_home_visit"]
