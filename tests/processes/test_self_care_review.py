"""A reported change in a 特困 person's self-care ability starts a re-assessment due in 10 working days, by whoever
assesses self-care on the 特困 route in force in the place (its BPMN lane); the DMN decides the band and the county's
care ratios the amount, written to the register and its history (《特困人员认定办法》第二十至二十三条)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import insert, select

from engine.cases.self_care import report_self_care_change
from engine.errors import Conflict, NotFound
from engine.store.models import Case, HumanTask, Recipient, RecipientChange
from tests.factories import DONGJIE, SHUANGYUAN, Walk, start
from tests.processes.test_extreme_poverty import ADL_SELF, ADL_TOTAL

ASSESSMENT = {"assessed_on": "2026-09-18", "assessment_agency": "受委托的第三方评估机构",
              "assessors": [{"name": "赵评估"}, {"name": "钱评估"}]}


@pytest.fixture
def supported(db, clock, who, unit_id):
    """An active 特困 benefit (全自理: 1.3 × 780 + 0.1 × 780 = 1092 元/月 in 响水) in ``village``; its id."""
    def make(village: str = SHUANGYUAN, amount: float = 1092.0) -> int:
        case = start(db, clock, who, unit_id, village=village).case()
        with db.unit_of_work(write=True) as uow:
            recipient_id = uow.session.execute(insert(Recipient).values(
                assistance_type="extreme_poverty", case_id=case.id, county_id=case.county_id,
                township_id=case.township_id, village_id=case.village_id, applicant_name=case.applicant_name,
                applicant_id_number=case.applicant_id_number, household_size=1, monthly_amount=amount,
                payment_from=date(2025, 1, 1), stopped_from=None, review_class="A", next_review_on=date(2027, 5, 1),
                review_case_id=None, status="active", updated_at=datetime.now(timezone.utc),
                household_id=case.household_id, care_level="全自理").returning(Recipient.id)).scalar_one()
            uow.commit()
        return recipient_id
    return make


def _report(db, who, clock, recipient_id, user="township_xs"):
    with db.unit_of_work(write=True) as uow:
        started = report_self_care_change(uow.session, who(user), clock, recipient_id, "caregiver",
                                          "近期中风，卧床，进食、穿衣需人协助")
        uow.commit()
    return started


def _benefit(db, recipient_id):
    with db.unit_of_work() as uow:
        s = uow.session
        return (s.get(Recipient, recipient_id),
                s.execute(select(RecipientChange.effect, RecipientChange.monthly_amount)
                          .where(RecipientChange.recipient_id == recipient_id)).all())


def test_the_township_reassesses_in_10_working_days_and_the_new_band_is_paid(db, clock, who, supported):
    recipient_id = supported()
    started = _report(db, who, clock, recipient_id)
    with db.unit_of_work() as uow:
        s = uow.session
        case = s.get(Case, started.id)
        task = s.execute(select(HumanTask).where(HumanTask.case_id == started.id, HumanTask.status == "open")).scalar_one()
    # 响水's 特困 route has the first assessment in the township's lane, so the re-assessment is the township's
    assert case.process_id == "self_care_review_township"
    assert (task.task_name, task.role, task.due_on) == ("reassessment", "township", date(2026, 9, 29))  # 15th + 10 wd
    assert _benefit(db, recipient_id)[0].review_case_id == started.id, "the benefit is under review meanwhile"
    walk = Walk(db, clock, who, started.id, started.number, SHUANGYUAN[:9])
    assert walk.do("reassessment", **ASSESSMENT, **ADL_TOTAL) == "township_xs"
    assert walk.case().outcome == "end_changed"
    benefit, history = _benefit(db, recipient_id)
    assert (benefit.care_level, benefit.monthly_amount) == ("全护理", 1482.0)  # 1092 + 780 × (0.6 − 0.1)
    assert benefit.review_case_id is None and benefit.next_review_on == date(2027, 5, 1)
    assert history == [("update", 1482.0)]


def test_where_the_county_assesses_it_reassesses_and_an_unchanged_band_keeps_the_amount(db, clock, who, supported):
    recipient_id = supported(DONGJIE, 1278.0)
    started = _report(db, who, clock, recipient_id, user="street_dj")
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.get(Case, started.id).process_id == "self_care_review_county"
        assert s.execute(select(HumanTask.role).where(HumanTask.case_id == started.id)).scalar_one() == "county"
    walk = Walk(db, clock, who, started.id, started.number, DONGJIE[:9])
    assert walk.do("reassessment", **ASSESSMENT, **ADL_SELF) == "district_xsq"
    assert walk.case().outcome == "end_unchanged"
    benefit, history = _benefit(db, recipient_id)
    assert (benefit.care_level, benefit.monthly_amount, benefit.next_review_on) == ("全自理", 1278.0, date(2027, 5, 1))
    assert history == [("continue", 1278.0)]


def test_a_report_outside_the_place_or_during_a_review_is_refused_and_changes_nothing(db, clock, who, supported):
    recipient_id = supported()
    with pytest.raises(NotFound):
        _report(db, who, clock, recipient_id, user="street_dj")
    _report(db, who, clock, recipient_id)
    with pytest.raises(Conflict):
        _report(db, who, clock, recipient_id)
    with db.unit_of_work() as uow:
        assert len(uow.session.execute(select(Case.id).where(Case.process_id.like("self_care_review%"))).all()) == 1


@pytest.mark.parametrize("village, user, adl, outcome, care_level", [
    (SHUANGYUAN, "township_xs", ADL_SELF, "end_unchanged", "全自理"),   # the township's route, band unchanged
    (DONGJIE, "street_dj", ADL_TOTAL, "end_changed", "全护理"),         # the county's route, band changed
])
def test_either_route_keeps_or_changes_the_band(db, clock, who, supported, village, user, adl, outcome, care_level):
    recipient_id = supported(village)
    started = _report(db, who, clock, recipient_id, user=user)
    walk = Walk(db, clock, who, started.id, started.number, village[:9])
    walk.do("reassessment", **ASSESSMENT, **adl)
    assert walk.case().outcome == outcome and _benefit(db, recipient_id)[0].care_level == care_level


def test_the_township_reports_the_change_on_the_household_page(db, clock, who, supported, login):
    recipient_id = supported()
    with db.unit_of_work() as uow:
        household_id = uow.session.get(Recipient, recipient_id).household_id
    township = login("township_xs")
    url = f"/households/{household_id}/benefits/{recipient_id}/self-care-change"
    assert 'class="self-care-report"' in township.get(f"/households/{household_id}").text
    assert township.post_form(url, {"reported_by": "nobody", "change_report": "卧床"}).status_code == 400
    assert township.client.post(url, data={"reported_by": "caregiver", "change_report": "近期卧床"}).status_code == 400
    assert login("street_dj").post_form(url, {"reported_by": "caregiver", "change_report": "近期卧床"}).status_code == 404
    with db.unit_of_work() as uow:
        assert not uow.session.execute(select(Case.id).where(Case.process_id.like("self_care_review%"))).all()
    done = township.post_form(url, {"reported_by": "caregiver", "change_report": "近期中风卧床"})
    assert done.status_code == 302
    page = township.get(done.headers["Location"]).text
    assert "2026-09-29" in page  # the re-assessment's due date on the case page
    assert 'class="under-review"' in township.get(f"/households/{household_id}").text
    assert "2026-09-29" in township.get("/inbox").text
