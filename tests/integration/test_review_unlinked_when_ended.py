"""A review (复核) that ends without applying an outcome to the register — 终止 by the county, an end event that
declares no effect — leaves its benefit under no review and due at its next regular cycle counted from the day
it ended (engine.households.register.release_review, by ``next_review``: 低保 class A in 响水县 every 12 months,
class C every 3), with an entry ``review_ended`` in the benefit's history. So the next periodic sweep does not
restart the review the county just ended (before: the benefit stayed due and was reviewed again at once); it is
reviewed again on its new date. A benefit that was not due yet keeps its date; one no longer active is only
unlinked."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

from sqlalchemy import select, update

from engine import terminate_case
from engine.catalogue import versions
from engine.catalogue.versions import get_version
from engine.jobs import review_sweep
from engine.oversight.dashboard_refresh import refresh
from engine.store.models import Case, DashTownship, Recipient, RecipientChange
from tests.factories import SHUANGYUAN, Walk
from tests.integration.test_periodic_reviews import register, reviews, to_the_end  # noqa: F401  (the fixture)
from tests.integration.test_task_operations import run
from tests.processes.test_dynamic_management import REVIEW_STEPS

NEXT_CYCLE = date(2027, 9, 15)  # 2026-09-15 (the day the review ended) + 12 months: 响水县 低保 class A


def history(db, name: str) -> list[tuple]:
    with db.unit_of_work() as uow:
        return [tuple(r) for r in uow.session.execute(
            select(RecipientChange.effect, RecipientChange.on, RecipientChange.case_id)
            .join(Recipient, Recipient.id == RecipientChange.recipient_id)
            .where(Recipient.applicant_name == name).order_by(RecipientChange.id)).all()]


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=timezone.utc)  # 10:00 China time


def test_a_review_the_county_terminates_is_not_restarted_until_the_next_cycle(register, db, clock, who):
    assert review_sweep(db, clock)["started"] == 4
    first, status, _amount, due = reviews(db)["户主0"]
    assert first is not None and due == date(2026, 9, 1)
    run(db, terminate_case, who("county_mz"), clock, first, "复核对象已另案处理")
    assert reviews(db)["户主0"] == (None, status, 1840.0, NEXT_CYCLE)
    assert history(db, "户主0") == [("review_ended", date(2026, 9, 15), first)]
    assert review_sweep(db, clock)["started"] == 0, "the review just ended is not started again"
    clock.set(at(date(2027, 9, 14)))
    review_sweep(db, clock)  # the others fall due meanwhile
    assert reviews(db)["户主0"][0] is None, "not before its next cycle"
    clock.set(at(NEXT_CYCLE))
    review_sweep(db, clock)
    again = reviews(db)["户主0"][0]
    assert again not in (None, first)
    with db.unit_of_work() as uow:
        assert uow.session.get(Case, again).status == "running"


def test_a_terminated_review_is_not_counted_as_done_on_the_dashboard(register, db, clock, who):
    review_sweep(db, clock)
    run(db, terminate_case, who("county_mz"), clock, reviews(db)["户主0"][0], "复核对象已另案处理")
    with db.unit_of_work(write=True) as uow:
        refresh(uow.session, clock)
        uow.commit()
    with db.unit_of_work() as uow:
        assert sum(uow.session.execute(select(DashTownship.reviews_done)).scalars()) == 0


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
    assert reviews(db)["户主0"] == (None, "active", 1840.0, NEXT_CYCLE)
    assert [effect for effect, *_ in history(db, "户主0")] == ["review_ended"]
    assert review_sweep(db, clock)["started"] == 0


def test_a_benefit_not_due_yet_keeps_its_date_and_a_stopped_one_is_only_unlinked(register, db, clock, who):
    review_sweep(db, clock)
    with db.unit_of_work(write=True) as uow:  # 户主1's review started early (as a death's would), 户主2's stopped
        uow.session.execute(update(Recipient).where(Recipient.applicant_name == "户主1")
                            .values(next_review_on=date(2026, 12, 1)))
        uow.session.execute(update(Recipient).where(Recipient.applicant_name == "户主2")
                            .values(status="stopped", stopped_from=date(2026, 10, 1)))
        uow.commit()
    early, stopped = reviews(db)["户主1"][0], reviews(db)["户主2"][0]
    run(db, terminate_case, who("county_mz"), clock, early, "已另案处理")
    run(db, terminate_case, who("county_mz"), clock, stopped, "已另案处理")
    assert reviews(db)["户主1"] == (None, "active", 1840.0, date(2026, 12, 1))
    assert reviews(db)["户主2"] == (None, "stopped", 1840.0, date(2026, 9, 10))
    assert history(db, "户主2") == []
