"""The real scheduler process fires a due 公示 timer and the case moves on."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from engine.clock import Clock, FrozenClock
from engine.catalogue.rules import PUBLICITY_OVERRIDE_ENV
from tests.factories import start


def test_scheduler_process_fires_the_publicity_timer(db, db_url, who, unit_id, monkeypatch):
    monkeypatch.setenv(PUBLICITY_OVERRIDE_ENV, "PT2S")  # a demo-length 公示, so the test takes seconds
    clock = FrozenClock(Clock().now())
    walk = start(db, clock, who, unit_id)
    walk.drive_to("publicity")
    assert walk.open_names() == ["publicity"]
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": os.getcwd()}
    proc = subprocess.Popen([sys.executable, "-m", "webapp.cli", "scheduler", "--interval", "0.5"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and walk.open_names() != ["confirmation"]:
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert walk.open_names() == ["confirmation"]
    kinds = [(e.kind, e.title) for e in walk.events()]
    assert ("timer_fired", "公示期满") in kinds
    assert walk.case().next_due_at is None
