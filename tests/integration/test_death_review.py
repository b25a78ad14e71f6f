"""A member's death recorded by the township starts the 低保 household's review, due within 3 months
(2022 notice); a second report starts nothing, a household without a benefit starts nothing."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import insert, select, update

from engine import record_death
from engine.cases.deaths import review_due_after_death
from engine.errors import FormInvalid, NotFound
from engine.jobs import review_sweep
from engine.store.models import Case, CaseEvent, HouseholdEvent, HumanTask, Person, Recipient
from tests.factories import SHUANGYUAN, start


@pytest.fixture
def household(db, clock, who, unit_id):
    """A 双园村 household of three (its application's case), optionally holding a 低保 benefit."""
    def make(benefit: bool = True, review_case_id: int | None = None, personal: tuple[str, ...] = ()):
        origin = start(db, clock, who, unit_id)
        case = origin.case()
        granting = [start(db, clock, who, unit_id).case_id for _ in personal]
        with db.unit_of_work(write=True) as uow:
            s = uow.session
            members = s.execute(select(Person.id, Person.name).where(Person.household_id == case.household_id)
                                .order_by(Person.id)).all()
            if benefit:
                s.execute(insert(Recipient).values(
                    assistance_type="minimum_living", case_id=case.id, county_id=case.county_id,
                    township_id=case.township_id, village_id=case.village_id, applicant_name=case.applicant_name,
                    applicant_id_number=case.applicant_id_number, household_size=3, monthly_amount=1840.0,
                    payment_from=date(2026, 1, 1), stopped_from=None, review_class="A",
                    next_review_on=date(2027, 3, 1), review_case_id=review_case_id, status="active",
                    updated_at=datetime.now(timezone.utc), household_id=case.household_id,
                    person_id=members[0].id))
            for i, assistance_type in enumerate(personal):  # the applicant's own benefits, each its own case
                s.execute(insert(Recipient).values(
                    assistance_type=assistance_type, case_id=granting[i],
                    county_id=case.county_id, township_id=case.township_id, village_id=case.village_id,
                    applicant_name=case.applicant_name, applicant_id_number=case.applicant_id_number,
                    household_size=1, monthly_amount=100.0 + i, payment_from=date(2026, 1, 1), stopped_from=None,
                    review_class="A", next_review_on=date(2027, 1, 1), review_case_id=None, status="active",
                    updated_at=datetime.now(timezone.utc), household_id=case.household_id,
                    person_id=members[0].id, active_key=f"p{members[0].id}:{assistance_type}"))
            uow.commit()
        return case.household_id, [m.id for m in members]
    return make


def _record(db, who, clock, household_id, person_id, died_on, user="township_xs"):
    with db.unit_of_work(write=True) as uow:
        done = record_death(uow.session, who(user), clock, household_id, person_id, died_on)
        uow.commit()
    return done


def test_a_death_starts_the_review_due_3_months_later_once(db, clock, who, household):
    household_id, members = household()
    done = _record(db, who, clock, household_id, members[1], date(2026, 9, 10))
    # 2026-12-10 is a Thursday, a working day: the review is due that day
    assert done.recorded and len(done.started) == 1 and done.due_on == date(2026, 12, 10)
    with db.unit_of_work() as uow:
        s = uow.session
        review = s.execute(select(Case).where(Case.number == done.started[0])).scalar_one()
        assert review.process_id == "periodic_review_delegated" and review.started_by_id is None
        assert review.due_on == date(2026, 12, 10) and review.household_id == household_id
        recipient = s.execute(select(Recipient).where(Recipient.household_id == household_id)).scalar_one()
        assert recipient.review_case_id == review.id
        started = s.execute(select(CaseEvent.data).where(CaseEvent.case_id == review.id,
                                                         CaseEvent.kind == "case_started")).scalar_one()
        assert started["start_reason"] == "death" and "2026-09-10" in started["start_notes"]
        assert s.execute(select(HumanTask.role, HumanTask.unit_id).where(
            HumanTask.case_id == review.id, HumanTask.status == "open")).one().role == "township"
        event = s.execute(select(HouseholdEvent).where(HouseholdEvent.household_id == household_id,
                                                       HouseholdEvent.kind == "died")).scalar_one()
        assert (event.person_id, event.on, event.actor_id) == (members[1], date(2026, 9, 10), who("township_xs").user_id)
    again = _record(db, who, clock, household_id, members[1], date(2026, 9, 11))
    assert not again.recorded and not again.started
    with db.unit_of_work() as uow:
        reviews = uow.session.execute(select(Case.id).where(Case.process_id.like("periodic_review%"))).all()
    assert len(reviews) == 1, "a second report of the same death starts nothing"


def test_a_household_without_a_benefit_starts_nothing(db, clock, who, household):
    household_id, members = household(benefit=False)
    done = _record(db, who, clock, household_id, members[2], date(2026, 9, 1))
    assert done.recorded and not done.started and done.due_on is None
    with db.unit_of_work() as uow:
        assert not uow.session.execute(select(Case.id).where(Case.process_id.like("periodic_review%"))).all()


def test_a_review_already_running_is_brought_forward_not_doubled(db, clock, who, household):
    household_id, members = household()
    with db.unit_of_work(write=True) as uow:  # its periodic review is due and the scheduler starts it
        uow.session.execute(update(Recipient).where(Recipient.household_id == household_id)
                            .values(next_review_on=date(2026, 9, 1)))
        uow.commit()
    assert review_sweep(db, clock)["started"] == 1
    first = _record(db, who, clock, household_id, members[1], date(2026, 9, 1))
    assert first.recorded and not first.started and len(first.hastened) == 1
    later = _record(db, who, clock, household_id, members[2], date(2026, 9, 14))
    assert later.recorded and not later.started and not later.hastened, "the first death's limit is earlier"
    with db.unit_of_work() as uow:
        reviews = uow.session.execute(select(Case).where(Case.process_id.like("periodic_review%"))).scalars().all()
        assert [r.due_on for r in reviews] == [date(2026, 12, 1)]


def test_the_limit_never_falls_on_a_day_off():
    # 2026-10-03 (a Saturday in the National Day break) + 3 months = 2027-01-03, a Sunday (元旦 break):
    # the review is due the working day before
    due = review_due_after_death(date(2026, 10, 3), 3)
    assert due.on < date(2027, 1, 3) and due.on.weekday() < 5


def test_only_the_township_of_the_place_records_a_death_and_bad_dates_are_refused(db, clock, who, household):
    household_id, members = household()
    with pytest.raises(NotFound):
        _record(db, who, clock, household_id, members[1], date(2026, 9, 1), user="village_sy")
    with pytest.raises(NotFound):
        _record(db, who, clock, household_id, members[1], date(2026, 9, 1), user="street_dj")
    with pytest.raises(FormInvalid):
        _record(db, who, clock, household_id, members[1], date(2026, 9, 16))
    with db.unit_of_work() as uow:
        assert not uow.session.execute(select(HouseholdEvent.id).where(HouseholdEvent.kind == "died")).all()


def test_the_township_records_a_death_on_the_household_page(db, clock, who, household, login):
    household_id, members = household()
    township = login("township_xs")
    page = township.get(f"/households/{household_id}").text
    assert 'class="death-report"' in page and 'name="csrf_token"' in page
    assert 'class="death-report"' not in login("village_sy").get(f"/households/{household_id}").text
    bad = township.post_form(f"/households/{household_id}/deaths", {"person_id": members[1], "died_on": "yesterday"})
    assert bad.status_code == 400
    no_token = township.client.post(f"/households/{household_id}/deaths",
                                    data={"person_id": members[1], "died_on": "2026-09-10"})
    assert no_token.status_code == 400
    done = township.post_form(f"/households/{household_id}/deaths", {"person_id": members[1], "died_on": "2026-09-10"})
    assert done.status_code == 302
    page = township.get(f"/households/{household_id}").text
    assert re.search(r"2026-12-10", page)
    assert township.post_form(f"/households/{household_id}/deaths",
                              {"person_id": members[2], "died_on": "2026-09-20"}).status_code == 422
    with db.unit_of_work() as uow:
        review = uow.session.execute(select(Case).where(Case.process_id.like("periodic_review%"))).scalar_one()
    case_page = township.get(f"/cases/{review.id}").text
    assert "2026-12-10" in case_page


def _death_rule(db, who, clock, months: str):
    from engine.catalogue.rules import rules_in_force
    from engine.rule_changes import add_rule_entry, form_of_entry
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        form = {**form_of_entry("rules", rules_in_force("320921", clock.today(), session=s)), "county": "320921",
                "kind": "rules", "effective_from": clock.today().isoformat(), "note": "测试：死亡后复核期限",
                "death_review_months_by_type.minimum_living": months,
                "source.death_review_months_by_type.minimum_living": "响民〔2026〕41号：家庭成员死亡后2个月内复核"}
        add_rule_entry(s, who("admin"), clock.now(), clock.today(), form)
        uow.commit()


def test_the_county_s_rule_sets_the_months_and_a_bad_value_is_refused_by_name(db, clock, who, household):
    """The months are the county's rule (counties.toml or an admin's dated entry), 3 for 低保 by default; an
    entry of no months is refused naming the value, nothing written; one of 2 months makes the review due 2
    months after a death from its date."""
    from engine.catalogue.rules import DEATH_REVIEW_MONTHS, death_review_months, rules_in_force
    from engine.store.models import CountyRuleEntry
    assert death_review_months(rules_in_force("320921", clock.today())) == DEATH_REVIEW_MONTHS == {"minimum_living": 3}
    with pytest.raises(FormInvalid) as refused:
        _death_rule(db, who, clock, "0")
    assert "死亡后复核" in refused.value.errors["death_review_months_by_type.minimum_living"]
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(CountyRuleEntry.id)).first() is None
    _death_rule(db, who, clock, "2")
    household_id, members = household()
    done = _record(db, who, clock, household_id, members[1], clock.today())
    # 2026-11-15 is a Sunday: due the Friday before
    assert done.due_on == date(2026, 11, 13) and len(done.started) == 1


def test_a_recipient_s_own_death_stops_their_personal_benefits_from_the_next_month(db, clock, who, household):
    """特困, 两项补贴, 尊老金 are the person's own: their death stops each from the month after it (终止 effective
    next month), in the benefit's history, with an event on its case and a notice to the county's supervisor;
    no payment roll after it pays them. The household's 低保 is not stopped but reviewed; another member's
    death stops nothing personal."""
    from engine.oversight.reports import payment_roll
    from engine.oversight.supervision import notifications_for
    from engine.store.models import RecipientChange
    personal = ("extreme_poverty", "disability_subsidy", "old_age_allowance")
    household_id, members = household(personal=personal)
    assert not _record(db, who, clock, household_id, members[1], date(2026, 9, 1)).stopped
    done = _record(db, who, clock, household_id, members[0], date(2026, 9, 10))
    assert len(done.stopped) == 3 and not done.started  # the 低保 review is the one the first death started
    with db.unit_of_work() as uow:
        s = uow.session
        rows = {r.assistance_type: r for r in s.execute(
            select(Recipient).where(Recipient.household_id == household_id)).scalars()}
        for t in personal:
            assert (rows[t].status, rows[t].stopped_from, rows[t].active_key) == ("stopped", date(2026, 10, 1), None)
            events = s.execute(select(CaseEvent.title).where(CaseEvent.case_id == rows[t].case_id,
                                                             CaseEvent.kind == "benefit_stopped")).scalars().all()
            assert len(events) == 1 and "2026-09-10死亡" in events[0] and "2026年10月起停发" in events[0]
            assert s.execute(select(RecipientChange.effect).where(
                RecipientChange.recipient_id == rows[t].id)).scalars().all() == ["stop"]
        assert rows["minimum_living"].status == "active"
        notes = notifications_for(s, who("supervisor"), kind="benefit_stopped")
        assert len(notes) == 3 and all("停发" in n.message for n in notes)
        assert not notifications_for(s, who("township_xs"), kind="benefit_stopped")

        def paid(month):
            # the personal benefits under the dead person's name, the 低保 under the new head's (户主变更)
            return sorted(line[6] for line in payment_roll(s, who("township_xs"), month, "all").rows
                          if line[3] and line[2] in (rows["extreme_poverty"].applicant_name, done.new_head))
        september, october = paid(date(2026, 9, 1)), paid(date(2026, 10, 1))
    assert len(september) == 4 and len(october) == 1
