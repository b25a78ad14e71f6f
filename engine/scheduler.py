"""The timer sweep run by the scheduler process (``jiuzhu scheduler``).

Due work is found through the indexed ``case.next_due_at`` column, never by
loading waiting cases. On PostgreSQL a batch is claimed with FOR UPDATE SKIP
LOCKED, so several schedulers share the work without firing a timer twice; a
scheduler killed mid-batch loses nothing because the batch commits as one
transaction (or not at all, and is redone).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import insert, select, update

from .cases import fire_due_timers_for_case
from .clock import Clock
from .db import Database
from .models import Case, CaseEvent

log = logging.getLogger("jiuzhu.scheduler")
CASE, EVENT = Case.__table__, CaseEvent.__table__
RETRY_DELAY = timedelta(minutes=5)


@dataclass
class SweepResult:
    """What one sweep did."""

    fired: int = 0
    failed: list[int] = field(default_factory=list)
    batches: int = 0


def sweep(db: Database, clock: Clock, batch_size: int = 200, max_batches: int | None = None) -> SweepResult:
    """Fire every timer due now, in batches, one transaction per batch."""
    result = SweepResult()
    while max_batches is None or result.batches < max_batches:
        with db.unit_of_work(write=True) as session:
            now = clock.now()
            stmt = (select(CASE.c.id).where(CASE.c.next_due_at <= now)
                    .order_by(CASE.c.next_due_at).limit(batch_size))
            if db.is_postgres:
                stmt = stmt.with_for_update(skip_locked=True, of=CASE)
            ids = session.execute(stmt).scalars().all()
            if not ids:
                break
            for case_id in ids:
                savepoint = session.begin_nested()
                try:
                    fire_due_timers_for_case(session, clock, case_id)
                    savepoint.commit()
                    result.fired += 1
                except Exception as exc:  # one bad case must not stop the others
                    savepoint.rollback()
                    log.exception("timer of case %s failed", case_id)
                    result.failed.append(case_id)
                    session.execute(update(CASE).where(CASE.c.id == case_id).values(next_due_at=now + RETRY_DELAY))
                    session.execute(insert(EVENT).values(case_id=case_id, at=now, actor_id=None, kind="incident",
                                                         task_name=None, title="定时器执行失败",
                                                         data={"error": str(exc)[:500]}))
            session.commit()
            result.batches += 1
    return result


def run_forever(db: Database, clock: Clock, interval_seconds: float = 5.0) -> None:
    """Run sweeps on an APScheduler blocking scheduler until the process is stopped."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler()

    def job() -> None:
        result = sweep(db, clock)
        if result.fired or result.failed:
            log.info("sweep fired %d, failed %d", result.fired, len(result.failed))

    scheduler.add_job(job, "interval", seconds=interval_seconds, max_instances=1, coalesce=True,
                      next_run_time=clock.now())
    scheduler.start()
