"""A death ends the cases it makes moot, in the transaction that records it: the review (复核) still running for
a personal benefit it stopped, and an application of a personal benefit for the dead person (suspended or not),
each terminated by the system with no notice document; the household's 低保 application goes on."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from engine import inbox_tasks, suspend_case
from engine.errors import Conflict, NotFound
from engine.jobs import review_sweep
from engine.oversight.supervision import notifications_for
from engine.store.models import Case, CaseEvent, Document, HouseholdEvent, HumanTask, Notification, Recipient
from tests.factories import SHUANGYUAN
from tests.integration.test_death_review import _record, household  # noqa: F401  (the fixture)
from tests.integration.test_household_registry import lodge

DIED_ON = date(2026, 9, 10)


def _under_review(db, clock, household_id, assistance_type="extreme_poverty"):
    """The household's personal benefit of the type (特困) falls due and the scheduler starts its review:
    (recipient id, review)."""
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(update(Recipient).where(Recipient.household_id == household_id,
                                                    Recipient.assistance_type == assistance_type)
                            .values(next_review_on=date(2026, 9, 1)))
        uow.commit()
    assert review_sweep(db, clock)["started"] == 1
    with db.unit_of_work() as uow:
        s = uow.session
        recipient = s.execute(select(Recipient).where(Recipient.household_id == household_id,
                                                      Recipient.assistance_type == assistance_type)).scalar_one()
        review = s.execute(select(Case).where(Case.id == recipient.review_case_id)).scalar_one()
        assert review.status == "running" and s.execute(select(func.count()).where(
            HumanTask.case_id == review.id, HumanTask.status == "open")).scalar_one() >= 1
    return recipient.id, review


def _poverty_application(db, clock, who, unit_id, household_id):
    """A 特困 application lodged for the household's first member (the 低保 applicant)."""
    from tests.processes.test_extreme_poverty import application
    with db.unit_of_work() as uow:
        head = uow.session.execute(select(Case.applicant_name, Case.applicant_id_number).where(
            Case.household_id == household_id).order_by(Case.id)).first()
    return lodge(db, clock, who, unit_id, {**application(SHUANGYUAN), "applicant_name": head.applicant_name,
                                           "applicant_id_number": head.applicant_id_number},
                 process_id="extreme_poverty_xiangshui")


def _counts(db):
    with db.unit_of_work() as uow:
        s = uow.session
        return {model.__name__: s.execute(select(func.count()).select_from(model)).scalar_one()
                for model in (Case, CaseEvent, HumanTask, Notification, HouseholdEvent, Document)} | {
            "open": s.execute(select(func.count()).where(HumanTask.status == "open")).scalar_one(),
            "running": s.execute(select(func.count()).where(Case.status == "running")).scalar_one()}


def test_a_recipient_s_death_ends_the_review_of_the_benefit_it_stops(db, clock, who, household):
    household_id, members = household(benefit=False, personal=("extreme_poverty",))
    recipient_id, review = _under_review(db, clock, household_id)
    done = _record(db, who, clock, household_id, members[0], DIED_ON)
    assert done.terminated == (review.number,) and len(done.stopped) == 1
    with db.unit_of_work() as uow:
        s = uow.session
        ended = s.execute(select(Case).where(Case.id == review.id)).scalar_one()
        assert (ended.status, ended.outcome, ended.open_key, ended.next_due_at, ended.current_step) == (
            "completed", "terminated", None, None, None)
        assert ended.summary["outcome_label"] == "终止办理" and ended.revision == review.revision + 1
        statuses = s.execute(select(HumanTask.status).where(HumanTask.case_id == review.id)).scalars().all()
        assert statuses and set(statuses) == {"withdrawn"}
        for user in ("township_xs", "village_sy", "county_mz"):
            rows, _total = inbox_tasks(s, who(user), clock.today())
            assert review.number not in {r.number for r in rows}, user
        event = s.execute(select(CaseEvent).where(CaseEvent.case_id == review.id,
                                                  CaseEvent.kind == "case_terminated")).scalar_one()
        assert event.actor_id is None and event.title == "受助人死亡，终止办理"
        assert {k: event.data[k] for k in ("reason", "person_id", "died_on", "recorded_by_id")} == {
            "reason": "death", "person_id": members[0], "died_on": "2026-09-10",
            "recorded_by_id": who("township_xs").user_id}
        assert not s.execute(select(Document.id).where(Document.case_id == review.id)).all(), "no 终止办理通知书"
        recipient = s.execute(select(Recipient).where(Recipient.id == recipient_id)).scalar_one()
        assert (recipient.status, recipient.review_case_id) == ("stopped", None)
        notes = s.execute(select(Notification.role, Notification.message).where(
            Notification.case_id == review.id, Notification.kind == "ended_by_death")).all()
        assert sorted(n.role for n in notes) == ["county_supervisor", "township"]
        assert all(review.number in n.message and "终止办理" in n.message for n in notes)
        assert notifications_for(s, who("township_xs"), kind="ended_by_death")
        assert notifications_for(s, who("supervisor"), kind="ended_by_death")


def test_a_death_ends_the_person_s_own_application_but_not_the_household_s(db, clock, who, unit_id, household):
    household_id, members = household(benefit=False)
    with db.unit_of_work() as uow:
        minimum = uow.session.execute(select(Case).where(Case.household_id == household_id)).scalar_one()
    poverty = _poverty_application(db, clock, who, unit_id, household_id)
    with db.unit_of_work(write=True) as uow:  # suspended: it ends all the same, its suspension lifted
        suspend_case(uow.session, who("township_xs"), clock, poverty.id, "申请人住院，暂停办理")
        uow.commit()
    done = _record(db, who, clock, household_id, members[0], DIED_ON)
    assert done.terminated == (poverty.number,) and not done.stopped
    with db.unit_of_work() as uow:
        s = uow.session
        ended = s.execute(select(Case).where(Case.id == poverty.id)).scalar_one()
        assert (ended.status, ended.outcome, ended.suspended_at, ended.open_key) == (
            "completed", "terminated", None, None)
        assert not s.execute(select(HumanTask.id).where(HumanTask.case_id == poverty.id,
                                                        HumanTask.status == "open")).all()
        going = s.execute(select(Case).where(Case.id == minimum.id)).scalar_one()
        assert (going.status, going.open_key, going.revision) == ("running", minimum.open_key, minimum.revision)
        assert s.execute(select(HumanTask.id).where(HumanTask.case_id == minimum.id,
                                                    HumanTask.status == "open")).all()
        assert not s.execute(select(CaseEvent.id).where(CaseEvent.case_id == minimum.id,
                                                        CaseEvent.kind == "case_terminated")).all()


def test_another_member_s_death_and_a_second_report_end_nothing(db, clock, who, unit_id, household):
    household_id, members = household(benefit=False, personal=("disability_subsidy",))
    _under_review(db, clock, household_id, "disability_subsidy")
    _poverty_application(db, clock, who, unit_id, household_id)
    before = _counts(db)
    other = _record(db, who, clock, household_id, members[1], DIED_ON)
    assert other.recorded and not other.terminated and not other.stopped
    after_other = _counts(db)
    assert after_other["running"] == before["running"] and after_other["open"] == before["open"]
    first = _record(db, who, clock, household_id, members[0], DIED_ON)
    assert len(first.terminated) == 2
    settled = _counts(db)
    again = _record(db, who, clock, household_id, members[0], date(2026, 9, 11))
    assert not again.recorded and not again.terminated
    assert _counts(db) == settled, "the second report writes nothing"


def test_a_township_outside_the_place_is_refused_and_nothing_ends(db, clock, who, household):
    household_id, members = household(benefit=False, personal=("extreme_poverty",))
    _recipient, review = _under_review(db, clock, household_id)
    before = _counts(db)
    for user in ("street_dj", "village_sy"):
        with pytest.raises(NotFound):
            _record(db, who, clock, household_id, members[0], DIED_ON, user=user)
    assert _counts(db) == before
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(Case.status).where(Case.id == review.id)).scalar_one() == "running"


def test_a_case_changed_under_its_revision_refuses_the_whole_death(db, clock, who, household, monkeypatch):
    """Another writer that got to the review first (its revision moved on) makes the termination a Conflict
    (409): the death, the stop and the review's end are all undone together."""
    import engine.cases.operations as operations
    household_id, members = household(benefit=False, personal=("extreme_poverty",))
    recipient_id, review = _under_review(db, clock, household_id)
    before = _counts(db)
    original = operations.write_termination

    def raced(session, case_id, revision, *args):
        session.execute(update(Case).where(Case.id == case_id).values(revision=Case.revision + 1))
        return original(session, case_id, revision, *args)
    monkeypatch.setattr(operations, "write_termination", raced)
    with pytest.raises(Conflict):
        _record(db, who, clock, household_id, members[0], DIED_ON)
    monkeypatch.undo()
    assert _counts(db) == before
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(Recipient.status, Recipient.review_case_id).where(
            Recipient.id == recipient_id)).one() == ("active", review.id)
    assert _record(db, who, clock, household_id, members[0], DIED_ON).terminated == (review.number,)


def test_the_township_records_the_death_on_the_household_page_and_sees_what_it_ended(db, clock, who, unit_id,
                                                                                       household, login):
    household_id, members = household(personal=("extreme_poverty",))
    _recipient, review = _under_review(db, clock, household_id)
    township = login("township_xs")
    done = township.post_form(f"/households/{household_id}/deaths", {"person_id": members[0], "died_on": "2026-09-10"})
    assert done.status_code == 302
    page = township.get(f"/households/{household_id}").text
    assert f"因本人死亡，案件 {review.number} 已终止办理，待办事项已撤回。" in page
    assert "自死亡次月起停发" in page
    case_page = township.get(f"/cases/{review.id}").text
    assert 'class="event-case_terminated"' in case_page and "受助人于2026-09-10死亡（响水镇 张干事登记）" in case_page
    assert "终止办理" in case_page
    township.post_form("/lang/en", {"next": f"/cases/{review.id}"})
    english = township.get(f"/cases/{review.id}").text
    assert "The recipient died on 2026-09-10 (recorded by 响水镇 张干事)" in english
    notes = township.get("/notifications").text
    assert f"Case {review.number}: the recipient" in notes and "died on 2026-09-10; the case is terminated" in notes
    again = township.post_form(f"/households/{household_id}/deaths", {"person_id": members[0], "died_on": "2026-09-10"})
    assert again.status_code == 302
    assert "This death was already recorded; nothing new was started." in township.get(
        f"/households/{household_id}").text
