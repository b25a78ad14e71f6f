"""Time never crashes: 2027 has no State Council notice shipped, so its working days are provisional
(暂定, the statutory holidays as the holidays library computes them) — shown as such, and recomputed
for every open task and case when a notice is loaded with one command."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine.cases.due_dates import recompute
from engine.store.models import Case, CaseEvent, HumanTask, SupervisionItem
from engine.jobs import escalation_sweep
from engine.workdays import CALENDAR_DIR_ENV, WorkingCalendar, install_notice
from tests.factories import LANE_USER, start
from webapp.cli import main

MONDAY = datetime(2027, 3, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in China
# A notice written for these tests only (nothing like it is shipped): 2 March off, Saturday 6 March worked.
TEST_NOTICE_2027 = """
year = 2027
notice = "test arrangement, not an official notice"
published = 2026-11-10
holidays = [{ name = "test day off", dates = ["2027-03-02"] }]
workdays = ["2027-03-06"]
"""


@pytest.fixture
def notices(tmp_path, monkeypatch):
    """A writable notice directory (as in production, $JIUZHU_CALENDAR_DIR) and the test notice file."""
    monkeypatch.setenv(CALENDAR_DIR_ENV, str(tmp_path / "notices"))
    path = tmp_path / "cn-2027.toml"
    path.write_text(TEST_NOTICE_2027, encoding="utf-8")
    return path


def test_a_case_walks_through_2027_on_provisional_dates(db, clock, who, unit_id, login, notices):
    clock.set(MONDAY)
    calendar = WorkingCalendar.load()
    assert calendar.is_provisional(MONDAY.date())
    w = start(db, clock, who, unit_id)
    [acceptance] = w.open_tasks()
    assert (acceptance.due_on, acceptance.due_provisional) == (date(2027, 3, 8), True)
    w.do("acceptance", accepted_on="2027-03-01")
    case = w.case()
    assert case.due_on == calendar.add_workdays(date(2027, 3, 1), 20) and case.due_provisional
    [check] = w.open_tasks()
    assert (check.task_name, check.due_on, check.due_provisional) == ("economic_check", date(2027, 3, 3), True)
    # (2 working days: the step's share of the 20-day budget; the notice below moves it past its day off)

    township, checker = login("township_xs"), login(LANE_USER[check.role])
    assert "暂定" in checker.get("/inbox").text
    case_page = township.get(f"/cases/{w.case_id}").text
    assert case.due_on.isoformat() in case_page and "暂定" in case_page
    assert "暂定" in login("supervisor").get("/supervisor").text

    # Extending the limit works (it answered HTTP 500 when the year was missing).
    response = township.post_form(f"/cases/{w.case_id}/extend", {"extra_workdays": "5", "reason": "需补充调查赡养人收入"})
    assert response.status_code == 302
    case = w.case()
    assert case.due_on == calendar.add_workdays(date(2027, 3, 1), 25) and case.due_provisional
    assert case.limit_workdays == 25

    # Six weeks late: overdue marks and a 督办 item.
    clock.advance(days=42)
    escalation_sweep(db, clock)
    with db.unit_of_work() as uow:
        s = uow.session
        [item] = s.execute(select(SupervisionItem)).scalars().all()
    assert (item.task_id, item.due_on) == (check.id, date(2027, 3, 3))
    supervisor_page = login("supervisor").get("/supervisor").text
    assert "督办事项" in supervisor_page and "已逾期" in supervisor_page and w.number in supervisor_page
    inbox = login(LANE_USER[check.role]).get("/inbox").text  # six weeks on: a new session
    assert 'class="overdue"' in inbox and "逾期" in inbox
    assert "2027 年国务院办公厅节假日安排尚未载入" in login("admin").get("/admin/incidents").text

    # The notice arrives: every open date is recomputed, no longer provisional, the 督办 item follows.
    install_notice(notices)
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        result = recompute(s, clock)
        uow.commit()
    official = WorkingCalendar.load()
    assert (result.tasks, result.cases, result.still_provisional) == (1, 1, 0)
    [check] = w.open_tasks()
    assert (check.due_on, check.due_provisional) == (date(2027, 3, 4), False)
    case = w.case()
    assert case.due_on == official.add_workdays(date(2027, 3, 1), 25) and not case.due_provisional
    with db.unit_of_work() as uow:
        s = uow.session
        item = s.execute(select(SupervisionItem)).scalar_one()
    assert item.due_on == date(2027, 3, 4) and item.resolved_at is None  # still six weeks late
    assert "暂定" not in checker.get("/inbox").text
    assert "节假日安排尚未载入" not in login("admin").get("/inbox").text


def test_one_command_loads_the_notice_and_recomputes_every_open_due_date_once(db, db_url, clock, who, unit_id,
                                                                             notices, monkeypatch):
    clock.set(MONDAY)
    waiting, accepted = start(db, clock, who, unit_id), start(db, clock, who, unit_id)
    accepted.do("acceptance", accepted_on="2027-03-01")
    before = accepted.case().due_on
    monkeypatch.setenv("DATABASE_URL", db_url)
    runner = CliRunner()

    result = runner.invoke(main, ["calendar", "load", str(notices)])
    assert result.exit_code == 0, result.output
    assert "loaded the 2027 holiday notice" in result.output
    assert "2 tasks and 1 cases changed; 0 still provisional" in result.output
    official = WorkingCalendar.load()
    assert 2027 in official.years
    [acceptance] = waiting.open_tasks()
    assert (acceptance.due_on, acceptance.due_provisional) == (official.add_workdays(date(2027, 3, 1), 5), False)
    case = accepted.case()
    assert not case.due_provisional and case.due_on == official.add_workdays(date(2027, 3, 1), 20)
    with db.unit_of_work() as uow:
        s = uow.session
        kinds = s.execute(select(CaseEvent.kind, CaseEvent.data).where(CaseEvent.case_id == accepted.case_id)).all()
    if case.due_on != before:
        assert ("deadline_recomputed", {"from": before.isoformat(), "to": case.due_on.isoformat(),
                                        "provisional": False}) in [(k, d) for k, d in kinds]

    # Idempotent: the same command again (or `reload`) changes nothing.
    again = runner.invoke(main, ["calendar", "reload"])
    assert again.exit_code == 0 and "0 tasks and 0 cases changed; 0 still provisional" in again.output

    # A malformed notice is refused with a message and changes nothing.
    notices.write_text(TEST_NOTICE_2027.replace('"2027-03-06"', '"2027-03-05"'), encoding="utf-8")
    refused = runner.invoke(main, ["calendar", "load", str(notices)])
    assert refused.exit_code == 1 and "not a Saturday or Sunday" in refused.output
    assert WorkingCalendar.load().is_workday(date(2027, 3, 6))
    with db.unit_of_work() as uow:
        s = uow.session
        assert not s.execute(select(HumanTask.id).where(HumanTask.status == "open",
                                                        HumanTask.due_provisional.is_(True))).first()
        assert not s.execute(select(Case.id).where(Case.due_provisional.is_(True))).first()
