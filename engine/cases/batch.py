"""Operations over a selection (批量): 转办, 释放, 催办 or 挂起 every task a query selects (e.g. hand over every
task a departing clerk holds, urge every overdue task of a township).

A dry run lists the selection (``select_tasks``); the run takes exactly that list back (the task ids the dry
run showed), selects again by the same query and works only on what is in both, reporting a result per item,
each in its own savepoint so one refusal does not undo the others. Each item goes through the operation's own
use case (``reassign_task``, ``release_task``, ``urge_task``, ``suspend_case``: their rules, audit events and
notifications). The selection is confined in SQL to what the actor may do the operation on: their (role,
unit) pairs for 转办 and 释放, the cases of their places where they hold the operation's roles for 催办 and 挂起.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases.operations import (SUSPEND_ROLES, URGE_ROLES, reassign_task, release_task, required_reason,
                                     suspend_case, urge_task)
from engine.cases.writer import CASE, TASK
from engine.clock import Clock
from engine.errors import FormInvalid, JiuzhuError, Message
from engine.people.accounts import Principal
from engine.people.scope import case_scope, task_scope
from engine.store.models import User

MAX_BATCH = 500
OPERATIONS = ("reassign", "release", "urge", "suspend")
_SCOPES = {"reassign": task_scope, "release": task_scope,
           "urge": lambda actor: case_scope(actor, URGE_ROLES), "suspend": lambda actor: case_scope(actor, SUSPEND_ROLES)}


@dataclass(frozen=True)
class BatchItem:
    """One task of a selection, and after a run what became of it (``ok``; ``message`` when refused, in Chinese,
    ``message_en`` in English)."""

    task_id: str
    case_id: int
    number: str
    title: str
    ok: bool | None = None
    message: str | None = None
    message_en: str | None = None


@dataclass(frozen=True)
class Query:
    """A selection of open tasks: held by someone (``held_by``), in the queue (``unclaimed``), at a step
    (``step``: its name), due before a date (``due_before``), in a village (``village_id``)."""

    held_by: int | None = None
    unclaimed: bool = False
    step: str | None = None
    due_before: date | None = None
    village_id: int | None = None

    @classmethod
    def parse(cls, raw: Any) -> "Query":
        """A query from request parameters (strings) or JSON; bad values refused with FormInvalid."""
        raw = raw if hasattr(raw, "get") else {}
        errors, values = {}, {}
        for name in ("held_by", "village_id"):
            text = str(raw.get(name) or "").strip()
            if text:
                if text.isdigit() and int(text) < 2 ** 31:
                    values[name] = int(text)
                else:
                    errors[name] = Message("请选择列表中的一项", "Choose one of the list")
        text = str(raw.get("due_before") or "").strip()
        if text:
            try:
                values["due_before"] = date.fromisoformat(text)
            except ValueError:
                errors["due_before"] = Message("请填写有效日期（年-月-日）", "Enter a valid date (YYYY-MM-DD)")
        step = str(raw.get("step") or "").strip()
        if len(step) > 100:
            errors["step"] = Message("步骤名称过长", "The step name is too long")
        if errors:
            raise FormInvalid.of(errors)
        return cls(unclaimed=str(raw.get("unclaimed") or "") in ("1", "true", "True"), step=step or None, **values)

    def empty(self) -> bool:
        return self == Query()


def holders(session: Session, actor: Principal) -> list:
    """(id, display name, active, tasks held) of the others who hold open tasks of the actor's (role, unit)
    pairs: whose tasks may be handed over."""
    return session.execute(
        select(User.id, User.display_name, User.active, func.count(TASK.c.id).label("held"))
        .join(TASK, TASK.c.claimed_by_id == User.id)
        .where(TASK.c.status == "open", task_scope(actor), User.id != actor.user_id)
        .group_by(User.id, User.display_name, User.active).order_by(User.display_name, User.id)).all()


def open_steps(session: Session, actor: Principal, operation: str) -> list:
    """(task_name, title) of the steps open tasks are at within the operation's scope: the query's choices."""
    if operation not in OPERATIONS:
        return []
    return session.execute(
        select(TASK.c.task_name, func.min(TASK.c.title).label("title")).join(CASE, CASE.c.id == TASK.c.case_id)
        .where(TASK.c.status == "open", _SCOPES[operation](actor)).group_by(TASK.c.task_name)
        .order_by(func.min(TASK.c.title)).limit(200)).all()


def select_tasks(session: Session, actor: Principal, operation: str, query: Query) -> list[BatchItem]:
    """The dry run: the open tasks ``query`` selects that the actor may ``operation`` (SQL), most urgent
    first (at most MAX_BATCH). An empty query selects nothing."""
    if operation not in OPERATIONS:
        raise FormInvalid.of({"operation": Message("请选择批量操作", "Choose a batch operation")})
    if query.empty():
        return []
    stmt = (select(TASK.c.id, TASK.c.case_id, TASK.c.title, CASE.c.number).join(CASE, CASE.c.id == TASK.c.case_id)
            .where(TASK.c.status == "open", CASE.c.status == "running", _SCOPES[operation](actor)))
    if query.held_by is not None:
        stmt = stmt.where(TASK.c.claimed_by_id == query.held_by)
    if query.unclaimed:
        stmt = stmt.where(TASK.c.claimed_by_id.is_(None))
    if query.step:
        stmt = stmt.where(TASK.c.task_name == query.step)
    if query.due_before is not None:
        stmt = stmt.where(TASK.c.due_on < query.due_before)
    if query.village_id is not None:
        stmt = stmt.where(CASE.c.village_id == query.village_id)
    rows = session.execute(stmt.order_by(TASK.c.due_on.asc().nulls_last(), TASK.c.created_at, TASK.c.id)
                           .limit(MAX_BATCH)).all()
    return [BatchItem(r.id, r.case_id, r.number, r.title) for r in rows]


def held_by(session: Session, actor: Principal, from_user_id: int) -> list[BatchItem]:
    """The hand-over dry run: the open tasks ``from_user_id`` holds in the actor's (role, unit) pairs."""
    return select_tasks(session, actor, "reassign", Query(held_by=from_user_id))


def _apply(session: Session, actor: Principal, clock: Clock, operation: str, item: BatchItem, params: dict,
           done_cases: set[int]) -> None:
    if operation == "reassign":
        reassign_task(session, actor, clock, item.task_id, params.get("to_user_id"), params["reason"])
    elif operation == "release":
        release_task(session, actor, clock, item.task_id)
    elif operation == "urge":
        urge_task(session, actor, clock, item.task_id, params["message"])
    elif item.case_id not in done_cases:  # suspend: once per case, whichever of its tasks comes first
        suspend_case(session, actor, clock, item.case_id, params["reason"])
    done_cases.add(item.case_id)


def run_batch(session: Session, actor: Principal, clock: Clock, operation: str, query: Query, task_ids: list[str],
              params: dict) -> list[BatchItem]:
    """The run: ``operation`` on each task of ``task_ids`` (the dry run's selection) still selected by
    ``query``; a task that left the selection since (completed, handed over) or that the rules refuse is
    reported, not changed. ``params``: ``to_user_id`` and ``reason`` (转办), ``message`` (催办), ``reason`` (挂起)."""
    if operation == "urge":
        params = {**params, "message": required_reason(params.get("message"), "message")}
    elif operation != "release":  # refused once for the whole run, not item by item
        params = {**params, "reason": required_reason(params.get("reason"))}
    selection = {item.task_id: item for item in select_tasks(session, actor, operation, query)}
    results, done_cases = [], set()
    for task_id in dict.fromkeys(task_ids[:MAX_BATCH]):
        item = selection.get(task_id)
        if item is None:
            results.append(BatchItem(str(task_id), 0, "", "", False, "已不在所选范围内（已办理、已转办或不在您的办理范围）",
                                     "No longer in the selection (done, handed over, or outside your area)"))
            continue
        try:
            with session.begin_nested():
                _apply(session, actor, clock, operation, item, params, done_cases)
        except JiuzhuError as exc:
            if isinstance(exc, FormInvalid):
                message, message_en = "；".join(exc.errors.values()), "; ".join(exc.errors_in(False).values())
            else:
                message, message_en = exc.message_zh, exc.message_en or str(exc)
            results.append(BatchItem(item.task_id, item.case_id, item.number, item.title, False, message, message_en))
        else:
            results.append(BatchItem(item.task_id, item.case_id, item.number, item.title, True))
    return results


def hand_over(session: Session, actor: Principal, clock: Clock, from_user_id: int, to_user_id: int, reason: str,
              task_ids: list[str]) -> list[BatchItem]:
    """批量转办: the tasks ``from_user_id`` holds (of ``task_ids``, the dry run's) reassigned to ``to_user_id``."""
    return run_batch(session, actor, clock, "reassign", Query(held_by=from_user_id), task_ids,
                     {"to_user_id": to_user_id, "reason": reason})
