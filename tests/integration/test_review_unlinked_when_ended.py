"""A review (复核) that ends without applying an outcome to the register — 终止 by the county, an end event that
declares no effect — leaves its benefit under no review, due as it was, so the next periodic sweep reviews it
again (before, it stayed linked to the finished case and was never reviewed again)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select

from engine import terminate_case
from engine.catalogue import versions
from engine.catalogue.versions import get_version
from engine.jobs import review_sweep
from engine.store.models import Case
from tests.factories import SHUANGYUAN, Walk
from tests.integration.test_periodic_reviews import register, reviews, to_the_end  # noqa: F401  (the fixture)
from tests.integration.test_task_operations import run
from tests.processes.test_dynamic_management import REVIEW_STEPS


def test_a_review_the_county_terminates_leaves_the_benefit_due_for_the_next_sweep(register, db, clock, who):
    assert review_sweep(db, clock)["started"] == 4
    first, status, _amount, due = reviews(db)["户主0"]
    assert first is not None and due == date(2026, 9, 1)
    run(db, terminate_case, who("county_mz"), clock, first, "复核对象已另案处理")
    assert reviews(db)["户主0"] == (None, status, 1840.0, date(2026, 9, 1))
    assert review_sweep(db, clock)["started"] == 1
    again = reviews(db)["户主0"][0]
    assert again not in (None, first)
    with db.unit_of_work() as uow:
        assert uow.session.get(Case, again).status == "running"


def test_a_review_ending_where_its_route_declares_no_register_effect_is_unlinked(register, db, clock, who,
                                                                                monkeypatch):
    review_sweep(db, clock)
    case_id = reviews(db)["户主0"][0]
    with db.unit_of_work() as uow:
        case = uow.session.get(Case, case_id)
        number, version = case.number, get_version(uow.session, case.process_version_id)
    # a designer's route whose end events declare no `recipient` effect: the loaded version without them
    monkeypatch.setitem(versions._cache, version.id, replace(
        version, declarations=replace(version.declarations, outcomes={})))
    to_the_end(Walk(db, clock, who, case_id, number, SHUANGYUAN[:9], {**REVIEW_STEPS}))
    assert reviews(db)["户主0"] == (None, "active", 1840.0, date(2026, 9, 1))
    assert review_sweep(db, clock)["started"] == 1
