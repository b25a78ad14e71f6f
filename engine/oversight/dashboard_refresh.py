"""The dashboard job: rewrite the supervisor's summary tables from the cases, tasks and register.

Run by the scheduler (engine.jobs.dashboard_sweep) in one transaction, so a page sees either the
old figures or the new ones. Every statement is one grouped scan; the pages read only the results
(engine.oversight.dashboard), never the cases themselves.
"""
from __future__ import annotations

import statistics
import time
from collections import defaultdict
from datetime import date

from sqlalchemy import and_, case as when, delete, exists, func, insert, literal_column, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.households.register import REVIEW_ENDED
from engine.store.models import (Case, DashBacklog, DashCaseMonth, DashRefresh, DashStepTime, DashTownship,
                                 HumanTask, Recipient, RecipientChange, SupervisionItem, Unit)

CASE, TASK, CHANGE = Case.__table__, HumanTask.__table__, RecipientChange.__table__
RECIPIENT, ITEM = Recipient.__table__, SupervisionItem.__table__
# Literal SQL, not a bound parameter: PostgreSQL matches GROUP BY expressions only when they are identical.
TYPE = func.coalesce(CASE.c.assistance_type, literal_column("''"))
TABLES = (DashCaseMonth, DashBacklog, DashStepTime, DashTownship, DashRefresh)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _month_of(session: Session, column):
    """The first day of the month of a timestamp, as a date (UTC)."""
    if _is_postgres(session):
        return func.cast(func.date_trunc(literal_column("'month'"), column), CASE.c.due_on.type)
    return func.date(column, "start of month")


def _hours_between(session: Session, start, end):
    if _is_postgres(session):
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _count(condition):
    return func.coalesce(func.sum(when((condition, 1), else_=0)), 0)


def _case_months(session: Session) -> list[dict]:
    completed = CASE.c.status == "completed"
    decided = exists().where(CHANGE.c.case_id == CASE.c.id)
    registered = exists().where(CHANGE.c.case_id == CASE.c.id, CHANGE.c.effect == "register")
    # SQLite keeps the timestamp as text; comparing its date part with the limit's ISO date is exact.
    done_on = func.cast(CASE.c.completed_at, CASE.c.due_on.type) if _is_postgres(session) \
        else func.date(CASE.c.completed_at)
    month = _month_of(session, CASE.c.created_at).label("month")
    rows = session.execute(
        select(CASE.c.county_id, CASE.c.township_id, TYPE.label("type"), month,
               _count(CASE.c.status == "running").label("running"), _count(completed).label("completed"),
               _count(and_(completed, (CASE.c.due_on.is_(None)) | (done_on <= CASE.c.due_on))).label("on_time"),
               _count(and_(completed, registered)).label("approved"),
               # A refusal: an application that ended without touching the register (reviews always do).
               _count(and_(completed, CASE.c.household_id.is_not(None), ~decided)).label("refused"),
               func.coalesce(func.sum(when((completed, _hours_between(session, CASE.c.created_at, CASE.c.completed_at)),
                                           else_=0)), 0).label("hours"))
        .group_by(CASE.c.county_id, CASE.c.township_id, TYPE, month)).all()
    return [{"county_id": r.county_id, "township_id": r.township_id, "assistance_type": r.type,
             "month": _as_date(r.month), "running": r.running, "completed": r.completed, "on_time": r.on_time,
             "approved": r.approved, "refused": r.refused, "decision_days": round(float(r.hours) / 24)}
            for r in rows]


def _backlog(session: Session, today: date) -> list[dict]:
    rows = session.execute(
        select(CASE.c.county_id, CASE.c.township_id, TYPE.label("type"),
               TASK.c.title, func.count().label("open"), _count(TASK.c.due_on < today).label("overdue"))
        .join(CASE, CASE.c.id == TASK.c.case_id).where(TASK.c.status == "open")
        .group_by(CASE.c.county_id, CASE.c.township_id, TYPE, TASK.c.title)
    ).all()
    return [{"county_id": r.county_id, "township_id": r.township_id, "assistance_type": r.type, "step": r.title,
             "open": r.open, "overdue": r.overdue} for r in rows]


def _step_times(session: Session) -> list[dict]:
    key = (CASE.c.county_id, CASE.c.process_version_id, TASK.c.task_name)
    hours = _hours_between(session, TASK.c.created_at, TASK.c.completed_at)
    done = (TASK.c.status == "completed", TASK.c.completed_at.is_not(None))
    groups: dict[tuple, dict] = {}
    if _is_postgres(session):
        for r in session.execute(
                select(*key, func.max(TASK.c.title).label("title"), func.count().label("n"),
                       func.percentile_cont(0.5).within_group(hours).label("median"),
                       func.percentile_cont(0.9).within_group(hours).label("p90"))
                .join(CASE, CASE.c.id == TASK.c.case_id).where(*done).group_by(*key)):
            groups[(r.county_id, r.process_version_id, r.task_name)] = {
                "title": r.title, "completed": r.n, "median_hours": r.median, "p90_hours": r.p90}
    else:  # SQLite has no percentile aggregate: the embedded store is small enough to sort here
        samples: dict[tuple, list[float]] = defaultdict(list)
        titles: dict[tuple, str] = {}
        for r in session.execute(select(*key, TASK.c.title, hours.label("h"))
                                 .join(CASE, CASE.c.id == TASK.c.case_id).where(*done)):
            samples[(r.county_id, r.process_version_id, r.task_name)].append(float(r.h))
            titles[(r.county_id, r.process_version_id, r.task_name)] = r.title
        for k, values in samples.items():
            groups[k] = {"title": titles[k], "completed": len(values), "median_hours": statistics.median(values),
                         "p90_hours": _percentile(values, 0.9)}
    for r in session.execute(select(*key, func.max(TASK.c.title).label("title"), func.count().label("n"))
                             .join(CASE, CASE.c.id == TASK.c.case_id).where(TASK.c.status == "open").group_by(*key)):
        entry = groups.setdefault((r.county_id, r.process_version_id, r.task_name),
                                  {"title": r.title, "completed": 0, "median_hours": None, "p90_hours": None})
        entry["waiting"] = r.n
    return [{"county_id": k[0], "process_version_id": k[1], "task_name": k[2], "waiting": v.pop("waiting", 0),
             **{f: (round(float(x), 2) if x is not None and f.endswith("hours") else x) for f, x in v.items()}}
            for k, v in groups.items()]


def _percentile(values: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks, as PostgreSQL's percentile_cont does."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _townships(session: Session, today: date, backlog: list[dict]) -> list[dict]:
    overdue: dict[int, int] = defaultdict(int)
    for row in backlog:
        overdue[row["township_id"]] += row["overdue"]
    items = dict(session.execute(select(ITEM.c.township_id, func.count()).where(ITEM.c.resolved_at.is_(None))
                                 .group_by(ITEM.c.township_id)).all())
    active = RECIPIENT.c.status == "active"
    reviews = {r.township_id: r for r in session.execute(
        select(RECIPIENT.c.township_id,
               _count(and_(active, RECIPIENT.c.next_review_on <= today, RECIPIENT.c.review_case_id.is_(None))).label("due"),
               _count(and_(active, RECIPIENT.c.review_case_id.is_not(None))).label("running"))
        .group_by(RECIPIENT.c.township_id))}
    done = dict(session.execute(
        select(RECIPIENT.c.township_id, func.count()).join(CHANGE, CHANGE.c.recipient_id == RECIPIENT.c.id)
        .where(CHANGE.c.effect.not_in(("register", REVIEW_ENDED)), CHANGE.c.on >= date(today.year, 1, 1))
        .group_by(RECIPIENT.c.township_id)).all())
    return [{"township_id": t.id, "county_id": t.parent_id, "overdue_tasks": overdue.get(t.id, 0),
             "supervision_open": items.get(t.id, 0),
             "reviews_due": reviews[t.id].due if t.id in reviews else 0,
             "reviews_running": reviews[t.id].running if t.id in reviews else 0, "reviews_done": done.get(t.id, 0)}
            for t in session.execute(select(Unit.id, Unit.parent_id).where(Unit.level == "township"))]


def refresh(session: Session, clock: Clock) -> dict[str, int]:
    """Rewrite every dashboard table from the store (the caller commits). Returns rows written per table."""
    started = time.perf_counter()
    today = clock.today()
    case_months, backlog, steps = _case_months(session), _backlog(session, today), _step_times(session)
    townships = _townships(session, today, backlog)
    for model in TABLES:
        session.execute(delete(model))
    written = {}
    for model, rows in ((DashCaseMonth, case_months), (DashBacklog, backlog), (DashStepTime, steps),
                        (DashTownship, townships)):
        if rows:
            session.execute(insert(model), rows)
        written[model.__tablename__] = len(rows)
    session.execute(insert(DashRefresh).values(id=1, refreshed_at=clock.now(),
                                               duration_ms=round((time.perf_counter() - started) * 1000)))
    return written

