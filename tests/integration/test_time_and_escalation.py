"""Deadlines, extensions, reminders, 督办 items, missing calendar years, failing timers."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, text, update

from engine.cases.lifecycle import extend_deadline
from engine.errors import FormInvalid
from engine.store.models import Case, HumanTask, Incident, Notification, SupervisionItem, case_state
from engine.catalogue.versions import get_version
from engine.cases.timers import due_rows
from engine.jobs import MAX_ATTEMPTS, escalation_sweep, sweep
from engine.runtime.workflow import Workflow
from engine.oversight.supervision import supervision_items
from engine.people.accounts import principal_of
from engine.workdays import WorkingCalendar
from tests.factories import start


@pytest.fixture
def walk(db, clock, who, unit_id):
    return lambda **kw: start(db, clock, who, unit_id, **kw)


def test_task_due_dates_and_overall_limit_in_working_days(walk, db):
    w = walk()
    calendar = WorkingCalendar.load()
    [acceptance] = w.open_tasks()
    assert acceptance.due_on == calendar.add_workdays(datetime(2026, 9, 15).date(), 5)
    w.do("acceptance")
    case = w.case()
    # 响水 delegates 审核确认 to the township: 20 working days from acceptance (2026-09-15), across 中秋/国庆.
    assert case.accepted_on.isoformat() == "2026-09-15"
    assert case.due_on == calendar.add_workdays(case.accepted_on, 20) and case.due_on.isoformat() == "2026-10-19"


def test_extension_is_a_recorded_decision_with_a_reason_up_to_45_days(walk, who, clock, db, login):
    w = walk()
    w.do("acceptance")
    with db.unit_of_work(write=True) as uow:
        with pytest.raises(FormInvalid):
            extend_deadline(uow.session, who("township_xs"), clock, w.case_id, 5, "")
    with db.unit_of_work(write=True) as uow:
        with pytest.raises(FormInvalid):
            extend_deadline(uow.session, who("township_xs"), clock, w.case_id, 30, "公示期间收到异议，需重新调查")
    with db.unit_of_work(write=True) as uow:
        new_due = extend_deadline(uow.session, who("township_xs"), clock, w.case_id, 10, "公示期间收到异议，需重新调查")
        uow.commit()
    assert WorkingCalendar.load().workdays_between(w.case().accepted_on, new_due) == 30
    assert w.events()[-1].kind == "deadline_extended" and "异议" in w.events()[-1].data["reason"]
    page = login("township_xs").get(f"/cases/{w.case_id}").text
    assert new_due.isoformat() in page and "公示期间收到异议" in page
    assert login("village_sy").post_form(f"/cases/{w.case_id}/extend",
                                         {"extra_workdays": "5", "reason": "理由充分的延期"}).status_code == 403


def test_reminder_then_exactly_one_supervision_item_per_overdue_task(walk, db, clock, login):
    first, second = walk(), walk()
    clock.advance(days=5)  # acceptance (5 wd from 09-15, Sunday 09-20 a 调休 workday → 09-21) is due within a working day
    escalation_sweep(db, clock)
    escalation_sweep(db, clock)
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(func.count()).select_from(Notification).where(
            Notification.kind == "due_soon")).scalar() == 2
    inbox = login("township_xs").get("/inbox").text
    assert "将于 2026-09-21 到期" in inbox
    clock.advance(days=10)
    for _ in range(3):
        escalation_sweep(db, clock)
    with db.unit_of_work() as uow:
        s = uow.session
        items = s.execute(select(SupervisionItem)).scalars().all()
    assert sorted(i.case_id for i in items) == sorted([first.case_id, second.case_id])
    with db.unit_of_work() as uow:  # and one "overdue" notification per task, however often the sweep runs
        assert uow.session.execute(select(func.count()).select_from(Notification).where(
            Notification.kind == "overdue")).scalar() == 2
    page = login("supervisor").get("/supervisor").text
    assert "督办事项" in page and first.number in page and "受理审查" in page and "已逾期" in page
    assert 'data-township="响水镇">响水镇 <strong>2</strong>' in page
    assert login("township_xs").get("/supervisor").status_code == 403
    assert "督办事项" not in login("supervisor_tx").get("/supervisor").text
    assert first.number in login("province_js").get("/supervisor").text  # 响水县 is in 江苏省
    # Paged, with the count: one item a page, the second page the later one; the page size is bounded.
    with db.unit_of_work() as uow:
        supervisor = principal_of(uow.session, "supervisor")
        one, two = (supervision_items(uow.session, supervisor, clock.today(), page, 1) for page in (1, 2))
        bounded = supervision_items(uow.session, supervisor, clock.today(), 1, 10_000)
    assert (one["total"], len(one["rows"]), len(two["rows"])) == (2, 1, 1) and bounded["page_size"] == 50
    assert {one["rows"][0]["case_id"], two["rows"][0]["case_id"]} == {first.case_id, second.case_id}
    assert 'class="items-total">2<' in page and "items-pager" not in page
    assert login("supervisor").get("/supervisor?items_page=x").status_code == 400
    beyond = login("supervisor").get("/supervisor?items_page=2")  # past the last page: the count, no rows
    assert beyond.status_code == 200 and 'class="items-total">2<' in beyond.text
    first.do("acceptance")
    escalation_sweep(db, clock)
    with db.unit_of_work() as uow:
        s = uow.session
        resolved = s.execute(select(SupervisionItem.resolved_at).where(
            SupervisionItem.case_id == first.case_id)).scalar_one()
    assert resolved is not None


def test_a_year_without_its_notice_gives_provisional_dates_and_alerts_admins(walk, db, clock, login):
    clock.set(datetime(2027, 3, 1, 2, 0, tzinfo=timezone.utc))
    w = walk()
    [task] = w.open_tasks()
    # 5 working days from Monday 2027-03-01 by the statutory estimate (no 2027 notice is shipped).
    assert task.due_on.isoformat() == "2027-03-08" and task.due_provisional
    assert "暂定" in login("township_xs").get("/inbox").text
    escalation_sweep(db, clock)
    escalation_sweep(db, clock)
    with db.unit_of_work() as uow:
        s = uow.session
        incidents = s.execute(select(Incident).where(Incident.kind == "calendar_missing")).scalars().all()
    assert len(incidents) == 1 and "节假日安排" in incidents[0].message and "暂定" in incidents[0].message
    admin_page = login("admin").get("/admin/incidents").text
    assert "节假日安排" in admin_page and "calendar load cn-2027.toml" in admin_page


def test_failing_timer_retries_with_backoff_then_raises_an_incident_that_admin_retries(walk, db, clock, login):
    w = walk()
    w.drive_to("publicity")
    good_state = w.case().state
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        s.execute(update(Case).where(Case.id == w.case_id).values(state="{not json", timer_plan=None))
        uow.commit()
    clock.advance(days=8)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = sweep(db, clock)
        assert result.failed == [w.case_id]
        case = w.case()
        assert case.timer_attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert case.next_due_at is not None and case.next_due_at > clock.now()
            clock.set(case.next_due_at)
    assert w.case().next_due_at is None
    assert sweep(db, clock).failed == []
    with db.unit_of_work() as uow:
        s = uow.session
        incident = s.execute(select(Incident).where(Incident.kind == "timer_failed")).scalar_one()
    admin = login("admin")
    assert "重试 5 次仍失败" in admin.get("/admin/incidents").text
    with db.unit_of_work(write=True) as uow:  # the admin repairs the cause, then retries
        s = uow.session
        s.execute(update(Case).where(Case.id == w.case_id).values(state=good_state))
        uow.commit()
    assert admin.post_form("/admin/incidents", {"incident_id": str(incident.id)}).status_code == 302
    assert sweep(db, clock).fired == 1
    assert w.open_names() == ["confirmation"]
    assert login("township_xs").get("/admin/incidents").status_code == 403


def test_publicity_is_excluded_from_the_limit_where_the_county_says_so(walk, db, clock, monkeypatch):
    import copy
    from engine.catalogue import rules
    data = copy.deepcopy(rules.counties())
    data["320921"]["rules"][-1]["publicity_excluded_from_limit"] = True
    monkeypatch.setattr(rules, "counties", lambda directory=rules.PROCESSES_DIR: data)
    w = walk()
    w.drive_to("publicity")
    limit = w.case().due_on
    clock.advance(days=7, minutes=1)  # 公示 2026-09-15 → 09-22: 09-16,17,18,20(调休),21,22 = 6 working days
    w.fire_timers()
    assert w.case().due_on == WorkingCalendar.load().add_workdays(limit, 6)


def test_a_county_counting_publicity_in_working_days(walk, db, clock, monkeypatch):
    """Jiangsu's 规程 counts 公示 in working days (≥ 5 wd): the timer ends with the 5th working day."""
    import copy
    from engine.catalogue import rules
    data = copy.deepcopy(rules.counties())
    data["320921"]["rules"][-1].update(publicity_days=5, publicity_unit="wd")
    monkeypatch.setattr(rules, "counties", lambda directory=rules.PROCESSES_DIR: data)
    w = walk()
    w.drive_to("publicity")
    # Posted 2026-09-15: working days 16, 17, 18, 20 (调休 Sunday), 21 → ends at the end of 2026-09-21 (China).
    due = w.case().next_due_at
    assert due.isoformat().startswith("2026-09-21T15:59:59")
    clock.set(due)
    assert not w.fire_timers() and w.open_names() == ["publicity"]
    clock.advance(seconds=2)
    w.fire_timers()
    assert w.open_names() == ["confirmation"]


def test_a_timer_plan_fires_exactly_as_the_full_path(walk, db, clock):
    """The firing stored in advance (case.timer_plan) writes what restoring and firing would write."""
    planned, full = walk(), walk()
    for w in (planned, full):
        w.drive_to("publicity")
    assert planned.case().timer_plan is not None
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        s.execute(update(Case).where(Case.id == full.case_id).values(timer_plan=None))
        uow.commit()
    waiting = planned.case(), full.case()
    clock.advance(days=7, minutes=1)
    assert planned.fire_timers() and full.fire_timers()
    a, b = planned.case(), full.case()
    assert (a.current_step, a.next_due_at, a.status, a.revision) == (b.current_step, b.next_due_at, b.status, b.revision)
    assert {k: v for k, v in a.summary.items()} == {k: v for k, v in b.summary.items()}
    # The plan is kept and its tail is now the case's state (no state written); the full path wrote one.
    assert (a.plan_applied, b.timer_plan) == (True, None)
    assert a.state == a.timer_plan.split("\n", 1)[1] and b.state == b.stored_state
    _same_workflow(db, a, b, waiting)
    assert [(e.kind, e.title) for e in planned.events()] == [(e.kind, e.title) for e in full.events()]
    assert [(t.task_name, t.role, t.due_on) for t in planned.open_tasks()] == \
        [(t.task_name, t.role, t.due_on) for t in full.open_tasks()]
    planned.do("confirmation")
    full.do("confirmation")
    assert planned.case().summary["monthly_amount"] == full.case().summary["monthly_amount"] == 1840.0


def _same_workflow(db, a: Case, b: Case, waiting: tuple[Case, Case]) -> None:
    """Two cases' current states restore to the same workflow: the same data where their ``waiting`` states
    agreed (two applicants), the same READY steps and next timer; and every way the engine reads a state (the
    ORM attribute, the SQL expression, a row of select(CASE)) agrees."""
    with db.unit_of_work() as uow:
        s = uow.session
        spec = get_version(s, a.process_version_id).spec
        for case in (a, b):
            by_sql = s.execute(select(Case.state).where(Case.id == case.id)).scalar_one()
            row = s.execute(select(Case.__table__).where(Case.id == case.id)).one()
            assert by_sql == case_state(row) == case.state
    wa, wb = Workflow.restore(spec, a.state), Workflow.restore(spec, b.state)
    before = [Workflow.restore(spec, c.state).data for c in waiting]
    differing = {k for k in before[0] if before[0][k] != before[1].get(k)}
    assert set(wa.data) == set(wb.data) and wa.next_timer_due() == wb.next_timer_due()
    assert {k: v for k, v in wa.data.items() if k not in differing} == \
        {k: v for k, v in wb.data.items() if k not in differing}
    assert [t.name for t in wa.ready_user_tasks()] == [t.name for t in wb.ready_user_tasks()]
    assert [t.id for t in wa.ready_user_tasks()] == [t.id for t in Workflow.restore(spec, a.timer_plan.split(
        "\n", 1)[1]).ready_user_tasks()]


def test_a_fired_plan_is_not_applied_twice(walk, db, clock):
    """After a timer fired from its plan (the plan kept as the case's state), the sweep reads no plan to apply
    for it: a timer made due again takes the full path from the plan's tail, and writes a state of its own."""
    w = walk()
    w.drive_to("publicity")
    clock.advance(days=7, minutes=1)
    assert w.fire_timers() and w.open_names() == ["confirmation"]
    fired = w.case()
    assert fired.plan_applied
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        (row,) = due_rows(s, Case.id == w.case_id)
        assert row.plan_facts is None
        s.execute(update(Case).where(Case.id == w.case_id).values(next_due_at=clock.now()))
        uow.commit()
    assert not w.fire_timers()  # nothing is due in the workflow: nothing moves, nothing is fired twice
    case = w.case()
    assert w.open_names() == ["confirmation"] and [e.kind for e in w.events()].count("timer_fired") == 1
    assert not case.plan_applied and case.stored_state and case.timer_plan is None and case.next_due_at is None
    with db.unit_of_work() as uow:
        spec = get_version(uow.session, case.process_version_id).spec
    assert Workflow.restore(spec, case.state).data == Workflow.restore(spec, fired.state).data
    w.do("confirmation")
    assert w.case().summary["monthly_amount"] == 1840.0 and not w.case().plan_applied


def test_a_plan_stored_in_the_old_layout_takes_the_full_path(walk, db, clock):
    """A timer plan stored as one JSON object (before its facts and state were kept apart) is not read as a
    plan: the case's timer fires from its restored state, with the same result."""
    import json
    w = walk()
    w.drive_to("publicity")
    facts, state = w.case().timer_plan.split("\n", 1)
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(update(Case).where(Case.id == w.case_id).values(
            timer_plan=json.dumps({**json.loads(facts), "state": state}, ensure_ascii=False)))
        uow.commit()
    clock.advance(days=7, minutes=1)
    assert w.fire_timers()
    case = w.case()
    assert (case.current_step, case.next_due_at, case.timer_plan) == ("审核确认", None, None)
    assert w.open_names() == ["confirmation"]
    assert [e.kind for e in w.events()].count("timer_fired") == 1


def test_migration_0025_a_downgrade_writes_fired_plans_back_into_the_state(walk, db, clock):
    """Downgrading below 0025_a gives a case fired from its plan its state back (the plan's tail) and no plan,
    as the code before it expects; upgrading again changes nothing."""
    from engine.store.migrations import downgrade, upgrade
    w = walk()
    w.drive_to("publicity")
    clock.advance(days=7, minutes=1)
    assert w.fire_timers()
    fired = w.case()
    assert fired.plan_applied
    downgrade(db.engine, "0024_e")
    try:
        with db.unit_of_work() as uow:  # only the columns of that revision (the model has later ones)
            row = uow.session.execute(select(Case.stored_state, Case.timer_plan).where(Case.id == w.case_id)).one()
        assert tuple(row) == (fired.timer_plan.split("\n", 1)[1], None)
    finally:
        upgrade(db.engine)
    assert w.case().state == fired.state
    w.do("confirmation")
    assert w.case().summary["monthly_amount"] == 1840.0


def test_a_sweep_whose_commit_is_lost_is_redone_once_by_the_next(walk, db, clock, monkeypatch):
    """The sweep commits asynchronously on PostgreSQL (engine.jobs._ASYNC_COMMIT): a commit lost in a crash
    is as if the batch rolled back, so the next sweep fires the same cases, and nothing happens twice."""
    from engine.store.database import UnitOfWork
    cases = [walk(), walk()]
    for w in cases:
        w.drive_to("publicity")
    clock.advance(days=8)

    def crash(self):
        raise ConnectionError("server gone before the commit reached the disk")

    with monkeypatch.context() as patch:
        patch.setattr(UnitOfWork, "commit", crash)
        with pytest.raises(ConnectionError):
            sweep(db, clock)
    for w in cases:
        assert w.open_names() == ["publicity"] and w.case().next_due_at <= clock.now(), "still due"
    assert sweep(db, clock).fired == 2
    assert sweep(db, clock).fired == 0
    for w in cases:
        assert w.open_names() == ["confirmation"]
        assert [e.kind for e in w.events()].count("timer_fired") == 1
    with db.unit_of_work() as uow:
        s = uow.session
        task_ids = s.execute(select(HumanTask.id).where(HumanTask.case_id.in_([w.case_id for w in cases]),
                                                        HumanTask.status == "open")).scalars().all()
        assert len(task_ids) == 2
        per_task = s.execute(select(Notification.task_id, func.count()).where(Notification.task_id.in_(task_ids))
                             .group_by(Notification.task_id)).all()
        assert per_task and all(n == 1 for _, n in per_task), "one notification per new task, not two"


def test_only_the_sweep_commits_asynchronously(walk, db, clock):
    """SET LOCAL ends with the sweep's transaction: the pooled connection's next transaction (a request's)
    commits synchronously again."""
    if not db.is_postgres:
        pytest.skip("synchronous_commit is PostgreSQL's")
    w = walk()
    w.drive_to("publicity")
    clock.advance(days=8)
    assert sweep(db, clock).fired == 1
    for _ in range(3):  # whichever pooled connection comes next
        with db.unit_of_work(write=True) as uow:
            assert uow.session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"


def test_migration_0028_a_keeps_a_fired_plan_applied_across_downgrade_and_upgrade(walk, db, clock):
    """0028_a marks a fired plan with ``plan_applied`` instead of an empty state: downgrading writes the empty
    state back (as 0025_a … 0027_a read it), upgrading marks it again, and the case's state is the plan's tail
    throughout; the next step writes a state of its own and clears the mark."""
    from engine.store.migrations import downgrade, upgrade
    w = walk()
    w.drive_to("publicity")
    clock.advance(days=7, minutes=1)
    assert w.fire_timers()
    fired = w.case()
    assert fired.plan_applied and fired.stored_state != fired.state
    downgrade(db.engine, "0027_a")
    try:
        with db.unit_of_work() as uow:
            assert uow.session.execute(text(f'SELECT state FROM "case" WHERE id = {w.case_id}')).scalar_one() == ""
    finally:
        upgrade(db.engine)
    case = w.case()
    assert case.plan_applied and case.state == fired.state
    w.do("confirmation")
    assert not w.case().plan_applied and w.case().summary["monthly_amount"] == 1840.0
