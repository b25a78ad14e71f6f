"""Supervision of delegated decisions (issue 12, audit X9 and gap 6): the county's monthly 抽查 of the
approvals its townships decided (random, reproducible from its recorded seed and population, never a case
twice, once per month), each sample's review on the county's BPMN route with its verdict (维持 / 纠正 → the
township corrects); a 投诉/举报 during 公示 or 审核确认 sends the case to a county home visit and the
township's confirmation waits for its result (57号第二十条②); 临时救助 a township approved is on the county's
filing list (备案)."""
from __future__ import annotations

import math
import random
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import delete, select

from engine.cases.county_review import month_bounds, previous_month, sample_month, sampling_share
from engine.errors import Conflict
from engine.jobs import sampling_sweep
from engine.store.models import Case, CaseEvent, SamplingRun, Sequence, SupervisionReview
from tests.factories import DONGJIE, SHUANGYUAN, Walk, start
from tests.processes import test_temporary_assistance as ta

SEP_15 = datetime(2026, 9, 15, 2, 0, tzinfo=timezone.utc)
OCT_1 = datetime(2026, 10, 1, 2, 0, tzinfo=timezone.utc)   # 10:00 in China: September is drawn
REVIEW_FORMS = {
    "county_review": {"reviewed_on": "2026-10-09", "household_visited": True, "supervision_verdict": "upheld",
                      "supervision_opinion": "审批材料齐全，入户核查属实"},
    "complaint_home_visit": {"visited_on": "2026-10-09", "investigators": [{"name": "王科长"}, {"name": "赵干事"}],
                             "visit_findings": "入户核实，子女外出务工收入不稳定", "supervision_verdict": "upheld",
                             "supervision_opinion": "投诉反映的情况不影响认定"},
    "township_correction": {"corrected_on": "2026-10-20", "correction_taken": "补充入户调查并重新核定救助金额",
                            "benefit_change_started": True},
}


def approved_temporary(db, clock, who, unit_id, village=SHUANGYUAN, amount=600.0) -> Walk:
    """A 临时救助 lodged on 2026-09-15 and approved after its 公示 (in September)."""
    clock.set(SEP_15)
    w = start(db, clock, who, unit_id, village=village, process_id=ta.XIANGSHUI if village == SHUANGYUAN else ta.NATIONAL,
              data=ta.application(village, amount), form_data=ta.FORMS, fresh_applicant=True)
    w.drive_to(None, temporary_proposed_amount=amount, temporary_approved_amount=amount)
    assert w.case().outcome == "end_approved"
    return w


def reviews_of(db, **where) -> list[SupervisionReview]:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(SupervisionReview).filter_by(**where)
                                   .order_by(SupervisionReview.id)).scalars().all()


def review_walk(db, clock, who, review: SupervisionReview, township: str) -> Walk:
    with db.unit_of_work() as uow:
        number = uow.session.get(Case, review.review_case_id).number
    return Walk(db, clock, who, review.review_case_id, number, township, REVIEW_FORMS)


def test_months_are_china_months():
    assert previous_month(date(2027, 1, 5)) == date(2026, 12, 1) and previous_month(date(2026, 10, 1)) == date(2026, 9, 1)
    start_, end = month_bounds(date(2026, 9, 1))
    assert (start_, end) == (datetime(2026, 8, 31, 16, tzinfo=timezone.utc), datetime(2026, 9, 30, 16, tzinfo=timezone.utc))


def test_the_share_is_the_countys_data_or_the_default_before_its_rules_begin():
    assert sampling_share("320921", date(2026, 9, 1)) == 0.3
    assert sampling_share("220302", date(2023, 5, 1)) == 0.3, "铁西区's rules begin in 2024: the default"


def test_the_county_samples_its_share_of_township_approvals_reproducibly_once_and_never_twice(
        db, clock, who, unit_id, login):
    xiangshui = [approved_temporary(db, clock, who, unit_id) for _ in range(4)]
    dongjie_small = approved_temporary(db, clock, who, unit_id, DONGJIE, 700)   # the street approves
    dongjie_large = approved_temporary(db, clock, who, unit_id, DONGJIE, 3000)  # the district approves: not sampled
    assert dongjie_large.trail[-1][1] == "county" and dongjie_small.trail[-1][1] == "township"

    clock.set(OCT_1)
    drawn = {d.county_code: d for d in sampling_sweep(db, clock)}
    assert sampling_sweep(db, clock) == [], "once per county and month"
    assert (drawn["320921"].month, drawn["320921"].population, len(drawn["320921"].selected)) == ("2026-09", 4, 2)
    assert (drawn["340603"].population, drawn["340603"].selected) == (1, [dongjie_small.number]), "ceil(30% of 1)"
    assert drawn["220302"].population == 0 and drawn["220302"].selected == []

    with db.unit_of_work() as uow:
        run = uow.session.execute(select(SamplingRun).where(SamplingRun.seed == "320921:2026-09")).scalar_one()
    # Anyone can redo the draw from what the run recorded: the seed and the population in its order.
    assert run.population == sorted(w.number for w in xiangshui) and run.share == 0.3
    again = sorted(random.Random(run.seed).sample(range(len(run.population)), math.ceil(run.share * 4)))
    assert run.selected == [run.population[i] for i in again] == drawn["320921"].selected

    samples = reviews_of(db, kind="sampling", run_id=run.id)
    assert len(samples) == 2
    sampled_walk = next(w for w in xiangshui if w.number == run.selected[0])
    [event] = [e for e in sampled_walk.events() if e.kind == "case_sampled"]
    assert event.data["seed"] == "320921:2026-09" and "县级抽查选中（2026-09" in event.title

    # The reviews: one upheld, one corrected (the township corrects, on its own deadline and 督办).
    upheld, corrected = (review_walk(db, clock, who, r, "320921100") for r in samples)
    assert upheld.open_names() == ["county_review"] and upheld.open_tasks()[0].role == "county"
    assert upheld.do("county_review") == "county_mz"
    assert upheld.case().outcome == "end_upheld" and upheld.case().summary["supervision_verdict"] == "upheld"
    corrected.do("county_review", supervision_verdict="corrected", supervision_opinion="家庭人口核定有误，应予纠正")
    [task] = corrected.open_tasks()
    assert (task.task_name, task.role, task.due_on) == ("township_correction", "township", date(2026, 10, 20))
    assert "乡镇（街道）整改" in login("township_xs").get("/inbox").text
    assert corrected.do("township_correction") == "township_xs"
    assert corrected.case().outcome == "end_corrected"

    county = login("county_mz")
    page = county.get("/supervision/reviews?month=2026-09").text
    assert "320921:2026-09" in page and all(n in page for n in run.selected) and "维持" in page and "纠正" in page
    assert dongjie_small.number not in page, "another county's cases are not listed"
    assert "320921:2026-09" in login("supervisor").get("/supervision/reviews?month=2026-09").text
    case_page = county.get(f"/cases/{sampled_walk.case_id}").text
    assert "月度抽查" in case_page and "（2026-09）" in case_page and upheld.number in case_page
    assert login("township_xs").get("/supervision/reviews").status_code == 403
    bad = county.get("/supervision/reviews?month=2026-13")
    assert bad.status_code == 400 and "参数「month」应为年月" in bad.text

    # A second draw of the month (its claim gone and its run moved aside, as after a restore of an older copy)
    # never takes a sampled case again.
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(delete(Sequence).where(Sequence.key == "sampled:320921:2026-09"))
        uow.session.execute(SamplingRun.__table__.update().where(SamplingRun.id == run.id).values(month="2026-08"))
        uow.commit()
    with db.unit_of_work(write=True) as uow:
        [redo] = [d for d in sample_month(uow.session, clock, date(2026, 9, 1)) if d.county_code == "320921"]
        uow.commit()
    assert redo.population == 2 and len(redo.selected) == 1 and not set(redo.selected) & set(run.selected)


def test_small_temporary_assistance_a_township_approved_is_on_the_countys_filing_list(db, clock, who, unit_id, login):
    w = approved_temporary(db, clock, who, unit_id)
    county = login("county_mz")
    page = county.get("/supervision/reviews?month=2026-09").text
    assert w.number in page and "600" in page and "双园村" in page
    assert "已报县（区）民政局备案" in county.get(f"/cases/{w.case_id}").text
    assert w.number not in county.get("/supervision/reviews?month=2026-10").text


def test_a_complaint_during_publicity_sends_the_case_to_a_county_home_visit_and_the_confirmation_waits(
        db, clock, who, unit_id, login):
    w = start(db, clock, who, unit_id)
    township = login("township_xs")
    early = township.post_form(f"/cases/{w.case_id}/complaint", {"kind": "complaint", "complaint": "其子女有稳定收入"})
    assert early.status_code == 409 and "公示或审核确认阶段" in early.text
    w.drive_to("publicity")

    assert township.post_form(f"/cases/{w.case_id}/complaint", {"kind": "bad", "complaint": "x" * 10}).status_code == 422
    assert township.post_form(f"/cases/{w.case_id}/complaint", {"kind": "report", "complaint": ""}).status_code == 422
    assert login("supervisor").post_form(f"/cases/{w.case_id}/complaint",
                                         {"kind": "report", "complaint": "其子女有稳定收入"}).status_code == 403
    assert login("street_dj").post_form(f"/cases/{w.case_id}/complaint",
                                        {"kind": "report", "complaint": "其子女有稳定收入"}).status_code == 404
    assert reviews_of(db) == [], "nothing was registered"
    done = township.post_form(f"/cases/{w.case_id}/complaint", {"kind": "report", "complaint": "举报其子女有稳定收入"})
    assert done.status_code == 303
    [review] = reviews_of(db, kind="complaint")
    assert (review.complaint_kind, review.complaint, review.case_id) == ("report", "举报其子女有稳定收入", w.case_id)
    assert [e.title for e in w.events() if e.kind == "complaint_registered"] == ["收到举报，转县（区）民政局入户调查"]

    visit = review_walk(db, clock, who, review, "320921100")
    assert visit.open_names() == ["complaint_home_visit"]
    w._wait_for_timer(w.case())  # the 公示 goes on and ends
    assert w.open_names() == ["confirmation"]
    with pytest.raises(Conflict) as refused:
        w.do("confirmation")
    assert "等待县（区）民政局入户调查结果" in refused.value.message_zh
    page = login("township_xs").get(f"/cases/{w.case_id}").text  # a new session: the 公示 took a week
    assert "入户调查" in page and visit.number in page and "举报其子女有稳定收入" in page

    visit.do("complaint_home_visit")
    assert visit.case().outcome == "end_upheld"
    w.do("confirmation")
    assert w.case().outcome == "end_confirmed"
    county_page = login("county_mz").get("/supervision/reviews?month=2026-09").text
    assert visit.number in county_page and "举报其子女有稳定收入" in county_page


def test_a_complaint_visit_that_corrects_sends_the_township_to_correct(db, clock, who, unit_id):
    w = start(db, clock, who, unit_id)
    w.drive_to("publicity")
    from engine.cases.county_review import register_complaint
    with db.unit_of_work(write=True) as uow:
        register_complaint(uow.session, who("county_mz"), clock, w.case_id, "complaint", "投诉其隐瞒存款")
        uow.commit()
    [review] = reviews_of(db, kind="complaint")
    visit = review_walk(db, clock, who, review, "320921100")
    visit.do("complaint_home_visit", supervision_verdict="corrected", supervision_opinion="存款属实，应不予确认")
    assert visit.open_names() == ["township_correction"]
    w._wait_for_timer(w.case())
    assert w.do("confirmation", confirmation_decision="not_confirmed",
                confirmation_reasons="县级入户调查核实家庭存款超过规定") == "township_xs", "the visit's result is in"
    with db.unit_of_work() as uow:
        events = uow.session.execute(select(CaseEvent.kind).where(CaseEvent.case_id == w.case_id)).scalars().all()
    assert "complaint_registered" in events


def test_the_sample_command_draws_a_month_once_and_refuses_a_bad_month(db, db_url):
    import os
    import subprocess
    import sys

    def sample(*args):
        return subprocess.run([sys.executable, "-m", "webapp.cli", "sample", *args], capture_output=True, text=True,
                              env={**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": os.getcwd()})
    bad = sample("--month", "2026-13")
    assert bad.returncode == 2 and "month must be YYYY-MM" in bad.stderr
    first = sample("--month", "2026-08")
    assert first.returncode == 0 and "320921 2026-08: 0 of 0 drawn" in first.stdout
    again = sample("--month", "2026-08")
    assert again.returncode == 0 and again.stdout == "", "a county already drawn for the month is skipped"
