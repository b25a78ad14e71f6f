"""Voiding documents (文书作废): a document whose step was undone or is being redone stops being valid.

A document is issued by the completion of a human task (``document.task_id``). When that completion is
undone — 退回 to the step or an earlier one, 撤回 — or superseded — a 公示 objection sends the case back
through steps already done (the route's own flows say which: ``Workflow.reachable_steps``) — the document
is marked void with who, when and why. It is kept and shown as 已作废; the step done again issues a new
document with a new number (文号). Every voiding is one case event listing the numbers (the audit trail).
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from engine.cases.writer import EVENT, TASK, write_event
from engine.runtime.workflow import Workflow
from engine.store.models import Document

DOCUMENT = Document.__table__
REASON_MAX = 500


def void_documents(session: Session, case_id: int, which, now: datetime, actor_id: int | None, reason: str,
                   task_name: str | None = None) -> list[str]:
    """Void the case's valid documents matching clause ``which``; returns their numbers (文号). Records one
    event ``documents_voided`` when any were voided."""
    valid = and_(DOCUMENT.c.case_id == case_id, DOCUMENT.c.voided_at.is_(None), which)
    numbers = list(session.execute(select(DOCUMENT.c.number).where(valid).order_by(DOCUMENT.c.id)).scalars())
    if not numbers:
        return []
    reason = reason[:REASON_MAX]
    session.execute(update(DOCUMENT).where(valid).values(voided_at=now, voided_by_id=actor_id, voided_reason=reason))
    write_event(session, case_id, now, actor_id, "documents_voided", task_name,
                f"文书作废：{'、'.join(numbers)}（{reason}）"[:200], {"numbers": numbers, "reason": reason})
    return numbers


def void_undone(session: Session, case_id: int, task_ids: Iterable[str], now: datetime, actor_id: int | None,
                reason: str, task_name: str | None = None) -> list[str]:
    """Void the documents issued by the completions ``task_ids`` (those a 退回 or 撤回 undoes)."""
    ids = list(task_ids)
    return void_documents(session, case_id, DOCUMENT.c.task_id.in_(ids), now, actor_id, reason, task_name) if ids else []


def void_superseded(session: Session, case_id: int, workflow: Workflow, publicity_steps: set[str], now: datetime,
                    actor_id: int | None, reason: str, task_id: str, task_name: str | None = None) -> list[str]:
    """A 公示 objection (completion ``task_id``, its event just written) sends the case back: void what the
    steps it goes through again issued — the steps ``workflow.reachable_steps`` finds without passing a
    step done before this round began (the end of the case's previous 公示: its objection or its timer, in
    event order; from the start if none)."""
    current = select(func.max(EVENT.c.id)).where(EVENT.c.case_id == case_id).scalar_subquery()
    began = session.execute(select(func.max(EVENT.c.id)).where(
        EVENT.c.case_id == case_id, EVENT.c.id < current,
        or_(EVENT.c.kind == "timer_fired",
            and_(EVENT.c.kind == "task_completed", EVENT.c.task_name.in_(sorted(publicity_steps)))))).scalar()
    earlier = frozenset(session.execute(select(EVENT.c.task_name).where(
        EVENT.c.case_id == case_id, EVENT.c.kind == "task_completed", EVENT.c.id <= began)).scalars()) \
        if began is not None else frozenset()
    steps = workflow.reachable_steps(earlier)
    if not steps:
        return []
    redone = select(TASK.c.id).where(TASK.c.case_id == case_id, TASK.c.status == "completed",
                                     TASK.c.task_name.in_(sorted(steps)), TASK.c.id != task_id)
    return void_documents(session, case_id, DOCUMENT.c.task_id.in_(redone), now, actor_id, reason, task_name)
