"""Real scheduler processes: two on PostgreSQL never fire a timer twice; one killed with SIGKILL
mid-sweep and restarted leaves every case correct; one sweep's threads share its batches."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.clock import Clock, FrozenClock
from engine.jobs import SWEEP_WORKERS, sweep
from tests.factories import sample_application
from engine.catalogue.forms import with_check_digit
from engine.store.models import CaseEvent, HumanTask
from engine.catalogue.rules import PUBLICITY_OVERRIDE_ENV
from tests.factories import start


def cases_in_publicity(db, who, unit_id, n: int) -> list[int]:
    """n cases waiting in 公示 whose 1-second timers are due almost at once (real time)."""
    clock = FrozenClock(Clock().now())
    ids = []
    for i in range(n):
        data = sample_application("王小明", with_check_digit(f"32092119700101{i:03d}"), [300, 200])
        walk = start(db, clock, who, unit_id, data=data)
        walk.drive_to("publicity")
        ids.append(walk.case_id)
    return ids


def scheduler(db_url: str, batch_size: int = 10) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": os.getcwd()}
    return subprocess.Popen([sys.executable, "-m", "webapp.cli", "scheduler", "--interval", "0.2",
                             "--batch-size", str(batch_size)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def fired_per_case(db) -> dict[int, int]:
    with db.unit_of_work() as uow:
        s = uow.session
        return dict(s.execute(select(CaseEvent.case_id, func.count()).where(CaseEvent.kind == "timer_fired")
                              .group_by(CaseEvent.case_id)).all())


def wait_until(predicate, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def assert_all_moved_on(db, ids) -> None:
    assert fired_per_case(db) == {case_id: 1 for case_id in ids}
    with db.unit_of_work() as uow:
        s = uow.session
        open_rows = s.execute(select(HumanTask.case_id, HumanTask.task_name).where(
            HumanTask.status == "open", HumanTask.case_id.in_(ids))).all()
    assert sorted(open_rows) == sorted((case_id, "confirmation") for case_id in ids)


@pytest.mark.parametrize("n", [80])
def test_two_schedulers_on_postgres_never_fire_the_same_timer_twice(db, db_url, who, unit_id, monkeypatch, n):
    if not db.is_postgres:
        pytest.skip("several schedulers share work only on PostgreSQL (SKIP LOCKED)")
    monkeypatch.setenv(PUBLICITY_OVERRIDE_ENV, "PT1S")
    ids = cases_in_publicity(db, who, unit_id, n)
    time.sleep(1.2)
    procs = [scheduler(db_url, batch_size=5), scheduler(db_url, batch_size=5)]
    try:
        wait_until(lambda: len(fired_per_case(db)) == n)
        time.sleep(1.0)  # let both schedulers sweep again: nothing may fire a second time
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
    assert_all_moved_on(db, ids)


def test_one_sweeps_threads_share_its_batches_and_fire_each_timer_once(db, who, unit_id, monkeypatch):
    """On PostgreSQL a sweep takes batches on several connections at once (engine.jobs.SWEEP_WORKERS); each due
    case is fired by exactly one of them, and ``max_batches`` bounds the batches of all of them together."""
    if not db.is_postgres:
        pytest.skip("a sweep works on one connection on SQLite")
    assert SWEEP_WORKERS > 1
    monkeypatch.setenv(PUBLICITY_OVERRIDE_ENV, "PT1S")
    ids = cases_in_publicity(db, who, unit_id, 24)
    clock = FrozenClock(Clock().now() + timedelta(minutes=1))
    bounded = sweep(db, clock, batch_size=3, max_batches=2, workers=3)
    assert (bounded.fired, bounded.batches) == (6, 2)
    rest = sweep(db, clock, batch_size=3, workers=3)
    assert (rest.fired, rest.failed) == (18, [])
    assert rest.batches >= 6
    assert_all_moved_on(db, ids)
    assert sweep(db, clock, batch_size=3, workers=3).fired == 0


def test_scheduler_killed_mid_sweep_and_restarted_leaves_every_case_correct(db, db_url, who, unit_id, monkeypatch):
    monkeypatch.setenv(PUBLICITY_OVERRIDE_ENV, "PT1S")
    ids = cases_in_publicity(db, who, unit_id, 60)
    time.sleep(1.2)
    first = scheduler(db_url, batch_size=5)
    try:
        wait_until(lambda: len(fired_per_case(db)) > 0, seconds=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    partly = len(fired_per_case(db))
    second = scheduler(db_url, batch_size=5)
    try:
        wait_until(lambda: len(fired_per_case(db)) == len(ids))
        time.sleep(0.5)
    finally:
        second.terminate()
        second.wait(timeout=10)
    assert 0 < partly
    assert_all_moved_on(db, ids)
