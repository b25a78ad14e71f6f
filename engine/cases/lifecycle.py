"""Use cases that change a case: start it, complete a task, fire its due timers.

Each runs on the session of the caller's unit of work, with the acting principal
and the clock, and never commits: the caller commits once, so the workflow state,
the inbox rows and the audit event are written together or not at all, and use
cases compose (a panel meeting, a scheduler batch).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Callable

from sqlalchemy import bindparam, exists, insert, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.case_status import refuse_if_finished
from engine.cases import numbering
from engine.households.attachments import missing_materials
from engine.households.overlaps import DECISIONS, FLAG, CaseFacts, flag_household_cases, raise_flags
from engine.workdays import add_months
from engine.households.registry import (DECLARATION_SOURCE, DECLARATION_VALID_MONTHS, check_duplicates,
                                        declared_incomes, link_household, members_of, record_economic_status,
                                        lodging_fields, managed_personal_benefit, refuse_withheld,
                                        subject_key)
from engine.people.accounts import Principal
from engine.clock import Clock, to_local_date
from engine.cases.documents import issue_documents
from engine.cases.amount_limits import check_amount_caps
from engine.cases.cosigning import check_cosigned, signoff_counts
from engine.cases.holds import awaiting_visit_column, check_not_awaiting_visit
from engine.cases.operations import check_workable
from engine.cases.privacy import restrict_to_street_and_county
from engine.cases.voiding import void_superseded
from engine.catalogue.documents import kinds_for
from engine.catalogue.forms import household_signature_problems
from engine.errors import Conflict, Forbidden, FormInvalid, Message, NotFound, RouteFailed
from engine.store.models import Case, Unit, case_state
from engine.people.places import Place, place_of_village, unit_names
from engine.catalogue.rules import appeal_of, assistance_type_of, benefit_of, case_parameters, process_for
from engine.people.scope import case_scope, task_scope
from engine.catalogue.versions import get_version, latest_version_id
from engine.workdays import WorkingCalendar, add_workdays_due
from engine.runtime.workflow import Workflow, user_tasks_after
from engine.cases.writer import (CASE, COMPLETE_TASK, INCIDENT, TASK, exclude_publicity, limit_workdays_of, locked,
                                 new_case_row, overall_due_on, record_completion, sync_tasks, write_event,
                                 write_extension, write_notifications, write_state)

START_ROLES = ("village", "township")
FLAG_NOTE_MAX = FLAG.c.decision_note.type.length
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
    return _start(session, actor, clock, process_id, place, form_data, request_token=request_token)


def start_township_case(session: Session, clock: Clock, process_id: str, township_id: int,
                        form_data: dict[str, Any], number: str) -> StartedCase:
    """Start a township's own case (no household: e.g. the monthly cut-off), as the scheduler."""
    county_id, township_code = session.execute(select(Unit.parent_id, Unit.code).where(Unit.id == township_id)).one()
    county_code = session.execute(select(Unit.code).where(Unit.id == county_id)).scalar_one()
    place = Place(county_id, township_id, None, county_code, township_code)
    return _start(session, None, clock, process_id, place, form_data, number)


def _start(session: Session, actor: Principal | None, clock: Clock, process_id: str, place: Place,
           form_data: dict[str, Any], number: str | None = None, request_token: str | None = None) -> StartedCase:
    actor_id = actor.user_id if actor is not None else None
    version = get_version(session, latest_version_id(session, process_id))
    start_form = version.tasks.get("@start", {}).get("form_key")
    now = clock.now()
    today = clock.today()
    data = version.validator(start_form).validate(form_data, today) if start_form else dict(form_data)
    params = case_parameters(session, place.county_id, place.township_id, process_id, today)
    declared = version.declarations
    data = {**data, **declared.payment_defaults(data)}
    try:
        workflow = Workflow.start(version.spec, {**data, **params}, now)
    except RouteFailed as exc:
        exc.process_id = process_id  # the caller records the incident once its transaction is undone
        raise
    assistance_type = assistance_type_of(process_id)
    members = members_of(data, declared.applicant) if place.village_id is not None else []
    check_duplicates(session, assistance_type, members)  # first: a privacy case's refusal names no case either
    # Nobody recorded as dead is applied for, nor a personal benefit of theirs reviewed or changed; a review of a
    # household whose applicant died still starts (lodging_fields: the one rule).
    refuse_withheld(session, actor, [m.id_number for m in members],
                    lodging_fields(assistance_type, members, data, declared.applicant),
                    managing=managed_personal_benefit(assistance_type, data))
    number = number or numbering.next_case_number(session, place, today)
    applicant_name, applicant_id_number = declared.applicant_of(data)
    case_id = session.execute(insert(CASE).values(new_case_row(
        version, process_id, assistance_type, place, number, (applicant_name, applicant_id_number), workflow, now,
        actor_id, request_token)).returning(CASE.c.id)).scalar_one()
    write_event(session, case_id, now, actor_id, "case_started", None, version.name, data)
    if members:
        _link_household(session, case_id, place, members, declared, data, actor_id, today, now,
                        listed="members" in declared.applicant, assistance_type=assistance_type)
    sync_tasks(session, case_id, number, place, workflow, now, today, set())
    record_completion(session, case_id, workflow, now, actor_id, version.declarations)
    return StartedCase(case_id, number)


def _link_household(session, case_id, place, members, declared, data, actor_id, today, now, *, listed: bool,
                    assistance_type: str | None) -> None:
    """Link the new case to its household (found by any member's ID number, or created) and record what
    the application declares about the household's economic situation."""
    link = link_household(session, place, members, declared.contact_of(data), case_id, actor_id, today, now,
                          complete=listed)
    try:
        with session.begin_nested():  # the database decides a race between two windows
            session.execute(update(CASE).where(CASE.c.id == case_id).values(
                household_id=link.household_id, open_key=subject_key(assistance_type, link.household_id,
                                                                     link.applicant_id)))
    except IntegrityError:
        check_duplicates(session, assistance_type, members)  # names the case that won
        raise
    raise_flags(session, case_id, today, now)
    flag_household_cases(session, link.household_id, case_id, today, now)  # this application is theirs to see
    incomes, assets = declared_incomes(members), declared.assets_of(data)
    if listed or incomes or assets:
        record_economic_status(session, link.household_id, kind="declaration", source=DECLARATION_SOURCE,
                               checked_on=today, valid_until=add_months(today, DECLARATION_VALID_MONTHS),
                               incomes=incomes, assets=assets, case_id=case_id, actor_id=actor_id, now=now)


def start_application(session: Session, actor: Principal, clock: Clock, assistance_type: str, village_id: int,
                      form_data: dict[str, Any], request_token: str | None = None) -> StartedCase:
    """Lodge an application of a type: the route is the one the township's model runs today."""
    place = place_of_village(session, village_id)
    process_id = process_for(assistance_type, place.county_code, place.township_code, clock.today(), session)
    return start_case(session, actor, clock, process_id, village_id, form_data, request_token)


def case_for_request_token(session: Session, token: str) -> StartedCase | None:
    """The case an earlier submission of the same new-application form lodged, if any."""
    row = session.execute(select(CASE.c.id, CASE.c.number).where(CASE.c.request_token == token)).first()
    return StartedCase(row.id, row.number) if row else None


def _county_decides_after(version, task_name: str) -> bool:
    """Whether a county-lane step that issues documents (the decision: 确认/认定/审批 notices) may follow the
    step ``task_name`` of the route — read from the BPMN once per version (versions never change), not from a
    list of routes."""
    key = ("county_decides_after", task_name)
    if key not in version.derived:
        version.derived[key] = any(
            version.tasks[name].get("lane") == "county" and bool(kinds_for(version.tasks[name].get("properties", {})))
            for name in user_tasks_after(version.spec, task_name) if name in version.tasks)
    return version.derived[key]


def objection_recipients(version, task_name: str, place: Place) -> list[tuple[str, int]]:
    """Who is told of a 公示异议 lodged at ``task_name``: the township, which handles it, and the county where the
    county decides on the route (the village that recorded it sees it on the case)."""
    recipients = [("township", place.township_id)]
    if place.county_id is not None and _county_decides_after(version, task_name):
        recipients.append(("county", place.county_id))
    return recipients


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
    row = check_workable(session, actor, task_id, session.execute(
        _completion_row_statement(actor, session.get_bind().dialect.name == "postgresql"),
        {"task_id": task_id}).first(), clock=clock)
    check_not_awaiting_visit(row)
    version = get_version(session, row.process_version_id)
    now, today = clock.now(), clock.today()
    data = step_data(version, row.form_key, form_data, coerce, today)
    properties = version.tasks.get(row.task_name, {}).get("properties", {})
    check_cosigned(session, task_id, row, properties)
    workflow = Workflow.restore(version.spec, row.state)
    if row.form_key and (refused := household_signature_problems(version.forms.get(row.form_key) or {}, data,
                                                                 workflow.data.get("members"))):
        raise refused
    check_amount_caps(session, properties, data, version.process_id, row.county_id, row.township_id, today)
    ready_before = workflow.ready_user_tasks()
    open_before = {t.id for t in ready_before}
    place = Place(row.county_id, row.township_id, row.village_id)
    try:
        workflow.complete(task_id, data, now)
        if kinds_for(properties):
            _issue_documents(session, row, place, properties, workflow.data, now, task_id)
    except RouteFailed as exc:
        exc.case_id = row.case_id  # the caller records the incident once its transaction is undone
        raise
    session.execute(COMPLETE_TASK, {"b_id": task_id, "b_at": now, "b_by": actor.user_id})
    write_event(session, row.case_id, now, actor.user_id, "task_completed", row.task_name, row.title, data)
    sync_tasks(session, row.case_id, row.number, place, workflow, now, today, open_before - {task_id})
    declared = version.declarations
    clock_start = declared.clock_starts.get(row.task_name) if row.accepted_on is None else None
    write_state(session, row.case_id, row.revision, workflow, now, actor.user_id, declared,
               accepted_on=today if clock_start is not None and clock_start.met(data) else None)
    exclude_publicity(session, row.case_id, ready_before, workflow, today)
    if properties.get("publicity"):  # a 公示 step is completed only when an objection is lodged (else its timer)
        # the objection sends the case back over steps already done: what they issued is superseded
        publicity_steps = {name for name, facts in version.tasks.items() if facts.get("properties", {}).get("publicity")}
        void_superseded(session, row.case_id, workflow, publicity_steps, now, actor.user_id,
                        f"「{row.title}」期间有异议，重新调查后重新办理", task_id, row.task_name)
        # one row per recipient (the once-per-task key would keep only the first; a task completes once)
        write_notifications(session, [{"role": role, "unit_id": unit, "case_id": row.case_id,
                                       "kind": "objection_lodged", "created_at": now,
                                       "params": {"number": row.number, "step": row.title},
                                       "message": f"公示异议：案件 {row.number} 在「{row.title}」期间有人提出异议，请及时处理"[:500]}
                                      for role, unit in objection_recipients(version, row.task_name, place)])
    # a benefit granted meanwhile is flagged before the decision (no statement for a type no rule names)
    raise_flags(session, row.case_id, today, now, CaseFacts(row.assistance_type, row.household_id, row.county_code))
    privacy = declared.privacy.get(row.task_name)
    if privacy is not None and privacy.met(data):
        restrict_to_street_and_county(session, row.case_id, row.household_id, now, actor.user_id, row.task_name)
    check = declared.checks.get(row.task_name)
    if check is not None and row.household_id is not None:
        record_economic_status(session, row.household_id, kind="verification", source=check.source,
                               checked_on=today, valid_until=add_months(today, check.valid_months),
                               case_id=row.case_id, task_name=row.task_name, actor_id=actor.user_id, now=now,
                               **check.values(data))
    return row.case_id


@lru_cache(maxsize=1024)
def _completion_row_statement(actor: Principal, lock_rows: bool):
    """The task with its case's facts, within the actor's scope, locking both rows on PostgreSQL (``lock_rows``);
    built once per actor, the task id bound at execution."""
    stmt = (select(TASK.c.case_id, TASK.c.status, TASK.c.form_key, TASK.c.task_name, TASK.c.title,
                   TASK.c.completed_at, TASK.c.completed_by_id, TASK.c.claimed_by_id, CASE.c.suspended_at,
                   CASE.c.status.label("case_status"), CASE.c.outcome.label("case_outcome"),
                   TASK.c.role, TASK.c.unit_id, TASK.c.delegated_to_id, *signoff_counts(TASK.c.id),
                   CASE.c.process_version_id, Case.state,
                   CASE.c.revision, CASE.c.county_id, CASE.c.township_id, CASE.c.village_id, CASE.c.accepted_on,
                   CASE.c.number, CASE.c.applicant_name, CASE.c.applicant_id_number, CASE.c.household_id,
                   CASE.c.assistance_type,
                   select(Unit.code).where(Unit.id == CASE.c.county_id).scalar_subquery().label("county_code"),
                   awaiting_visit_column())
            .join(CASE, CASE.c.id == TASK.c.case_id)
            .where(TASK.c.id == bindparam("task_id"), task_scope(actor)))
    return stmt.with_for_update() if lock_rows else stmt


def step_data(version, form_key: str | None, form_data: Any, coerce: Callable[[dict, Any], dict] | None,
              today) -> dict:
    """The data submitted for a step, coerced (``coerce(schema, raw)``) and validated against its form; a step
    without a form takes none (FormInvalid)."""
    schema = version.forms.get(form_key) if form_key else None
    data = coerce(schema or {}, form_data) if coerce else form_data
    if form_key:
        return version.validator(form_key).validate(data, today)
    if data:
        # A step without a form takes no data: anything submitted would overwrite case facts.
        no_form = Message("此步骤没有表单，不接受提交的数据", "This step has no form: it takes no submitted data")
        raise FormInvalid.of({str(k): no_form for k in data},
                             Message(f"{no_form.zh}（{'、'.join(map(str, data))}）",
                                     f"{no_form.en} ({', '.join(map(str, data))})"))
    return {}


# --- shared steps ---------------------------------------------------------------
def _issue_documents(session, row, place: Place, properties, data, now, task_id: str) -> None:
    names = unit_names(session, (place.county_id, place.township_id, place.village_id))
    case = {"id": row.case_id, "number": row.number, "applicant_name": row.applicant_name,
            "applicant_id_number": row.applicant_id_number,
            "township": names[place.township_id], "village": names.get(place.village_id, "")}

    def missing() -> dict:  # the checklist's materials without a scan yet, for the 一次性告知
        return {"missing_materials": [m.name_zh for m in missing_materials(session, row.case_id)]}
    issue_documents(session, case, place, names[place.county_id], properties, data, now, row.task_name, missing,
                    appeal_of(row.county_code, session, to_local_date(now)), task_id)


def decide_flag(session: Session, actor: Principal, clock: Clock, flag_id: int, decision: str, note: str,
                case_id: int | None = None) -> int:
    """The deciding official's decision on a flag, with a reason; the actor must hold an open task of the
    case (in scope, in SQL). Recorded on the flag and in the case's audit trail; returns the case id."""
    if decision not in DECISIONS:
        raise FormInvalid.of({"decision": Message("请选择处理决定", "Choose a decision")})
    note = (note or "").strip()
    if not 2 <= len(note) <= FLAG_NOTE_MAX:
        raise FormInvalid.of({"decision_note": Message(f"请填写理由（2 至 {FLAG_NOTE_MAX} 字）",
                                                         f"Give a reason (2 to {FLAG_NOTE_MAX} characters)")})
    same_case = FLAG.c.case_id == case_id if case_id is not None else true()
    row = session.execute(select(FLAG.c.case_id, FLAG.c.decision, FLAG.c.decision_note, FLAG.c.message)
                          .where(FLAG.c.id == flag_id, same_case, exists().where(
                              TASK.c.case_id == FLAG.c.case_id, TASK.c.status == "open", task_scope(actor)))).first()
    if row is None:
        raise NotFound(f"flag {flag_id} not decidable by {actor.username}")
    now = clock.now()
    session.execute(update(FLAG).where(FLAG.c.id == flag_id).values(
        decision=decision, decision_note=note, decided_by_id=actor.user_id, decided_at=now))
    write_event(session, row.case_id, now, actor.user_id, "flag_decided", None, row.message[:200], {
        "flag_id": flag_id, "before": {"decision": row.decision, "note": row.decision_note},
        "after": {"decision": decision, "note": note}})
    return row.case_id



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


def extend_deadline(session: Session, actor: Principal, clock: Clock, case_id: int, extra_workdays: int,
                    reason: str) -> date:
    """Extend a case's overall limit by a recorded decision with a reason (up to the county's maximum)."""
    if not (actor.has_role("township") or actor.has_role("county")):
        raise Forbidden("only township or county staff extend a time limit")
    case = session.execute(locked(session, select(CASE).where(CASE.c.id == case_id, case_scope(actor)))).first()
    if case is None:
        raise NotFound(f"case {case_id}")
    refuse_if_finished(case.status, case.outcome, "extend")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise FormInvalid.of({"reason": Message("延期必须说明理由（至少 4 个字）",
                                                "An extension needs a reason (at least 4 characters)")})
    if len(reason) > EXTENSION_REASON_MAX:  # the column's size
        raise FormInvalid.of({"reason": Message(f"延期理由不能超过 {EXTENSION_REASON_MAX} 个字",
                                                  f"The reason may have at most {EXTENSION_REASON_MAX} characters")})
    if case.accepted_on is None:
        raise FormInvalid.of({"_form": Message("只有已受理、办理中的案件可以延期",
                                                 "Only an accepted case that is being handled can be extended")})
    version = get_version(session, case.process_version_id)
    data = Workflow.restore(version.spec, case_state(case)).data
    maximum = int(data.get("extension_limit_wd") or 45)
    calendar = WorkingCalendar.load()
    current = case.due_on or overall_due_on(case.accepted_on, data, version.declarations.overall_limit)
    if current is None:
        raise FormInvalid.of({"_form": Message("该案件没有办结时限，无需延期",
                                               "This case has no time limit: there is nothing to extend")})
    # Checked before any arithmetic: a negative or enormous count is refused, never computed.
    if not isinstance(extra_workdays, int) or not 1 <= extra_workdays <= maximum:
        raise FormInvalid.of({"extra_workdays": Message(f"延长的工作日数应为 1 至 {maximum} 之间的整数",
                                                          "The extra working days must be a whole number from 1 to "
                                                          f"{maximum}")})
    limit = limit_workdays_of(calendar, case.limit_workdays, case.accepted_on, current) + extra_workdays
    if limit > maximum:
        raise FormInvalid.of({"extra_workdays": Message(f"延期后总时限不能超过 {maximum} 个工作日",
                                                          f"With the extension the time limit would be over {maximum} "
                                                          "working days")})
    new_due = add_workdays_due(calendar, case.accepted_on, limit)
    now = clock.now()
    write_extension(session, case_id, case.revision, new_due, limit, reason, now)
    write_event(session, case_id, now, actor.user_id, "deadline_extended", None, "延长办理时限",
           {"from": current.isoformat(), "to": new_due.on.isoformat(), "reason": reason})
    return new_due.on

