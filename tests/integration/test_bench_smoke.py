"""`make bench` runs end to end on a tiny data set, so a refactor that breaks a benchmark fails the suite.
The figures themselves are not asserted: performance is shown by `make bench`, never by timed tests."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import PG_URL

FIGURES = ("scheduler_sweep_ms", "completion_ratio_vs_raw", "inbox_p95_ms", "household_search_p95_ms",
           "duplicate_check_p95_ms", "dossier_page_p95_ms")


@pytest.mark.xdist_group("bench")
def test_the_bench_runs_and_prints_its_figures():
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "BENCH_SCALE": "0.01", "BENCH_ROUNDS": "1",
           "BENCH_PER_ROUND": "3", "BENCH_PG_ROUNDS": "1", "BENCH_PG_PER_ROUND": "3", "BENCH_INBOX_SAMPLES": "5",
           "BENCH_SWEEPS": "1", "BENCH_HH_RUNS": "1", "BENCH_HH_SAMPLES": "5", "BENCH_PROFILE": ""}
    if PG_URL:
        env["BENCH_DATABASE_URL"] = PG_URL
    else:
        env["BENCH_POSTGRES"] = "0"
    done = subprocess.run([sys.executable, "-m", "bench.run"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-len(FIGURES):]
    assert [line.split("=")[0] for line in last] == list(FIGURES), last
    value = r"\d+(\.\d+)?" if PG_URL else r"(\d+(\.\d+)?|NA)"
    assert all(re.fullmatch(rf"{name}={value}", line) for name, line in zip(FIGURES, last)), last
