"""Read-side queries for the inbox, task page, case page and supervisor list.

Every query carries a scope clause from ``scope``; results are plain rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session, aliased

from engine.case_status import is_finished
from engine.clock import start_of_local_day
from engine.people.accounts import Principal
from engine.errors import NotFound
from engine.store.models import Case, CaseEvent, Document, HumanTask, ProcessVersion, Unit, User, case_state
from engine.people.places import unit_names
from engine.people.scope import case_scope, supervised_counties, task_scope
from engine.catalogue.versions import get_version
from engine.runtime.workflow import Workflow
from engine.oversight.inbox import COUNT_CAP, PAGE_SIZE
from engine.oversight.timeline import case_timeline

CASE, TASK, EVENT = Case.__table__, HumanTask.__table__, CaseEvent.__table__


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_TASK_FOR_HOLDER = aliased(User)


def task_for(session: Session, principal: Principal, task_id: str):
    """A task the principal may work on (any status), or NotFound."""
    row = session.execute(_task_for_statement(principal), {"task_id": task_id}).first()
    if row is None:
        raise NotFound(f"task {task_id}")
    return row


# The page's statements are built once (per principal where their place is in them), the ids bound at execution:
# building a statement costs more than running it. Every other value is in the key; statements are immutable.
@lru_cache(maxsize=1024)
def _task_for_statement(principal: Principal):
    holder = _TASK_FOR_HOLDER
    return (select(TASK, User.display_name.label("completed_by_name"), holder.display_name.label("claimed_by_name"))
            .outerjoin(User, User.id == TASK.c.completed_by_id).outerjoin(holder, holder.id == TASK.c.claimed_by_id)
            .where(TASK.c.id == bindparam("task_id"), task_scope(principal)))


def task_schema(session: Session, principal: Principal, task_id: str) -> dict:
    """The form schema of a task the principal may work on (empty when it has no form)."""
    row = session.execute(select(TASK.c.form_key, CASE.c.process_version_id).join(CASE, CASE.c.id == TASK.c.case_id)
                          .where(TASK.c.id == task_id, task_scope(principal))).first()
    if row is None:
        raise NotFound(f"task {task_id}")
    return get_version(session, row.process_version_id).forms.get(row.form_key, {}) if row.form_key else {}


@dataclass
class CaseView:
    """Everything the case page shows."""

    case: Any
    village: str
    township: str
    county: str
    events: list
    open_tasks: list
    element_states: dict[str, str]
    bpmn_xml: str
    data: dict[str, Any]
    version_name: str
    documents: list
    timeline: list  # the events with each step's values and what changed (oversight.timeline.Entry)
    workflow: Any = None  # the state restored (read it, do not change it: the page's other parts read it too)

    @property
    def finished(self) -> bool:
        """The case is finished (办结): the page offers no form that acts on it (engine.case_status)."""
        return is_finished(self.case.status)


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_CASE_VIEW_HOLDER = aliased(User)
_CASE_VIEW_ACTOR = aliased(User)


def case_view(session: Session, principal: Principal, case_id: int) -> CaseView:
    """The case with its history, open tasks and diagram state, if in the principal's place."""
    case = session.execute(_case_in_scope(principal), {"case_id": case_id}).first()
    if case is None:
        raise NotFound(f"case {case_id}")
    names = unit_names(session, (case.village_id, case.township_id, case.county_id))
    events, open_tasks, documents = (session.execute(statement, {"case_id": case_id}).all()
                                     for statement in _case_view_statements())
    version = get_version(session, case.process_version_id)
    workflow = Workflow.restore(version.spec, case_state(case))
    return CaseView(case, names.get(case.village_id, ""), names.get(case.township_id, ""),
                    names.get(case.county_id, ""), events, open_tasks, workflow.element_states(),
                    version.bpmn_xml, workflow.data, version.name, documents,
                    case_timeline(events, version.tasks, version.forms), workflow)


@lru_cache(maxsize=1024)
def _case_in_scope(principal: Principal):
    return select(CASE).where(CASE.c.id == bindparam("case_id"), case_scope(principal))


@cache
def _case_view_statements():
    """The case's events (with their actors' names), open tasks (with unit and holder) and documents."""
    actor, holder, case_id = _CASE_VIEW_ACTOR, _CASE_VIEW_HOLDER, bindparam("case_id")
    return (
        select(EVENT, actor.display_name.label("actor_name")).outerjoin(actor, actor.id == EVENT.c.actor_id)
        .where(EVENT.c.case_id == case_id).order_by(EVENT.c.id),
        select(TASK, Unit.name.label("unit_name"), holder.display_name.label("claimed_by_name"))
        .join(Unit, Unit.id == TASK.c.unit_id).outerjoin(holder, holder.id == TASK.c.claimed_by_id)
        .where(TASK.c.case_id == case_id, TASK.c.status == "open").order_by(TASK.c.created_at),
        select(Document.id, Document.kind, Document.number, Document.title, Document.issued_at, Document.voided_at,
               Document.voided_reason).where(Document.case_id == case_id).order_by(Document.id),
    )


def document_for(session: Session, principal: Principal, case_id: int, document_id: int):
    """A document of a case in the principal's place, or NotFound."""
    row = session.execute(
        select(Document).join(Case, Case.id == Document.case_id)
        .where(Document.id == document_id, Document.case_id == case_id, case_scope(principal))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"document {document_id}")
    return row


@dataclass
class SupervisorFilters:
    """Filters of the county supervisor's case list (``lodged_from``/``lodged_to``: dates of lodging, inclusive)."""

    township_id: int | None = None
    status: str | None = None
    step: str | None = None
    overdue: bool = False
    by_urgency: bool = True
    lodged_from: date | None = None
    lodged_to: date | None = None

    def to_query(self) -> dict[str, str]:
        """The list's query parameters for these filters (what a saved filter stores and a link carries)."""
        query = {"township": str(self.township_id or ""), "status": self.status or "", "step": self.step or "",
                 "overdue": "1" if self.overdue else "", "from": self.lodged_from.isoformat() if self.lodged_from else "",
                 "to": self.lodged_to.isoformat() if self.lodged_to else ""}
        return {k: v for k, v in query.items() if v}


def _listed(principal: Principal, today: date, filters: SupervisorFilters):
    """(the county clauses, the clauses of the filtered list, the overdue test) for the supervised counties."""
    counties = supervised_counties(principal)
    if not counties:
        raise NotFound("not a county supervisor")
    overdue_clause = exists().where(TASK.c.case_id == CASE.c.id, TASK.c.status == "open", TASK.c.due_on < today)
    base = [CASE.c.county_id.in_(counties)]
    if filters.township_id:
        base.append(CASE.c.township_id == filters.township_id)
    listed = list(base)
    if filters.status:
        listed.append(CASE.c.status == filters.status)
    if filters.step:
        listed.append(CASE.c.current_step.contains(filters.step, autoescape=True))
    if filters.overdue:  # only a running case has open tasks (an ending withdraws them): its index narrows
        listed += [CASE.c.status == "running", overdue_clause]
    if filters.lodged_from:
        listed.append(CASE.c.created_at >= start_of_local_day(filters.lodged_from))
    if filters.lodged_to:
        listed.append(CASE.c.created_at < start_of_local_day(filters.lodged_to + timedelta(days=1)))
    return base, listed, overdue_clause


def count_supervisor_cases(session: Session, principal: Principal, today: date, filters: SupervisorFilters) -> int:
    """How many cases the list shows with these filters (capped at COUNT_CAP + 1, like the inbox)."""
    _base, listed, _overdue = _listed(principal, today, filters)
    capped = select(CASE.c.id).where(*listed).limit(COUNT_CAP + 1)
    return session.execute(select(func.count()).select_from(capped.subquery())).scalar_one()


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_SELECT_SUPERVISOR_CASES_TOWNSHIP = aliased(Unit)
_SELECT_SUPERVISOR_CASES_VILLAGE = aliased(Unit)


def select_supervisor_cases(principal: Principal, today: date, filters: SupervisorFilters):
    """The list's query, every row (the page adds limit and offset; an export streams it)."""
    _base, listed, overdue_clause = _listed(principal, today, filters)
    township, village = _SELECT_SUPERVISOR_CASES_TOWNSHIP, _SELECT_SUPERVISOR_CASES_VILLAGE
    return (
        select(CASE.c.id, CASE.c.number, CASE.c.applicant_name, CASE.c.applicant_id_number, CASE.c.status,
               CASE.c.current_step, CASE.c.outcome, CASE.c.summary, CASE.c.created_at, CASE.c.updated_at,
               CASE.c.due_on, CASE.c.due_provisional,
               township.name.label("township"), village.name.label("village"),
               overdue_clause.label("is_overdue"))
        .join(township, township.id == CASE.c.township_id).outerjoin(village, village.id == CASE.c.village_id)
        .where(*listed)
        .order_by(*((CASE.c.status.desc(), CASE.c.due_on.asc().nulls_last(), CASE.c.created_at, CASE.c.id)
                    if filters.by_urgency else (CASE.c.created_at.desc(), CASE.c.id.desc()))))


def supervisor_cases(session: Session, principal: Principal, today: date, filters: SupervisorFilters,
                     page: int = 1, page_size: int = PAGE_SIZE):
    """Cases of the supervised counties with filters, plus counts by status and overdue."""
    counties = supervised_counties(principal)
    base, listed, overdue_clause = _listed(principal, today, filters)
    rows = session.execute(select_supervisor_cases(principal, today, filters)
                           .limit(page_size).offset((max(page, 1) - 1) * page_size)).all()
    total = session.execute(select(func.count()).select_from(CASE).where(*listed)).scalar_one()
    by_status = dict(session.execute(
        select(CASE.c.status, func.count()).where(*base).group_by(CASE.c.status)).all())
    overdue = session.execute(select(func.count()).select_from(CASE).where(
        *base, CASE.c.status == "running", overdue_clause)).scalar_one()  # see _listed
    townships = session.execute(
        select(Unit.id, Unit.name).where(Unit.parent_id.in_(counties), Unit.level == "township").order_by(Unit.code)
    ).all()
    return {"rows": rows, "total": total, "by_status": by_status, "overdue": overdue, "townships": townships}


def deployed_versions(session: Session) -> list:
    """Every deployed process version (immutable; identified by its content hash), newest first per process."""
    return session.execute(select(ProcessVersion.id, ProcessVersion.process_id, ProcessVersion.name,
                                  ProcessVersion.content_hash, ProcessVersion.source_path, ProcessVersion.deployed_at)
                           .order_by(ProcessVersion.process_id, ProcessVersion.id.desc())).all()


def case_form(session: Session, case_id: int, form_key: str) -> dict | None:
    """The schema of ``form_key`` in the process version a case runs (the caller has already found the case
    within the principal's scope)."""
    version_id = session.execute(select(Case.process_version_id).where(Case.id == case_id)).scalar_one()
    return get_version(session, version_id).forms.get(form_key)
