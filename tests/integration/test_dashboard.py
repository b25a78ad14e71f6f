"""The dashboard job writes the summary tables the supervisor's dashboard reads; outliers by robust z-score."""
from __future__ import annotations

from sqlalchemy import func, select

from engine import DashboardFilters, dashboard, dashboard_sweep, version_heat
from engine.oversight.dashboard import robust_z
from engine.store.models import DashCaseMonth, DashRefresh
from tests.factories import start


def _figures(db, who, clock, **filters):
    with db.unit_of_work() as uow:
        return dashboard(uow.session, who("supervisor"), clock.now(), DashboardFilters(**filters))


def test_the_job_counts_cases_decisions_backlog_and_step_times(db, clock, who, unit_id):
    approved, refused, waiting = (start(db, clock, who, unit_id) for _ in range(3))
    clock.advance(hours=5)
    refused.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="不符合申请条件")
    approved.do("acceptance")
    approved.drive_to("confirmation")  # through 公示: the clock moves on a week or more
    approved.do("confirmation")
    before = _figures(db, who, clock)
    assert before["refreshed_at"] is None and before["running"] == 0  # nothing until the job has run

    written = dashboard_sweep(db, clock)
    assert written["dash_case_month"] >= 1
    f = _figures(db, who, clock)
    assert (f["running"], f["completed"]) == (1, 2) and f["age_seconds"] == 0
    xs = next(t for t in f["areas"] if t["area"] == "响水镇")
    assert (xs["approved"], xs["refused"], xs["running"], xs["completed"]) == (1, 1, 1, 2)
    assert xs["on_time_rate"] == 100.0 and f["by_type"][0]["type"] == "minimum_living"
    # The third case's acceptance (5 working days) fell due while the first went through 公示.
    assert f["backlog"] == [{"step": waiting.open_tasks()[0].title, "open": 1, "overdue": 1}]
    assert f["overdue_tasks"] == xs["overdue_tasks"] == 1
    acceptance = next(s for s in f["step_times"] if s["task_name"] == "acceptance")
    # Two acceptances done 5 hours after lodging; one still waiting.
    assert acceptance["completed"] == 2 and acceptance["median_hours"] == 5.0 and acceptance["waiting"] == 1
    with db.unit_of_work() as uow:
        version, steps = version_heat(uow.session, who("supervisor"), acceptance["version_id"])
    assert version.process_id == "minimum_living_xiangshui" and {s["task_name"] for s in steps} >= {"acceptance"}

    # Filters: a month with no lodging, and another type, show nothing.
    assert _figures(db, who, clock, month_from=clock.today().replace(day=1, month=10))["completed"] == 0
    assert _figures(db, who, clock, assistance_type="extreme_poverty")["running"] == 0
    # Another county's supervisor sees none of it.
    with db.unit_of_work() as uow:
        other = dashboard(uow.session, who("supervisor_tx"), clock.now(), DashboardFilters())
    assert other["running"] == other["completed"] == 0 and not other["step_times"]

    clock.advance(minutes=7)
    assert _figures(db, who, clock)["age_seconds"] == 420
    dashboard_sweep(db, clock)  # a second run replaces, never adds
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(func.sum(DashCaseMonth.completed))).scalar_one() == 2
        assert uow.session.execute(select(func.count()).select_from(DashRefresh)).scalar_one() == 1


def test_robust_z_marks_the_township_far_from_its_peers():
    rates = {1: 50.0, 2: 55.0, 3: 45.0, 4: 52.0, 5: 98.0}
    z = robust_z(rates)
    assert z[5] > 2 and all(abs(z[k]) < 2 for k in (1, 2, 3, 4))
    assert robust_z({1: 50.0, 2: 50.0, 3: 50.0}) == {}  # no spread: nobody stands out
    assert robust_z({1: 10.0, 2: 90.0}) == {}            # two townships are not a population
