"""Supervision at a province's size: `python -m bench.province` (`make bench-province`, PostgreSQL only;
separate from `make bench`).

province_inbox_p95_ms
    p95 of GET /inbox (rendered page) for the 响水镇 township user. Target ≤ 20.
province_supervisor_list_p95_ms
    p95 of GET /supervisor?status=running&township=<响水镇> (the county list with two filters) for the
    响水县 supervisor. Target ≤ 50.
province_dashboard_ms
    median of GET /supervisor/dashboard for the 响水县 supervisor (read from the summary tables). Target ≤ 300.
dashboard_refresh_s
    one run of the scheduler's dashboard job over the whole province (printed for information).

The data: bench/households.py's generator (``_Province``: counties × 15 townships × 20 villages,
households, people, cases with their documents, attachments and benefits, loaded with COPY), then one
human_task row per case's acceptance (open for running cases, completed 1–72 hours after lodging for the
others) and one completed confirmation per completed case, by INSERT … SELECT; then ANALYZE and the
dashboard job. BENCH_SCALE scales it like bench/households.py (1 = 2,000,000 households, 200,000 cases).
Figures are the medians of BENCH_PROVINCE_RUNS runs (default 3) of BENCH_PROVINCE_SAMPLES requests
(default 60) per page, pages interleaved so that machine noise hits all alike.
"""
from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("JIUZHU_SECRET_KEY", "bench-secret")
os.environ.setdefault("BENCH_SCALE", "0.05")  # ~2 minutes of loading on a shared 2-core machine

from sqlalchemy import text  # noqa: E402

from bench.households import COUNTY_CODE, START, _Province, province_store  # noqa: E402
from bench.run import DEFAULT_PG, WebUser, make_app, p95  # noqa: E402
from engine import dashboard_sweep  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402

RUNS = max(1, int(os.environ.get("BENCH_PROVINCE_RUNS", 3)))
SAMPLES = max(5, int(os.environ.get("BENCH_PROVINCE_SAMPLES", 60)))
TARGETS = {"province_inbox_p95_ms": 20.0, "province_supervisor_list_p95_ms": 50.0, "province_dashboard_ms": 300.0}
TASKS_SQL = """
INSERT INTO human_task (id, case_id, task_name, title, role, unit_id, form_key, status, created_at, due_on,
                        due_provisional, completed_at)
SELECT md5(c.id::text || '-acceptance')::uuid::text, c.id, 'acceptance', '受理审查', 'township', c.township_id,
       'acceptance', CASE WHEN c.status = 'running' THEN 'open' ELSE 'completed' END, c.created_at,
       (c.created_at AT TIME ZONE 'Asia/Shanghai')::date + 7, false,
       CASE WHEN c.status = 'running' THEN NULL ELSE c.created_at + (1 + (c.id % 72)) * interval '1 hour' END
FROM "case" c;
INSERT INTO human_task (id, case_id, task_name, title, role, unit_id, form_key, status, created_at, due_on,
                        due_provisional, completed_at)
SELECT md5(c.id::text || '-confirmation')::uuid::text, c.id, 'confirmation', '审核确认', 'county', c.county_id,
       'confirmation', 'completed', c.created_at + interval '3 days', NULL, false,
       c.created_at + interval '3 days' + (1 + (c.id % 120)) * interval '1 hour'
FROM "case" c WHERE c.status = 'completed';
ANALYZE human_task;
"""


def measure_province(say=print) -> dict[str, float]:
    """Load the province into a database of its own, refresh the dashboard, measure the pages, drop it."""
    with province_store(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG, "province", say) as database:
        counts = _Province(database, say).load()
        started = time.perf_counter()
        with database.unit_of_work(write=True) as uow:
            for statement in TASKS_SQL.split(";"):
                if statement.strip():
                    uow.session.execute(text(statement))
            uow.commit()
        with database.unit_of_work() as uow:
            s = uow.session
            tasks = s.execute(text("SELECT count(*), count(*) FILTER (WHERE status = 'open') FROM human_task")).one()
            township = s.execute(text("SELECT id FROM unit WHERE code = :c"), {"c": COUNTY_CODE + "100"}).scalar_one()
        say(f"[province] {counts.rows['cases']:,} cases, {counts.rows['households']:,} households, "
            f"{tasks[0]:,} tasks ({tasks[1]:,} open) in {time.perf_counter() - started:.0f} s more")
        clock = FrozenClock(START)
        started = time.perf_counter()
        dashboard_sweep(database, clock)
        refresh_s = time.perf_counter() - started
        app = make_app(database, clock)
        users = {"inbox": WebUser(app, "township_xs"), "list": WebUser(app, "supervisor"),
                 "dashboard": WebUser(app, "supervisor")}
        urls = {"inbox": "/inbox", "list": f"/supervisor?status=running&township={township}",
                "dashboard": "/supervisor/dashboard"}
        runs: dict[str, list[list[float]]] = {kind: [] for kind in urls}
        for _run in range(RUNS):
            samples: dict[str, list[float]] = {kind: [] for kind in urls}
            for i in range(SAMPLES + 5):
                for kind, url in urls.items():
                    t0 = time.perf_counter()
                    response = users[kind].client.get(url)
                    elapsed = (time.perf_counter() - t0) * 1000
                    assert response.status_code == 200, (url, response.status_code)
                    if i >= 5:  # the first requests warm caches
                        samples[kind].append(elapsed)
            for kind in urls:
                runs[kind].append(samples[kind])
        figures = {
            "province_inbox_p95_ms": statistics.median(p95(r) for r in runs["inbox"]),
            "province_supervisor_list_p95_ms": statistics.median(p95(r) for r in runs["list"]),
            "province_dashboard_ms": statistics.median(statistics.median(r) for r in runs["dashboard"]),
            "dashboard_refresh_s": refresh_s,
        }
        for name, value in figures.items():
            target = TARGETS.get(name)
            say(f"[province] {name} {value:.2f}" + (f" (target ≤ {target:g})" if target else ""))
        return figures


def main() -> int:
    """Run the province bench and print its figures as name=value lines."""
    t0 = time.perf_counter()
    figures = measure_province()
    print(f"total bench time {time.perf_counter() - t0:.0f} s; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    for name, value in figures.items():
        print(f"{name}={value:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
