"""What a task page offers: the operations a person may do on a task now (by the same rules the use cases
in engine.cases.operations check), who sent a reopened task back and why, and the clerk's next task."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.cases.cosigning import cosigners, required_signoffs
from engine.cases.operations import (CORRECTION_ROLES, URGE_ROLES, TASK_COLUMNS, colleagues_at, holder_gone,
                                     proxy_for, steps_back, user_name)
from engine.cases.writer import recent_events
from engine.catalogue.versions import get_version
from engine.errors import NotFound
from engine.people.accounts import Principal
from engine.people.scope import case_scope, task_scope
from engine.store.models import Case, HumanTask

CASE, TASK = Case.__table__, HumanTask.__table__


@dataclass(frozen=True)
class Operations:
    """The operations a person may do on a task now (the buttons of its page)."""

    claim: bool = False
    release: bool = False
    reassign: bool = False
    send_back: bool = False
    urge: bool = False
    holder: str | None = None
    colleagues: tuple = ()
    targets: tuple = ()
    delegate: bool = False          # 委派 (to one of ``colleagues``)
    recall: bool = False            # 收回 a delegation one made
    return_delegation: bool = False  # the actor is the delegate: the form is returned, not completed
    delegated_to: str | None = None
    delegated_by: str | None = None
    cosign: bool = False            # 加签/减签 (to one of ``colleagues``; ``cosigners`` unsigned may be removed)
    sign: bool = False              # the actor is a co-signer who has not signed
    cosigners: tuple = ()
    cosign_required: int = 0        # 会签: the sign-offs the route requires on this step
    correction: bool = False        # 退回申请人补正 (一次性告知)
    acting_for: str | None = None   # the actor works on it as the holder's standing proxy (代理) today


@lru_cache(maxsize=1024)
def _operations_row_statement(actor: Principal):
    """The task row with whether the actor may urge its case and works on it (the scope clauses on the row),
    built once per actor, the task id bound at execution."""
    return (select(*TASK_COLUMNS, case_scope(actor, URGE_ROLES).label("urgeable"), task_scope(actor).label("mine"))
            .join(CASE, CASE.c.id == TASK.c.case_id).where(TASK.c.id == bindparam("task_id"), case_scope(actor)))


def task_operations(session: Session, actor: Principal, task_id: str, today=None, workflow=None) -> Operations:
    """What ``actor`` may do on the task now, by the same rules the operations check (``today``: for a
    standing proxy; ``workflow``: the case's state as the caller restored it in this transaction). A task
    that does not exist or whose case is outside the actor's place is NotFound, as everywhere else (never an
    empty answer that would tell the two apart from a task one may merely not work on)."""
    # Whether the actor may urge the case and works on the task (the scope clauses on the row just read),
    # in the statement that reads it.
    row = session.execute(_operations_row_statement(actor), {"task_id": task_id}).first()
    if row is None:
        raise NotFound(f"task {task_id}")
    if row.status != "open" or row.suspended_at is not None:
        return Operations()
    holder = user_name(session, row.claimed_by_id) if row.claimed_by_id else None
    urge = any(actor.has_role(r) for r in URGE_ROLES) and bool(row.urgeable)
    if not row.mine:
        return Operations(urge=bool(urge), holder=holder)
    signers = tuple(cosigners(session, task_id))
    sign = any(c.user_id == actor.user_id and c.signed_at is None for c in signers)
    required = required_signoffs(get_version(session, row.process_version_id).tasks.get(row.task_name, {})
                                 .get("properties", {}))
    if row.delegated_to_id is not None:
        return Operations(holder=holder, urge=bool(urge), recall=row.delegated_by_id == actor.user_id,
                          return_delegation=row.delegated_to_id == actor.user_id, sign=sign, cosigners=signers,
                          delegated_to=user_name(session, row.delegated_to_id), cosign_required=required,
                          delegated_by=user_name(session, row.delegated_by_id))
    proxy = row.claimed_by_id not in (None, actor.user_id) and today is not None and proxy_for(
        session, row, actor.user_id, today)
    free = row.claimed_by_id in (None, actor.user_id)
    gone = not free and holder_gone(session, row)
    acts = free or proxy
    return Operations(
        claim=row.claimed_by_id is None, release=row.claimed_by_id == actor.user_id or gone,
        reassign=free or gone, send_back=acts, urge=bool(urge), holder=holder,
        colleagues=tuple(colleagues_at(session, actor, row.role, row.unit_id)) if acts or gone else (),
        targets=tuple(steps_back(session, row, task_id, workflow)) if acts else (),  # row: open, workable
        delegate=acts, cosign=acts, sign=sign, cosigners=signers, cosign_required=required,
        correction=acts and row.role in CORRECTION_ROLES, acting_for=holder if proxy else None)


def sent_back_note(session: Session, case_id: int, task_id: str, events: list | None = None) -> dict | None:
    """Who sent the case back to (or took back) task ``task_id`` and why, if that is how it is open again
    (``events``: the case's events already read, see ``recent_events``)."""
    for e in recent_events(session, case_id, ("task_sent_back", "task_withdrawn"), events):
        data = e.data or {}
        if data.get("to_task_id", data.get("task_id")) == task_id:
            return {"kind": e.kind, "at": e.at, "by": e.actor_name, "reason": data.get("reason"),
                    "from_step": data.get("from_step")}
    return None


def next_task_for(session: Session, actor: Principal, after_case_id: int) -> str | None:
    """The actor's most urgent open task (their own or the queue's, not another's), preferring another step of
    the case just done: where the inbox sends them after completing a step."""
    same, most_urgent = _next_task_statements(actor)
    found = session.execute(same, {"case_id": after_case_id}).scalar()
    return found if found is not None else session.execute(most_urgent).scalar()


@lru_cache(maxsize=1024)
def _next_task_statements(actor: Principal):
    """(the actor's open task of the case ``case_id``, their most urgent open task), built once per actor."""
    base = select(TASK.c.id).join(CASE, CASE.c.id == TASK.c.case_id).where(
        TASK.c.status == "open", task_scope(actor), CASE.c.suspended_at.is_(None),
        (TASK.c.claimed_by_id.is_(None)) | (TASK.c.claimed_by_id == actor.user_id))
    return (base.where(TASK.c.case_id == bindparam("case_id")).limit(1),
            base.order_by(TASK.c.due_on.asc().nulls_last(), TASK.c.created_at, TASK.c.id).limit(1))
