"""The jobs of the scheduler process (``jiuzhu scheduler``): timers, reminders and 督办, periodic
reviews, monthly cut-offs, the county's monthly 抽查 of township decisions, the dashboard's summary tables.

Each job owns its transactions: one unit of work per batch, committed once, in which
the work is claimed, done and recorded; the use cases it calls never commit. Due work
is found through indexed columns (``case.next_due_at``, ``recipient.next_review_on``),
never by loading waiting cases. On PostgreSQL a batch is claimed with FOR UPDATE SKIP
LOCKED, so several schedulers share the work without doing anything twice; a scheduler
killed mid-batch loses nothing because the batch commits as one transaction (or not at
all, and is redone).

On PostgreSQL the timer sweep commits asynchronously (``SET LOCAL synchronous_commit = off``, its own
transactions only; see ``_ASYNC_COMMIT``): a crash may lose its last few commits, which are then redone,
and nothing is done twice.
"""
from __future__ import annotations

import gc
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import insert, select, text

from engine.cases import timers
from engine.clock import Clock
from engine.cases.lifecycle import record_route_incident
from engine.cases.writer import write_firings, write_timer_failure
from engine.store.database import Database
from engine.errors import RouteFailed
from engine.store.models import Case, CaseEvent, Incident
from engine.cases.coming_of_age import start_coming_of_age_reviews
from engine.cases.county_review import sample_month
from engine.cases.periodic import open_monthly_cutoffs, start_due_reviews
from engine.oversight.supervision import escalate
from engine.oversight.dashboard_refresh import refresh as refresh_dashboard
from engine.oversight.health import record_job_run
from engine.window.referrals import escalate_referrals

log = logging.getLogger("jiuzhu.scheduler")
CASE, EVENT, INCIDENT = Case.__table__, CaseEvent.__table__, Incident.__table__
MAX_ATTEMPTS = 5
DASHBOARD_MINUTES = 5
BASE_DELAY = timedelta(minutes=1)   # retries after 1, 2, 4, 8 minutes, then an incident
# Periodic reviews started per transaction: 200 starts ~8% more a second than 100 (one commit, one claim and
# a few statements for twice the reviews; bench/README.md, "Reviews started per second").
REVIEW_BATCH = 200
# The timer sweep's transactions commit without waiting for their WAL to reach the disk (PostgreSQL only).
# Why that is safe: a batch is one transaction, so a commit lost in a server crash (at most ~3 ×
# wal_writer_delay of them) is lost whole, exactly as if the batch had rolled back: the case rows keep
# their old revision and their next_due_at (still due), the 公示 task stays open, and no event, task or
# notification of the batch exists. The next sweep finds the same cases due and fires them once; nothing
# survives of the lost attempt to be done twice. The sweep does nothing outside the database after a
# commit (no mail, no message), so nothing outside can have acted on it. Nor can anything inside: WAL is
# written in order, so any later synchronous commit (a clerk completing the new 审核确认 task, say) flushes
# the sweep's commit with it; a transaction that read the sweep's writes cannot outlive them. What a crash
# can cost is the repeated work, never a wrong state. Only this job: a request's commit stays synchronous,
# since its user was told "done". (bench/README.md: "The sweep's batches as set-based statements,
# committed asynchronously")
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit = off")


@dataclass
class SweepResult:
    """What one sweep did."""

    fired: int = 0
    failed: list[int] = field(default_factory=list)
    batches: int = 0


# Threads a timer sweep works with on PostgreSQL, each on a connection of its own taking batches side by
# side (FOR UPDATE SKIP LOCKED gives each other cases): while one batch waits on the server, another is
# planned or written, so the sweep uses both of the machine's cores (bench/README.md: "The sweep on two
# connections"). SQLite has one writer: one thread there.
SWEEP_WORKERS = 2


class _Batches:
    """The batches a sweep may still take, shared by its threads (None: as many as are due)."""

    def __init__(self, limit: int | None) -> None:
        self._left, self._lock = limit, threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._left is None:
                return True
            if self._left <= 0:
                return False
            self._left -= 1
            return True


def sweep(db: Database, clock: Clock, batch_size: int = 200, max_batches: int | None = None,
          workers: int | None = None) -> SweepResult:
    """Fire every timer due now, in batches, one transaction per batch; on PostgreSQL ``workers`` threads
    (``SWEEP_WORKERS``) at once, with the process's long-lived objects frozen for the collector."""
    threads = max(1, workers or SWEEP_WORKERS) if db.is_postgres else 1
    batches = _Batches(max_batches)
    with long_lived_objects_frozen():
        if threads == 1:
            return _sweep_batches(db, clock, batch_size, batches)
        with ThreadPoolExecutor(threads, thread_name_prefix="sweep") as pool:
            futures = [pool.submit(_sweep_batches, db, clock, batch_size, batches) for _ in range(threads)]
            parts = [f.result() for f in futures]  # a thread's exception is raised here
    return SweepResult(fired=sum(p.fired for p in parts), failed=[c for p in parts for c in p.failed],
                       batches=sum(p.batches for p in parts))


def _sweep_batches(db: Database, clock: Clock, batch_size: int, batches: _Batches) -> SweepResult:
    """One thread of a sweep: batches until none is due that another thread has not locked."""
    result = SweepResult()
    while batches.take():
        with db.unit_of_work(write=True) as uow:
            session = uow.session
            if db.is_postgres:
                session.execute(_ASYNC_COMMIT)
            now, today = clock.now(), clock.today()
            rows = timers.due_now(session, now, batch_size, lock=db.is_postgres)
            if not rows:
                break
            states = timers.states_of(session, rows, now)  # one statement, for the cases without a plan
            firings, failures = [], []
            for row in rows:
                try:
                    firings.append(timers.plan(session, clock, row, states.get(row.id)))
                except Exception as exc:  # one bad case must not stop the others
                    log.exception("timer of case %s failed", row.id)
                    failures.append((row.id, exc))
            done = _apply_batch(session, firings, now, today, failures)
            for case_id, exc in failures:
                result.failed.append(case_id)
                _record_failure(session, case_id, now, exc)
            uow.commit()
            result.fired += done
            result.batches += 1
    return result


def _apply_batch(session, firings, now, today, failures) -> int:
    """Write the batch in a few statements; if that fails, case by case so one bad case fails alone."""
    savepoint = session.begin_nested()
    try:
        write_firings(session, firings, now, today)
        savepoint.commit()
        return len(firings)
    except Exception:
        savepoint.rollback()
    done = 0
    for firing in firings:
        savepoint = session.begin_nested()
        try:
            write_firings(session, [firing], now, today)
            savepoint.commit()
            done += 1
        except Exception as exc:
            savepoint.rollback()
            log.warning("timer of case %s could not be written", firing.case_id, exc_info=True)
            failures.append((firing.case_id, exc))
    return done


def _record_failure(session, case_id: int, now, exc: Exception) -> None:
    """Retry with exponential backoff; after MAX_ATTEMPTS stop and raise an incident for admins."""
    attempts = session.execute(select(CASE.c.timer_attempts).where(CASE.c.id == case_id)).scalar_one() + 1
    gave_up = attempts >= MAX_ATTEMPTS
    write_timer_failure(session, case_id, attempts, None if gave_up else now + BASE_DELAY * 2 ** (attempts - 1),
                        now, str(exc))
    if gave_up:
        session.execute(insert(INCIDENT).values(case_id=case_id, kind="timer_failed", created_at=now,
                                                resolved_at=None, message=f"重试 {attempts} 次仍失败：{exc}"[:2000]))


def escalation_sweep(db: Database, clock: Clock) -> dict[str, int]:
    """One transaction of reminders and 督办 items (see engine.oversight.supervision.escalate)."""
    with db.unit_of_work(write=True) as uow:
        result = {**escalate(uow.session, clock), **escalate_referrals(uow.session, clock)}
        uow.commit()
    return result


_frozen = {"sweeps": 0}
_frozen_lock = threading.Lock()


@contextmanager
def long_lived_objects_frozen():
    """Keep the cycle collector off the objects alive when the block starts (the loaded specs, the rule
    books, the ORM's machinery): frozen (``gc.freeze``) until the last such block of the process ends
    (``gc.unfreeze`` gives them back to the collector). A sweep makes a great many short-lived objects, and
    each collection of the oldest generation walked the whole heap: a third of the review sweep's time went
    to it. Reference counting frees as before; only cycles among frozen objects wait for the unfreeze. No
    collection first: it walked the whole heap once per sweep (~0.3 s holding the interpreter lock, 0.3 ms
    a review of a 1,000-review sweep), and a cycle that was garbage at the start is collected after the
    unfreeze all the same."""
    with _frozen_lock:
        _frozen["sweeps"] += 1
        if _frozen["sweeps"] == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _frozen_lock:
            _frozen["sweeps"] -= 1
            if _frozen["sweeps"] == 0:
                gc.unfreeze()


def review_sweep(db: Database, clock: Clock, batch_size: int = REVIEW_BATCH, max_batches: int | None = None) -> dict[str, int]:
    """Start every due periodic review, one transaction per batch (see engine.cases.periodic.start_due_reviews),
    with the process's long-lived objects frozen for the collector (``long_lived_objects_frozen``).

    A household whose review cannot start is logged and left due for the next sweep.
    """
    with long_lived_objects_frozen():
        return _review_sweep(db, clock, batch_size, max_batches)


def _review_sweep(db: Database, clock: Clock, batch_size: int, max_batches: int | None) -> dict[str, int]:
    started = batches = 0
    failed: set[int] = set()
    while max_batches is None or batches < max_batches:
        with db.unit_of_work(write=True) as uow:
            batch = start_due_reviews(uow.session, clock, batch_size, skip=failed)
            if not batch.claimed:
                break
            uow.commit()
        for recipient_id, exc in batch.failed.items():
            log.error("periodic review of recipient %s could not start: %s", recipient_id, exc)
        route_failures = [exc for exc in batch.failed.values() if isinstance(exc, RouteFailed)]
        if route_failures:  # a route at fault: administrators see an incident naming the element
            with db.unit_of_work(write=True) as uow:
                for exc in route_failures:
                    record_route_incident(uow.session, exc, clock.now())
                uow.commit()
        failed.update(batch.failed)
        started += batch.started
        batches += 1
    return {"started": started, "batches": batches, "failed": len(failed)}


def coming_of_age_sweep(db: Database, clock: Clock, batch_size: int = 100) -> dict[str, int]:
    """Start the reviews of orphans turning 18, one transaction per batch (see
    engine.cases.coming_of_age.start_coming_of_age_reviews); a review that cannot start is logged."""
    started = batches = 0
    while True:
        with db.unit_of_work(write=True) as uow:
            batch = start_coming_of_age_reviews(uow.session, clock, batch_size)
            uow.commit()
        for recipient_id, exc in batch.failed.items():
            log.error("coming-of-age review of recipient %s could not start: %s", recipient_id, exc)
        started += batch.started
        batches += 1
        if batch.claimed < batch_size or not batch.started:  # the rest failed: left for the next run
            return {"started": started, "batches": batches, "failed": len(batch.failed)}


def cutoff_sweep(db: Database, clock: Clock) -> int:
    """Open this month's cut-off cases in one transaction (see engine.cases.periodic.open_monthly_cutoffs)."""
    with db.unit_of_work(write=True) as uow:
        opened = open_monthly_cutoffs(uow.session, clock)
        uow.commit()
    return opened


def sampling_sweep(db: Database, clock: Clock, month: date | None = None) -> list:
    """Draw last month's (or ``month``'s) 抽查 of every county not drawn yet, in one transaction (see
    engine.cases.county_review.sample_month); returns what each county drew."""
    with db.unit_of_work(write=True) as uow:
        drawn = sample_month(uow.session, clock, month)
        uow.commit()
    return drawn


def dashboard_sweep(db: Database, clock: Clock) -> dict[str, int]:
    """Rewrite the supervisor's dashboard tables in one transaction (see engine.oversight.dashboard_refresh)."""
    with db.unit_of_work(write=True) as uow:
        written = refresh_dashboard(uow.session, clock)
        uow.commit()
    return written


def record_run(db: Database, clock: Clock, job: str, duration_ms: int) -> None:
    """Note in its own transaction that a job finished (see engine.oversight.health.record_job_run)."""
    with db.unit_of_work(write=True) as uow:
        record_job_run(uow.session, job, clock.now(), duration_ms)
        uow.commit()


def run_forever(db: Database, clock: Clock, interval_seconds: float = 5.0, batch_size: int = 200,
                review_batch_size: int = REVIEW_BATCH) -> None:
    """Run sweeps on an APScheduler blocking scheduler until the process is stopped."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler()

    def timers() -> None:
        result = sweep(db, clock, batch_size)
        if result.fired or result.failed:
            log.info("sweep fired %d, failed %d", result.fired, len(result.failed))

    def escalation() -> None:
        result = escalation_sweep(db, clock)
        if any(result.values()):
            log.info("escalation %s", result)

    def reviews() -> None:
        result = review_sweep(db, clock, review_batch_size)
        if result["started"]:
            log.info("periodic reviews started: %d", result["started"])
        adults = coming_of_age_sweep(db, clock)
        if adults["started"]:
            log.info("reviews of orphans turning 18 started: %d", adults["started"])
        cutoffs = cutoff_sweep(db, clock)
        if cutoffs:
            log.info("monthly cut-offs opened: %d", cutoffs)
        for drawn in sampling_sweep(db, clock):
            log.info("sampling %s %s: %d of %d", drawn.county_code, drawn.month, len(drawn.selected), drawn.population)

    def dashboard() -> None:
        dashboard_sweep(db, clock)

    def recorded(name: str, job):
        """The job, followed by a note of when it finished and how long it took (for /healthz, /metrics)."""
        def run() -> None:
            started = time.perf_counter()
            job()
            record_run(db, clock, name, round((time.perf_counter() - started) * 1000))
        return run

    timers, escalation, reviews, dashboard = (recorded(name, job) for name, job in (
        ("timers", timers), ("escalation", escalation), ("reviews", reviews), ("dashboard", dashboard)))
    scheduler.add_job(timers, "interval", seconds=interval_seconds, max_instances=1, coalesce=True,
                      next_run_time=clock.now())
    scheduler.add_job(reviews, "interval", minutes=10, max_instances=1, coalesce=True, next_run_time=clock.now())
    scheduler.add_job(escalation, "interval", seconds=max(60.0, interval_seconds), max_instances=1,
                      coalesce=True, next_run_time=clock.now())
    # The dashboard shows its figures' age; five minutes keeps the grouped scans off the busy path.
    scheduler.add_job(dashboard, "interval", minutes=DASHBOARD_MINUTES, max_instances=1, coalesce=True,
                      next_run_time=clock.now())
    scheduler.start()
