"""Operations over a selection (批量): hand over every task a departing clerk holds (转办 in bulk).

A dry run lists the selection; the run takes exactly that list back (the task ids the dry run showed) and
reports a result per item, each in its own savepoint so one refusal does not undo the others. The rules are
those of ``reassign_task``, item by item: the holder must be gone (deactivated, or no longer holding the
role in the unit) unless the actor is the holder.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases.operations import reassign_task, required_reason
from engine.cases.writer import CASE, TASK
from engine.clock import Clock
from engine.errors import JiuzhuError
from engine.people.accounts import Principal
from engine.people.scope import task_scope
from engine.store.models import User

MAX_BATCH = 500


@dataclass(frozen=True)
class BatchItem:
    """One task of a selection, and after a run what became of it (``ok``; ``message`` when refused)."""

    task_id: str
    case_id: int
    number: str
    title: str
    ok: bool | None = None
    message: str | None = None


def holders(session: Session, actor: Principal) -> list:
    """(id, display name, active, tasks held) of the others who hold open tasks of the actor's (role, unit)
    pairs: whose tasks may be handed over."""
    return session.execute(
        select(User.id, User.display_name, User.active, func.count(TASK.c.id).label("held"))
        .join(TASK, TASK.c.claimed_by_id == User.id)
        .where(TASK.c.status == "open", task_scope(actor), User.id != actor.user_id)
        .group_by(User.id, User.display_name, User.active).order_by(User.display_name, User.id)).all()


def held_by(session: Session, actor: Principal, from_user_id: int) -> list[BatchItem]:
    """The dry run: the open tasks ``from_user_id`` holds in the actor's (role, unit) pairs, most urgent first
    (at most MAX_BATCH)."""
    rows = session.execute(
        select(TASK.c.id, TASK.c.case_id, TASK.c.title, CASE.c.number).join(CASE, CASE.c.id == TASK.c.case_id)
        .where(TASK.c.status == "open", TASK.c.claimed_by_id == from_user_id, task_scope(actor))
        .order_by(TASK.c.due_on.asc().nulls_last(), TASK.c.created_at, TASK.c.id).limit(MAX_BATCH)).all()
    return [BatchItem(r.id, r.case_id, r.number, r.title) for r in rows]


def hand_over(session: Session, actor: Principal, clock: Clock, from_user_id: int, to_user_id: int, reason: str,
              task_ids: list[str]) -> list[BatchItem]:
    """The run: reassign each task of ``task_ids`` (the dry run's selection) to ``to_user_id``; a task that
    has left the selection since (completed, handed over) or that the rules refuse is reported, not changed."""
    reason = required_reason(reason)  # refused once for the whole run, not item by item
    selection = {item.task_id: item for item in held_by(session, actor, from_user_id)}
    results = []
    for task_id in dict.fromkeys(task_ids[:MAX_BATCH]):
        item = selection.get(task_id)
        if item is None:
            results.append(BatchItem(task_id, 0, "", "", False, "已不在所选范围内（已办理、已转办或不在您的办理范围）"))
            continue
        try:
            with session.begin_nested():
                reassign_task(session, actor, clock, task_id, to_user_id, reason)
        except JiuzhuError as exc:
            message = "；".join(exc.errors.values()) if hasattr(exc, "errors") else exc.message_zh
            results.append(BatchItem(item.task_id, item.case_id, item.number, item.title, False, message))
        else:
            results.append(BatchItem(item.task_id, item.case_id, item.number, item.title, True))
    return results
