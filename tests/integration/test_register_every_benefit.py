"""The register covers every benefit (issue 9): each type's granting route registers its benefit — 特困
for the person with the care level of the self-care assessment, 两项补贴, 尊老金, 低收入 recognition (no
amount, reviewed when it expires) and 临时救助 as a one-off payment. The scheduler reviews every monthly
benefit at its type's cadence (the county's rules) on the route of the place that decides that type; the
payment roll and the monthly report read them all."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import insert, select

from engine.catalogue.forms import with_check_digit
from engine.catalogue.rules import catalog, follow_up_process_for
from engine.jobs import review_sweep
from engine.store.models import Case, Person, Recipient
from tests.factories import DONGJIE, RENXING, SANTIDIKOU, SHUANGYUAN, Walk, fresh_id_number, start
from tests.processes import test_extreme_poverty as ep
from tests.processes import test_subsidies_allowances as sa
from tests.processes import test_temporary_assistance as ta
from tests.processes.test_dynamic_management import COMMON_STEPS, HOME_VISIT, PROPOSALS

CHINA_10AM = (2, 0)  # 10:00 in China, as the suite's clock starts


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, *CHINA_10AM, tzinfo=timezone.utc)


def benefit(db, case_id: int) -> Recipient:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(Recipient).where(Recipient.case_id == case_id)).scalar_one()


def person_id(db, id_number: str) -> int:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(Person.id).where(Person.id_number == id_number)).scalar_one()


def table(client, kind: str, month: str, assistance_type: str) -> list[list[str]]:
    response = client.get(f"/reports/{kind}?month={month}&type={assistance_type}&format=csv")
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def started_review(db, recipient_id: int) -> Case:
    with db.unit_of_work() as uow:
        s = uow.session
        return s.get(Case, s.get(Recipient, recipient_id).review_case_id)


def confirmed_extreme_poverty(db, clock, who, unit_id) -> Walk:
    """A 72-year-old in 双园村 confirmed for 特困 by the township (Xiangshui), assessed 全护理 (5 of 6 ADL not done)."""
    w = start(db, clock, who, unit_id, village=SHUANGYUAN, process_id=ep.XIANGSHUI, data=ep.application(SHUANGYUAN),
              form_data=ep.EP_FORM_DATA, fresh_applicant=True)
    w.drive_to(None, **ep.ADL_TOTAL)
    assert w.case().outcome == "end_confirmed"
    return w


# --- 特困 ------------------------------------------------------------------------------------------
def test_extreme_poverty_registers_the_person_with_the_care_level_is_reviewed_yearly_and_reported(
        db, clock, who, unit_id, login):
    w = confirmed_extreme_poverty(db, clock, who, unit_id)
    case = w.case()
    r = benefit(db, w.case_id)
    me = person_id(db, case.applicant_id_number)
    assert (r.assistance_type, r.payment, r.status, r.care_level) == ("extreme_poverty", "monthly", "active", "全护理")
    assert (r.person_id, r.household_id, r.household_size, r.active_key) == (me, case.household_id, 1,
                                                                             f"p{me}:extreme_poverty")
    # 1.3 × 780 basic living + 0.6 × 780 full care, from the month after the confirmation (2026-10-12).
    assert r.monthly_amount == 1482.0 and r.payment_from == date(2026, 11, 1)
    assert r.next_review_on == date(2027, 11, 1), "特困: reviewed once a year (the county's rule), whatever the class"

    supervisor = login("supervisor")
    report = table(supervisor, "monthly", "2026-11", "extreme_poverty")
    assert report[0] == ["2026年11月特困人员救助供养保障对象月报"] and report[1][1] == "对象人数"
    assert report[2:] == [["响水镇", "1", "1", "1482.0"], ["合计", "1", "1", "1482.0"]]
    assert table(supervisor, "monthly", "2026-10", "extreme_poverty")[2:] == [["合计", "0", "0", "0"]]
    roll = table(supervisor, "payment-roll", "2026-11", "all")
    assert roll[0] == ["2026年11月社会救助发放名册"]
    [line] = roll[2:]
    assert line[:3] == ["响水镇", "双园村", "王德福"] and line[3] == case.applicant_id_number[:6] + "********" \
        + case.applicant_id_number[-4:]
    assert line[5:8] == ["1482.0", "特困人员救助供养", "按月"]

    clock.set(at(date(2027, 10, 31)))
    assert review_sweep(db, clock)["started"] == 0
    clock.set(at(date(2027, 11, 1)))
    assert review_sweep(db, clock)["started"] == 1
    review = started_review(db, r.id)
    assert review.process_id == "periodic_review_delegated" and review.applicant_id_number == case.applicant_id_number
    data = ep.case_data(db, review.id)
    assert (data["assistance_type"], data["household_size"], data["current_monthly_amount"]) == (
        "extreme_poverty", 1, 1482.0)


def review_steps(today: date) -> dict:
    """A review's steps, dated today (dates must be within a year of the day they are entered)."""
    def dated(value):
        if isinstance(value, str) and value.startswith("2026-"):
            return today.isoformat()
        if isinstance(value, dict):
            return {k: dated(v) for k, v in value.items()}
        return [dated(v) for v in value] if isinstance(value, list) else value
    return dated({**COMMON_STEPS, "home_visit": HOME_VISIT,
                  "check": {"reviewed_on": "2026-", "info_check_result": "changed", "reviewed_household_size": 1,
                            "household_changes": "其子刑满释放，已有稳定工作并接其同住赡养",
                            "reviewed_monthly_income": 2700, "new_review_class": "B", **PROPOSALS["terminate"][0]}})


def test_a_review_that_terminates_extreme_poverty_support_stops_the_benefit(db, clock, who, unit_id, login):
    w = confirmed_extreme_poverty(db, clock, who, unit_id)
    r = benefit(db, w.case_id)
    clock.set(at(r.next_review_on))
    assert review_sweep(db, clock)["started"] == 1
    review = started_review(db, r.id)
    walk = Walk(db, clock, who, review.id, review.number, SHUANGYUAN[:9], review_steps(clock.today()))
    done = walk.drive_to(None)
    assert done == ["home_visit", "check", "decision", "termination_decision", "inform_household"], \
        "特困 termination is publicised first (7 days, no objection), then decided"
    assert walk.case().outcome == "end_terminated"
    stopped = benefit(db, w.case_id)
    assert (stopped.status, stopped.active_key, stopped.review_case_id) == ("stopped", None, None)
    assert stopped.stopped_from == date(2027, 12, 1), "from the month after the termination decision"
    assert table(login("supervisor"), "payment-roll", "2027-11", "extreme_poverty")[2:][0][5] == "1482.0"
    assert table(login("supervisor"), "payment-roll", "2027-12", "extreme_poverty")[2:] == []
    assert review_sweep(db, clock)["started"] == 0, "a stopped benefit is not reviewed"
    # The person may apply again: the active benefit no longer holds the key.
    again = start(db, clock, who, unit_id, village=SHUANGYUAN, process_id=ep.XIANGSHUI,
                  data=ep.application(SHUANGYUAN, applicant_id_number=w.case().applicant_id_number),
                  form_data=ep.EP_FORM_DATA)
    assert again.open_names() == ["acceptance"]


# --- 两项补贴, 尊老金, 低收入 -------------------------------------------------------------------
def _disability(db, clock, who, unit_id) -> Walk:
    return start(db, clock, who, unit_id, village=SHUANGYUAN, process_id="disability_subsidy_xiangshui",
                 data=sa.disability_application(fresh_id_number()), form_data=sa.DISABILITY_FORMS)


def _old_age(db, clock, who, unit_id) -> Walk:
    return start(db, clock, who, unit_id, village=SHUANGYUAN, process_id="old_age_allowance_xiangshui",
                 data=sa.old_age_application(with_check_digit("32092119400301224")), form_data=sa.OLD_AGE_FORMS)


def _low_income(db, clock, who, unit_id) -> Walk:
    return start(db, clock, who, unit_id, village=RENXING, process_id="low_income_siping",
                 data=sa.low_income_application(RENXING, (1000, 800, 700)), form_data=sa.LOW_INCOME_FORMS,
                 fresh_applicant=True)


# lodge, supervisor, (township, subject count column, persons, amount) on the report of the month,
# payment_from, next_review_on (the type's cadence or class), the review route in that place.
BENEFITS = {
    # 两项补贴: 100 living + 120 nursing (肢体一级, 低保家庭) from the month applied; class B: 6 months in 响水.
    "disability_subsidy": (_disability, "supervisor", ("响水镇", "对象人数", 1, 220.0), date(2026, 9, 1),
                           date(2027, 3, 1), "periodic_review_delegated"),
    # 尊老金: 80—89 band, from the month after the decision; reviewed yearly.
    "old_age_allowance": (_old_age, "supervisor", ("响水镇", "对象人数", 1, 50.0), date(2026, 10, 1),
                          date(2027, 10, 1), "periodic_review_delegated"),
    # 低收入: recognition only (no amount), valid 12 months from the decision (2026-10-12), reviewed at expiry.
    "low_income": (_low_income, "supervisor_tx", ("仁兴街道", "户数", 3, 0.0), date(2026, 10, 12),
                   date(2027, 9, 30), "periodic_review_delegated"),
}


@pytest.mark.parametrize("kind", sorted(BENEFITS))
def test_each_monthly_benefit_is_registered_reviewed_when_due_and_reported(db, clock, who, unit_id, login, kind):
    lodge, supervisor, (township, count_header, persons, amount), payment_from, due, route = BENEFITS[kind]
    w = lodge(db, clock, who, unit_id)
    w.drive_to(None)
    assert w.case().outcome in ("end_approved", "end_recognised")
    r = benefit(db, w.case_id)
    me = person_id(db, w.case().applicant_id_number)
    subject = f"h{w.case().household_id}" if kind == "low_income" else f"p{me}"
    assert (r.assistance_type, r.payment, r.status, r.active_key) == (kind, "monthly", "active", f"{subject}:{kind}")
    assert (r.household_size, r.monthly_amount, r.payment_from, r.next_review_on) == (persons, amount, payment_from, due)

    client = login(supervisor)
    month = f"{payment_from:%Y-%m}"
    report = table(client, "monthly", month, kind)
    assert report[1][1] == count_header and report[2] == [township, "1", str(persons), str(amount)]
    everything = table(client, "monthly", month, "all")
    assert [township, "1", str(persons), str(amount)] == [everything[2][1], *everything[2][3:]]
    roll = table(client, "payment-roll", month, kind)[2:]
    if amount:
        assert [row[5] for row in roll] == [str(amount)] and all("*" in row[3] for row in roll)
    else:
        assert roll == [], "a recognition pays nothing: on the report, not on the roll"

    clock.set(at(due))
    assert review_sweep(db, clock)["started"] == 1
    review = started_review(db, r.id)
    assert review.process_id == route and ep.case_data(db, review.id)["assistance_type"] == kind


# --- 临时救助: one-off payments -----------------------------------------------------------------------
ONE_OFF = {
    # 600 approved by the township on 2026-09-30 (within its limit).
    "temporary_assistance": (ta.XIANGSHUI, 600.0, date(2026, 9, 30)),
    # 先行救助 of 1000 on 2026-09-15, approved afterwards.
    "temporary_emergency": (ta.EMERGENCY, 1000.0, date(2026, 9, 15)),
}


@pytest.mark.parametrize("kind", sorted(ONE_OFF))
def test_temporary_assistance_is_a_one_off_payment_on_the_roll_of_its_month_never_reviewed(
        db, clock, who, unit_id, login, kind):
    process_id, amount, paid_on = ONE_OFF[kind]
    w = start(db, clock, who, unit_id, village=SHUANGYUAN, process_id=process_id,
              data=ta.application(SHUANGYUAN, amount), form_data=ta.FORMS, fresh_applicant=True)
    w.drive_to(None)
    assert w.case().outcome in ("end_approved", "end_recorded")
    r = benefit(db, w.case_id)
    assert (r.assistance_type, r.payment, r.status, r.active_key) == (kind, "once", "paid", None)
    assert (r.monthly_amount, r.payment_from, r.household_size) == (amount, paid_on, 3)

    supervisor = login("supervisor")
    [line] = table(supervisor, "payment-roll", f"{paid_on:%Y-%m}", kind)[2:]
    assert line[5:8] == [str(amount), catalog()[kind]["name_zh"], f"一次性（{paid_on:%Y-%m-%d}）"]
    assert table(supervisor, "payment-roll", "2026-10", kind)[2:] == [], "paid once, in its own month"
    assert table(supervisor, "monthly", f"{paid_on:%Y-%m}", kind)[2] == ["响水镇", "1", "3", str(amount)]
    assert table(supervisor, "monthly", "2026-10", kind)[2:] == [["合计", "0", "0", "0"]]
    clock.set(at(date(2028, 1, 1)))
    assert review_sweep(db, clock)["started"] == 0, "a one-off payment is never reviewed"


# --- which route reviews a benefit ---------------------------------------------------------------
# (type, village) → the review route: decided where the type is decided in that place.
REVIEW_ROUTES = [
    ("minimum_living", SANTIDIKOU, "periodic_review_delegated"),     # 三堤口 street approves 低保
    ("extreme_poverty", SANTIDIKOU, "periodic_review_national"),     # … but 特困 there is confirmed by the district
    ("extreme_poverty", SHUANGYUAN, "periodic_review_delegated"),    # 响水 township confirms 特困
    ("disability_subsidy", RENXING, "periodic_review_national"),     # 铁西区 runs the national 两项补贴 route
    ("low_income", RENXING, "periodic_review_delegated"),            # … and its own 低收入 route (street)
    ("old_age_allowance", DONGJIE, "periodic_review_national"),
]


def test_the_review_of_a_benefit_runs_on_the_route_of_its_types_decider(db, clock, who, unit_id):
    origin = start(db, clock, who, unit_id)
    rows = []
    for i, (kind, village, _route) in enumerate(REVIEW_ROUTES):
        case = origin if i == 0 else start(db, clock, who, unit_id)
        rows.append({"assistance_type": kind, "case_id": case.case_id, "county_id": unit_id(village[:6]),
                     "township_id": unit_id(village[:9]), "village_id": unit_id(village),
                     "applicant_name": f"对象{i}", "applicant_id_number": fresh_id_number(village[:6]),
                     "household_size": 1, "monthly_amount": 500.0, "payment_from": date(2026, 1, 1),
                     "stopped_from": None, "review_class": "B", "next_review_on": date(2026, 9, 1),
                     "review_case_id": None, "status": "active", "updated_at": clock.now()})
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(insert(Recipient), rows)
        uow.commit()
    assert review_sweep(db, clock)["started"] == len(REVIEW_ROUTES)
    with db.unit_of_work() as uow:
        s = uow.session
        started = dict(s.execute(select(Recipient.applicant_name, Case.process_id)
                                 .join(Case, Case.id == Recipient.review_case_id)).all())
    assert started == {f"对象{i}": route for i, (_k, _v, route) in enumerate(REVIEW_ROUTES)}
    for kind, village, route in REVIEW_ROUTES:
        assert follow_up_process_for("periodic_review", kind, village[:6], village[:9], date(2026, 9, 15)) == route
        assert follow_up_process_for("benefit_change", kind, village[:6], village[:9], date(2026, 9, 15)) == \
            route.replace("periodic_review", "benefit_change")
