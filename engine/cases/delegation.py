"""委派 (delegate) and 代理 (standing proxy): someone else does a clerk's work, the clerk stays responsible.

委派: the holder of an open task hands it for filling in to a colleague of the same role and unit (the people
whose scope includes the task); while delegated only the delegate acts on it: they fill in the step's form and
return it (交回), the data validated as a completion would be and kept in the audit event; the task comes
back to the delegator, whose form opens with what the delegate entered, and who decides (completes). The
delegator may recall (收回) it meanwhile.

代理: a person names a colleague of the same role and unit as proxy from a date to a date (leave); on those
days the proxy may work on the tasks the absent person holds in that (role, unit) (``check_workable`` allows
it and records ``task_acted_for``), and sees them on the proxy page; outside the dates nothing changes.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from engine.cases.lifecycle import step_data
from engine.cases.operations import (ANOTHER_COLLEAGUE, _still_holds, open_task, refused, required_reason,
                                     task_changed, user_name)
from engine.cases.writer import CASE, EVENT, TASK, recent_events, write_event, write_notifications
from engine.catalogue.versions import get_version
from engine.clock import Clock
from engine.errors import Forbidden, FormInvalid, Message, NotFound
from engine.people.accounts import Principal
from engine.people.scope import TASK_ROLES, task_scope
from engine.store.models import RoleAssignment, SecurityEvent, StandingProxy, User

MAX_PROXY_DAYS = 366
_DELEGATION_EVENTS = ("task_delegated", "task_delegation_returned", "task_delegation_recalled")


def _colleague(session: Session, row, user_id: Any, actor: Principal) -> int:
    """``user_id`` if an active colleague of the task's role and unit other than the actor, else FormInvalid."""
    if not isinstance(user_id, int) or user_id == actor.user_id or not session.execute(
            select(_still_holds(user_id, row.role, row.unit_id))).scalar():
        raise FormInvalid.of({"to_user_id": ANOTHER_COLLEAGUE})
    return user_id


# --- 委派 --------------------------------------------------------------------------
def delegate_task(session: Session, actor: Principal, clock: Clock, task_id: str, to_user_id: Any,
                  reason: Any) -> int:
    """委派: the holder (claiming it if it was in the queue) has a colleague fill the task in; the colleague
    is notified. Returns the case id."""
    row = open_task(session, actor, task_id, holder=True, clock=clock)
    reason = required_reason(reason)
    to_user_id = _colleague(session, row, to_user_id, actor)
    now = clock.now()
    holder = row.claimed_by_id or actor.user_id
    result = session.execute(update(TASK).where(
        TASK.c.id == task_id, TASK.c.status == "open", TASK.c.delegated_to_id.is_(None),
        TASK.c.claimed_by_id.is_(None) if row.claimed_by_id is None else TASK.c.claimed_by_id == row.claimed_by_id)
        .values(delegated_to_id=to_user_id, delegated_by_id=actor.user_id, claimed_by_id=holder,
                claimed_at=now if row.claimed_by_id is None else TASK.c.claimed_at))
    if result.rowcount != 1:
        raise task_changed()
    before, after = {"delegated_to": None}, {"delegated_to": user_name(session, to_user_id)}
    if row.claimed_by_id is None:  # taken out of the queue by delegating it
        before, after = {"claimed_by": None, **before}, {"claimed_by": user_name(session, holder), **after}
    write_event(session, row.case_id, now, actor.user_id, "task_delegated", row.task_name, row.title,
                {"task_id": task_id, "reason": reason, "before": before, "after": after})
    write_notifications(session, [{
        "role": row.role, "unit_id": row.unit_id, "case_id": row.case_id, "user_id": to_user_id,
        "kind": "delegated", "created_at": now,
        "params": {"who": user_name(session, actor.user_id), "number": row.number, "step": row.title, "reason": reason},
        "message": f"{user_name(session, actor.user_id)} 委派您填写案件 {row.number}「{row.title}」，"
                   f"填写后交回：{reason}"[:500]}])
    return row.case_id


def return_delegation(session: Session, actor: Principal, clock: Clock, task_id: str, form_data: Any,
                      coerce: Callable[[dict, Any], dict] | None = None) -> int:
    """交回: the delegate returns the task with the step's data filled in (validated as a completion would
    be); it is the delegator's again, who is notified and decides. Returns the case id."""
    row = open_task(session, actor, task_id, delegated=True)
    if row.delegated_to_id != actor.user_id:
        raise Forbidden("only the delegate returns", "只有受委派人可以交回", message_en="Only the delegate can return it")
    version = get_version(session, row.process_version_id)
    data = step_data(version, row.form_key, form_data, coerce, clock.today())
    now = clock.now()
    result = session.execute(update(TASK).where(TASK.c.id == task_id, TASK.c.delegated_to_id == actor.user_id)
                             .values(delegated_to_id=None, delegated_by_id=None))
    if result.rowcount != 1:
        raise task_changed()
    delegator = row.delegated_by_id
    write_event(session, row.case_id, now, actor.user_id, "task_delegation_returned", row.task_name, row.title,
                {"task_id": task_id, "data": data, "before": {"delegated_to": user_name(session, actor.user_id)},
                 "after": {"delegated_to": None, "returned_to": user_name(session, delegator)}})
    write_notifications(session, [{
        "role": row.role, "unit_id": row.unit_id, "case_id": row.case_id, "user_id": delegator,
        "kind": "delegation_returned", "created_at": now,
        "params": {"who": user_name(session, actor.user_id), "number": row.number, "step": row.title},
        "message": f"{user_name(session, actor.user_id)} 已填写并交回案件 {row.number}「{row.title}」，请审定办理"[:500]}])
    return row.case_id


def recall_delegation(session: Session, actor: Principal, clock: Clock, task_id: str) -> int:
    """收回: the delegator takes a delegated task back before it is returned; the delegate is told."""
    row = open_task(session, actor, task_id, delegated=True)
    if row.delegated_to_id is None:
        raise refused("the task is not delegated", "此事项未委派", message_en="This step is not delegated")
    if row.delegated_by_id != actor.user_id:
        raise Forbidden("only the delegator recalls", "只有委派人可以收回", message_en="Only whoever delegated it can recall it")
    now = clock.now()
    session.execute(update(TASK).where(TASK.c.id == task_id, TASK.c.delegated_by_id == actor.user_id)
                    .values(delegated_to_id=None, delegated_by_id=None))
    write_event(session, row.case_id, now, actor.user_id, "task_delegation_recalled", row.task_name, row.title,
                {"task_id": task_id, "before": {"delegated_to": user_name(session, row.delegated_to_id)},
                 "after": {"delegated_to": None}})
    write_notifications(session, [{
        "role": row.role, "unit_id": row.unit_id, "case_id": row.case_id, "user_id": row.delegated_to_id,
        "kind": "delegation_recalled", "created_at": now,
        "params": {"who": user_name(session, actor.user_id), "number": row.number, "step": row.title},
        "message": f"{user_name(session, actor.user_id)} 已收回委派：案件 {row.number}「{row.title}」"[:500]}])
    return row.case_id


def returned_delegation(session: Session, case_id: int, task_id: str, events: list | None = None) -> dict | None:
    """What the delegate entered, who and when, if the task's latest delegation event is its return
    (``events``: the case's events already read, see ``recent_events``)."""
    for e in recent_events(session, case_id, _DELEGATION_EVENTS, events):
        if (e.data or {}).get("task_id") == task_id:
            if e.kind != "task_delegation_returned":
                return None
            return {"by": e.actor_name, "at": e.at, "data": e.data.get("data") or {}}
    return None


# --- 代理 --------------------------------------------------------------------------
def _audit(session: Session, actor: Principal, now, kind: str, detail: dict) -> None:
    session.add(SecurityEvent(at=now, kind=kind, actor_id=actor.user_id, username=actor.username, detail=detail))


def _date(value: Any, field: str) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise FormInvalid.of({field: Message("请填写有效日期（年-月-日）", "Enter a valid date (YYYY-MM-DD)")}) from None


def set_proxy(session: Session, actor: Principal, clock: Clock, proxy_id: Any, starts_on: Any, ends_on: Any,
              reason: Any) -> int:
    """Name a proxy (代理) for one's own leave, ``starts_on`` to ``ends_on`` (both included, at most a year):
    a colleague who holds one of the actor's task roles in the same unit; one row per (role, unit) they share.
    Audited (security trail, values before and after) and the proxy is notified. Returns the rows written."""
    reason = required_reason(reason)
    start, end = _date(starts_on, "starts_on"), _date(ends_on, "ends_on")
    today = clock.today()
    if end < start or end < today or (end - start).days >= MAX_PROXY_DAYS:
        raise FormInvalid.of({"ends_on": Message(
            f"结束日期须不早于开始日期和今天，期间不超过 {MAX_PROXY_DAYS} 天",
            f"The end date must be on or after the start date and today, for at most {MAX_PROXY_DAYS} days")})
    pairs = [(r, u) for r, u in actor.roles if r in TASK_ROLES]
    shared = [] if not isinstance(proxy_id, int) or proxy_id == actor.user_id else [
        (r, u) for r, u in pairs if session.execute(select(_still_holds(proxy_id, r, u))).scalar()]
    if not shared:
        raise FormInvalid.of({"proxy_id": ANOTHER_COLLEAGUE})
    overlapping = session.execute(select(exists().where(
        StandingProxy.user_id == actor.user_id, StandingProxy.cancelled_at.is_(None),
        StandingProxy.starts_on <= end, StandingProxy.ends_on >= start))).scalar()
    if overlapping:
        raise refused("a proxy is already named for these dates", "该期间已指定代理人，请先取消原来的代理",
                      message_en="A proxy is already named for these dates: cancel that proxy first")
    now = clock.now()
    for role, unit in shared:
        session.add(StandingProxy(user_id=actor.user_id, proxy_id=proxy_id, role=role, unit_id=unit, starts_on=start,
                                  ends_on=end, reason=reason, created_by_id=actor.user_id, created_at=now))
        write_notifications(session, [{
            "role": role, "unit_id": unit, "case_id": None, "user_id": proxy_id, "kind": "proxy_named",
            "params": {"who": user_name(session, actor.user_id), "start": str(start), "end": str(end), "reason": reason},
            "created_at": now, "message": f"{user_name(session, actor.user_id)} {start} 至 {end} 请您代理其待办事项："
                                          f"{reason}"[:500]}])
    _audit(session, actor, now, "proxy_named", {
        "before": {"proxy": None}, "after": {"proxy": user_name(session, proxy_id), "from": start.isoformat(),
                                             "to": end.isoformat(), "roles": [list(p) for p in shared]},
        "reason": reason})
    session.flush()
    return len(shared)


def cancel_proxy(session: Session, actor: Principal, clock: Clock, proxy_row_id: int) -> None:
    """Cancel one's proxy (from now on the proxy no longer acts); audited."""
    row = session.execute(select(StandingProxy).where(StandingProxy.id == proxy_row_id,
                                                      StandingProxy.user_id == actor.user_id)).scalar()
    if row is None:
        raise NotFound(f"proxy {proxy_row_id}")
    if row.cancelled_at is not None:
        raise refused("this proxy is cancelled already", "此代理已取消", message_en="This proxy is cancelled already")
    now = clock.now()
    row.cancelled_at = now
    _audit(session, actor, now, "proxy_cancelled", {
        "before": {"proxy": user_name(session, row.proxy_id), "from": row.starts_on.isoformat(),
                   "to": row.ends_on.isoformat()}, "after": {"proxy": None}})
    session.flush()


def proxies(session: Session, actor: Principal, today: date) -> dict:
    """The actor's proxies (not ended, not cancelled) both ways: whom they named ("mine") and for whom they
    stand in ("for_others"), and the colleagues they may name."""
    proxy, absent = User.__table__.alias("proxy_user"), User.__table__.alias("absent_user")
    base = (select(StandingProxy.id, StandingProxy.role, StandingProxy.unit_id, StandingProxy.starts_on,
                   StandingProxy.ends_on, StandingProxy.reason, proxy.c.display_name.label("proxy_name"),
                   absent.c.display_name.label("absent_name"))
            .join(proxy, proxy.c.id == StandingProxy.proxy_id).join(absent, absent.c.id == StandingProxy.user_id)
            .where(StandingProxy.cancelled_at.is_(None), StandingProxy.ends_on >= today)
            .order_by(StandingProxy.starts_on, StandingProxy.id))
    pairs = [(r, u) for r, u in actor.roles if r in TASK_ROLES]
    candidates = session.execute(
        select(User.id, User.display_name).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(or_(*(and_(RoleAssignment.role == r, RoleAssignment.unit_id == u) for r, u in pairs)) if pairs
               else RoleAssignment.id.is_(None), User.active.is_(True), User.id != actor.user_id)
        .distinct().order_by(User.display_name, User.id)).all()
    return {"mine": session.execute(base.where(StandingProxy.user_id == actor.user_id)).all(),
            "for_others": session.execute(base.where(StandingProxy.proxy_id == actor.user_id)).all(),
            "candidates": candidates}


def covered_tasks(session: Session, actor: Principal, today: date) -> list:
    """The open tasks the actor may work on today as proxy: held by someone whose proxy they are, in the
    proxied (role, unit), within the actor's scope."""
    return session.execute(
        select(TASK.c.id, TASK.c.title, TASK.c.due_on, CASE.c.number, User.display_name.label("holder"))
        .join(CASE, CASE.c.id == TASK.c.case_id).join(User, User.id == TASK.c.claimed_by_id)
        .join(StandingProxy, and_(StandingProxy.user_id == TASK.c.claimed_by_id, StandingProxy.role == TASK.c.role,
                                  StandingProxy.unit_id == TASK.c.unit_id))
        .where(TASK.c.status == "open", task_scope(actor), StandingProxy.proxy_id == actor.user_id,
               StandingProxy.cancelled_at.is_(None), StandingProxy.starts_on <= today, StandingProxy.ends_on >= today)
        .order_by(TASK.c.due_on.asc().nulls_last(), TASK.c.created_at).limit(200)).all()
