"""加签 / 减签 / 会签: co-signers of the current step.

The holder of an open task (or anyone of its (role, unit) while it is unclaimed) adds a colleague of the same
role and unit as co-signer (加签) with a reason; the co-signer signs off with an opinion (签署意见) from the
task page; the step cannot be completed while an added co-signer has not signed. A co-signer who has not
signed may be removed (减签). 会签 is the same mechanism made mandatory by the route: a user task with the
property ``cosign`` = N needs N sign-offs before it may be completed (the two investigators of 入户调查).
Co-signing is "with" the step, before its completion: there is no separate "after" round (a reviewer after
the step is the next step of the route). A step opened again (退回, 撤回) is signed afresh.
"""
from __future__ import annotations

from functools import cache

from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from engine.cases.operations import (ANOTHER_COLLEAGUE, _still_holds, open_task, refused, required_reason,
                                     task_changed, user_name)
from engine.cases.writer import write_event, write_holder, write_notifications
from engine.clock import Clock
from engine.errors import Forbidden, FormInvalid, Message
from engine.people.accounts import Principal
from engine.store.models import TaskCosigner, User

COSIGNER = TaskCosigner.__table__


def cosigners(session: Session, task_id: str) -> list:
    """(user_id, display_name, signed_at, opinion) of a task's co-signers, in the order added."""
    return session.execute(_cosigners_statement(), {"task_id": task_id}).all()


@cache
def _cosigners_statement():
    return (select(COSIGNER.c.user_id, User.display_name, COSIGNER.c.signed_at, COSIGNER.c.opinion)
            .join(User, User.id == COSIGNER.c.user_id).where(COSIGNER.c.task_id == bindparam("task_id"))
            .order_by(COSIGNER.c.id))


def required_signoffs(properties: dict) -> int:
    """The sign-offs the route makes mandatory on a step (会签: its property ``cosign``), 0 when none."""
    try:
        return max(0, int(properties.get("cosign") or 0))
    except (TypeError, ValueError):
        return 0


@cache
def signoff_counts(task_column):
    """Scalar subqueries of a task's unsigned and signed co-signers, to select with the task (no statement
    of their own on the completion's hot path; built once per column, not on every completion)."""
    def count(signed: bool):
        state = COSIGNER.c.signed_at.is_not(None) if signed else COSIGNER.c.signed_at.is_(None)
        return select(func.count()).where(COSIGNER.c.task_id == task_column, state).scalar_subquery()
    return count(False).label("cosign_unsigned"), count(True).label("cosign_signed")


def check_cosigned(session: Session, task_id: str, row, properties: dict) -> None:
    """Refuse (409) the completion of a step (``row`` selected with ``signoff_counts``) while a co-signer
    has not signed, or while it has fewer sign-offs than the route's 会签 requires."""
    if row.cosign_unsigned:
        pending = [r.display_name for r in cosigners(session, task_id) if r.signed_at is None]
        raise refused("a co-signer has not signed off yet", f"尚有加签人未签署意见：{'、'.join(pending)}",
                      message_en=f"Co-signers have not signed off yet: {', '.join(pending)}")
    needed = required_signoffs(properties) - row.cosign_signed
    if needed > 0:
        raise refused("the route requires co-signers' sign-offs on this step", f"此步骤须会签：还需 {needed} 位同事签署意见（在“操作”中加签）",
                      message_en=f"This step needs co-signing: {needed} more colleague(s) must sign off (add "
                                 "co-signers under “Actions”)")


def _names(session: Session, task_id: str) -> list[str]:
    return [r.display_name for r in cosigners(session, task_id)]


def add_cosigner(session: Session, actor: Principal, clock: Clock, task_id: str, user_id: Any, reason: Any) -> int:
    """加签: a colleague of the same role and unit must sign this step before it is completed; they are
    notified. The actor holds the task from now on (claimed if it was in the queue). Returns the case id."""
    row = open_task(session, actor, task_id, holder=True, clock=clock)
    reason = required_reason(reason)
    if not isinstance(user_id, int) or user_id == actor.user_id or not session.execute(
            select(_still_holds(user_id, row.role, row.unit_id))).scalar():
        raise FormInvalid.of({"user_id": ANOTHER_COLLEAGUE})
    if user_id in {r.user_id for r in cosigners(session, task_id)}:
        raise refused("already a co-signer of this step", "该同事已是此步骤的加签人",
                      message_en="This colleague is already a co-signer of this step")
    before, now = _names(session, task_id), clock.now()
    if row.claimed_by_id is None and not write_holder(session, task_id, actor.user_id, None, now):
        raise task_changed()
    session.execute(insert(COSIGNER).values(task_id=task_id, case_id=row.case_id, user_id=user_id,
                                            added_by_id=actor.user_id, added_at=now))
    write_event(session, row.case_id, now, actor.user_id, "task_cosigner_added", row.task_name, row.title,
                {"task_id": task_id, "reason": reason, "cosigner": user_name(session, user_id),
                 "before": {"cosigners": before}, "after": {"cosigners": _names(session, task_id)}})
    write_notifications(session, [{
        "role": row.role, "unit_id": row.unit_id, "case_id": row.case_id, "user_id": user_id,
        "kind": "cosign_requested", "created_at": now,
        "params": {"who": user_name(session, actor.user_id), "number": row.number, "step": row.title, "reason": reason},
        "message": f"{user_name(session, actor.user_id)} 请您会签案件 {row.number}「{row.title}」：{reason}"[:500]}])
    return row.case_id


def remove_cosigner(session: Session, actor: Principal, clock: Clock, task_id: str, user_id: Any) -> int:
    """减签: take off a co-signer who has not signed yet (by the holder). Returns the case id."""
    row = open_task(session, actor, task_id, holder=True, clock=clock)
    entry = next((r for r in cosigners(session, task_id) if r.user_id == user_id), None)
    if entry is None:
        raise FormInvalid.of({"user_id": Message("请选择此步骤的一位加签人", "Choose one of this step's co-signers")})
    if entry.signed_at is not None:
        raise refused("this co-signer has signed: no longer removable", f"{entry.display_name} 已签署意见，不能减签",
                      message_en=f"{entry.display_name} has signed off and can no longer be removed")
    before = _names(session, task_id)
    session.execute(delete(COSIGNER).where(COSIGNER.c.task_id == task_id, COSIGNER.c.user_id == user_id,
                                           COSIGNER.c.signed_at.is_(None)))
    write_event(session, row.case_id, clock.now(), actor.user_id, "task_cosigner_removed", row.task_name, row.title,
                {"task_id": task_id, "cosigner": entry.display_name, "before": {"cosigners": before},
                 "after": {"cosigners": _names(session, task_id)}})
    return row.case_id


def sign_off(session: Session, actor: Principal, clock: Clock, task_id: str, opinion: Any) -> int:
    """签署意见: a co-signer signs the step with an opinion; whoever holds it (or its unit) is told. Returns
    the case id."""
    row = open_task(session, actor, task_id, delegated=True)
    text = required_reason(opinion, "opinion")
    entry = next((r for r in cosigners(session, task_id) if r.user_id == actor.user_id), None)
    if entry is None:
        raise Forbidden("not a co-signer", "您不是此步骤的加签人", message_en="You are not a co-signer of this step")
    now = clock.now()
    result = session.execute(update(COSIGNER).where(
        COSIGNER.c.task_id == task_id, COSIGNER.c.user_id == actor.user_id, COSIGNER.c.signed_at.is_(None))
        .values(signed_at=now, opinion=text))
    if result.rowcount != 1:
        raise refused("you have signed off already", "您已签署意见", message_en="You have signed off already")
    write_event(session, row.case_id, now, actor.user_id, "task_cosigned", row.task_name, row.title,
                {"task_id": task_id, "opinion": text, "before": {"signed": False}, "after": {"signed": True}})
    write_notifications(session, [{
        "role": row.role, "unit_id": row.unit_id, "case_id": row.case_id, "user_id": row.claimed_by_id,
        "kind": "cosigned", "created_at": now,
        "params": {"who": user_name(session, actor.user_id), "number": row.number, "step": row.title, "reason": text},
        "message": f"{user_name(session, actor.user_id)} 已会签案件 {row.number}「{row.title}」：{text}"[:500]}])
    return row.case_id


def cosign_by(session: Session, holder: Principal, clock: Clock, task_id: str, signers: list[Principal],
              reason: str = "共同入户调查", opinion: str = "同意调查结论") -> None:
    """会签 as a walk takes it (the demo's sample cases, the designer's dry run, the route tests): the holder
    adds each of ``signers`` as co-signer and each signs off, as two people would on the task page."""
    for signer in signers:
        add_cosigner(session, holder, clock, task_id, signer.user_id, reason)
        sign_off(session, signer, clock, task_id, opinion)
