"""What an operator asks of a running installation: is the store reachable, when did each scheduler job
last finish, how far behind are the due timers, how long are the queues. Nothing personal is read."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.store.models import CaseTimer, DashStepTime, HumanTask, Incident, SchedulerRun, SupervisionItem

JOBS = ("timers", "escalation", "reviews", "dashboard")


def record_job_run(session: Session, job: str, finished_at: datetime, duration_ms: int) -> None:
    """Note that a scheduler job finished (one row per job, overwritten)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    values = {"job": job, "finished_at": finished_at, "duration_ms": duration_ms}
    session.execute(dialect.insert(SchedulerRun).values(values).on_conflict_do_update(
        index_elements=["job"], set_={"finished_at": finished_at, "duration_ms": duration_ms}))


def timer_lag_seconds(session: Session, now: datetime) -> float:
    """How long the oldest due timer has waited past its time (0 when none is due): the scheduler's lag."""
    oldest = session.execute(select(func.min(CaseTimer.due_at)).where(CaseTimer.due_at <= now)).scalar()
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def health(session: Session, now: datetime) -> dict:
    """The store's reachability, each job's last run and age, and the timer lag (raises if the store is down)."""
    session.execute(text("SELECT 1"))
    runs = {r.job: r for r in session.execute(select(SchedulerRun)).scalars()}
    jobs = {job: {"finished_at": runs[job].finished_at.isoformat(), "duration_ms": runs[job].duration_ms,
                  "age_seconds": round((now - runs[job].finished_at).total_seconds(), 1)} if job in runs else None
            for job in JOBS}
    return {"database": "ok", "scheduler": jobs, "timer_lag_seconds": round(timer_lag_seconds(session, now), 1)}


def queue_sizes(session: Session, now: datetime) -> dict[str, int]:
    """Open tasks, due timers, open incidents and 督办 items, and tasks completed (as of the dashboard job)."""
    return {
        "open_tasks": session.execute(select(func.count()).select_from(HumanTask)
                                      .where(HumanTask.status == "open")).scalar_one(),
        "due_timers": session.execute(select(func.count()).select_from(CaseTimer)
                                      .where(CaseTimer.due_at <= now)).scalar_one(),
        "open_incidents": session.execute(select(func.count()).select_from(Incident)
                                          .where(Incident.resolved_at.is_(None))).scalar_one(),
        "open_supervision_items": session.execute(select(func.count()).select_from(SupervisionItem)
                                                  .where(SupervisionItem.resolved_at.is_(None))).scalar_one(),
        "completed_tasks": int(session.execute(select(func.coalesce(func.sum(DashStepTime.completed), 0)))
                               .scalar_one()),
    }
