"""Reminders before tasks fall due, 督办 (supervision) items when they are overdue, and the
county supervisor's view of them. Run by the scheduler; every query is indexed and set-based."""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import and_, case, exists, false, func, insert, or_, select, true, update
from sqlalchemy.orm import Session, aliased

from engine.people.accounts import Principal
from engine.clock import Clock
from engine.errors import NotFound
from engine.cases.writer import insert_ignoring_duplicates, mark_reminded, notify_once, requeue_timers
from engine.store.models import Case, HumanTask, Incident, Notification, SupervisionItem, Unit, User
from engine.people.scope import supervised_counties, village_pair
from engine.workdays import CalendarYearMissing, WorkingCalendar

TASK, CASE = HumanTask.__table__, Case.__table__
ITEM, NOTE, INCIDENT = SupervisionItem.__table__, Notification.__table__, Incident.__table__
REMIND_WORKDAYS_BEFORE = 1


def escalate(session: Session, clock: Clock) -> dict[str, int]:
    """Remind holders of tasks due soon, raise one 督办 item per overdue task, close resolved items.

    Idempotent: running it twice (or in two schedulers) creates nothing twice — the
    unique task id of a supervision item and of a reminder decide.
    """
    now, today = clock.now(), clock.today()
    calendar = WorkingCalendar.load()
    try:
        remind_until = calendar.add_workdays(today, REMIND_WORKDAYS_BEFORE)
    except CalendarYearMissing:
        remind_until = today
    due_soon = session.execute(
        select(TASK.c.id, TASK.c.case_id, TASK.c.role, TASK.c.unit_id, TASK.c.title, TASK.c.due_on, CASE.c.number)
        .join(CASE, CASE.c.id == TASK.c.case_id)
        .where(TASK.c.status == "open", TASK.c.reminded_at.is_(None), TASK.c.due_on.is_not(None),
               TASK.c.due_on >= today, TASK.c.due_on <= remind_until, CASE.c.suspended_at.is_(None))
    ).all()
    notify_once(session, [
        {"role": t.role, "unit_id": t.unit_id, "case_id": t.case_id, "task_id": t.id, "kind": "due_soon",
         "params": {"number": t.number, "step": t.title, "due_on": str(t.due_on)},
         "message": f"案件 {t.number}「{t.title}」将于 {t.due_on} 到期，请及时办理", "created_at": now}
        for t in due_soon])
    mark_reminded(session, [t.id for t in due_soon], now)

    overdue = session.execute(
        select(TASK.c.id, TASK.c.case_id, TASK.c.title, TASK.c.due_on, CASE.c.county_id, CASE.c.township_id,
               TASK.c.role, TASK.c.unit_id, TASK.c.claimed_by_id, CASE.c.number)
        .join(CASE, CASE.c.id == TASK.c.case_id)
        .where(TASK.c.status == "open", TASK.c.due_on < today, CASE.c.suspended_at.is_(None),  # its clock stands
               ~exists().where(ITEM.c.task_id == TASK.c.id))
    ).all()
    insert_ignoring_duplicates(session, ITEM, [
        {"task_id": t.id, "case_id": t.case_id, "county_id": t.county_id, "township_id": t.township_id,
         "step": t.title, "due_on": t.due_on, "created_at": now, "resolved_at": None} for t in overdue],
        ["task_id"])
    # once per task: the 督办 item found it overdue for the first time, and (task, kind) is unique
    notify_once(session, [
        {"role": t.role, "unit_id": t.unit_id, "case_id": t.case_id, "task_id": t.id, "user_id": t.claimed_by_id,
         "kind": "overdue", "params": {"number": t.number, "step": t.title, "due_on": str(t.due_on)},
         "message": f"案件 {t.number}「{t.title}」已超过办理期限（{t.due_on}），已列入督办"[:500],
         "created_at": now} for t in overdue])
    resolved = session.execute(
        update(ITEM).where(ITEM.c.resolved_at.is_(None),
                           exists().where(TASK.c.id == ITEM.c.task_id, TASK.c.status != "open"))
        .values(resolved_at=now)).rowcount
    provisional = session.execute(select(func.count()).select_from(TASK).where(
        TASK.c.status == "open", TASK.c.due_provisional.is_(True))).scalar_one()
    if provisional and not session.execute(select(INCIDENT.c.id).where(
            INCIDENT.c.kind == "calendar_missing", INCIDENT.c.resolved_at.is_(None))).first():
        session.execute(insert(INCIDENT).values(
            case_id=None, kind="calendar_missing", created_at=now, resolved_at=None,
            message=f"{provisional} 个待办事项的办理期限为暂定：所跨年份的国务院办公厅节假日安排尚未载入，"
                    "期限按法定节假日推算；请用 jiuzhu calendar load 载入通知，期限将自动重新计算"))
    return {"reminded": len(due_soon), "escalated": len(overdue), "resolved": resolved}


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_SUPERVISION_ITEMS_TOWNSHIP = aliased(Unit)

ITEMS_PAGE_SIZE = 50  # 督办 items on one page: a province's county may hold thousands


def supervision_items(session: Session, principal: Principal, today: date, page: int = 1,
                      page_size: int = ITEMS_PAGE_SIZE) -> dict:
    """One page of the open 督办 items of the supervised counties, most overdue first, with days late in
    working days: ``{"rows", "total", "page", "page_size"}`` (the page size is bounded)."""
    counties = supervised_counties(principal)
    page, page_size = max(page, 1), min(max(page_size, 1), ITEMS_PAGE_SIZE)
    empty = {"rows": [], "total": 0, "page": page, "page_size": page_size}
    if not principal.has_role("county_supervisor") or not counties:
        return empty
    where = (ITEM.c.county_id.in_(counties), ITEM.c.resolved_at.is_(None))
    total = session.execute(select(func.count()).select_from(ITEM).where(*where)).scalar_one()
    if not total:
        return empty
    township = _SUPERVISION_ITEMS_TOWNSHIP
    rows = session.execute(
        select(ITEM.c.id, ITEM.c.case_id, ITEM.c.step, ITEM.c.due_on, ITEM.c.created_at, CASE.c.number,
               CASE.c.applicant_name, township.name.label("township"), TASK.c.due_provisional)
        .join(CASE, CASE.c.id == ITEM.c.case_id).join(township, township.id == ITEM.c.township_id)
        .join(TASK, TASK.c.id == ITEM.c.task_id)
        .where(*where).order_by(ITEM.c.due_on, ITEM.c.id).limit(page_size).offset((page - 1) * page_size)
    ).all()
    calendar = WorkingCalendar.load()
    out = []
    for row in rows:
        try:
            late = calendar.workdays_between(row.due_on, today)
        except CalendarYearMissing:
            late = None
        out.append({**row._asdict(), "workdays_late": late})
    return {"rows": out, "total": total, "page": page, "page_size": page_size}


def overdue_by_township(session: Session, principal: Principal, today: date) -> list:
    """(township, overdue open tasks) for the supervised counties, every township listed."""
    counties = supervised_counties(principal)
    if not counties:
        return []
    # Two statements merged here: joined to the townships in SQL, PostgreSQL misjudged the townships' count
    # (one) and ran the grouped count once per township (15× the work on a province's county).
    overdue = dict(session.execute(
        select(CASE.c.township_id, func.count()).join(TASK, TASK.c.case_id == CASE.c.id)
        # Only a running case has open tasks (an ending withdraws them): the county's running cases by
        # their index, not all of its cases.
        .where(CASE.c.county_id.in_(counties), CASE.c.status == "running", TASK.c.status == "open",
               TASK.c.due_on < today)
        .group_by(CASE.c.township_id)).all())
    townships = session.execute(select(Unit.id, Unit.name).where(Unit.parent_id.in_(counties),
                                                                 Unit.level == "township").order_by(Unit.code)).all()
    return [TownshipOverdue(t.id, t.name, overdue.get(t.id, 0)) for t in townships]


class TownshipOverdue(NamedTuple):
    id: int
    name: str
    overdue: int


def _addressed(principal: Principal):
    """Notifications to the principal's (role, unit) pairs, or to them by name (a task reassigned to them)."""
    return _addressed_to(principal.user_id, principal.roles)


# The notification statements are built once per (user, roles) and shape, not per request (building one costs
# more than running it); every value is in the key, and statements are immutable.
@lru_cache(maxsize=1024)
def _addressed_to(user_id: int, roles: tuple[tuple[str, int], ...]):
    pairs = [village_pair(NOTE, and_(NOTE.c.role == role, NOTE.c.unit_id == unit), role) for role, unit in roles]
    if not pairs:
        return false()
    return and_(or_(*pairs), or_(NOTE.c.user_id.is_(None), NOTE.c.user_id == user_id))


def notifications_for(session: Session, principal: Principal, limit: int = 20, kind: str | None = None,
                      besides: str | None = None):
    """Recent reminders and operations' messages addressed to the principal (of one ``kind``, or of any kind
    ``besides`` one), newest first."""
    return session.execute(_notifications_statement(principal.user_id, principal.roles, limit, kind, besides)).all()


@lru_cache(maxsize=1024)
def _notifications_statement(user_id: int, roles: tuple, limit: int, kind: str | None, besides: str | None):
    return (select(NOTE).where(_addressed_to(user_id, roles), NOTE.c.kind == kind if kind else true(),
                               NOTE.c.kind != besides if besides else true())
            .order_by(NOTE.c.created_at.desc(), NOTE.c.id.desc()).limit(limit))


def unread_notifications(session: Session, principal: Principal) -> int:
    """How many of the principal's notifications came since they last opened the notification centre
    (counted up to 100: "99+" says enough)."""
    return session.execute(_unread_statement(principal.user_id, principal.roles)).scalar_one()


@lru_cache(maxsize=1024)
def _unread_statement(user_id: int, roles: tuple):
    seen = select(User.notifications_seen_at).where(User.id == user_id).scalar_subquery()
    newer = select(NOTE.c.id).where(_addressed_to(user_id, roles), or_(seen.is_(None), NOTE.c.created_at > seen)
                                    ).limit(100)
    return select(func.count()).select_from(newer.subquery())


def notification_kinds(session: Session, principal: Principal) -> dict[str, dict[str, int]]:
    """``{kind: {"total", "unread"}}`` of the principal's notifications (one grouped statement)."""
    seen = select(User.notifications_seen_at).where(User.id == principal.user_id).scalar_subquery()
    unread = func.sum(case((or_(seen.is_(None), NOTE.c.created_at > seen), 1), else_=0))
    return {k: {"total": n, "unread": int(u or 0)} for k, n, u in session.execute(
        select(NOTE.c.kind, func.count(), unread).where(_addressed(principal)).group_by(NOTE.c.kind))}


def notification_centre(session: Session, principal: Principal, now: datetime | None, limit: int = 100,
                        kind: str | None = None) -> list[dict]:
    """The principal's notifications (of one ``kind``), newest first, each marked unread if it came since their
    last visit; with ``now``, this visit is recorded (the caller's unit of work writes): they are read."""
    seen_at = session.execute(select(User.notifications_seen_at).where(User.id == principal.user_id)).scalar()
    rows = notifications_for(session, principal, limit, kind)
    if now is not None:
        mark_notifications_read(session, principal, now)
    return [{**r._asdict(), "unread": seen_at is None or r.created_at > seen_at} for r in rows]


def mark_notifications_read(session: Session, principal: Principal, now: datetime) -> None:
    """Every notification of the principal's until ``now`` is read (by them; their colleagues' stay unread)."""
    session.execute(update(User.__table__).where(User.id == principal.user_id).values(notifications_seen_at=now))


def open_incidents(session: Session):
    """Unresolved incidents, newest first (admins)."""
    return session.execute(select(INCIDENT).where(INCIDENT.c.resolved_at.is_(None))
                           .order_by(INCIDENT.c.created_at.desc())).all()


def retry_incident(session: Session, clock: Clock, incident_id: int) -> None:
    """Resolve an incident and put its case's timers back in the queue now."""
    incident = session.execute(select(INCIDENT).where(INCIDENT.c.id == incident_id)).first()
    if incident is None:
        raise NotFound(f"incident {incident_id}")
    now = clock.now()
    if incident.case_id is not None:
        requeue_timers(session, incident.case_id, now)
    session.execute(update(INCIDENT).where(INCIDENT.c.id == incident_id).values(resolved_at=now))
