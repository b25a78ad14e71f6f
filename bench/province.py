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
province_search_p95_ms
    engine.search as county_mz by a whole ID number and by a 2-character name prefix, the worse p95. Target ≤ 20.
payment_roll_1m_s, payment_roll_1m_xlsx_s, payment_roll_peak_mb (measure_roll), review_start_per_s
(measure_reviews), sweep_1m_ms (measure_sweep_1m), dashboard_refresh_all_s / _live_s (measure_archive)
    see their docstrings and bench/README.md; BENCH_PROVINCE_PARTS (pages,roll,reviews,sweep,archive) picks.

The data: bench/households.py's generator (``_Province``: counties × 15 townships × 20 villages,
households, people, cases with their documents, attachments and benefits, loaded with COPY), topped up
server-side to N_CASES cases (N_OPEN running) and N_BENEFITS benefits (``_more``, INSERT … SELECT), then one
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
from datetime import timedelta

os.environ.setdefault("JIUZHU_SECRET_KEY", "bench-secret")
os.environ.setdefault("BENCH_SCALE", "0.05")  # ~2 minutes of loading on a shared 2-core machine

from sqlalchemy import text  # noqa: E402

from bench.households import COUNTY_CODE, COUNTY_USER, SCALE, START, TYPES, _Province, _explain, primary_key_read, province_store  # noqa: E402
from bench.run import DEFAULT_PG, WebUser, make_app, p95  # noqa: E402
import engine  # noqa: E402
from engine import dashboard_sweep, save_filter, saved_filters  # noqa: E402
from engine.people.accounts import principal_of  # noqa: E402
from engine.catalogue.rules import benefit_of  # noqa: E402
from engine.runtime.workflow import SERIALIZER_VERSION  # noqa: E402
from engine.store.models import STATE_SCHEMA_VERSION  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402

RUNS = max(1, int(os.environ.get("BENCH_PROVINCE_RUNS", 3)))
SAMPLES = max(5, int(os.environ.get("BENCH_PROVINCE_SAMPLES", 60)))
TARGETS = {"province_inbox_p95_ms": 20.0, "province_supervisor_list_p95_ms": 50.0, "province_dashboard_ms": 300.0,
           "province_search_p95_ms": 20.0}
# The full province: 2,000,000 cases (400,000 of them running, each with its open acceptance task) and
# 1,000,000 benefits at scale 1. bench/households.py's generator makes the first ~200,000 cases in Python
# (with their documents, attachments and economic records); the rest are made here, server-side.
N_CASES, N_OPEN, N_BENEFITS = (round(n * SCALE) for n in (2_000_000, 400_000, 1_000_000))
# Twenty slots of assistance types, in TYPES's shares (55% 低保, 10% each of four, 5% 低边).
SLOTS = [kind for kind, share in TYPES.items() for _ in range(round(share * 20))]
BULK_SQL = """
CREATE UNLOGGED TABLE bench_new AS
SELECT h.id AS household_id, h.county_id, h.township_id, h.village_id, h.head_id, h.created_at AS hh_created,
       n.r, (n.r %% 1000) < %(open_permille)s AS running,
       (abs(hashint8(n.r)) %% 1000) < %(granted_permille)s AS granted,
       abs(hashint8(h.id * 3)) %% 20 AS slot, (abs(hashint8(h.id * 5)) %% 10000) / 10000.0 AS u
FROM household h
JOIN (SELECT id, row_number() OVER (ORDER BY id) AS r FROM household k
      WHERE NOT EXISTS (SELECT 1 FROM "case" c WHERE c.household_id = k.id)) n ON n.id = h.id
WHERE n.r <= %(extra)s;
ALTER TABLE bench_new ADD COLUMN created timestamptz, ADD COLUMN size int;
UPDATE bench_new SET created = CASE WHEN running THEN %(start)s::timestamptz - u * interval '45 days'
    ELSE hh_created + u * greatest(%(start)s::timestamptz - interval '41 days' - hh_created, interval '1 day') END,
  size = s.n FROM (SELECT household_id, count(*) AS n FROM person GROUP BY household_id) s
  WHERE s.household_id = bench_new.household_id;
CREATE UNLOGGED TABLE bench_case AS
SELECT %(case_base)s + n.r AS id, n.*, k.kind, k.version_id, k.process_id, k.household_subject, k.once,
       CASE WHEN k.household_subject THEN 'h' || n.household_id ELSE 'p' || n.head_id END || ':' || k.kind AS subject_key,
       round((300 + 600 * n.u) * CASE WHEN k.household_subject THEN n.size ELSE 1 END, 2) AS amount,
       CASE WHEN n.running THEN NULL ELSE n.created + (10 + n.r %% 30) * interval '1 day' END AS done,
       p.name, p.id_number, u.code AS county_code
FROM bench_new n JOIN bench_kind k ON k.county_id = n.county_id AND k.slot = n.slot
JOIN person p ON p.id = n.head_id JOIN unit u ON u.id = n.county_id;
INSERT INTO "case" (id, number, process_version_id, process_id, assistance_type, applicant_name, applicant_id_number,
    county_id, township_id, village_id, status, outcome, current_step, summary, state, serializer_version,
    schema_version, revision, due_on, accepted_on, created_at, updated_at, completed_at, household_id, open_key)
SELECT id, county_code || '-' || extract(year FROM created AT TIME ZONE 'Asia/Shanghai')::int || '-P' || lpad(r::text, 8, '0'),
       version_id, process_id, kind, name, id_number, county_id, township_id, village_id,
       CASE WHEN running THEN 'running' ELSE 'completed' END,
       CASE WHEN running THEN NULL WHEN granted THEN 'end_confirmed' ELSE 'end_not_confirmed' END,
       CASE WHEN running THEN '入户调查' END,
       jsonb_build_object('household_size', size, 'monthly_amount', amount), '{}', %(serializer)s, %(schema)s, 3,
       (created + interval '2 days')::date + 30, (created + interval '2 days')::date, created,
       coalesce(done, created + interval '2 days'), done, household_id, CASE WHEN running THEN subject_key END
FROM bench_case;
CREATE UNLOGGED TABLE bench_benefit AS
SELECT %(recipient_base)s + row_number() OVER (ORDER BY id) AS rid, c.*,
       CASE WHEN once THEN 'paid' WHEN abs(hashint8(r * 7)) %% 100 < 85 THEN 'active' ELSE 'stopped' END AS rstatus,
       date_trunc('month', done + interval '31 days')::date AS payment_from
FROM bench_case c WHERE NOT running AND granted;
INSERT INTO recipient (id, assistance_type, case_id, county_id, township_id, village_id, applicant_name,
    applicant_id_number, household_size, monthly_amount, payment_from, stopped_from, review_class, next_review_on,
    status, updated_at, household_id, person_id, payment, care_level, active_key)
SELECT rid, kind, id, county_id, township_id, village_id, name, id_number, size, amount, payment_from,
       CASE WHEN rstatus = 'stopped' THEN payment_from + 200 END, substr('ABC', 1 + (r %% 3)::int, 1),
       payment_from + 365, rstatus, done, household_id, head_id, CASE WHEN once THEN 'once' ELSE 'monthly' END,
       CASE WHEN kind = 'extreme_poverty' THEN '全自理' END, CASE WHEN rstatus = 'active' THEN subject_key END
FROM bench_benefit;
INSERT INTO recipient_change (id, recipient_id, case_id, effect, "on", monthly_amount, review_class, status, at)
SELECT %(change_base)s + row_number() OVER (ORDER BY rid, effect), rid, id, effect, payment_from, amount, 'A', st, done
FROM (SELECT rid, id, payment_from, amount, done, 'register' AS effect,
             CASE WHEN rstatus = 'stopped' THEN 'active' ELSE rstatus END AS st FROM bench_benefit
      UNION ALL SELECT rid, id, payment_from, amount, done, 'stop', 'stopped' FROM bench_benefit
      WHERE rstatus = 'stopped') x;
DROP TABLE bench_new, bench_case, bench_benefit, bench_kind
"""
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
FROM "case" c WHERE c.status = 'completed'
"""


def _more(cur, province: _Province) -> None:
    """Top the Python-made cases up to N_CASES / N_OPEN / N_BENEFITS server-side (one case per household
    that has none), then the task rows of every case; before the indexes are rebuilt."""
    rows = province.counts.rows
    cur.execute("SELECT count(*) FILTER (WHERE status = 'running') FROM \"case\"")
    have_open = cur.fetchone()[0]
    extra = max(0, N_CASES - rows["cases"])
    if extra:
        extra_open = max(0, N_OPEN - have_open)
        extra_benefits = max(0, N_BENEFITS - rows["recipients"])
        cur.execute("CREATE UNLOGGED TABLE bench_kind (county_id bigint, slot int, kind text, version_id bigint, "
                    "process_id text, household_subject bool, once bool)")
        with cur.copy("COPY bench_kind FROM STDIN") as copy:
            for county_id in province.county_codes:
                for slot, kind in enumerate(SLOTS):
                    benefit = benefit_of(kind)
                    version_id, process_id = province.version_for(kind, county_id)
                    copy.write_row((county_id, slot, kind, version_id, process_id,
                                    benefit["subject"] == "household", benefit["payment"] == "once"))
        params = {"extra": extra, "open_permille": round(1000 * extra_open / extra),
                  "granted_permille": round(1000 * extra_benefits / max(1, extra - extra_open)),
                  "start": START, "case_base": rows["cases"], "recipient_base": rows["recipients"],
                  "change_base": rows["recipient_changes"], "serializer": SERIALIZER_VERSION,
                  "schema": STATE_SCHEMA_VERSION}
        for statement in BULK_SQL.split(";"):
            t = time.perf_counter()
            cur.execute(statement, params)
            province.say(f"[province] {' '.join(statement.split()[:4])[:60]} … {cur.rowcount:,} rows, "
                         f"{time.perf_counter() - t:.1f} s")
    for statement in TASKS_SQL.split(";"):
        t = time.perf_counter()
        cur.execute(statement)
        province.say(f"[province] human_task rows {cur.rowcount:,} in {time.perf_counter() - t:.1f} s")


def measure_province(say=print) -> dict[str, float]:
    """Load the province into a database of its own, refresh the dashboard, measure the pages, drop it."""
    with province_store(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG, "province", say,
                        keep=bool(os.environ.get("BENCH_KEEP")), reuse=os.environ.get("BENCH_REUSE")) as database:
        if not os.environ.get("BENCH_REUSE"):
            counts = _Province(database, say, extra_tables=("human_task",), more=_more).load()
            say(f"[province] loaded in {counts.seconds['total']:.0f} s: "
                + ", ".join(f"{k} {v:.0f} s" for k, v in counts.seconds.items() if k != "total")
                + f"; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        with database.unit_of_work() as uow:
            s = uow.session
            n = s.execute(text("""SELECT (SELECT count(*) FROM "case"), (SELECT count(*) FROM household),
                (SELECT count(*) FROM person), (SELECT count(*) FROM recipient),
                (SELECT count(*) FROM human_task), (SELECT count(*) FROM human_task WHERE status = 'open'),
                pg_size_pretty(pg_database_size(current_database()))""")).one()
            township = s.execute(text("SELECT id FROM unit WHERE code = :c"), {"c": COUNTY_CODE + "100"}).scalar_one()
        say(f"[province] {n[0]:,} cases, {n[1]:,} households, {n[2]:,} people, {n[3]:,} benefits, "
            f"{n[4]:,} tasks ({n[5]:,} open); database {n[6]}")
        figures = _measure_pages(database, township, say) if "pages" in PARTS else {}
        if "roll" in PARTS:
            figures.update(measure_roll(database, say))
        if "reviews" in PARTS:  # it adds review cases (not counted by the dashboard job's figures)
            figures.update(measure_reviews(database, say))
        if "archive" in PARTS:
            figures.update(measure_archive(database, say))
    if "sweep" in PARTS:
        figures.update(measure_sweep_1m(say))
    for name, value in figures.items():
        target = {**TARGETS, **MORE_TARGETS}.get(name)
        say(f"[province] {name} {value:.2f}" + (f" (target {'≥' if name.endswith('per_s') else '≤'} {target:g})"
                                                 if target else ""))
    return figures


def _measure_pages(database, township: int, say) -> dict[str, float]:
    """The pages and the search, interleaved (see the module's docstring)."""
    clock = FrozenClock(START)
    with database.unit_of_work() as uow:
        earlier = uow.session.execute(text("SELECT duration_ms FROM dash_refresh")).scalar()
    if os.environ.get("BENCH_REUSE") and earlier is not None:  # a kept store: its last refresh's time
        refresh_s = earlier / 1000
        say(f"[province] dashboard tables kept from the last run (its refresh took {refresh_s:.0f} s)")
    else:
        started = time.perf_counter()
        dashboard_sweep(database, clock)
        refresh_s = time.perf_counter() - started
    app = make_app(database, clock)
    users = {"inbox": WebUser(app, "township_xs"), "list": WebUser(app, "supervisor"),
             "dashboard": WebUser(app, "supervisor")}
    urls = {"inbox": "/inbox", "list": f"/supervisor?status=running&township={township}",
            "dashboard": "/supervisor/dashboard"}
    with database.unit_of_work() as uow:
        s = uow.session
        actor = principal_of(s, COUNTY_USER)
        county = s.execute(text("SELECT id FROM unit WHERE code = :c"), {"c": COUNTY_CODE}).scalar_one()
        people = s.execute(text("SELECT id_number, name FROM person WHERE county_id = :c ORDER BY random() LIMIT :n"),
                           {"c": county, "n": SAMPLES}).all()
        households = s.execute(text("SELECT id FROM household ORDER BY random() LIMIT :n"),
                               {"n": SAMPLES}).scalars().all()
        for id_number, name in people[:20]:  # the searches find what they look for
            assert engine.search(s, actor, id_number).households and engine.search(s, actor, name[:2]).households
    queries = {"search_id": [p.id_number for p in people], "search_name": [p.name[:2] for p in people]}
    with database.unit_of_work(write=True) as uow:  # the list shows the saved filters with their live counts
        supervisor = principal_of(uow.session, "supervisor")
        if not saved_filters(uow.session, supervisor, clock.today()):
            for name, query, shared in (("响水镇办理中", {"status": "running", "township": str(township)}, True),
                                        ("超期案件", {"overdue": "1"}, False)):
                save_filter(uow.session, supervisor, clock.now(), name, query, shared)
            uow.commit()

    def page(kind: str, i: int) -> None:
        response = users[kind].client.get(urls[kind])
        assert response.status_code == 200, (urls[kind], response.status_code)

    def search(kind: str, i: int) -> None:
        with database.unit_of_work() as uow:
            engine.search(uow.session, actor, queries[kind][i % len(people)])

    def baseline(_kind: str, i: int) -> None:
        with database.unit_of_work() as uow:
            primary_key_read(uow.session, households[i % len(households)])

    calls = {**dict.fromkeys(urls, page), "search_id": search, "search_name": search, "baseline": baseline}
    problems = _explain(database, {kind: (lambda kind=kind: calls[kind](kind, 0)) for kind in calls}, say)
    runs: dict[str, list[list[float]]] = {kind: [] for kind in calls}
    for _run in range(RUNS):
        samples: dict[str, list[float]] = {kind: [] for kind in calls}
        for i in range(SAMPLES + 5):
            for kind, call in calls.items():
                t0 = time.perf_counter()
                call(kind, i)
                elapsed = (time.perf_counter() - t0) * 1000
                if i >= 5:  # the first requests warm caches
                    samples[kind].append(elapsed)
        for kind in calls:
            runs[kind].append(samples[kind])
        say(f"[province] run {_run + 1}/{RUNS}: " + ", ".join(
            f"{k} median {statistics.median(v):.1f} / p95 {p95(v):.1f} ms" for k, v in samples.items())
            + f"; load average {os.getloadavg()[0]:.2f}")
    figures = {
        "province_inbox_p95_ms": statistics.median(p95(r) for r in runs["inbox"]),
        "province_supervisor_list_p95_ms": statistics.median(p95(r) for r in runs["list"]),
        "province_dashboard_ms": statistics.median(statistics.median(r) for r in runs["dashboard"]),
        "province_search_p95_ms": max(statistics.median(p95(r) for r in runs[k])
                                      for k in ("search_id", "search_name")),
        "dashboard_refresh_s": refresh_s,
    }
    for problem in problems:
        say(f"[province] MISSING INDEX? {problem}")
    baseline_p95 = statistics.median(p95(r) for r in runs["baseline"])
    say(f"[province] baseline (one household by primary key, in its own transaction): p95 {baseline_p95:.2f} ms; "
        + ", ".join(f"{name} {value / baseline_p95:.1f}× it" for name, value in figures.items()
                    if name.endswith("_ms")))
    return figures


ROLL_RUNS = max(1, int(os.environ.get("BENCH_ROLL_RUNS", 3)))
REVIEW_RUNS = max(1, int(os.environ.get("BENCH_REVIEW_RUNS", 3)))
ARCHIVE_RUNS = max(1, int(os.environ.get("BENCH_ARCHIVE_RUNS", 3)))
REVIEWS = max(10, int(os.environ.get("BENCH_REVIEWS", 3000)))  # due reviews per run
REVIEW_SCHEDULERS = os.environ.get("BENCH_REVIEW_SCHEDULERS", "processes")  # or "threads" (measure_reviews)
SWEEP_CASES, SWEEP_DUE = max(1_000, round(1_000_000 * SCALE)), max(10, round(10_000 * SCALE))
MORE_TARGETS = {"payment_roll_1m_s": 30.0, "payment_roll_1m_xlsx_s": 30.0, "review_start_per_s": 1000.0,
                "sweep_1m_ms": 2000.0}


def measure_roll(database, say=print) -> dict[str, float]:
    """The payment roll of the whole province (every type, the bench month) streamed to CSV and to XLSX,
    each run in a process of its own (bench/roll.py) so that its peak RSS is the roll's; beside it the
    roll of one county (响水县), the baseline: flat memory is a province peak close to the county's."""
    import json
    import subprocess
    import tempfile
    url = database.engine.url.render_as_string(hide_password=False)
    results: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for _run in range(ROLL_RUNS):
            for export_format in ("csv", "xlsx"):
                for scope in ("county", "province"):
                    done = subprocess.run([sys.executable, "-m", "bench.roll", url, export_format, scope,
                                           os.path.join(folder, f"roll.{export_format}")],
                                          capture_output=True, text=True, check=True)
                    result = json.loads(done.stdout.strip().splitlines()[-1])
                    results.setdefault((export_format, scope), []).append(result)
                    say(f"[roll] {scope} {export_format}: {result['rows']:,} rows, {result['bytes'] / 1e6:.1f} MB "
                        f"in {result['seconds']:.1f} s, peak RSS {result['peak_rss_mb']:.0f} MB (before the roll "
                        f"{result['rss_before_mb']:.0f} MB); load average {os.getloadavg()[0]:.2f}")

    def med(export_format, scope, key):
        return statistics.median(r[key] for r in results[(export_format, scope)])
    figures = {"payment_roll_1m_s": med("csv", "province", "seconds"),
               "payment_roll_1m_xlsx_s": med("xlsx", "province", "seconds"),
               "payment_roll_peak_mb": max(med(f, "province", "peak_rss_mb") for f in ("csv", "xlsx"))}
    for export_format in ("csv", "xlsx"):
        rows = results[(export_format, "province")][0]["rows"]
        say(f"[roll] {export_format}: province {rows:,} rows / county "
            f"{results[(export_format, 'county')][0]['rows']:,} rows; peak RSS province "
            f"{med(export_format, 'province', 'peak_rss_mb'):.0f} MB / county "
            f"{med(export_format, 'county', 'peak_rss_mb'):.0f} MB = "
            f"{med(export_format, 'province', 'peak_rss_mb') / med(export_format, 'county', 'peak_rss_mb'):.2f}× "
            f"(1.0 = flat); {rows / med(export_format, 'province', 'seconds'):,.0f} rows/s")
    return figures


def measure_reviews(database, say=print) -> dict[str, float]:
    """Periodic reviews started by the scheduler's job (engine.jobs.review_sweep), two schedulers at once,
    as production runs them: two scheduler processes (``_Schedulers``, started and warmed once, before the
    first run) sharing the work by FOR UPDATE SKIP LOCKED; BENCH_REVIEW_SCHEDULERS=threads runs them as two
    threads of this process instead (the figure before 2026-12-02, held to one core by the interpreter lock).
    Each run makes REVIEWS fresh active monthly benefits of the demo counties (the ones with review routes)
    due, runs both to the end, and checks that each started exactly once (every benefit linked to its own
    new review case, no household with two reviews of one benefit type, none failed). The figure: median
    reviews started per second."""
    clock = FrozenClock(START)
    with database.unit_of_work(write=True) as uow:  # the generator's due reviews wait 30 days more
        moved = uow.session.execute(text("UPDATE recipient SET next_review_on = :later WHERE status = 'active' "
                                         "AND next_review_on <= :today AND review_case_id IS NULL"),
                                    {"later": START.date() + timedelta(days=30), "today": START.date()}).rowcount
        uow.commit()
    say(f"[reviews] {moved:,} benefits the generator made due now due in 30 days; {REVIEWS:,} made due per run")
    rates, client_ms = [], []
    with _Schedulers(database, clock, REVIEW_SCHEDULERS) as schedulers:
        say(f"[reviews] two schedulers as {REVIEW_SCHEDULERS}")
        for run in range(REVIEW_RUNS):
            _review_run(database, schedulers, run, rates, client_ms, say)
    say(f"[reviews] the schedulers' CPU per review, median {statistics.median(client_ms):.2f} ms")
    return {"review_start_per_s": statistics.median(rates)}


def _review_run(database, schedulers, run: int, rates: list, client_ms: list, say) -> None:
    """One run of measure_reviews: make REVIEWS benefits due, let both schedulers start them, check, record."""
    from engine.catalogue.rules import counties as route_counties
    with database.unit_of_work(write=True) as uow:
        s = uow.session
        before = s.execute(text('SELECT max(id) FROM "case"')).scalar_one()
        chosen = s.execute(text("""
            UPDATE recipient SET next_review_on = :day WHERE id IN (
                SELECT r.id FROM recipient r JOIN unit u ON u.id = r.county_id
                WHERE u.code = ANY(:codes) AND r.status = 'active' AND r.payment = 'monthly'
                                  AND r.review_case_id IS NULL AND r.next_review_on > :today
                ORDER BY r.id LIMIT :n)
            RETURNING id"""), {"day": START.date() - timedelta(days=1), "today": START.date(),
                               "codes": sorted(route_counties()), "n": REVIEWS}).scalars().all()
        uow.commit()
    with database.unit_of_work() as uow:  # nothing else is due (an earlier run's leftovers would count)
        due = uow.session.execute(text("SELECT count(*) FROM recipient WHERE status = 'active' AND "
                                       "next_review_on <= :today AND review_case_id IS NULL"),
                                  {"today": START.date()}).scalar_one()
    assert due == len(chosen), (due, len(chosen))
    assert len(chosen) == REVIEWS, (f"only {len(chosen):,} benefits left to make due ({REVIEWS:,} needed): each run "
                                    "reviews its own; measure a fresh store or a larger BENCH_SCALE")
    server_before = _server_cpu(database)
    t0 = time.perf_counter()
    results, cpu = schedulers.sweep()
    elapsed = time.perf_counter() - t0
    server_after = _server_cpu(database)
    started = sum(r["started"] for r in results)
    with database.unit_of_work() as uow:
        s = uow.session
        linked, distinct_reviews, new_cases, twice = s.execute(text("""
            SELECT count(r.review_case_id), count(DISTINCT r.review_case_id),
                   (SELECT count(*) FROM "case" WHERE id > :before),
                   (SELECT count(*) FROM (SELECT c.household_id FROM "case" c
                                          JOIN recipient b ON b.review_case_id = c.id WHERE c.id > :before
                                          GROUP BY c.household_id, b.assistance_type HAVING count(*) > 1) d)
            FROM recipient r WHERE r.id = ANY(:ids)"""), {"before": before, "ids": chosen}).one()
    assert not any(r["failed"] for r in results), results
    assert started == linked == distinct_reviews == new_cases == len(chosen) and twice == 0, \
        (started, linked, distinct_reviews, new_cases, len(chosen), twice)
    rates.append(started / elapsed)
    client_ms.append(cpu * 1000 / started)
    server = (f", the database's {sum(server_after[p] - server_before.get(p, 0) for p in server_after) * 1000 / started:.2f} ms"
              if server_after else "")
    say(f"[reviews] run {run + 1}/{REVIEW_RUNS}: {started:,} reviews started in {elapsed:.1f} s by two schedulers "
        f"({', '.join(str(r['started']) for r in results)}) = {started / elapsed:.0f}/s; each benefit linked to "
        f"its own new case, no household's benefit twice; CPU per review: the schedulers' {client_ms[-1]:.2f} ms"
        f"{server}; load average {os.getloadavg()[0]:.2f}")


class _Schedulers:
    """Two schedulers for measure_reviews. ``processes``: two processes of their own (spawned, each with its
    own Database on the bench's store, its route versions loaded before the first run, as a long-running
    scheduler has them), told to sweep over a pipe; ``threads``: two threads of this process.
    ``sweep()`` runs one review_sweep in each at once and returns their results and their CPU seconds."""

    def __init__(self, database, clock, mode: str) -> None:
        self.database, self.clock, self.mode, self.workers = database, clock, mode, []

    def __enter__(self):
        if self.mode == "processes":
            import multiprocessing
            context = multiprocessing.get_context("spawn")
            url = self.database.engine.url.render_as_string(hide_password=False)
            for _ in range(2):
                ours, theirs = context.Pipe()
                worker = context.Process(target=_scheduler_process, args=(theirs, url, self.clock.now()), daemon=True)
                worker.start()
                self.workers.append((worker, ours))
            for _worker, pipe in self.workers:
                assert pipe.recv() == "ready"
        return self

    def sweep(self):
        if self.mode != "processes":
            from concurrent.futures import ThreadPoolExecutor
            from engine.jobs import review_sweep
            cpu0 = time.process_time()
            with ThreadPoolExecutor(2) as pool:
                results = list(pool.map(lambda _i: review_sweep(self.database, self.clock), range(2)))
            return results, time.process_time() - cpu0
        for _worker, pipe in self.workers:
            pipe.send("sweep")
        answers = [pipe.recv() for _worker, pipe in self.workers]
        return [a["result"] for a in answers], sum(a["cpu"] for a in answers)

    def __exit__(self, *exc) -> None:
        for worker, pipe in self.workers:
            pipe.send("stop")
            worker.join(timeout=30)


def _scheduler_process(pipe, url: str, now) -> None:
    """A scheduler process of measure_reviews: loads every deployed route version, then sweeps when told."""
    from sqlalchemy import select
    from engine.catalogue.versions import get_version
    from engine.jobs import review_sweep
    from engine.store.database import Database
    from engine.store.models import ProcessVersion
    database, clock = Database(url), FrozenClock(now)
    with database.unit_of_work() as uow:
        for version_id in uow.session.execute(select(ProcessVersion.id)).scalars():
            get_version(uow.session, version_id)
    pipe.send("ready")
    while pipe.recv() == "sweep":
        cpu0 = time.process_time()
        result = review_sweep(database, clock)
        pipe.send({"result": result, "cpu": time.process_time() - cpu0})
    database.dispose()


def _server_cpu(database) -> dict[int, float]:
    """CPU seconds (user + system) of each server process connected to the bench's database, when the server
    runs on this machine (read from /proc; empty otherwise): the database's share of the reviews' work."""
    with database.unit_of_work() as uow:
        pids = uow.session.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
                                   ).scalars().all()
    seconds = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return {}
        seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def measure_sweep_1m(say=print) -> dict[str, float]:
    """bench/sweep.py (the scheduler sweep, real 公示 workflows due) at SWEEP_CASES waiting cases of which
    SWEEP_DUE are due, in a process and database of its own; its median of BENCH_SWEEPS sweeps."""
    import subprocess
    env = {**os.environ, "BENCH_SWEEP_CASES": str(SWEEP_CASES), "BENCH_SWEEP_DUE": str(SWEEP_DUE),
           "BENCH_SWEEP_PROFILE": "0"}
    done = subprocess.run([sys.executable, "-m", "bench.sweep"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    for line in lines:
        if line.startswith("[sweep] s") or "waiting cases" in line:
            say(line)
    figures = dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("["))
    return {"sweep_1m_ms": float(figures["scheduler_sweep_ms"])}


def measure_archive(database, say=print) -> dict[str, float]:
    """The archiving plan's effect on one province figure (docs/operator-guide.md): the dashboard job over
    every case against the same job over what would stay live once the cases completed before the year
    before last are moved out (running cases, and cases and tasks created since then). The second runs in
    a session where temporary views named "case" and human_task (pg_temp comes first on the search path)
    show only those rows; both are rolled back. Medians of BENCH_ARCHIVE_RUNS runs each, interleaved."""
    from engine.oversight.dashboard_refresh import refresh
    clock = FrozenClock(START)
    cut = START.replace(year=START.year - 1, month=1, day=1)
    times: dict[str, list[float]] = {"all": [], "live": []}
    for _run in range(ARCHIVE_RUNS):
        for kind in times:
            with database.unit_of_work(write=True) as uow:
                s = uow.session
                if kind == "live":
                    since = f"'{cut.isoformat()}'::timestamptz"  # our own constant: DDL takes no parameters
                    s.execute(text(f"""CREATE TEMP VIEW "case" AS SELECT * FROM public."case"
                                       WHERE status = 'running' OR created_at >= {since}"""))
                    s.execute(text(f"""CREATE TEMP VIEW human_task AS SELECT * FROM public.human_task
                                       WHERE status = 'open' OR created_at >= {since}"""))
                    live = s.execute(text('SELECT count(*) FROM "case"')).scalar_one()
                t0 = time.perf_counter()
                refresh(s, clock)
                times[kind].append(time.perf_counter() - t0)
                # leaving without commit() rolls the job's writes (and the views) back
    with database.unit_of_work() as uow:
        total = uow.session.execute(text('SELECT count(*) FROM "case"')).scalar_one()
    full, kept = (statistics.median(times[k]) for k in ("all", "live"))
    say(f"[archive] dashboard job over all {total:,} cases: {full:.1f} s; over the {live:,} that stay live "
        f"(running, or created since {cut.date()}): {kept:.1f} s = {kept / full:.2f}× (runs: "
        + ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(times["all"], times["live"])) + ")")
    return {"dashboard_refresh_all_s": full, "dashboard_refresh_live_s": kept}


PARTS = [p for p in os.environ.get("BENCH_PROVINCE_PARTS", "pages,roll,reviews,sweep").split(",") if p]


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
