"""Due dates of open work, recomputed when the holiday calendar changes.

A due date counted over a year whose State Council notice was not loaded is an
estimate (暂定). When the notice is loaded (``jiuzhu calendar load FILE``), every
open task and every running case is recomputed from what its date was counted
from — the task's creation day and its BPMN deadline, the case's acceptance day and
its limit in working days — so the result is the same as if the notice had been
there all along. The caller commits; running it twice changes nothing the second time.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.cases.writer import limit_workdays_of, overall_due, task_due, write_case_due, write_task_due_dates
from engine.clock import Clock, to_local_date
from engine.store.models import Case, CaseEvent, HumanTask, Incident, SupervisionItem
from engine.catalogue.versions import get_version
from engine.workdays import CalendarYearMissing, WorkingCalendar, add_workdays_due
from engine.runtime.workflow import Workflow

CASE, TASK, EVENT = Case.__table__, HumanTask.__table__, CaseEvent.__table__
ITEM, INCIDENT = SupervisionItem.__table__, Incident.__table__
CALENDAR_INCIDENT = "calendar_missing"


@dataclass(frozen=True)
class Recomputed:
    """What a recomputation changed."""

    tasks: int
    cases: int
    still_provisional: int


def recompute(session: Session, clock: Clock) -> Recomputed:
    """Recompute the due dates of every open task and running case under the current calendar."""
    calendar = WorkingCalendar.load()
    now, today = clock.now(), clock.today()
    tasks = _recompute_tasks(session, calendar)
    cases = _recompute_cases(session, calendar, now)
    # A 督办 item follows its task's date; one raised on an estimate the notice disproves is closed.
    session.execute(update(ITEM).where(ITEM.c.resolved_at.is_(None)).values(
        due_on=select(TASK.c.due_on).where(TASK.c.id == ITEM.c.task_id).scalar_subquery()))
    session.execute(update(ITEM).where(ITEM.c.resolved_at.is_(None), ITEM.c.due_on >= today).values(resolved_at=now))
    left = provisional_count(session)
    if left == 0:
        session.execute(update(INCIDENT).where(INCIDENT.c.kind == CALENDAR_INCIDENT, INCIDENT.c.resolved_at.is_(None))
                        .values(resolved_at=now))
    return Recomputed(tasks, cases, left)


def provisional_count(session: Session) -> int:
    """Open tasks and running cases whose due date is still provisional (暂定)."""
    tasks = select(func.count()).select_from(TASK).where(TASK.c.status == "open", TASK.c.due_provisional.is_(True))
    cases = select(func.count()).select_from(CASE).where(CASE.c.status == "running", CASE.c.due_provisional.is_(True))
    return session.execute(tasks).scalar_one() + session.execute(cases).scalar_one()


def _suspensions(session: Session) -> dict[int, list[tuple]]:
    """Case id → (resumed at, working days it was suspended) of each 恢复办理 of a running case: the days its
    open tasks' dates were moved on by (``writer.shift_due_dates``)."""
    found: dict[int, list[tuple]] = {}
    for case_id, at, data in session.execute(
            select(EVENT.c.case_id, EVENT.c.at, EVENT.c.data).join(CASE, CASE.c.id == EVENT.c.case_id)
            .where(EVENT.c.kind == "case_resumed", CASE.c.status == "running")):
        if (data or {}).get("paused_workdays"):
            found.setdefault(case_id, []).append((at, int(data["paused_workdays"])))
    return found


def _recompute_tasks(session: Session, calendar: WorkingCalendar) -> int:
    rows = session.execute(
        select(TASK.c.id, TASK.c.case_id, TASK.c.task_name, TASK.c.created_at, TASK.c.due_on, TASK.c.due_provisional,
               CASE.c.process_version_id)
        .join(CASE, CASE.c.id == TASK.c.case_id).where(TASK.c.status == "open")).all()
    suspensions = _suspensions(session)
    changes = []
    for row in rows:
        facts = get_version(session, row.process_version_id).tasks.get(row.task_name, {})
        due_on, provisional = task_due(to_local_date(row.created_at), facts.get("properties", {}).get("deadline"))
        # a suspension the task was open through moved its date on, as it moves on again here
        paused = sum(days for at, days in suspensions.get(row.case_id, ()) if at > row.created_at)
        if due_on is not None and paused:
            try:
                due_on = calendar.add_workdays(due_on, paused)
                provisional = provisional or calendar.is_provisional(due_on)
            except CalendarYearMissing:
                due_on, provisional = None, True
        if (due_on, provisional) != (row.due_on, row.due_provisional):
            changes.append({"b_id": row.id, "b_due_on": due_on, "b_provisional": provisional})
    write_task_due_dates(session, changes)
    return len(changes)


def _recompute_cases(session: Session, calendar: WorkingCalendar, now) -> int:
    stmt = (select(CASE.c.id, CASE.c.accepted_on, CASE.c.due_on, CASE.c.due_provisional, CASE.c.limit_workdays,
                   CASE.c.process_version_id)
            .where(CASE.c.status == "running", CASE.c.accepted_on.is_not(None)))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # an extension racing this must not be overwritten
    changed = 0
    for row in session.execute(stmt).all():
        try:
            if row.due_on is None and row.limit_workdays is None:
                # Lodged before limits were kept in working days and while the year was missing.
                state = session.execute(select(Case.state).where(CASE.c.id == row.id)).scalar_one()
                version = get_version(session, row.process_version_id)
                data = Workflow.restore(version.spec, state).data
                overall = overall_due(row.accepted_on, data, version.declarations.overall_limit)
                if overall is None or overall[1] is None:  # no limit, or one in calendar days
                    continue
                limit = overall[1]
            else:
                limit = limit_workdays_of(calendar, row.limit_workdays, row.accepted_on, row.due_on)
            new = add_workdays_due(calendar, row.accepted_on, limit)
        except CalendarYearMissing:
            continue
        if (new.on, new.provisional, limit) == (row.due_on, row.due_provisional, row.limit_workdays):
            continue
        write_case_due(session, row.id, new, limit, row.due_on, now)
        changed += 1
    return changed
