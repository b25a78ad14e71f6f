"""Scheduler jobs do their work exactly once: real ``jiuzhu scheduler`` processes start one periodic
review (复核) per due household, two at once on PostgreSQL or one killed with SIGKILL mid-batch and
restarted; two schedulers opening the monthly cut-offs at once open each township's once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, insert, select, text

from engine.catalogue.forms import with_check_digit
from engine.store.models import Case, Recipient
from engine.cases.periodic import open_monthly_cutoffs
from engine.jobs import cutoff_sweep
from tests.factories import start

CASE = Case.__table__
HOUSEHOLDS = 400
BATCH = 20


def due_households(db, clock, who, unit_id, n: int = HOUSEHOLDS) -> list[str]:
    """n households of 双园村 in the register, all due for review; returns their ID numbers.

    Their granting cases are copies of one real case row (the review reads only its number).
    """
    origin = start(db, clock, who, unit_id)
    ids = [with_check_digit(f"320921197001{1 + i % 28:02d}{i // 28:03d}") for i in range(n)]  # valid birth dates
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        row = {k: v for k, v in s.execute(select(CASE).where(CASE.c.id == origin.case_id)).one()._asdict().items()
               if k not in ("id", "open_key")}
        case_ids = s.execute(insert(CASE).returning(CASE.c.id, sort_by_parameter_order=True), [
            {**row, "number": f"DUE-{i:05d}", "applicant_name": f"户主{i}", "applicant_id_number": id_number}
            for i, id_number in enumerate(ids)]).scalars().all()
        s.execute(insert(Recipient), [{
            "assistance_type": "minimum_living", "case_id": case_id, "county_id": row["county_id"],
            "township_id": row["township_id"], "village_id": row["village_id"], "applicant_name": f"户主{i}",
            "applicant_id_number": id_number, "household_size": 3, "monthly_amount": 1840.0,
            "payment_from": date(2020, 1, 1), "stopped_from": None, "review_class": "B",
            "next_review_on": date(2020, 7, 1), "review_case_id": None, "status": "active",
            "updated_at": datetime.now(timezone.utc)} for i, (case_id, id_number) in enumerate(zip(case_ids, ids))])
        uow.commit()
    return ids


def scheduler(db_url: str) -> subprocess.Popen:
    """A real scheduler process (its clock is the real one: every seeded review is due)."""
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": os.getcwd()}
    return subprocess.Popen([sys.executable, "-m", "webapp.cli", "scheduler", "--interval", "1",
                             "--review-batch-size", str(BATCH)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def linked(db) -> int:
    """Households whose review has started (committed)."""
    with db.unit_of_work() as uow:
        return uow.session.execute(select(func.count()).select_from(Recipient)
                                   .where(Recipient.review_case_id.is_not(None))).scalar_one()


def wait_until(predicate, seconds: float = 240, every: float = 0.2) -> None:
    # Generous: two scheduler processes start and work on a shared 2-core machine; a wrong result still fails
    # (the counts are checked after), only a slow one waits longer.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError("timed out")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=20)


def assert_one_review_per_household(db, ids: list[str]) -> None:
    with db.unit_of_work() as uow:
        s = uow.session
        per_household = dict(s.execute(select(Case.applicant_id_number, func.count())
                                       .where(Case.process_id.like("periodic_review%"))
                                       .group_by(Case.applicant_id_number)).all())
        links = s.execute(select(Recipient.applicant_id_number, Case.applicant_id_number)
                          .join(Case, Case.id == Recipient.review_case_id)).all()
    assert per_household == {id_number: 1 for id_number in ids}
    assert sorted(links) == sorted((id_number, id_number) for id_number in ids), "each linked to its own review"


@pytest.mark.postgres
def test_two_schedulers_on_postgres_start_one_review_per_household(db, db_url, clock, who, unit_id):
    if not db.is_postgres:
        pytest.skip("several schedulers share work only on PostgreSQL (SKIP LOCKED)")
    ids = due_households(db, clock, who, unit_id)
    procs = [scheduler(db_url), scheduler(db_url)]
    try:
        wait_until(lambda: linked(db) == len(ids))
    finally:
        for proc in procs:
            stop(proc)
    assert_one_review_per_household(db, ids)


def test_scheduler_killed_mid_batch_and_restarted_starts_one_review_per_household(db, db_url, clock, who,
                                                                                   unit_id):
    ids = due_households(db, clock, who, unit_id)
    first = scheduler(db_url)
    try:
        wait_until(lambda: linked(db) > 0, every=0.02)  # a batch is committed, the next one is under way
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=20)
    partly = linked(db)
    assert 0 < partly < len(ids)
    assert partly % BATCH == 0, "a batch is committed whole or not at all"
    second = scheduler(db_url)
    try:
        wait_until(lambda: linked(db) == len(ids))
    finally:
        stop(second)
    assert_one_review_per_household(db, ids)


@pytest.mark.postgres
def test_two_schedulers_opening_monthly_cutoffs_at_once_open_each_township_once(db, clock):
    if not db.is_postgres:
        pytest.skip("on SQLite the write lock taken at BEGIN runs the two one after the other")
    clock.set(datetime(2026, 10, 31, 17, 0, tzinfo=timezone.utc))  # 2026-11-01 01:00 in China
    outcome: dict = {}

    def second_scheduler() -> None:
        try:
            outcome["opened"] = cutoff_sweep(db, clock)
        except Exception as exc:  # reported below, not lost in the thread
            outcome["error"] = exc

    with db.unit_of_work(write=True) as first:
        assert open_monthly_cutoffs(first.session, clock) == 3
        first_pid = first.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        thread = threading.Thread(target=second_scheduler)
        thread.start()
        wait_until(lambda: waiting_for(db, first_pid))  # the second one has read and waits on the first's claim
        first.commit()
    thread.join(timeout=60)
    assert outcome == {"opened": 0}
    with db.unit_of_work() as uow:
        numbers = uow.session.execute(select(Case.number).where(Case.process_id == "siping_monthly_cutoff")
                                      .order_by(Case.number)).scalars().all()
    assert numbers == ["220302001-202611-月度", "220302002-202611-月度", "220302003-202611-月度"]


def waiting_for(db, pid: int) -> bool:
    """True when some session waits for a lock held by backend ``pid``."""
    with db.unit_of_work() as uow:
        return uow.session.execute(text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
                                   {"pid": pid}).scalar_one() > 0
