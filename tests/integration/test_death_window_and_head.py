"""What a death leaves to close (rules audit): the window's open referrals (转办) for the dead person alone end
with the reason on the window's pages, while a household's referral stays open for the living members; a dead
applicant is referred nowhere again (转介 refused, 422); when the head of household (户主) dies and the household
goes on, it gets a new head — the member the clerk picks, validated, else the documented rule — and its benefit
and payment-roll line follow, in the benefit's history, the granting case's events and the household's history."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from engine import record_death
from engine.catalogue.forms import mask_id_number
from engine.errors import Conflict, FormInvalid
from engine.oversight.files import household_file
from engine.oversight.reports import payment_roll
from engine.store.models import (Case, CaseEvent, Household, HouseholdEvent, Notification, Person, Recipient,
                                 RecipientChange, WindowCharityReferral, WindowSupervisionItem)
from engine.jobs import escalation_sweep
from engine.window.charities import refer_to_charity
from engine.window.ledger import ledger, ledger_report, registration_view
from engine.oversight.reports import to_csv
from engine.window.referrals import answer_referral
from engine.window.registration import Applicant, RequestedItem, register
from tests.factories import SHUANGYUAN
from tests.integration.test_death_review import _record, household  # noqa: F401  (the fixture)
from tests.integration.test_window import _items

DIED_ON = date(2026, 9, 10)


def _people(db, household_id):
    with db.unit_of_work() as uow:
        return uow.session.execute(select(Person).where(Person.household_id == household_id)
                                   .order_by(Person.id)).scalars().all()


def _register(db, clock, who, unit_id, person, codes):
    with db.unit_of_work(write=True) as uow:
        rid = register(uow.session, who("township_xs"), clock, unit_id(SHUANGYUAN),
                       Applicant(person.name, person.id_number, "响水县响水镇双园村5组"), "因病致贫",
                       [RequestedItem(c) for c in codes])
        uow.commit()
    return rid


def test_a_death_ends_the_person_s_own_referrals_and_keeps_the_household_s(db, clock, who, unit_id, household):
    household_id, _members = household()
    head, spouse, child = _people(db, household_id)
    own = _register(db, clock, who, unit_id, head, ("medical_aid", "housing_aid"))
    other = _register(db, clock, who, unit_id, spouse, ("employment_aid",))
    clock.advance(days=10)   # past the 6 working days: the open referrals are overdue and under 督办
    assert escalation_sweep(db, clock)["referrals_escalated"] == 3
    done = _record(db, who, clock, household_id, head.id, DIED_ON)
    items = _items(db, own)
    medical, housing = items["medical_aid"], items["housing_aid"]
    assert done.referrals_ended == (medical.transfer_number,)
    assert (medical.status, medical.ended_on, medical.due_on) == ("ended", clock.today(), None)
    assert f"申请人{head.name}于2026-09-10死亡" in medical.end_reason
    assert housing.status == "referred" and housing.end_reason is None   # the household's: still valid
    assert _items(db, other)["employment_aid"].status == "referred"      # another member's own
    with db.unit_of_work() as uow:
        s = uow.session
        open_supervision = s.execute(select(WindowSupervisionItem.window_item_id).where(
            WindowSupervisionItem.resolved_at.is_(None))).scalars().all()
        assert medical.id not in open_supervision and housing.id in open_supervision
        notes = s.execute(select(Notification.role, Notification.message).where(
            Notification.kind == "window_ended")).all()
        assert {n.role for n in notes} == {"township", "dept_medical_insurance"}
        assert all(head.name in n.message and "转办终止" in n.message for n in notes)
        # the window's pages: the registration and the ledger (and its CSV) show the end and its reason
        view = registration_view(s, who("township_xs"), own, clock.today())
        shown = next(i for i in view["items"] if i["item_code"] == "medical_aid")
        assert shown["status_zh"] == "已终止（申请人死亡）" and shown["end_reason"] == medical.end_reason
        rows = [r for r in ledger(s, who("township_xs"), clock.today()) if r["registration_id"] == own]
        assert "已终止（申请人死亡）" in to_csv(ledger_report(rows)).decode("utf-8")
        assert medical.end_reason in to_csv(ledger_report(rows)).decode("utf-8")
    # the department can no longer answer it (409, nothing written)
    with db.unit_of_work(write=True) as uow, pytest.raises(Conflict):
        answer_referral(uow.session, who("liaison_yb_xs"), clock, medical.id, "finished", "已救助")
    # the household's last living member dies: its own referral ends too, and the other member's
    _record(db, who, clock, household_id, child.id, DIED_ON)
    last = _record(db, who, clock, household_id, spouse.id, DIED_ON)
    assert set(last.referrals_ended) == {housing.transfer_number, _items(db, other)["employment_aid"].transfer_number}
    assert "家庭最后一名在世成员" in _items(db, own)["housing_aid"].end_reason


def test_another_member_s_death_ends_no_referral_and_a_second_report_nothing(db, clock, who, unit_id, household):
    household_id, _members = household()
    head, spouse, _child = _people(db, household_id)
    rid = _register(db, clock, who, unit_id, head, ("medical_aid",))
    assert _record(db, who, clock, household_id, spouse.id, DIED_ON).referrals_ended == ()
    assert _items(db, rid)["medical_aid"].status == "referred"
    _record(db, who, clock, household_id, head.id, DIED_ON)
    again = _record(db, who, clock, household_id, head.id, DIED_ON)
    assert not again.recorded and again.referrals_ended == ()


def test_a_dead_applicant_is_referred_to_no_charity(db, clock, who, unit_id, household):
    household_id, _members = household()
    head = _people(db, household_id)[0]
    rid = _register(db, clock, who, unit_id, head, ("medical_aid",))
    _record(db, who, clock, household_id, head.id, DIED_ON)
    with db.unit_of_work(write=True) as uow, pytest.raises(FormInvalid) as refused:
        refer_to_charity(uow.session, who("township_xs"), clock, rid, "charity_federation:serious_illness", "")
    message = refused.value.errors["project"]
    assert "已于 2026-09-10 登记死亡" in message and "不能再为其转办或转介" in message
    assert mask_id_number(head.id_number) in message and head.id_number not in message
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(func.count()).select_from(WindowCharityReferral)).scalar_one() == 0


def test_the_head_s_death_names_the_rule_s_new_head_and_the_benefit_follows(db, clock, who, household):
    household_id, _members = household()
    head, spouse, child = _people(db, household_id)
    done = _record(db, who, clock, household_id, head.id, DIED_ON)
    expected = spouse if spouse.relation == "spouse" else min((spouse, child), key=lambda p: p.birth_date)
    assert done.new_head == expected.name and len(done.holders_changed) == 1
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(Household.head_id).where(Household.id == household_id)).scalar_one() == expected.id
        benefit = s.execute(select(Recipient).where(Recipient.household_id == household_id)).scalar_one()
        assert (benefit.applicant_name, benefit.applicant_id_number, benefit.person_id, benefit.status) == (
            expected.name, expected.id_number, expected.id, "active")
        assert s.execute(select(RecipientChange.effect).where(RecipientChange.recipient_id == benefit.id)
                         .order_by(RecipientChange.id)).scalars().all()[-1] == "holder_changed"
        event = s.execute(select(CaseEvent).where(CaseEvent.case_id == benefit.case_id,
                                                  CaseEvent.kind == "holder_changed")).scalar_one()
        assert expected.name in event.title and head.name in event.title and not event.data["chosen"]
        assert head.id_number not in str(event.data) and mask_id_number(head.id_number) in event.data["from"]
        changed = s.execute(select(HouseholdEvent).where(HouseholdEvent.household_id == household_id,
                                                         HouseholdEvent.kind == "head_changed")).scalar_one()
        assert changed.person_id == expected.id and changed.detail["from_person_id"] == head.id
        # no payment roll line keeps the dead head as the payee
        lines = payment_roll(s, who("township_xs"), date(2026, 10, 1), "minimum_living").rows
        ours = [line for line in lines if line[3] == mask_id_number(expected.id_number)]
        assert len(ours) == 1 and ours[0][2] == expected.name
        assert not [line for line in lines if line[2] == head.name and line[3] == mask_id_number(head.id_number)]
        # the household file: its head first, marked; the change in its history
        file = household_file(s, who("township_xs"), household_id)
        assert file.household.members[0]["id"] == expected.id and file.household.members[0]["head"]
        assert any(h["kind"] == "head_changed" and h["person_name"] == expected.name for h in file.history)
        assert file.benefits[0]["applicant_name"] == expected.name


def test_the_clerk_picks_the_new_head_a_living_adult_member(db, clock, who, household):
    household_id, _members = household()
    head, spouse, child = _people(db, household_id)
    with db.unit_of_work(write=True) as uow:   # make the child an adult and the spouse a minor: the pick is checked
        uow.session.execute(update(Person).where(Person.id == child.id).values(birth_date=date(1990, 1, 1)))
        uow.session.execute(update(Person).where(Person.id == spouse.id).values(birth_date=date(2015, 1, 1)))
        uow.commit()

    def counts():
        with db.unit_of_work() as uow:
            s = uow.session
            return [s.execute(select(func.count()).select_from(m)).scalar_one()
                    for m in (HouseholdEvent, RecipientChange, CaseEvent, Case)]
    before = counts()
    for wrong, message in ((head.id, "新户主须为该户的在世成员"), (999999, "新户主须为该户的在世成员"),
                           (spouse.id, "新户主须年满十八周岁")):
        with db.unit_of_work(write=True) as uow, pytest.raises(FormInvalid) as refused:
            record_death(uow.session, who("township_xs"), clock, household_id, head.id, DIED_ON, new_head_id=wrong)
        assert message in refused.value.errors["new_head_id"] and refused.value.errors_en["new_head_id"]
    assert counts() == before   # nothing written, the death not recorded
    with db.unit_of_work(write=True) as uow:
        done = record_death(uow.session, who("township_xs"), clock, household_id, head.id, DIED_ON,
                            new_head_id=child.id)
        uow.commit()
    assert done.recorded and done.new_head == child.name
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(Household.head_id).where(Household.id == household_id)).scalar_one() == child.id
        assert s.execute(select(Recipient.applicant_id_number).where(
            Recipient.household_id == household_id)).scalar_one() == child.id_number
        assert s.execute(select(CaseEvent.data).where(CaseEvent.kind == "holder_changed")).scalar_one()["chosen"]


def test_a_new_head_is_refused_when_the_dead_member_was_not_the_head(db, clock, who, household):
    household_id, _members = household()
    head, spouse, child = _people(db, household_id)
    with db.unit_of_work(write=True) as uow, pytest.raises(FormInvalid) as refused:
        record_death(uow.session, who("township_xs"), clock, household_id, spouse.id, DIED_ON, new_head_id=child.id)
    assert "户主不变" in refused.value.errors["new_head_id"]
    done = _record(db, who, clock, household_id, spouse.id, DIED_ON)
    assert done.new_head is None and done.holders_changed == ()
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(Household.head_id).where(Household.id == household_id)).scalar_one() == head.id
        assert s.execute(select(Recipient.applicant_name).where(
            Recipient.household_id == household_id)).scalar_one() == head.name
