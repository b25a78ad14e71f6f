"""A 特困（孤儿） benefit is not paid on past 18 unseen: the county's ``orphan_review_lead_days`` before the 18th
birthday the scheduler starts its review (reason came_of_age), due on the birthday, once."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import insert, select, update

from engine.cases.coming_of_age import eighteenth_birthday
from engine.jobs import coming_of_age_sweep
from engine.store.models import Case, CaseEvent, Person, Recipient
from tests.factories import SHUANGYUAN, start


@pytest.fixture
def orphans(db, clock, who, unit_id):
    """Benefits in 双园村 (Xiangshui, 30 days' lead): name → (birth date, category)."""
    def make(plan: dict[str, tuple[date, str | None]]) -> dict[str, int]:
        ids = {}
        for name, (born, category) in plan.items():
            case = start(db, clock, who, unit_id, village=SHUANGYUAN, applicant_name=name).case()
            with db.unit_of_work(write=True) as uow:
                s = uow.session
                person_id = s.execute(select(Person.id).where(Person.household_id == case.household_id)
                                      .order_by(Person.id)).scalars().first()
                s.execute(update(Person).where(Person.id == person_id).values(birth_date=born))
                ids[name] = s.execute(insert(Recipient).values(
                    assistance_type="extreme_poverty", case_id=case.id, county_id=case.county_id,
                    township_id=case.township_id, village_id=case.village_id, applicant_name=name,
                    applicant_id_number=case.applicant_id_number, household_size=1, monthly_amount=1278.0,
                    payment_from=date(2020, 1, 1), stopped_from=None, review_class="A",
                    next_review_on=date(2027, 6, 1), review_case_id=None, status="active",
                    updated_at=datetime.now(timezone.utc), household_id=case.household_id, person_id=person_id,
                    category=category).returning(Recipient.id)).scalar_one()
                uow.commit()
        return ids
    return make


def test_an_orphan_turning_18_within_the_lead_is_reviewed_once_due_on_the_birthday(db, clock, orphans):
    # today 2026-09-15; 30 days' lead: 18 on 2026-10-01 → now; 18 on 2026-12-01 → not yet; an adult 特困 → never
    ids = orphans({"孙小雨": (date(2008, 10, 1), "孤儿"), "李小风": (date(2008, 12, 1), "孤儿"),
                   "王大爷": (date(1950, 1, 1), None)})
    assert coming_of_age_sweep(db, clock)["started"] == 1
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        recipient = s.get(Recipient, ids["孙小雨"])
        review = s.get(Case, recipient.review_case_id)
        assert review.process_id.startswith("periodic_review") and review.due_on == date(2026, 9, 30)  # 10-01 is off
        started = s.execute(select(CaseEvent.data).where(CaseEvent.case_id == review.id,
                                                         CaseEvent.kind == "case_started")).scalar_one()
        assert started["start_reason"] == "came_of_age" and "2026-10-01" in started["start_notes"]
        assert "生日前30天" in started["start_notes"] and "设计假设" in started["start_notes"], "the assumption is said"
        assert s.get(Recipient, ids["李小风"]).review_case_id is None
        assert s.get(Recipient, ids["王大爷"]).review_case_id is None
        s.execute(update(Recipient).where(Recipient.id == ids["孙小雨"]).values(review_case_id=None))  # the review ended:
        uow.commit()  # 继续供养 (a pupil)
    assert coming_of_age_sweep(db, clock)["started"] == 0, "a benefit is reviewed for it once"
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc))
    assert coming_of_age_sweep(db, clock)["started"] == 1  # 李小风: 30 days before 2026-12-01


def test_the_birthday_of_a_leap_day_child():
    assert eighteenth_birthday(date(2008, 2, 29)) == date(2026, 2, 28)


def test_the_supervisor_reads_the_assumption_on_the_review(db, clock, orphans, login):
    ids = orphans({"孙小雨": (date(2008, 10, 1), "孤儿")})
    coming_of_age_sweep(db, clock)
    with db.unit_of_work() as uow:
        review_id = uow.session.get(Recipient, ids["孙小雨"]).review_case_id
    page = login("supervisor").get(f"/cases/{review_id}").text
    assert "孤儿年满18周岁" in page and "设计假设" in page and "2026-09-30" in page


def test_a_terminated_coming_of_age_review_is_asked_again_on_the_birthday_then_at_the_next_cycle(
        db, clock, who, orphans):
    """终止 before the birthday: not restarted by either sweep until the birthday, when the periodic sweep starts
    the benefit's review for the age rule (reason came_of_age); that one ended too, the benefit is due at its next
    regular cycle (特困 yearly) — never in a loop, never left unreviewed past 18 (engine.households.register)."""
    from engine import terminate_case
    from engine.jobs import review_sweep
    from tests.integration.test_task_operations import run
    ids = orphans({"孙小雨": (date(2008, 10, 1), "孤儿")})
    assert coming_of_age_sweep(db, clock)["started"] == 1

    def benefit():
        with db.unit_of_work() as uow:
            r = uow.session.get(Recipient, ids["孙小雨"])
            return r.review_case_id, r.next_review_on
    first = benefit()[0]
    run(db, terminate_case, who("county_mz"), clock, first, "发起有误，另行处理")
    assert benefit() == (None, date(2026, 10, 1)), "due on the 18th birthday, before its yearly date (2027-06-01)"
    assert coming_of_age_sweep(db, clock)["started"] == 0 and review_sweep(db, clock)["started"] == 0
    clock.set(datetime(2026, 10, 1, 2, 0, tzinfo=timezone.utc))
    assert coming_of_age_sweep(db, clock)["started"] == 0, "its once-only key stays"
    assert review_sweep(db, clock)["started"] == 1
    second = benefit()[0]
    with db.unit_of_work() as uow:
        started = uow.session.execute(select(CaseEvent.data).where(CaseEvent.case_id == second,
                                                                   CaseEvent.kind == "case_started")).scalar_one()
    assert started["start_reason"] == "came_of_age" and "第二十四条" in started["start_notes"]
    run(db, terminate_case, who("county_mz"), clock, second, "另行处理")
    assert benefit() == (None, date(2027, 10, 1)), "after the birthday: the next yearly cycle from the day it ended"
    assert review_sweep(db, clock)["started"] == 0 and coming_of_age_sweep(db, clock)["started"] == 0
