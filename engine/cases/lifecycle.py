"""Use cases that change a case: start it, complete a task, fire its due timers.

Each runs on the session of the caller's unit of work, with the acting principal
and the clock, and never commits: the caller commits once, so the workflow state,
the inbox rows and the audit event are written together or not at all, and use
cases compose (a panel meeting, a scheduler batch).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from engine.cases import numbering
from engine.people.accounts import Principal
from engine.clock import Clock, to_local_date
from engine.catalogue.declarations import OverallLimit, RouteDeclarations
from engine.cases.documents import issue_documents
from engine.catalogue.documents import kinds_for
from engine.households.register import apply_outcome
from engine.errors import Conflict, Forbidden, FormInvalid, NotFound, RouteFailed
from engine.store.models import STATE_SCHEMA_VERSION, Case, CaseEvent, HumanTask, Incident, Unit, User
from engine.people.places import Place, place_of_village, unit_names
from engine.catalogue.rules import assistance_type_of, case_parameters, process_for
from engine.people.scope import case_scope, task_scope
from engine.catalogue.versions import get_version, latest_version_id
from engine.workdays import CalendarYearMissing, Due, WorkingCalendar, add_workdays_due, due, parse_period
from engine.runtime.workflow import SERIALIZER_VERSION, ReadyTask, Workflow

CASE = Case.__table__
TASK = HumanTask.__table__
EVENT = CaseEvent.__table__
INCIDENT = Incident.__table__
# Hot-path statements, built once (building a statement costs more than running it on SQLite).
_INSERT_EVENT = insert(EVENT)
_COMPLETE_TASK = update(TASK).where(TASK.c.id == bindparam("b_id")).values(
    status="completed", completed_at=bindparam("b_at"), completed_by_id=bindparam("b_by"))
_UPDATE_CASE = update(CASE).where(CASE.c.id == bindparam("b_id"), CASE.c.revision == bindparam("b_revision"))
START_ROLES = ("village", "township")
EXTENSION_REASON_MAX = Case.__table__.c.extension_reason.type.length


@dataclass(frozen=True)
class StartedCase:
    """The result of starting a case."""

    id: int
    number: str


def start_case(session: Session, actor: Principal | None, clock: Clock, process_id: str, village_id: int,
               form_data: dict[str, Any], request_token: str | None = None) -> StartedCase:
    """Lodge an application for a household of ``village_id`` and run to the first task.

    A village user may lodge for their own village (on the household's behalf);
    a township user for any village of their township (the window). ``actor=None``
    is the scheduler starting a periodic review. ``request_token`` (the form's one-time token) is
    stored on the case, unique, so a repeated submission cannot lodge a second case.
    """
    place = place_of_village(session, village_id)
    if actor is not None and not (village_id in actor.units_for("village")
                                  or place.township_id in actor.units_for("township")):
        raise NotFound(f"village {village_id} outside the actor's units")
    return _start(session, actor.user_id if actor is not None else None, clock, process_id, place, form_data,
                  request_token=request_token)


def start_township_case(session: Session, clock: Clock, process_id: str, township_id: int,
                        form_data: dict[str, Any], number: str) -> StartedCase:
    """Start a township's own case (no household: e.g. the monthly cut-off), as the scheduler."""
    county_id, township_code = session.execute(select(Unit.parent_id, Unit.code).where(Unit.id == township_id)).one()
    county_code = session.execute(select(Unit.code).where(Unit.id == county_id)).scalar_one()
    place = Place(county_id, township_id, None, county_code, township_code)
    return _start(session, None, clock, process_id, place, form_data, number)


def _start(session: Session, actor_id: int | None, clock: Clock, process_id: str, place: Place,
           form_data: dict[str, Any], number: str | None = None, request_token: str | None = None) -> StartedCase:
    version = get_version(session, latest_version_id(session, process_id))
    start_form = version.tasks.get("@start", {}).get("form_key")
    now = clock.now()
    today = clock.today()
    data = version.validator(start_form).validate(form_data, today) if start_form else dict(form_data)
    params = case_parameters(session, place.county_id, place.township_id, process_id, today)
    try:
        workflow = Workflow.start(version.spec, {**data, **params}, now)
    except RouteFailed as exc:
        exc.process_id = process_id  # the caller records the incident once its transaction is undone
        raise
    number = number or numbering.next_case_number(session, place, today)
    applicant_name, applicant_id_number = version.declarations.applicant_of(data)
    case_id = session.execute(insert(CASE).values(
        number=number, process_version_id=version.id, process_id=process_id,
        assistance_type=assistance_type_of(process_id),
        applicant_name=applicant_name, applicant_id_number=applicant_id_number,
        county_id=place.county_id, township_id=place.township_id, village_id=place.village_id,
        serializer_version=SERIALIZER_VERSION, schema_version=STATE_SCHEMA_VERSION, revision=1,
        accepted_on=None, created_at=now, started_by_id=actor_id, request_token=request_token,
        **_state_values(workflow, now, version.declarations),
    ).returning(CASE.c.id)).scalar_one()
    _event(session, case_id, now, actor_id, "case_started", None, version.name, data)
    _sync_tasks(session, case_id, place, workflow, now, today, set())
    _completion_event(session, case_id, workflow, now, actor_id, version.declarations)
    return StartedCase(case_id, number)


def start_application(session: Session, actor: Principal, clock: Clock, assistance_type: str, village_id: int,
                      form_data: dict[str, Any], request_token: str | None = None) -> StartedCase:
    """Lodge an application of a type: the route is the one the township's model runs today."""
    place = place_of_village(session, village_id)
    process_id = process_for(assistance_type, place.county_code, place.township_code, clock.today())
    return start_case(session, actor, clock, process_id, village_id, form_data, request_token)


def case_for_request_token(session: Session, token: str) -> StartedCase | None:
    """The case an earlier submission of the same new-application form lodged, if any."""
    row = session.execute(select(CASE.c.id, CASE.c.number).where(CASE.c.request_token == token)).first()
    return StartedCase(row.id, row.number) if row else None


def complete_task(session: Session, actor: Principal, clock: Clock, task_id: str, form_data: Any,
                  coerce: Callable[[dict, Any], dict] | None = None) -> int:
    """Complete an open task the actor may do; returns the case id.

    The task must belong to one of the actor's (role, unit) pairs — checked in
    SQL. ``coerce(schema, raw)`` turns raw input (an HTML form) into JSON for
    the step's schema. Losing a race raises Conflict naming who completed the
    task and when, and changes nothing.
    """
    # One statement finds the task within the actor's scope and locks both rows
    # (PostgreSQL). A racing loser waits here and then reads the winner's
    # "completed". On SQLite the writing unit of work already holds the write lock.
    stmt = (select(TASK.c.case_id, TASK.c.status, TASK.c.form_key, TASK.c.task_name, TASK.c.title,
                   TASK.c.completed_at, TASK.c.completed_by_id, CASE.c.process_version_id, CASE.c.state,
                   CASE.c.revision, CASE.c.county_id, CASE.c.township_id, CASE.c.village_id, CASE.c.accepted_on,
                   CASE.c.number, CASE.c.applicant_name, CASE.c.applicant_id_number)
            .join(CASE, CASE.c.id == TASK.c.case_id)
            .where(TASK.c.id == task_id, task_scope(actor)))
    row = session.execute(_locked(session, stmt)).first()
    if row is None:
        raise NotFound(f"task {task_id} not found for user {actor.username}")
    if row.status != "open":
        raise _conflict(session, row)
    version = get_version(session, row.process_version_id)
    schema = version.forms.get(row.form_key) if row.form_key else None
    data = coerce(schema or {}, form_data) if coerce else form_data
    now, today = clock.now(), clock.today()
    if row.form_key:
        data = version.validator(row.form_key).validate(data, today)
    elif data:
        # A step without a form takes no data: anything submitted would overwrite case facts.
        refused = FormInvalid({str(k): "此步骤没有表单，不接受提交的数据" for k in data})
        refused.message_zh = f"此步骤没有表单，不接受提交的数据（{'、'.join(map(str, data))}）"
        raise refused
    else:
        data = {}
    workflow = Workflow.restore(version.spec, row.state)
    ready_before = workflow.ready_user_tasks()
    open_before = {t.id for t in ready_before}
    place = Place(row.county_id, row.township_id, row.village_id)
    properties = version.tasks.get(row.task_name, {}).get("properties", {})
    try:
        workflow.complete(task_id, data, now)
        if kinds_for(properties):
            _issue_documents(session, row, place, properties, workflow.data, now)
    except RouteFailed as exc:
        exc.case_id = row.case_id  # the caller records the incident once its transaction is undone
        raise
    session.execute(_COMPLETE_TASK, {"b_id": task_id, "b_at": now, "b_by": actor.user_id})
    _event(session, row.case_id, now, actor.user_id, "task_completed", row.task_name, row.title, data)
    _sync_tasks(session, row.case_id, place, workflow, now, today, open_before - {task_id})
    declared = version.declarations
    clock_start = declared.clock_starts.get(row.task_name) if row.accepted_on is None else None
    _after_run(session, row.case_id, row.revision, workflow, now, actor.user_id, declared,
               accepted_on=today if clock_start is not None and clock_start.met(data) else None)
    _exclude_publicity(session, row.case_id, ready_before, workflow, today)
    return row.case_id


# --- shared steps ---------------------------------------------------------------
def _exclude_publicity(session, case_id, ready_before: list[ReadyTask], workflow: Workflow, today: date) -> None:
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



def _locked(session: Session, stmt):
    # PostgreSQL: row locks; SQLite: the writing unit of work already holds the database write lock.
    return stmt.with_for_update() if session.get_bind().dialect.name == "postgresql" else stmt


def _issue_documents(session, row, place: Place, properties, data, now) -> None:
    names = unit_names(session, (place.county_id, place.township_id, place.village_id))
    case = {"id": row.case_id, "number": row.number, "applicant_name": row.applicant_name,
            "applicant_id_number": row.applicant_id_number,
            "township": names[place.township_id], "village": names.get(place.village_id, "")}
    issue_documents(session, case, place, names[place.county_id], properties, data, now, row.task_name)


def record_route_incident(session: Session, exc: RouteFailed, now: datetime) -> None:
    """Record, for administrators, a step that failed because of its route (the element and why).

    Called by whoever owns the transaction, after the failed work was rolled back (leaving the unit of
    work does it, which also releases the case's locks and SQLite's write lock at once), in a unit of
    work of its own; it never commits.
    """
    where = f"流程 {exc.process_id} " if exc.process_id else ""
    session.execute(insert(INCIDENT).values(
        case_id=exc.case_id, kind=f"route_{exc.kind}", created_at=now, resolved_at=None,
        message=f"{where}环节 {exc.element_id or '?'}：{exc.reason_zh}（{exc.reason}）"[:2000]))


def _conflict(session: Session, row) -> Conflict:
    name = None
    if row.completed_by_id is not None:
        name = session.execute(select(User.display_name).where(User.id == row.completed_by_id)).scalar()
    return Conflict("task already completed", name or "系统", row.completed_at)


def _event(session, case_id, now, actor_id, kind, task_name, title, data) -> None:
    session.execute(_INSERT_EVENT, {"case_id": case_id, "at": now, "actor_id": actor_id, "kind": kind,
                                    "task_name": task_name, "title": title, "data": data})


def _sync_tasks(session, case_id, place: Place, workflow: Workflow, now: datetime, today: date,
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
        session.execute(insert(TASK), [_task_row(case_id, t, place, now, today) for t in new])


def _task_row(case_id, task: ReadyTask, place: Place, now, today) -> dict:
    due_on, provisional = _due_on(today, task.properties.get("deadline"))
    return {
        "id": task.id, "case_id": case_id, "task_name": task.name, "title": task.title,
        "role": task.lane or "township", "unit_id": place.unit_for_role(task.lane),
        "form_key": task.form_key, "status": "open", "created_at": now,
        "due_on": due_on, "due_provisional": provisional, "reminded_at": None,
        "completed_at": None, "completed_by_id": None,
    }


def _due_on(today: date, deadline: str | None) -> tuple[date | None, bool]:
    """(due date, provisional): a year without a loaded notice gives an estimated date, shown as 暂定
    and recomputed when the notice is loaded (``due_dates.recompute``)."""
    if not deadline:
        return None, False
    try:
        return due(WorkingCalendar.load(), today, deadline)
    except CalendarYearMissing:  # a year beyond the statutory estimate too: no date, still flagged
        return None, True


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


def extend_deadline(session: Session, actor: Principal, clock: Clock, case_id: int, extra_workdays: int,
                    reason: str) -> date:
    """Extend a case's overall limit by a recorded decision with a reason (up to the county's maximum)."""
    if not (actor.has_role("township") or actor.has_role("county")):
        raise Forbidden("only township or county staff extend a time limit")
    case = session.execute(_locked(session, select(CASE).where(CASE.c.id == case_id, case_scope(actor)))).first()
    if case is None:
        raise NotFound(f"case {case_id}")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise FormInvalid({"reason": "延期必须说明理由（至少 4 个字）"})
    if len(reason) > EXTENSION_REASON_MAX:  # the column's size
        raise FormInvalid({"reason": f"延期理由不能超过 {EXTENSION_REASON_MAX} 个字"})
    if case.accepted_on is None or case.status != "running":
        raise FormInvalid({"_form": "只有已受理、办理中的案件可以延期"})
    version = get_version(session, case.process_version_id)
    data = Workflow.restore(version.spec, case.state).data
    maximum = int(data.get("extension_limit_wd") or 45)
    calendar = WorkingCalendar.load()
    current = case.due_on or overall_due_on(case.accepted_on, data, version.declarations.overall_limit)
    if current is None:
        raise FormInvalid({"_form": "该案件没有办结时限，无需延期"})
    # Checked before any arithmetic: a negative or enormous count is refused, never computed.
    if not isinstance(extra_workdays, int) or not 1 <= extra_workdays <= maximum:
        raise FormInvalid({"extra_workdays": f"延长的工作日数应为 1 至 {maximum} 之间的整数"})
    limit = limit_workdays_of(calendar, case.limit_workdays, case.accepted_on, current) + extra_workdays
    if limit > maximum:
        raise FormInvalid({"extra_workdays": f"延期后总时限不能超过 {maximum} 个工作日"})
    new_due = add_workdays_due(calendar, case.accepted_on, limit)
    now = clock.now()
    session.execute(update(CASE).where(CASE.c.id == case_id).values(
        due_on=new_due.on, due_provisional=new_due.provisional, limit_workdays=limit, extension_reason=reason,
        revision=case.revision + 1, updated_at=now))
    _event(session, case_id, now, actor.user_id, "deadline_extended", None, "延长办理时限",
           {"from": current.isoformat(), "to": new_due.on.isoformat(), "reason": reason})
    return new_due.on


def _state_values(workflow: Workflow, now: datetime, declared: RouteDeclarations) -> dict[str, Any]:
    """The case columns that follow from the workflow's state (the summary as the route declares it)."""
    ready = workflow.ready_user_tasks()
    values: dict[str, Any] = {
        "state": workflow.dump(), "updated_at": now, "next_due_at": workflow.next_timer_due(),
        "current_step": "、".join(dict.fromkeys(t.title for t in ready))[:200] or None,
        "summary": declared.summary_of(workflow.data), "status": "running", "outcome": None, "completed_at": None,
    }
    if workflow.is_completed:
        end_id, end_name = workflow.end_event() or (None, "")
        values.update(status="completed", completed_at=now, outcome=end_id, next_due_at=None,
                      summary={**values["summary"], "outcome_label": end_name})
    from engine.cases.timers import plan_next_timer
    values["timer_plan"] = plan_next_timer(workflow, values["next_due_at"], declared) if values["next_due_at"] else None
    return values


def _after_run(session, case_id, revision, workflow: Workflow, now, actor_id, declared: RouteDeclarations,
               accepted_on: date | None = None) -> None:
    """Write the new state under the revision check; a lost race changes nothing."""
    values = {**_state_values(workflow, now, declared), "revision": revision + 1}
    if accepted_on is not None:
        values["accepted_on"] = accepted_on
        overall = overall_due(accepted_on, workflow.data, declared.overall_limit)
        values["due_on"] = overall[0].on if overall else None
        values["due_provisional"] = bool(overall and overall[0].provisional)
        values["limit_workdays"] = overall[1] if overall else None
    result = session.execute(_UPDATE_CASE, {"b_id": case_id, "b_revision": revision, **values})
    if result.rowcount != 1:
        raise Conflict("case changed concurrently")
    _completion_event(session, case_id, workflow, now, actor_id, declared)


def _completion_event(session, case_id, workflow: Workflow, now, actor_id, declared: RouteDeclarations) -> None:
    """A finished case: its declared effect on the register, and the audit event with its summary."""
    if workflow.is_completed:
        end_id, end_name = workflow.end_event() or (None, "")
        outcome = declared.outcomes.get(end_id)
        if outcome is not None:
            apply_outcome(session, case_id, outcome, workflow.data, to_local_date(now), now)
        _event(session, case_id, now, actor_id, "case_completed", end_id, end_name, declared.summary_of(workflow.data))
