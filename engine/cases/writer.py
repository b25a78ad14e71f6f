"""The case writer: the only code that inserts or updates ``case``, ``human_task``, ``case_event`` and
timer-plan rows. Every use case that changes a case (start, complete, extend, fire timers, and the operations
to come) writes through these functions, so the measured hot path — statements built once, a handful per
submit — is readable in one place.

A completion writes: the completed task (``COMPLETE_TASK``), one event (``write_event``), the inbox rows
(``sync_tasks``: withdrawn and new rows only), and the case row under its revision (``write_state``, with the
timer plan worked out by ``plan_next_timer`` when a timer is pending); a case that ends also records its
completion and its effect on the register (``record_completion``).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import bindparam, case as sql_case, func, insert, null, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from engine.catalogue.declarations import OverallLimit, RouteDeclarations
from engine.clock import to_local_date
from engine.errors import Conflict
from engine.households.register import apply_outcome, release_review
from engine.people.places import Place
from engine.runtime.workflow import SERIALIZER_VERSION, ReadyTask, Workflow
from engine.store.bulk import insert_rows, update_matching
from engine.store.models import (
    PLAN_SEPARATOR, STATE_SCHEMA_VERSION, Case, CaseEvent, HumanTask, Incident, Notification, User,
    plan_separator_at,
)
from engine.workdays import CalendarYearMissing, Due, WorkingCalendar, add_workdays_due, due, parse_period

CASE = Case.__table__
TASK = HumanTask.__table__
EVENT = CaseEvent.__table__
_RECENT_ACTOR = aliased(User)  # made once: an alias proxies every column
INCIDENT = Incident.__table__
# Hot-path statements, built once (building a statement costs more than running it on SQLite).
INSERT_EVENT = insert(EVENT)
COMPLETE_TASK = update(TASK).where(TASK.c.id == bindparam("b_id")).values(
    status="completed", completed_at=bindparam("b_at"), completed_by_id=bindparam("b_by"))
UPDATE_CASE = update(CASE).where(CASE.c.id == bindparam("b_id"), CASE.c.revision == bindparam("b_revision"))
# A timer plan is applied a moment after its due time, as SpiffWorkflow fires strictly after it.
PLAN_MARGIN = timedelta(seconds=1)


def exclude_publicity(session, case_id, ready_before: list[ReadyTask], workflow: Workflow, today: date) -> None:
    """Where the county excludes 公示 from the time limit, push the case's limit back by the working
    days a publicity task (property ``publicity``) was open."""
    if not workflow.data.get("publicity_excluded_from_limit"):
        return
    still_open = {t.id for t in workflow.ready_user_tasks()}
    closed = [t.id for t in ready_before if t.properties.get("publicity") and t.id not in still_open]
    if not closed:
        return
    case = session.execute(select(CASE.c.due_on, CASE.c.accepted_on, CASE.c.limit_workdays)
                           .where(CASE.c.id == case_id)).one()
    if case.due_on is None:
        return
    calendar = WorkingCalendar.load()
    opened = session.execute(select(TASK.c.created_at).where(TASK.c.id.in_(closed))).scalars().all()
    try:
        paused = sum(max(0, calendar.workdays_between(to_local_date(at), today)) for at in opened)
        if paused:
            limit = limit_workdays_of(calendar, case.limit_workdays, case.accepted_on, case.due_on) + paused
            new_due = add_workdays_due(calendar, case.accepted_on, limit)
            session.execute(update(CASE).where(CASE.c.id == case_id).values(
                due_on=new_due.on, due_provisional=new_due.provisional, limit_workdays=limit))
    except CalendarYearMissing:
        pass


def locked(session: Session, stmt):
    # PostgreSQL: row locks; SQLite: the writing unit of work already holds the database write lock.
    return stmt.with_for_update() if session.get_bind().dialect.name == "postgresql" else stmt


def write_event(session, case_id, now, actor_id, kind, task_name, title, data) -> None:
    session.execute(INSERT_EVENT, {"case_id": case_id, "at": now, "actor_id": actor_id, "kind": kind,
                                    "task_name": task_name, "title": title, "data": data})


def recent_events(session, case_id: int, kinds: tuple[str, ...], events: list | None = None, limit: int = 20) -> list:
    """The case's latest ``limit`` events of ``kinds``, newest first, each with ``kind``, ``at``, ``data`` and
    ``actor_name``; ``events``: every event of the case in order (with ``actor_name``) already read in this
    transaction (the task page's case view), filtered here instead of read again."""
    if events is not None:
        return [e for e in reversed(events) if e.kind in kinds][:limit]
    actor = _RECENT_ACTOR
    return session.execute(select(EVENT.c.kind, EVENT.c.at, EVENT.c.data, actor.display_name.label("actor_name"))
                           .outerjoin(actor, actor.id == EVENT.c.actor_id)
                           .where(EVENT.c.case_id == case_id, EVENT.c.kind.in_(kinds))
                           .order_by(EVENT.c.id.desc()).limit(limit)).all()


def sync_tasks(session, case_id, number: str, place: Place, workflow: Workflow, now: datetime, today: date,
               open_ids: set[str]) -> None:
    """Make the open human_task rows of the case equal the workflow's READY user tasks.

    ``open_ids`` are the rows open before this change (the READY tasks the
    workflow had when loaded, minus the one just completed): the invariant that
    open rows mirror READY tasks spares a SELECT.
    """
    ready = {t.id: t for t in workflow.ready_user_tasks()}
    gone = open_ids - set(ready)
    if gone:
        session.execute(update(TASK).where(TASK.c.id.in_(gone)).values(status="withdrawn", completed_at=now))
    new = [t for tid, t in ready.items() if tid not in open_ids]
    if new:
        rows = [task_row(case_id, t, place, now, today) for t in new]
        session.execute(insert(TASK), rows)
        notify_new_tasks(session, rows, lambda _: number, now)


def notify_new_tasks(session: Session, tasks: list[dict[str, Any]], number_of, now: datetime) -> None:
    """One "new task" notification per new inbox row (``task_row`` dicts), to its (role, unit), in one
    statement (``insert_rows``); ``number_of(case_id)`` gives each case's number. The (task, kind) key keeps
    it to once per task."""
    insert_rows(session, Notification.__table__, [new_task_notification(t, number_of(t["case_id"]), now) for t in tasks])


def new_task_notification(task: dict[str, Any], number: str, now: datetime) -> dict[str, Any]:
    """The "new task" notification of one new inbox row: the case number, the step and its due date."""
    due_on = task["due_on"].isoformat() if task["due_on"] else None
    message = f"新待办：案件 {number}「{task['title']}」" + (f"，办理期限 {due_on}" if due_on else "")
    return {"role": task["role"], "unit_id": task["unit_id"], "case_id": task["case_id"], "task_id": task["id"],
            "user_id": None, "kind": "new_task", "message": message[:500],
            "params": {"number": number, "step": task["title"], "due_on": due_on}, "created_at": now}


def task_row(case_id, task: ReadyTask, place: Place, now, today) -> dict:
    due_on, provisional = task_due(today, task.properties.get("deadline"))
    return {
        "id": task.id, "case_id": case_id, "task_name": task.name, "title": task.title,
        "role": task.lane or "township", "unit_id": place.unit_for_role(task.lane),
        "form_key": task.form_key, "status": "open", "created_at": now,
        "due_on": due_on, "due_provisional": provisional, "reminded_at": None,
        "completed_at": None, "completed_by_id": None,
    }


def task_due(today: date, deadline: str | None) -> tuple[date | None, bool]:
    """(due date, provisional): a year without a loaded notice gives an estimated date, shown as 暂定
    and recomputed when the notice is loaded (``due_dates.recompute``)."""
    if not deadline:
        return None, False
    try:
        return _due(WorkingCalendar.load(), today, deadline)
    except CalendarYearMissing:  # a year beyond the statutory estimate too: no date, still flagged
        return None, True


@lru_cache(maxsize=512)
def _due(calendar: WorkingCalendar, today: date, deadline: str) -> Due:
    """``due`` remembered per loaded calendar (a new notice loads a new one), day and period: a sweep gives
    thousands of tasks the same few deadlines on the same day."""
    return due(calendar, today, deadline)


def overall_due_on(accepted_on: date, data: dict, limit: OverallLimit) -> date | None:
    """The due date of the case's overall limit (see ``overall_due``), or None when there is none."""
    overall = overall_due(accepted_on, data, limit)
    return overall[0].on if overall else None


def overall_due(accepted_on: date, data: dict, limit: OverallLimit) -> tuple[Due, int | None] | None:
    """The case's overall limit (办结时限) counted from the clock start as the route declares it: the due
    date with whether it is provisional (暂定), and its length in working days when it is counted in them
    (kept on the case, so the date can be recomputed when a year's holiday notice is loaded)."""
    period = limit.period_for(data)
    if period is None:
        return None
    n, unit = parse_period(period)
    try:
        return due(WorkingCalendar.load(), accepted_on, period), (n if unit == "wd" else None)
    except CalendarYearMissing:
        return None


def limit_workdays_of(calendar: WorkingCalendar, limit_workdays: int | None, accepted_on: date, due_on: date) -> int:
    """Working days of a case's overall limit from acceptance (derived for cases from before the column)."""
    if limit_workdays is not None:
        return limit_workdays
    return calendar.workdays_between(accepted_on, due_on)


def state_columns(state: str) -> dict[str, Any]:
    """The columns every write of a case's state sets: the state, and the mark that its timer plan was applied
    cleared (the state written is the case's state from then on; see models.current_state_sql)."""
    return {"state": state, "plan_applied": False}


def state_values(workflow: Workflow, now: datetime, declared: RouteDeclarations) -> dict[str, Any]:
    """The case columns that follow from the workflow's state (the summary as the route declares it)."""
    ready = workflow.ready_user_tasks()
    values: dict[str, Any] = {
        **state_columns(workflow.dump()), "updated_at": now, "next_due_at": workflow.next_timer_due(),
        "current_step": "、".join(dict.fromkeys(t.title for t in ready))[:200] or None,
        "summary": declared.summary_of(workflow.data), "status": "running", "outcome": None, "completed_at": None,
    }
    if workflow.is_completed:
        end_id, end_name = workflow.end_event() or (None, "")
        values.update(status="completed", completed_at=now, outcome=end_id, next_due_at=None,
                      summary={**values["summary"], "outcome_label": end_name})
    values["timer_plan"] = plan_next_timer(workflow, values["next_due_at"], declared) if values["next_due_at"] else None
    return values


def new_case_row(version, process_id: str, assistance_type: str | None, place: Place, number: str,
                 applicant: tuple[str, str], workflow: Workflow, now: datetime, actor_id: int | None,
                 request_token: str | None = None, household_id: int | None = None) -> dict[str, Any]:
    """The ``case`` row of a case just started (its workflow run to the first wait)."""
    return {"number": number, "process_version_id": version.id, "process_id": process_id,
            "assistance_type": assistance_type, "applicant_name": applicant[0], "applicant_id_number": applicant[1],
            "county_id": place.county_id, "township_id": place.township_id, "village_id": place.village_id,
            "serializer_version": SERIALIZER_VERSION, "schema_version": STATE_SCHEMA_VERSION, "revision": 1,
            "accepted_on": None, "created_at": now, "started_by_id": actor_id, "request_token": request_token,
            "household_id": household_id, **state_values(workflow, now, version.declarations)}


@dataclass
class NewCase:
    """A started case to write in a batch (``write_started_cases``)."""

    row: dict[str, Any]  # new_case_row
    place: Place
    ready: list[ReadyTask]
    title: str  # of the case_started event: the version's name
    data: dict[str, Any]  # the start data, recorded in the event


def write_started_cases(session: Session, cases: list[NewCase], now: datetime, today: date) -> list[int]:
    """Write a batch of started cases as ``start_case`` writes one — the case rows, their case_started
    events, their first inbox rows and those rows' notifications — in four statements (``insert_rows``);
    returns the new ids in the order of ``cases``."""
    if not cases:
        return []
    ids = insert_rows(session, CASE, [c.row for c in cases], returning=CASE.c.id)
    insert_rows(session, EVENT, [{"case_id": case_id, "at": now, "actor_id": c.row["started_by_id"],
                                  "kind": "case_started", "task_name": None, "title": c.title, "data": c.data}
                                 for case_id, c in zip(ids, cases)])
    tasks = [task_row(case_id, t, c.place, now, today) for case_id, c in zip(ids, cases) for t in c.ready]
    if tasks:
        insert_rows(session, TASK, tasks)
        numbers = {case_id: c.row["number"] for case_id, c in zip(ids, cases)}
        notify_new_tasks(session, tasks, numbers.__getitem__, now)
    return ids


def write_state(session, case_id, revision, workflow: Workflow, now, actor_id, declared: RouteDeclarations,
               accepted_on: date | None = None) -> None:
    """Write the new state under the revision check; a lost race changes nothing."""
    values = {**state_values(workflow, now, declared), "revision": revision + 1}
    if accepted_on is not None:
        values["accepted_on"] = accepted_on
        overall = overall_due(accepted_on, workflow.data, declared.overall_limit)
        values["due_on"] = overall[0].on if overall else None
        values["due_provisional"] = bool(overall and overall[0].provisional)
        values["limit_workdays"] = overall[1] if overall else None
    result = session.execute(UPDATE_CASE, {"b_id": case_id, "b_revision": revision, **values})
    if result.rowcount != 1:
        raise Conflict("case changed concurrently")
    record_completion(session, case_id, workflow, now, actor_id, declared)


def record_completion(session, case_id, workflow: Workflow, now, actor_id, declared: RouteDeclarations) -> None:
    """A finished case: its declared effect on the register, and the audit event with its summary; its
    subject may apply for the type again."""
    if workflow.is_completed:
        session.execute(update(CASE).where(CASE.c.id == case_id, CASE.c.open_key.is_not(None)).values(open_key=None))
        end_id, end_name = workflow.end_event() or (None, "")
        outcome = declared.outcomes.get(end_id)
        if outcome is not None:
            apply_outcome(session, case_id, outcome, workflow.data, to_local_date(now), now,
                          declared.payment_of(workflow.data))
        elif workflow.data.get("recipient_case_number"):
            # A review (复核: its start form names the benefit) ending where the route declares no effect on the
            # register leaves the benefit under no review, as a termination does; an application costs nothing.
            release_review(session, case_id, workflow.data, to_local_date(now), now)
        write_event(session, case_id, now, actor_id, "case_completed", end_id, end_name, declared.summary_of(workflow.data))


def plan_next_timer(workflow: Workflow, due: datetime, declared: RouteDeclarations) -> str | None:
    """The writes firing the timer due at ``due`` will call for, as JSON, or None for the full path."""
    if workflow.data.get("publicity_excluded_from_limit"):
        return None
    try:
        successor = workflow.copy()
        at = due + PLAN_MARGIN
        before = {t.id for t in successor.ready_user_tasks()}
        fired = successor.due_timer_names(at)
        successor.fire_due_timers(at)
    except Exception:  # the sweep's full path will meet the same error and retry or raise an incident
        return None
    if successor.is_completed or not fired:
        return None
    ready = successor.ready_user_tasks()
    next_due = successor.next_timer_due()
    facts = json.dumps({
        "fired": fired, "withdrawn": sorted(before - {t.id for t in ready}),
        "new": [asdict(t) for t in ready if t.id not in before],
        "next_due_at": next_due.isoformat() if next_due else None,
        "current_step": "、".join(dict.fromkeys(t.title for t in ready))[:200] or None,
        "summary": declared.summary_of(successor.data),
    }, ensure_ascii=False)
    return facts + PLAN_SEPARATOR + successor.dump()  # compact JSON holds no raw newline


def plan_facts_sql():
    """SQL of the facts of a case's timer plan, without the ~15 KB state after them: the database cuts the
    text at the separator, so the sweep reads the facts alone. NULL when there is no plan to apply: none, a
    plan stored before this layout (one JSON object), or a plan already applied (``case.plan_applied``: the
    plan's tail is the case's state)."""
    plan = CASE.c.timer_plan
    at = plan_separator_at(plan)
    return sql_case((CASE.c.plan_applied, null()), (at > 0, func.substr(plan, 1, at - 1)), else_=null())


def write_firings(session: Session, firings: list, now: datetime, today) -> None:
    """Write a batch of timer firings (engine.cases.timers.Firing): events, withdrawn and new inbox rows, and the cases under their revisions."""
    if not firings:
        return
    # One statement per table for the whole batch (engine.store.bulk: arrays, not a row per execute).
    insert_rows(session, EVENT, [e for f in firings for e in f.events])
    withdrawn = [task_id for f in firings for task_id in f.withdrawn]
    if withdrawn:
        session.execute(update(TASK).where(TASK.c.id.in_(withdrawn)).values(status="withdrawn", completed_at=now))
    new_tasks = [row for f in firings for row in f.new_tasks]
    if new_tasks:
        insert_rows(session, TASK, new_tasks)
        numbers = {f.case_id: f.number for f in firings}
        notify_new_tasks(session, new_tasks, numbers.__getitem__, now)
    # Cases fired from their timer plan carry no state: the UPDATE sets case.plan_applied and keeps the plan,
    # whose tail is then the case's state (models.current_state_sql). No state is copied, compressed or
    # written, and the old one is left where it is: the row keeps its TOAST pointers to both as they are,
    # so on PostgreSQL the firing frees no TOAST chunks (their page images were most of its WAL).
    for group in ([f for f in firings if "state" in f.values], [f for f in firings if "state" not in f.values]):
        if not group:
            continue
        columns = sorted(group[0].values)
        planned = "state" not in columns
        # PostgreSQL: one UPDATE … FROM unnest(…) for the batch (the cases are locked by the sweep's SELECT).
        changed = update_matching(session, CASE, "id", "revision", [(f.case_id, f.revision, f.values) for f in group],
                                  {"plan_applied": "true"} if planned else None)
        if changed is None:
            stmt = _update_fired(tuple(columns), planned)
            params = [{"b_id": f.case_id, "b_revision": f.revision, **{f"v_{c}": f.values[c] for c in columns}}
                      for f in group]
            changed = session.execute(stmt, params).rowcount
        if changed not in (-1, len(group)):
            raise Conflict("a case changed while its timers fired")
    for f in firings:  # rare, per-case effects: a case that ended, a 公示 excluded from the time limit
        if f.workflow is not None:
            record_completion(session, f.case_id, f.workflow, now, None, f.declared)
            exclude_publicity(session, f.case_id, f.ready_before, f.workflow, today)


@cache
def _update_fired(columns: tuple[str, ...], planned_state: bool):
    """The UPDATE of fired cases under their revisions, built once per shape; ``planned_state``: the new
    state is the tail of the case's timer plan (``plan_applied``, the plan kept)."""
    values = {c: bindparam(f"v_{c}") for c in columns}
    if planned_state:
        values["plan_applied"] = true()
    return (update(CASE).where(CASE.c.id == bindparam("b_id"), CASE.c.revision == bindparam("b_revision"))
            .values(values))


def write_migration(session: Session, case_id: int, revision: int, version_id: int, state: str, now: datetime,
                    actor_id: int, data: dict[str, Any]) -> None:
    """Move a case onto another version of its route (its state restored there), with the audit event."""
    result = session.execute(update(CASE).where(CASE.c.id == case_id, CASE.c.revision == revision).values(
        process_version_id=version_id, **state_columns(state), timer_plan=None, revision=revision + 1, updated_at=now))
    if result.rowcount != 1:
        raise Conflict("case changed concurrently")
    write_event(session, case_id, now, actor_id, "migrated", None, "迁移到新版本", data)


def write_extension(session: Session, case_id: int, revision: int, due_on: Due, limit_workdays: int, reason: str,
                    now: datetime) -> None:
    """Write an extended overall limit (the case row; the caller writes the event)."""
    session.execute(update(CASE).where(CASE.c.id == case_id).values(
        due_on=due_on.on, due_provisional=due_on.provisional, limit_workdays=limit_workdays, extension_reason=reason,
        revision=revision + 1, updated_at=now))


def write_task_due_dates(session: Session, changes: list[dict[str, Any]]) -> None:
    """New due dates of open tasks: ``{"b_id", "b_due_on", "b_provisional"}`` each (a holiday notice loaded)."""
    if changes:
        session.execute(update(TASK).where(TASK.c.id == bindparam("b_id")).values(
            due_on=bindparam("b_due_on"), due_provisional=bindparam("b_provisional")), changes)


def write_case_due(session: Session, case_id: int, due_on: Due, limit_workdays: int, was: date | None,
                   now: datetime) -> None:
    """A case's overall limit recomputed under a holiday notice, with an event when the date moved."""
    session.execute(update(CASE).where(CASE.c.id == case_id).values(
        due_on=due_on.on, due_provisional=due_on.provisional, limit_workdays=limit_workdays))
    if due_on.on != was:
        write_event(session, case_id, now, None, "deadline_recomputed", None, "按节假日安排重新计算办理时限",
                    {"from": was.isoformat() if was else None, "to": due_on.on.isoformat(),
                     "provisional": due_on.provisional})


def write_event_limit(session: Session, case_id: int, due_on: Due, now: datetime, title: str,
                      data: dict[str, Any]) -> None:
    """A case's overall limit set by the event that started it (a death: the review within 3 months of it),
    with the event that says why. Such a case has no acceptance day, so a holiday notice leaves it alone."""
    session.execute(update(CASE).where(CASE.c.id == case_id).values(due_on=due_on.on, due_provisional=due_on.provisional))
    write_event(session, case_id, now, None, "deadline_set", None, title, data)


def mark_reminded(session: Session, task_ids: list[str], now: datetime) -> None:
    """Tasks whose due-soon reminder was sent (never twice)."""
    if task_ids:
        session.execute(update(TASK).where(TASK.c.id.in_(task_ids)).values(reminded_at=now))


def write_timer_failure(session: Session, case_id: int, attempts: int, next_due_at: datetime | None,
                        now: datetime, error: str) -> None:
    """A failed timer firing: the attempt count, when to retry (None: stop), and an event for the case."""
    session.execute(update(CASE).where(CASE.c.id == case_id).values(timer_attempts=attempts, next_due_at=next_due_at))
    write_event(session, case_id, now, None, "incident", None, "定时器执行失败", {"error": error[:500], "attempt": attempts})


def requeue_timers(session: Session, case_id: int, now: datetime) -> None:
    """Make a case's timers due again with a fresh count of attempts (an admin retries an incident)."""
    session.execute(update(CASE).where(CASE.c.id == case_id).values(next_due_at=now, timer_attempts=0))


# --- the clerk's operations (engine.cases.operations) ------------------------------
def write_holder(session: Session, task_id: str, holder_id: int | None, was: int | None, now: datetime) -> bool:
    """Set who holds an open task (认领, 释放, 转办) if it is still open and held by ``was``; False when
    someone changed it first (the database decides a race)."""
    held = TASK.c.claimed_by_id.is_(None) if was is None else TASK.c.claimed_by_id == was
    result = session.execute(update(TASK).where(TASK.c.id == task_id, TASK.c.status == "open", held).values(
        claimed_by_id=holder_id, claimed_at=now if holder_id is not None else None))
    return result.rowcount == 1


def reopen_tasks(session, case_id, place: Place, workflow: Workflow, now: datetime, today: date,
                 open_ids: set[str]) -> None:
    """``sync_tasks`` after the workflow went back to an earlier task (退回, 撤回): the reopened task keeps
    its SpiffWorkflow id, so its completed row becomes an open one again (with a fresh due date)."""
    ready = {t.id: t for t in workflow.ready_user_tasks()}
    gone = open_ids - set(ready)
    if gone:
        session.execute(update(TASK).where(TASK.c.id.in_(gone)).values(status="withdrawn", completed_at=now))
    new = [t for tid, t in ready.items() if tid not in open_ids]
    known = set(session.execute(select(TASK.c.id).where(TASK.c.id.in_([t.id for t in new])))
                .scalars()) if new else set()
    for t in new:
        if t.id in known:
            row = task_row(case_id, t, place, now, today)
            session.execute(update(TASK).where(TASK.c.id == t.id).values(
                {**{k: v for k, v in row.items() if k not in ("id", "case_id")}, "claimed_by_id": None,
                 "claimed_at": None}))
    fresh = [task_row(case_id, t, place, now, today) for t in new if t.id not in known]
    if fresh:
        session.execute(insert(TASK), fresh)


def write_suspension(session: Session, case_id: int, revision: int, at: datetime | None, reason: str | None,
                     next_due_at: datetime | None, now: datetime) -> None:
    """Suspend (``at`` given) or resume a case under its revision. A suspended case has no ``next_due_at``,
    so the scheduler fires none of its timers; resuming gives it back the workflow's next timer."""
    result = session.execute(update(CASE).where(CASE.c.id == case_id, CASE.c.revision == revision).values(
        suspended_at=at, suspended_reason=reason, next_due_at=next_due_at, revision=revision + 1, updated_at=now))
    if result.rowcount != 1:
        raise Conflict("case changed concurrently")


def shift_due_dates(session: Session, case_id: int, workdays: int, calendar: WorkingCalendar) -> None:
    """Move the due dates of a case's open tasks and its overall limit on by ``workdays`` (the working days
    it was suspended)."""
    if workdays <= 0:
        return
    tasks = session.execute(select(TASK.c.id, TASK.c.due_on).where(
        TASK.c.case_id == case_id, TASK.c.status == "open", TASK.c.due_on.is_not(None))).all()
    write_task_due_dates(session, [{"b_id": t.id, "b_due_on": calendar.add_workdays(t.due_on, workdays),
                                    "b_provisional": calendar.is_provisional(calendar.add_workdays(t.due_on, workdays))}
                                   for t in tasks])
    case = session.execute(select(CASE.c.due_on, CASE.c.limit_workdays).where(CASE.c.id == case_id)).one()
    if case.due_on is not None:
        moved = calendar.add_workdays(case.due_on, workdays)
        session.execute(update(CASE).where(CASE.c.id == case_id).values(
            due_on=moved, due_provisional=calendar.is_provisional(moved),
            limit_workdays=case.limit_workdays + workdays if case.limit_workdays is not None else None))


def write_termination(session: Session, case_id: int, revision: int, state: str, label: str, now: datetime,
                      data: dict[str, Any]) -> None:
    """End a case without finishing its route (终止, a death that makes it moot): its open tasks withdrawn, its
    timers gone, its subject free to apply again, and a benefit it was reviewing (复核) under no review again
    (``release_review``, from the case's ``data``: due at its next regular cycle, not at once, so the next sweep
    does not restart the review just ended). Every termination comes through here."""
    session.execute(update(TASK).where(TASK.c.case_id == case_id, TASK.c.status == "open").values(
        status="withdrawn", completed_at=now))
    summary = session.execute(select(CASE.c.summary).where(CASE.c.id == case_id)).scalar_one() or {}
    result = session.execute(update(CASE).where(CASE.c.id == case_id, CASE.c.revision == revision).values(
        **state_columns(state), status="completed", outcome="terminated", completed_at=now, updated_at=now, next_due_at=None,
        timer_plan=None, current_step=None, open_key=None, suspended_at=None, revision=revision + 1,
        summary={**summary, "outcome_label": label}))
    if result.rowcount != 1:
        raise Conflict("case changed concurrently")
    release_review(session, case_id, data, to_local_date(now), now)


def insert_ignoring_duplicates(session: Session, table, rows: list[dict], key: list[str]) -> None:
    """INSERT the rows, skipping those whose ``key`` columns are taken (a reminder, a 督办 item, a
    notification that is raised once per task)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    if rows:
        session.execute(dialect.insert(table).values(rows).on_conflict_do_nothing(index_elements=key))


def notify_once(session: Session, rows: list[dict[str, Any]]) -> None:
    """Notifications raised once per task and kind: ``{role, unit_id, case_id, task_id, kind, message,
    created_at[, user_id]}`` each; one already raised for the task and kind is not raised again."""
    insert_ignoring_duplicates(session, Notification.__table__, [{"user_id": None, **r} for r in rows],
                               ["task_id", "kind"])


def write_notifications(session: Session, rows: list[dict[str, Any]]) -> None:
    """In-app messages of an operation: ``{role, unit_id, case_id, kind, message, created_at[, user_id]}``
    each (no task_id: the reminders' once-per-task key does not apply to operations, which may recur)."""
    if rows:
        session.execute(insert(Notification), [{"task_id": None, "user_id": None, **r} for r in rows])
