"""Periodic reviews (复核) start when due for A/B/C households, and their outcomes update the register."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import insert, select, update

from engine.catalogue.forms import with_check_digit
from engine.store.models import Case, Recipient
from engine.jobs import review_sweep
from tests.factories import DONGJIE, SHUANGYUAN, Walk, start
from tests.processes.test_dynamic_management import PROPOSALS, REVIEW_STEPS


@pytest.fixture
def register(db, clock, who, unit_id):
    """Six households in 双园村 (Xiangshui model) and two in 东街 (national), reviews due on various days."""
    rows = []
    plan = [(SHUANGYUAN, "A", date(2026, 9, 1)), (SHUANGYUAN, "B", date(2026, 9, 15)),
            (SHUANGYUAN, "C", date(2026, 9, 10)), (SHUANGYUAN, "A", date(2027, 3, 1)),
            (SHUANGYUAN, "B", date(2026, 10, 1)), (SHUANGYUAN, "C", date(2026, 12, 1)),
            (DONGJIE, "B", date(2026, 9, 1)), (DONGJIE, "C", date(2026, 11, 1))]
    for i, (village, review_class, due) in enumerate(plan):
        origin = start(db, clock, who, unit_id, village=village,
                       applicant_name=f"户主{i}", applicant_id_number=with_check_digit(f"32092119700101{i:03d}"))
        rows.append({"assistance_type": "minimum_living", "case_id": origin.case_id,
                     "county_id": origin.case().county_id, "township_id": origin.case().township_id,
                     "village_id": origin.case().village_id, "applicant_name": f"户主{i}",
                     "applicant_id_number": with_check_digit(f"32092119700101{i:03d}"), "household_size": 3,
                     "monthly_amount": 1840.0, "payment_from": date(2026, 1, 1), "stopped_from": None,
                     "review_class": review_class, "next_review_on": due, "review_case_id": None,
                     "status": "active", "updated_at": datetime.now(timezone.utc)})
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        s.execute(insert(Recipient), rows)
        uow.commit()
    return rows


def reviews(db) -> dict[str, tuple]:
    with db.unit_of_work() as uow:
        s = uow.session
        return {r.applicant_name: (r.review_case_id, r.status, r.monthly_amount, r.next_review_on)
                for r in s.execute(select(Recipient)).scalars()}


def to_the_end(walk) -> None:
    """Do each open step of a review in turn until it ends."""
    for _ in range(8):
        names = walk.open_names()
        if not names:
            break
        walk.do(names[0])
    assert walk.case().status == "completed"


def test_reviews_start_when_due_in_batches_once(register, db, clock):
    result = review_sweep(db, clock, batch_size=2)
    assert result == {"started": 4, "batches": 2, "failed": 0}
    started = {name for name, (case_id, *_rest) in reviews(db).items() if case_id}
    assert started == {"户主0", "户主1", "户主2", "户主6"}
    assert review_sweep(db, clock)["started"] == 0, "a review under way is not started again"
    with db.unit_of_work() as uow:
        s = uow.session
        cases = {c.applicant_name: c for c in s.execute(select(Case).where(Case.process_id.like("periodic_review%")))
                 .scalars()}
    assert cases["户主0"].process_id == "periodic_review_delegated" and cases["户主0"].started_by_id is None
    assert cases["户主6"].process_id == "periodic_review_national"
    clock.set(datetime(2026, 10, 1, 2, 0, tzinfo=timezone.utc))
    assert review_sweep(db, clock)["started"] == 1  # 户主4, class B, due 10-01


def test_a_review_that_cannot_start_holds_back_no_other_household(register, db, clock):
    with db.unit_of_work(write=True) as uow:  # register data the review's start form refuses
        uow.session.execute(update(Recipient).where(Recipient.applicant_name == "户主0")
                            .values(applicant_id_number="12345"))
        uow.commit()
    result = review_sweep(db, clock, batch_size=2)
    assert (result["started"], result["failed"]) == (3, 1)
    state = reviews(db)
    assert {name for name, (case_id, *_rest) in state.items() if case_id} == {"户主1", "户主2", "户主6"}
    with db.unit_of_work() as uow:
        applicants = uow.session.execute(select(Case.applicant_name).where(
            Case.process_id.like("periodic_review%"))).scalars().all()
    assert sorted(applicants) == ["户主1", "户主2", "户主6"], "nothing of the refused review is left"
    assert review_sweep(db, clock) == {"started": 0, "batches": 1, "failed": 1}, "still due, tried again"


@pytest.mark.parametrize("outcome", ["unchanged", "reduce", "terminate"])
def test_review_outcomes_update_the_register(register, db, clock, who, outcome):
    review_sweep(db, clock)
    case_id = reviews(db)["户主0"][0]
    with db.unit_of_work() as uow:
        s = uow.session
        number = s.get(Case, case_id).number
    steps = {**REVIEW_STEPS}
    if outcome != "unchanged":
        steps["check"] = {**steps["check"], **PROPOSALS[outcome][0]}
    walk = Walk(db, clock, who, case_id, number, SHUANGYUAN[:9], steps)
    to_the_end(walk)
    review_case_id, status, amount, next_review_on = reviews(db)["户主0"]
    assert review_case_id is None
    if outcome == "unchanged":
        assert (status, amount) == ("active", 1840.0) and next_review_on > date(2026, 9, 15)
    elif outcome == "reduce":
        assert (status, amount) == ("active", 1000.0)
    else:
        assert status == "stopped"


def test_review_progress_is_shown_to_the_supervisor(register, db, clock, login):
    import re
    page = login("supervisor").get("/supervisor").text
    assert re.search(r'reviews-due">3<', page) and re.search(r'reviews-running">0<', page)
    review_sweep(db, clock)
    page = login("supervisor").get("/supervisor").text
    assert re.search(r'reviews-due">0<', page) and re.search(r'reviews-running">3<', page)
