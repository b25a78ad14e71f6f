"""The review sweep keeps the collector off the process's long-lived objects while it runs, and gives them
back when the last sweep of the process ends (engine.jobs.long_lived_objects_frozen)."""
from __future__ import annotations

import gc
import threading

from engine.jobs import long_lived_objects_frozen


def test_objects_alive_at_the_start_are_frozen_until_the_last_sweep_ends():
    assert gc.get_freeze_count() == 0
    inner_started, outer_may_end = threading.Event(), threading.Event()
    seen = []

    def other_sweep():
        with long_lived_objects_frozen():
            inner_started.set()
            outer_may_end.wait(10)
            seen.append(gc.get_freeze_count())
    with long_lived_objects_frozen():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        thread = threading.Thread(target=other_sweep)
        thread.start()
        inner_started.wait(10)
    assert gc.get_freeze_count() > 0, "still frozen: the other sweep runs"
    outer_may_end.set()
    thread.join(10)
    assert seen and seen[0] > 0
    assert gc.get_freeze_count() == 0, "given back to the collector"


def test_a_sweep_that_raises_still_unfreezes():
    try:
        with long_lived_objects_frozen():
            raise RuntimeError("a batch failed")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0
