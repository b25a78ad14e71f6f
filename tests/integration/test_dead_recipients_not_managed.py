"""A recipient recorded as dead gets no more dynamic-management work (动态管理) for their own benefit: a change
(变更), review (复核) or re-assessment of a personal benefit (特困, 两项补贴, 尊老金) naming them is refused at
lodging — by whoever lodges it, the scheduler too — with the person named (masked ID), Chinese first with
English, and nothing written (engine.households.registry.lodging_fields: the one rule of every lodging path).
A change still running for such a benefit ends with the death, and a decision on a benefit already stopped
leaves its stop date alone (the death's stop from the next month is never pushed later). A household benefit
(低保) goes on: its change after a member's death, naming the dead head, is lodged."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from engine import start_case
from engine.catalogue.forms import mask_id_number
from engine.errors import FormInvalid
from engine.jobs import review_sweep
from engine.store.models import Case, CaseEvent, HumanTask, Notification, Recipient, RecipientChange
from tests.factories import SHUANGYUAN, Walk
from tests.integration.test_death_review import _record, household  # noqa: F401  (the fixture)
from tests.processes.test_dynamic_management import CHANGE_STEPS

DIED_ON = date(2026, 9, 10)
CHANGE = "benefit_change_delegated"  # 双园村: the township decides


def counts(db) -> dict[str, int]:
    with db.unit_of_work() as uow:
        s = uow.session
        return {m.__name__: s.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (Case, CaseEvent, HumanTask, Notification, Recipient, RecipientChange)}


def benefit(db, household_id, assistance_type):
    with db.unit_of_work() as uow:
        s = uow.session
        return s.execute(select(Recipient, Case.number).join(Case, Case.id == Recipient.case_id).where(
            Recipient.household_id == household_id, Recipient.assistance_type == assistance_type)).one()


def change_data(row, reason="reported_change") -> dict:
    r, number = row
    return {"assistance_type": r.assistance_type, "recipient_case_number": number, "applicant_name": r.applicant_name,
            "applicant_id_number": r.applicant_id_number, "household_size": r.household_size,
            "current_monthly_amount": float(r.monthly_amount), "review_class": r.review_class, "start_reason": reason}


def lodge_change(db, clock, who, unit_id, data, user="village_sy"):
    with db.unit_of_work(write=True) as uow:
        started = start_case(uow.session, who(user), clock, CHANGE, unit_id(SHUANGYUAN), data)
        uow.commit()
    return started


@pytest.mark.parametrize("reason", ["reported_change", "death"])
def test_a_change_of_a_dead_recipient_s_own_benefit_is_refused_naming_them(db, clock, who, unit_id, household,
                                                                           reason):
    household_id, members = household(benefit=False, personal=("extreme_poverty",))
    _record(db, who, clock, household_id, members[0], DIED_ON)
    row = benefit(db, household_id, "extreme_poverty")
    before = counts(db)
    with pytest.raises(FormInvalid) as refused:
        lodge_change(db, clock, who, unit_id, change_data(row, reason))
    message = refused.value.errors["applicant_id_number"]
    id_number = row[0].applicant_id_number
    assert row[0].applicant_name in message and mask_id_number(id_number) in message and id_number not in message
    assert "已于 2026-09-10 登记死亡" in message and "不能再为其发起复核、变更或复评" in message
    assert refused.value.message_zh == message
    assert "recorded as dead on 2026-09-10" in refused.value.errors_en["applicant_id_number"]
    assert counts(db) == before


def test_the_web_answers_422_in_chinese(db, clock, who, unit_id, household, app):
    from engine.errors import FormInvalid as Refused
    household_id, members = household(benefit=False, personal=("extreme_poverty",))
    _record(db, who, clock, household_id, members[0], DIED_ON)
    with pytest.raises(Refused) as refused:
        lodge_change(db, clock, who, unit_id, change_data(benefit(db, household_id, "extreme_poverty")))
    with app.test_request_context("/api/tasks", headers={"Accept": "application/json"}):
        response = app.make_response(app.handle_user_exception(refused.value))
    body = response.get_json()
    assert response.status_code == 422 and "登记死亡" in body["errors"]["applicant_id_number"]
    assert "**" in body["errors"]["applicant_id_number"], "the ID number masked"


def test_the_scheduler_starts_no_review_of_a_dead_person_s_own_benefit(db, clock, who, household):
    """Even were the register to hold it active and due (bad data), the sweep's batch path takes the same rule."""
    household_id, members = household(benefit=False, personal=("extreme_poverty",))
    _record(db, who, clock, household_id, members[0], DIED_ON)
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(update(Recipient).where(Recipient.household_id == household_id).values(
            status="active", stopped_from=None, next_review_on=date(2026, 9, 1)))
        uow.commit()
    before = counts(db)
    assert review_sweep(db, clock) == {"started": 0, "batches": 1, "failed": 1}
    assert counts(db) == before


def test_a_household_benefit_s_change_after_its_head_died_is_lodged(db, clock, who, unit_id, household):
    household_id, members = household()
    _record(db, who, clock, household_id, members[0], DIED_ON)
    started = lodge_change(db, clock, who, unit_id, change_data(benefit(db, household_id, "minimum_living"), "death"))
    with db.unit_of_work() as uow:
        assert uow.session.get(Case, started.id).status == "running"


def test_a_running_change_of_the_dead_person_s_benefit_ends_with_the_death(db, clock, who, unit_id, household):
    household_id, members = household(personal=("extreme_poverty",))
    poverty = lodge_change(db, clock, who, unit_id, change_data(benefit(db, household_id, "extreme_poverty")))
    living = lodge_change(db, clock, who, unit_id, change_data(benefit(db, household_id, "minimum_living")))
    done = _record(db, who, clock, household_id, members[0], DIED_ON)
    assert poverty.number in done.terminated and living.number not in done.terminated
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.get(Case, poverty.id).outcome == "terminated" and s.get(Case, living.id).status == "running"
        assert set(s.execute(select(HumanTask.status).where(HumanTask.case_id == poverty.id)).scalars()) == {
            "withdrawn"}


def test_a_later_stop_does_not_move_an_earlier_stop_date(db, clock, who, unit_id, household):
    """A change decided on a benefit already stopped (here: stopped from 2026-10-01) leaves it as it is."""
    household_id, _members = household(benefit=False, personal=("extreme_poverty",))
    started = lodge_change(db, clock, who, unit_id, change_data(benefit(db, household_id, "extreme_poverty")))
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(update(Recipient).where(Recipient.household_id == household_id).values(
            status="stopped", stopped_from=date(2026, 10, 1), active_key=None))
        uow.commit()
    before = benefit(db, household_id, "extreme_poverty")[0]
    w = Walk(db, clock, who, started.id, started.number, SHUANGYUAN[:9], CHANGE_STEPS)
    w.do("check", changed_household_size=1, dynamic_proposal="stop", proposal_reasons="本人服刑")
    for _ in range(6):
        if not w.open_names():
            break
        if w.open_names() == ["termination_publicity"] and not w.fire_timers():
            clock.advance(days=8)
            w.fire_timers()
            continue
        w.do(w.open_names()[0])
    assert w.case().status == "completed" and w.case().outcome == "end_stopped"
    after = benefit(db, household_id, "extreme_poverty")[0]
    assert (after.status, after.stopped_from, after.monthly_amount) == ("stopped", date(2026, 10, 1),
                                                                       before.monthly_amount)


def test_the_last_living_member_s_death_stops_the_household_s_benefit_and_ends_its_review(db, clock, who,
                                                                                          household):
    """Nobody is left to support: the 低保 stops from the month after the last death, its review (started by an
    earlier death) ends, and no new review is started (the payment roll pays a benefit only before its stop)."""
    household_id, members = household()
    first = _record(db, who, clock, household_id, members[0], date(2026, 9, 1))
    assert len(first.started) == 1 and not first.stopped, "a member left alive: reviewed, not stopped"
    assert not _record(db, who, clock, household_id, members[1], date(2026, 9, 5)).stopped
    before = counts(db)
    last = _record(db, who, clock, household_id, members[2], DIED_ON)
    assert first.started[0] in last.terminated and not last.started and len(last.stopped) == 1
    r, _number = benefit(db, household_id, "minimum_living")
    assert (r.status, r.stopped_from, r.review_case_id, r.active_key) == ("stopped", date(2026, 10, 1), None, None)
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(RecipientChange.effect).where(RecipientChange.recipient_id == r.id)
                         .order_by(RecipientChange.id.desc())).scalars().first() == "stop"
        assert s.execute(select(Case.outcome).where(Case.number == first.started[0])).scalar_one() == "terminated"
    assert counts(db)["Case"] == before["Case"], "no review started"
