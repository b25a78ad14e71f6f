"""Periodic reviews started as a batch (engine.cases.batch_start) are the cases ``start_case`` would start one
by one: the same rows, the same inbox, the same registry writes, and they run to their end; a batch costs a
few statements, not twenty per review; two schedulers' concurrent batches never start one household twice."""
from __future__ import annotations

import threading
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import event, func, insert, select, update

from engine.catalogue.forms import with_check_digit
from engine.cases import batch_start
from engine.cases.lifecycle import start_case
from engine.cases.periodic import review_start_data, start_due_reviews
from engine.runtime.workflow import StartTemplate, Workflow
from engine.catalogue.versions import get_version
from engine.store.models import Case, CaseEvent, Household, HumanTask, Notification, Person, Recipient
from tests.factories import SHUANGYUAN, Walk, start
from tests.processes.test_dynamic_management import REVIEW_STEPS
from tests.unit.test_start_template import normalised_state

HOUSEHOLDS = 12


@pytest.fixture
def due(db, clock, who, unit_id):
    """HOUSEHOLDS households of 双园村 with a granted 低保 benefit whose review is due; their recipient ids."""
    rows = []
    for i in range(HOUSEHOLDS):
        id_number = with_check_digit(f"32092119750101{i:03d}")
        origin = start(db, clock, who, unit_id, applicant_name=f"复核户{i}", applicant_id_number=id_number)
        case = origin.case()
        rows.append({"assistance_type": "minimum_living", "case_id": origin.case_id, "county_id": case.county_id,
                     "township_id": case.township_id, "village_id": case.village_id,
                     "applicant_name": f"复核户{i}", "applicant_id_number": id_number, "household_size": 3,
                     "monthly_amount": 1840.0, "payment_from": date(2026, 1, 1), "stopped_from": None,
                     "review_class": "B", "next_review_on": date(2026, 9, 1), "review_case_id": None,
                     "status": "active", "updated_at": datetime.now(timezone.utc)})
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        ids = s.execute(insert(Recipient).returning(Recipient.id, sort_by_parameter_order=True), rows).scalars().all()
        # granted: the origin cases have ended (the register's recipients come from completed cases)
        s.execute(update(Case).where(Case.id.in_([r["case_id"] for r in rows])).values(
            status="completed", outcome="end_approved", open_key=None, next_due_at=None, timer_plan=None))
        s.execute(update(HumanTask).where(HumanTask.case_id.in_([r["case_id"] for r in rows]),
                                          HumanTask.status == "open").values(status="withdrawn"))
        uow.commit()
    return ids


@pytest.fixture
def batch_only(monkeypatch):
    """The batch path must take every review: starting one alone fails the test."""
    def alone(*args, **kwargs):
        raise AssertionError("a review was started alone, not in the batch")
    monkeypatch.setattr(batch_start, "start_case", alone)


@pytest.fixture
def templated(monkeypatch):
    """What the start templates gave: one entry per templated start (None: the review fell back)."""
    given = []
    real = StartTemplate.start

    def start(self, data, now):
        given.append(real(self, data, now))
        return given[-1]
    monkeypatch.setattr(StartTemplate, "start", start)
    return given


def _snapshot(s, case_id: int) -> dict:
    """What a started review is, without what differs by nature (ids, number, SpiffWorkflow task ids): its
    rows, and its workflow restored — the state (task ids and times aside), the data, the ready tasks, and
    the data and ready tasks once the first task is completed."""
    case = s.get(Case, case_id)
    version = get_version(s, case.process_version_id)
    workflow = Workflow.restore(version.spec, case.state)
    after = Workflow.restore(version.spec, case.state)
    after.complete(after.ready_user_tasks()[0].id, {**REVIEW_STEPS["home_visit"], "household_cooperation": "cooperated"},
                   datetime(2026, 9, 2, tzinfo=timezone.utc))
    skip = {"id", "number", "state", "timer_plan"}
    person = s.execute(select(Person).where(Person.id_number == case.applicant_id_number)).scalar_one()
    household = s.get(Household, case.household_id)
    return {
        "case": {c: getattr(case, c) for c in Case.__table__.c.keys() if c not in skip},
        "data": workflow.data, "ready": [(t.name, t.lane) for t in workflow.ready_user_tasks()],
        "tasks": [(t.task_name, t.title, t.role, t.unit_id, t.form_key, t.status, t.due_on, t.due_provisional)
                  for t in s.execute(select(HumanTask).where(HumanTask.case_id == case_id)).scalars()],
        "task_ids": [t.id for t in s.execute(select(HumanTask).where(HumanTask.case_id == case_id)).scalars()]
        == [t.id for t in workflow.ready_user_tasks()],
        "events": [(e.kind, e.title, e.actor_id, e.data) for e in s.execute(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).scalars()],
        "notifications": [(n.role, n.unit_id, n.kind, n.message.replace(case.number, "N")) for n in s.execute(
            select(Notification).where(Notification.case_id == case_id)).scalars()],
        "person": (person.name, person.household_id, person.county_id, person.township_id, person.village_id,
                   person.relation, person.updated_at),
        "household_head": household.head_id,
        "state": normalised_state(case.state),
        "after_first_task": (after.data, [(t.name, t.lane) for t in after.ready_user_tasks()],
                             normalised_state(after.dump())),
    }


def _alone_and_batched(db, clock, recipient_id: int) -> tuple[dict, dict]:
    """The review of one recipient started alone (rolled back), then in a batch: both snapshots."""
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        r = s.execute(select(Recipient.__table__, Case.number).join(Case, Case.id == Recipient.case_id)
                      .where(Recipient.id == recipient_id)).one()
        alone = start_case(s, None, clock, "periodic_review_delegated", r.village_id, review_start_data(r))
        snapshot = _snapshot(s, alone.id)
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        started, failed = batch_start.start_cases(s, clock, [batch_start.PlannedStart(
            recipient_id, "periodic_review_delegated", r.village_id, review_start_data(r))])
        assert not failed
        batched = _snapshot(s, started[recipient_id].id)
        uow.commit()
    return snapshot, batched


def test_a_batch_started_review_is_the_review_started_alone(due, db, clock, batch_only, templated):
    alone, batched = _alone_and_batched(db, clock, due[0])
    assert batched == alone
    assert batched["task_ids"] and batched["ready"] == [("home_visit", "township")]
    # the route's second review in this process comes from its start template (the first one built it)
    alone, batched = _alone_and_batched(db, clock, due[1])
    assert templated and templated[-1] is not None, "the review route's start is of the template's shape"
    assert batched == alone
    assert batched["after_first_task"][1] == [("check", "township")]
    assert batched["data"]["previous_monthly_amount"] == 1840.0 and batched["data"]["previous_review_class"] == "B"


def test_a_review_the_template_declines_is_run_whole_and_the_same(due, db, clock, batch_only, templated,
                                                                   monkeypatch):
    _alone_and_batched(db, clock, due[0])  # the template is built
    runs = []
    real = Workflow.start

    def start(spec, data, now):
        runs.append(spec)
        return real(spec, data, now)
    monkeypatch.setattr(batch_start.Workflow, "start", staticmethod(start))
    monkeypatch.setattr(StartTemplate, "start", lambda self, data, now: templated.append(None))
    alone, batched = _alone_and_batched(db, clock, due[1])
    assert templated[-1] is None and len(runs) == 2, "started alone, then in the batch by the full run"
    assert batched == alone


def test_a_batch_started_review_runs_to_its_end(due, db, clock, who, batch_only):
    with db.unit_of_work(write=True) as uow:
        batch = start_due_reviews(uow.session, clock, limit=HOUSEHOLDS)
        uow.commit()
    assert (batch.started, batch.failed) == (HOUSEHOLDS, {})
    with db.unit_of_work() as uow:
        s = uow.session
        case_id = s.get(Recipient, due[3]).review_case_id
        number = s.get(Case, case_id).number
        numbers = s.execute(select(Case.number).where(Case.process_id == "periodic_review_delegated")).scalars().all()
    assert len(set(numbers)) == HOUSEHOLDS, "each review its own case number"
    walk = Walk(db, clock, who, case_id, number, SHUANGYUAN[:9], REVIEW_STEPS)
    for _ in range(8):
        names = walk.open_names()
        if not names:
            break
        walk.do(names[0])
    case = walk.case()
    assert (case.status, case.outcome) == ("completed", "end_unchanged")
    with db.unit_of_work() as uow:
        recipient = uow.session.get(Recipient, due[3])
    assert (recipient.review_case_id, recipient.status, recipient.monthly_amount) == (None, "active", 1840.0)
    assert recipient.next_review_on > date(2026, 9, 15)


def test_a_batch_costs_a_handful_of_statements(due, db, clock, batch_only):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.unit_of_work(write=True) as uow:
            batch = start_due_reviews(uow.session, clock, limit=HOUSEHOLDS)
            uow.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert batch.started == HOUSEHOLDS
    # claim, places, route rules, version, parameters, people, numbers, cases, events, tasks, notifications,
    # people, heads, household cases, recipients, savepoint: whatever the batch's size (one by one: ~20 per
    # review). SQLite's driver sends an INSERT … RETURNING per row (local calls, not round trips).
    per_row = [x for x in statements if x.startswith('INSERT INTO "case"')] if not db.is_postgres else []
    assert len(statements) - len(per_row) + 1 <= 25, "\n".join(" ".join(x.split())[:110] for x in statements)


@pytest.mark.postgres
def test_two_concurrent_batches_never_start_one_household_twice(due, db, clock, batch_only):
    if not db.is_postgres:
        pytest.skip("concurrent schedulers share work only on PostgreSQL (SKIP LOCKED)")
    claimed = threading.Barrier(2, timeout=60)
    results, errors = [], []

    def after_claim(conn, cursor, statement, parameters, context, executemany):
        if "SKIP LOCKED" in statement and "recipient" in statement:
            claimed.wait()  # both batches have claimed their households before either writes

    def scheduler() -> None:
        try:
            with db.unit_of_work(write=True) as uow:
                batch = start_due_reviews(uow.session, clock, limit=HOUSEHOLDS // 2 + 2)
                uow.commit()
            results.append(batch)
        except Exception as exc:  # reported below
            errors.append(exc)
            claimed.abort()
    event.listen(db.engine, "after_cursor_execute", after_claim)
    try:
        threads = [threading.Thread(target=scheduler) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
    finally:
        event.remove(db.engine, "after_cursor_execute", after_claim)
    assert not errors, errors
    assert sorted(b.started for b in results) == [HOUSEHOLDS // 2 - 2, HOUSEHOLDS // 2 + 2]
    assert not any(b.failed for b in results)
    with db.unit_of_work() as uow:
        s = uow.session
        per_household = s.execute(select(Case.household_id, func.count()).where(
            Case.process_id == "periodic_review_delegated").group_by(Case.household_id)).all()
        linked = s.execute(select(func.count(func.distinct(Recipient.review_case_id))).where(
            Recipient.id.in_(due))).scalar_one()
    assert len(per_household) == HOUSEHOLDS and {n for _h, n in per_household} == {1}
    assert linked == HOUSEHOLDS
