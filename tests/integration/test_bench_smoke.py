"""`make bench` runs end to end on a tiny data set, so a refactor that breaks a benchmark fails the suite.
The figures themselves are not asserted: performance is shown by `make bench`, never by timed tests."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import PG_URL

FIGURES = ("scheduler_sweep_ms", "completion_ratio_vs_raw", "inbox_p95_ms", "http_cases_per_s",
           "http_cpu_ms_per_case", "household_search_p95_ms", "duplicate_check_p95_ms", "dossier_page_p95_ms")


@pytest.mark.xdist_group("bench")
def test_the_bench_runs_and_prints_its_figures():
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "BENCH_SCALE": "0.01", "BENCH_ROUNDS": "1",
           "BENCH_PER_ROUND": "3", "BENCH_PG_ROUNDS": "1", "BENCH_PG_PER_ROUND": "3", "BENCH_INBOX_SAMPLES": "5",
           "BENCH_SWEEPS": "1", "BENCH_HH_RUNS": "1", "BENCH_HH_SAMPLES": "5", "BENCH_PROFILE": "",
           "BENCH_HTTP_RUNS": "1", "BENCH_HTTP_CASES": "2", "BENCH_HTTP_WARMUP": "0"}
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


PROVINCE_FIGURES = ("province_inbox_p95_ms", "province_supervisor_list_p95_ms", "province_dashboard_ms",
                    "province_search_p95_ms", "dashboard_refresh_s", "payment_roll_1m_s", "payment_roll_1m_xlsx_s",
                    "payment_roll_peak_mb", "review_start_per_s")


@pytest.mark.xdist_group("bench")
@pytest.mark.skipif(not PG_URL, reason="the province bench runs on PostgreSQL only")
def test_the_province_bench_generates_a_tiny_province_and_prints_its_figures():
    """`make bench-province` at 2,000 households (3 counties): the generator's COPY and INSERT … SELECT paths,
    the pages, the payment roll in its own process and the review job (the sweep part is bench/sweep.py,
    run above by `make bench`)."""
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "BENCH_SCALE": "0.001", "BENCH_DATABASE_URL": PG_URL,
           "BENCH_PROVINCE_RUNS": "1", "BENCH_PROVINCE_SAMPLES": "5", "BENCH_ROLL_RUNS": "1",
           "BENCH_REVIEW_RUNS": "1", "BENCH_REVIEWS": "10", "BENCH_PROVINCE_PARTS": "pages,roll,reviews"}
    done = subprocess.run([sys.executable, "-m", "bench.province"], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2,000 cases, 2,000 households" in done.stdout  # one case per household, topped up server-side
    last = done.stdout.strip().splitlines()[-len(PROVINCE_FIGURES):]
    assert [line.split("=")[0] for line in last] == list(PROVINCE_FIGURES), last
    assert all(re.fullmatch(rf"{name}=\d+(\.\d+)?", line) for name, line in zip(PROVINCE_FIGURES, last)), last
