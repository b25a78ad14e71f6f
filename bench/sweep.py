"""Scheduler sweep on PostgreSQL: `python -m bench.sweep` (also run by `python -m bench.run`).

scheduler_sweep_ms
    Wall time of one ``engine.jobs.sweep(db, clock)`` (default batch size) over 100,000
    waiting cases of which 1,000 are due, on PostgreSQL; the median of BENCH_SWEEPS (≥ 5, default 5)
    sweeps. Target ≤ 1000.

The store: a fresh database of its own (jiuzhu_sweep_<pid> on BENCH_DATABASE_URL's server, created
and dropped here) with the routes deployed and the demo county loaded. The 1,000 due cases are
real, distinct 响水 低保 workflows waiting in 公示: each was started and driven through acceptance,
economic_check, home_investigation and preliminary_opinion (tests/factories.py FORM_DATA, every
form validated) by engine.runtime.workflow.Workflow in memory, then inserted with the columns and the open
'publicity' human_task row the engine itself derives (engine.cases.lifecycle._state_values / task_row), so
human_task.id is each workflow's own SpiffWorkflow task id. Their 公示 timer (county rule P7D, or
JIUZHU_PUBLICITY_DURATION) is due at START + 7 days; the sweep runs with a FrozenClock one minute
later. The 99,000 other cases wait too (next_due_at spread over the following ~59 days) and hold a
copy of one real 公示 state (made server-side, TOAST-compressed with lz4 when available: only the
load is faster, the sweep never reads them); they have no task rows. After the load: VACUUM
(ANALYZE) and CHECKPOINT; autovacuum is off on the touched tables so it cannot wake mid-sample.

Each sample: sweep (timed), then check that exactly 1,000 fired, none failed, each due case has
one open 'confirmation' task and no open 'publicity' task, one timer_fired event each, and the
99,000 others still wait; then (untimed) the 1,000 cases are deleted (cascading to their task and
event rows) and re-inserted as they were, VACUUM (ANALYZE), CHECKPOINT. Every sample also records
its SQL statements and the wall time inside cursor.execute (before/after_cursor_execute), and its
process CPU time. Printed as information: EXPLAIN (ANALYZE, BUFFERS) of the due-case lookup
exactly as the sweep sends it and its time alone; the engine's in-memory work alone (restore, fire,
dump) on the same states, stage by stage, i.e. the floor of a sweep without SQL. With
BENCH_PROFILE=1 or BENCH_SWEEP_PROFILE=1 (always when run as `python -m bench.sweep`, unless
BENCH_SWEEP_PROFILE=0) one more sweep runs under cProfile and its top functions are printed in ms
per fired case. BENCH_SWEEP_COMPRESSION=pglz sets the case's state and timer plan back to pglz (migration
0024_e made them lz4) for a before/after pair in one session. BENCH_SWEEP_BATCH: another batch size than
engine.jobs.sweep's default (200). BENCH_SWEEP_WORKERS: another number of sweeping threads than
engine.jobs.SWEEP_WORKERS (2; 1 = the sweep on one connection, as before). Each sample also prints the WAL the server wrote during it
(pg_current_wal_insert_lsn before and after).
"""
from __future__ import annotations

import cProfile
import gc
import json
import os
import pstats
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("JIUZHU_SECRET_KEY", "bench-secret")

from sqlalchemy import create_engine, delete, event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from engine.cases.writer import overall_due_on, state_values, task_row  # noqa: E402  (the engine's own rows)
from engine.clock import CHINA_TZ, FrozenClock  # noqa: E402
from engine.store.database import Database, normalise_url  # noqa: E402
from tests.factories import sample_application  # noqa: E402
from engine.installation import prepare_store  # noqa: E402
from engine.people.accounts import principal_of as principal  # noqa: E402
from engine.catalogue.forms import with_check_digit  # noqa: E402
from engine.store.models import STATE_SCHEMA_VERSION, Case, CaseEvent, HumanTask, Unit  # noqa: E402
from engine.people.places import place_of_village  # noqa: E402
from engine.catalogue.rules import assistance_type_of, case_parameters  # noqa: E402
from engine.jobs import sweep  # noqa: E402
from engine.catalogue.versions import get_version, latest_version_id  # noqa: E402
from engine.runtime.workflow import SERIALIZER_VERSION, Workflow  # noqa: E402

START = datetime(2026, 9, 15, 2, 0, tzinfo=timezone.utc)  # the bench clock (10:00 in China)
PROCESS_ID = "minimum_living_xiangshui"
VILLAGE_CODE = "320921100201"  # 双园村, 响水镇
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
STEPS = ("acceptance", "economic_check", "home_investigation", "preliminary_opinion")
SCALE = float(os.environ.get("BENCH_SCALE", 1))  # the smoke test of `make test` runs at 0.01
# BENCH_SWEEP_CASES / BENCH_SWEEP_DUE: other sizes (bench/province.py's sweep_1m_ms: 1,000,000 and 10,000).
N_CASES = int(os.environ.get("BENCH_SWEEP_CASES") or max(1_000, int(100_000 * SCALE)))
N_DUE = int(os.environ.get("BENCH_SWEEP_DUE") or max(10, int(1_000 * SCALE)))
SWEEPS = max(5, int(os.environ.get("BENCH_SWEEPS", 5)))
# BENCH_SWEEP_BATCH: another batch size than engine.jobs.sweep's default, to compare.
SWEEP_BATCH = {"batch_size": int(os.environ["BENCH_SWEEP_BATCH"])} if os.environ.get("BENCH_SWEEP_BATCH") else {}
# BENCH_SWEEP_WORKERS: another number of sweeping threads than engine.jobs.SWEEP_WORKERS (1: one connection).
if os.environ.get("BENCH_SWEEP_WORKERS"):
    SWEEP_BATCH["workers"] = int(os.environ["BENCH_SWEEP_WORKERS"])
TARGET_MS = 1000.0


def _workers() -> int:
    """The sweep's threads (engine.jobs.sweep: one on SQLite, never here)."""
    from engine.jobs import SWEEP_WORKERS
    return max(1, SWEEP_BATCH.get("workers") or SWEEP_WORKERS)


def _summed() -> str:
    return f" (summed over the sweep's {_workers()} connections)" if _workers() > 1 else ""
FLOOR_N = 300  # due states used for the engine-only floor
CASE, TASK, EVENT = Case.__table__, HumanTask.__table__, CaseEvent.__table__


def _form_data() -> dict[str, dict[str, Any]]:
    from tests.factories import FORM_DATA  # the submissions the integration tests use
    return FORM_DATA


# --- the database of its own -------------------------------------------------------------------
class _OwnDatabase:
    """CREATE / DROP DATABASE jiuzhu_sweep_<pid> on the server of ``admin_url``."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = normalise_url(admin_url)
        self.name = f"jiuzhu_sweep_{os.getpid()}"
        self.url = make_url(self.admin_url).set(database=self.name).render_as_string(hide_password=False)

    def _run(self, sql: str):
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        try:
            with admin.connect() as conn:
                result = conn.execute(text(sql))
                return result.scalar() if result.returns_rows else None
        finally:
            admin.dispose()

    def create(self) -> str:
        self._run(f'DROP DATABASE IF EXISTS "{self.name}"')
        self._run(f'CREATE DATABASE "{self.name}"')
        return self._run("SHOW server_version")

    def drop(self) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --- real workflows waiting in 公示 ------------------------------------------------------------
def _publicity_workflows(version, params: dict, n: int, now: datetime, first_id_seq: int = 0) -> list[Workflow]:
    """n distinct workflows started and driven to the 公示 wait in memory (validated forms)."""
    form_data = _form_data()
    start_validator = version.validator(version.tasks["@start"]["form_key"])
    out = []
    for i in range(n):
        seq = first_id_seq + i
        # Distinct birth dates up to seq 2,100; the sequence 9xx, which tests/factories.py never gives a member
        # (_member_id uses 100–899), so no member shares the applicant's number.
        id_number = with_check_digit(f"320921{1950 + seq % 50:04d}{1 + seq % 12:02d}{1 + seq % 28:02d}"
                                     f"{900 + seq % 100:03d}")
        data = start_validator.validate(sample_application(f"王{seq}", id_number, [300, 200]))
        wf = Workflow.start(version.spec, {**data, **params}, now)
        for step in STEPS:
            task = next(t for t in wf.ready_user_tasks() if t.name == step)
            wf.complete(task.id, version.validator(task.form_key).validate(form_data[step]), now)
        ready = [t.name for t in wf.ready_user_tasks()]
        assert ready == ["publicity"], ready
        out.append(wf)
    return out


class _Fixture:
    """The loaded store and the saved rows of the 1,000 due cases (to reset them after a sweep)."""

    def __init__(self, database: Database, say: Callable[[str], None]) -> None:
        self.db = database
        self.say = say
        self.checkpoint = True

    def load(self) -> None:
        t0 = time.perf_counter()
        with self.db.unit_of_work() as uow:
            s = uow.session
            version = get_version(s, latest_version_id(s, PROCESS_ID))
            village_id = s.execute(select(Unit.id).where(Unit.code == VILLAGE_CODE)).scalar_one()
            place = place_of_village(s, village_id)
            params = case_parameters(s, place.county_id, place.township_id, PROCESS_ID, START.astimezone(
                CHINA_TZ).date())
            starter = principal(s, "village_sy").user_id
        today = START.astimezone(CHINA_TZ).date()
        due = _publicity_workflows(version, params, N_DUE, START)
        gen_s = time.perf_counter() - t0
        due_at = {wf.next_timer_due() for wf in due}
        assert len(due_at) == 1, due_at
        self.due_at = due_at.pop()
        self.sweep_clock = FrozenClock(self.due_at + timedelta(minutes=1))
        # The 99,000 that wait longer: a copy of one real 公示 state lodged 30 days later.
        later = START + timedelta(days=30)
        template = _publicity_workflows(version, params, 1, later, first_id_seq=N_DUE)[0]
        template_values = state_values(template, later, version.declarations)

        self.due_ids = [i * (N_CASES // N_DUE) + 50 for i in range(N_DUE)]  # spread over 1..100,000
        self.case_rows, self.task_rows = [], []
        accepted_on = today
        for case_id, wf in zip(self.due_ids, due):
            values = state_values(wf, START, version.declarations)
            data = wf.data
            self.case_rows.append({
                "id": case_id, "number": f"SWEEP{case_id:07d}", "process_version_id": version.id,
                "process_id": PROCESS_ID, "assistance_type": assistance_type_of(PROCESS_ID),
                "applicant_name": data["applicant_name"], "applicant_id_number": data["applicant_id_number"],
                "county_id": place.county_id, "township_id": place.township_id, "village_id": place.village_id,
                "serializer_version": SERIALIZER_VERSION, "schema_version": STATE_SCHEMA_VERSION,
                "revision": 1 + len(STEPS), "timer_attempts": 0, "accepted_on": accepted_on,
                "due_on": overall_due_on(accepted_on, data, version.declarations.overall_limit), "extension_reason": None,
                "created_at": START, "started_by_id": starter, **values,
            })
            (task,) = wf.ready_user_tasks()
            self.task_rows.append(task_row(case_id, task, place, START, today))
        assert len({r["id"] for r in self.task_rows}) == N_DUE, "SpiffWorkflow task ids must be distinct"

        t1 = time.perf_counter()
        with self.db.unit_of_work(write=True) as uow:
            s = uow.session
            for model in (CaseEvent, HumanTask, Case):
                s.execute(delete(model))
            # 99,000 waiting rows made server-side from one state (no 1.3 GB through the socket), their
            # copies compressed with lz4 when the server has it (fast to load; the sweep never reads them).
            # The due rows below, and everything the sweep writes, get the server's default compression.
            lz4 = _try(s, "SET LOCAL default_toast_compression = lz4")
            s.execute(text(f"""
                INSERT INTO "case" (id, number, process_version_id, process_id, assistance_type, applicant_name,
                    applicant_id_number, county_id, township_id, village_id, status, outcome, current_step,
                    summary, state, serializer_version, schema_version, revision, next_due_at, timer_attempts,
                    due_on, accepted_on, created_at, updated_at, started_by_id)
                SELECT g, 'SWEEP' || lpad(g::text, 7, '0'), :version_id, :process_id, :assistance_type,
                    '申请人' || g, lpad((320921000000000000 + g)::text, 18, '0'), :county_id, :township_id,
                    :village_id, 'running', NULL, :current_step, CAST(:summary AS jsonb), :state,
                    :serializer_version, :schema_version, :revision,
                    :first_due + (g % 5000) * interval '17 minutes', 0, :due_on, :accepted_on, :created_at,
                    :created_at, :started_by
                FROM generate_series(1, {N_CASES}) AS g
                WHERE g % {N_CASES // N_DUE} <> 50"""), {
                "version_id": version.id, "process_id": PROCESS_ID,
                "assistance_type": assistance_type_of(PROCESS_ID), "county_id": place.county_id,
                "township_id": place.township_id, "village_id": place.village_id,
                "current_step": template_values["current_step"],
                "summary": _json(template_values["summary"]), "state": template_values["state"],
                "serializer_version": SERIALIZER_VERSION, "schema_version": STATE_SCHEMA_VERSION,
                "revision": 1 + len(STEPS), "first_due": self.due_at + timedelta(hours=1),
                "due_on": overall_due_on(later.astimezone(CHINA_TZ).date(), template.data,
                                         version.declarations.overall_limit),
                "accepted_on": later.astimezone(CHINA_TZ).date(), "created_at": later, "started_by": starter})
            if lz4:
                s.execute(text("RESET default_toast_compression"))
            self._insert_due(s)
            s.execute(text("""SELECT setval(pg_get_serial_sequence('"case"', 'id'), (SELECT max(id) FROM "case"))"""))
            uow.commit()
        load_s = time.perf_counter() - t1
        with self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ('"case"', "case_timer", "human_task", "case_event"):
                conn.exec_driver_sql(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        t2 = time.perf_counter()
        self.vacuum()
        with self.db.unit_of_work() as uow:
            s = uow.session
            n_cases = s.execute(select(func.count()).select_from(CASE)).scalar()
            n_waiting = s.execute(select(func.count()).where(CASE.c.next_due_at.is_not(None))).scalar()
            n_due = s.execute(select(func.count()).where(CASE.c.next_due_at <= self.sweep_clock.now())).scalar()
            timers = s.execute(text("SELECT count(*) FROM case_timer")).scalar()  # the triggers' copy of them
            n_open = s.execute(select(func.count()).where(TASK.c.status == "open")).scalar()
            size = s.execute(text("""SELECT pg_size_pretty(pg_total_relation_size('"case"'))""")).scalar()
        assert (n_cases, n_waiting, timers, n_due, n_open) == (N_CASES, N_CASES, N_CASES, N_DUE, N_DUE), \
            (n_cases, n_waiting, timers, n_due, n_open)
        self.say(f"[sweep] {N_DUE:,} real 公示 workflows made in memory in {gen_s:.1f} s "
                 f"(state {len(self.case_rows[0]['state']):,} chars each, timer due {self.due_at.isoformat()}); "
                 f"{n_cases:,} waiting cases ({n_due:,} due at the sweep clock "
                 f"{self.sweep_clock.now().isoformat()}, {n_open:,} open 'publicity' tasks) inserted in "
                 f"{load_s:.1f} s, VACUUM (ANALYZE){' + CHECKPOINT' if self.checkpoint else ''} "
                 f"{time.perf_counter() - t2:.1f} s; table \"case\" {size}")

    def _insert_due(self, session) -> None:
        session.execute(insert(CASE), self.case_rows)
        session.execute(insert(TASK), self.task_rows)

    def vacuum(self) -> None:
        """VACUUM (ANALYZE) the touched tables, then CHECKPOINT (when allowed) so that the background
        writes of our own bulk changes do not land inside the next sample."""
        with self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql('VACUUM (ANALYZE) "case", case_timer, human_task, case_event')
            if self.checkpoint:
                try:
                    conn.exec_driver_sql("CHECKPOINT")
                except Exception:  # needs superuser or pg_checkpoint
                    self.checkpoint = False

    def reset(self) -> None:
        """Put the 1,000 due cases back as they were before the sweep."""
        with self.db.unit_of_work(write=True) as uow:
            s = uow.session
            s.execute(delete(CASE).where(CASE.c.id.in_(self.due_ids)))  # cascades to tasks and events
            self._insert_due(s)
            uow.commit()
        self.vacuum()

    def check_moved_on(self, result) -> None:
        assert result.fired == N_DUE and not result.failed, (result.fired, result.failed)
        with self.db.unit_of_work() as uow:
            s = uow.session
            open_rows = Counter(s.execute(select(TASK.c.task_name).where(
                TASK.c.case_id.in_(self.due_ids), TASK.c.status == "open")).scalars())
            fired = s.execute(select(func.count(func.distinct(EVENT.c.case_id))).where(
                EVENT.c.kind == "timer_fired", EVENT.c.case_id.in_(self.due_ids))).scalar()
            events = s.execute(select(func.count()).where(EVENT.c.kind == "timer_fired")).scalar()
            still_waiting = s.execute(select(func.count()).where(CASE.c.next_due_at.is_not(None))).scalar()
        assert open_rows == {"confirmation": N_DUE}, open_rows
        assert fired == events == N_DUE, (fired, events)
        assert still_waiting == N_CASES - N_DUE, still_waiting


def _try(session, sql: str) -> bool:
    """Run an optional statement in a savepoint; False if the server refuses it."""
    try:
        with session.begin_nested():
            session.execute(text(sql))
        return True
    except Exception:
        return False


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _wal_lsn(database: Database) -> str:
    with database.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_current_wal_insert_lsn()::text").scalar()


def _wal_mb_since(database: Database, lsn: str) -> float:
    """The WAL written since ``lsn`` in MB (the sweep's share of the server's write-ahead log)."""
    with database.engine.connect() as conn:
        return float(conn.exec_driver_sql("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s::pg_lsn)",
                                    (lsn,)).scalar()) / 1e6


def _wal_breakdown(database: Database, span: tuple[str, str], say: Callable[[str], None]) -> None:
    """Informational: the last sample's WAL by resource manager (pg_walinspect, when the server has it):
    records by kind, their own bytes and the full-page images (the first change of a page after a checkpoint)."""
    time.sleep(1)  # the sweep commits asynchronously: pg_walinspect reads only WAL already flushed
    try:
        with database.engine.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
            conn.exec_driver_sql("SELECT pg_switch_wal()")
            rows = conn.exec_driver_sql(
                'SELECT "resource_manager/record_type" AS kind, count, record_size, fpi_size FROM pg_get_wal_stats('
                "%s::pg_lsn, %s::pg_lsn, true) WHERE count > 0 ORDER BY combined_size DESC", span).all()
    except Exception as exc:  # an older server or no contrib package: nothing to add
        say(f"[sweep] WAL by resource manager: not available ({type(exc).__name__}: {str(exc).splitlines()[0]})")
        return
    say("[sweep] WAL of the last sample by resource manager, per fired case (pg_walinspect):")
    for r in rows[:8]:
        say(f"[sweep]     {r.kind:<24} {r.count / N_DUE:6.2f} records {r.record_size / N_DUE / 1e3:6.2f} KB"
            f" + page images {r.fpi_size / N_DUE / 1e3:6.2f} KB")
    with database.engine.begin() as conn:  # the same records by relation: which table or index wrote them
        by_relation = conn.exec_driver_sql(
            "SELECT record_type, substring(block_ref from 'rel [0-9]+/[0-9]+/([0-9]+)')::oid AS relfilenode, "
            "count(*) AS n, coalesce(sum(fpi_length), 0) AS fpi FROM pg_get_wal_records_info(%s::pg_lsn, %s::pg_lsn) "
            "WHERE resource_manager IN ('Heap', 'Btree') GROUP BY 1, 2 ORDER BY 4 DESC LIMIT 12", span).all()
        names = dict(conn.exec_driver_sql("SELECT relfilenode, relname FROM pg_class").all())
    say("[sweep] heap and B-tree records of the last sample by relation, per fired case:")
    for r in by_relation:
        say(f"[sweep]     {r.record_type:<14} {names.get(r.relfilenode, r.relfilenode)!s:<36} {r.n / N_DUE:6.2f} records"
            f" + page images {r.fpi / N_DUE / 1e3:6.2f} KB")


# --- statements and their time ------------------------------------------------------------------
class _SqlProbe:
    """The statements an engine sends and the wall time spent inside each cursor.execute.

    The listeners only append (statement, seconds); kinds are worked out afterwards, so probing
    every sample costs about a microsecond per statement.
    """

    def __init__(self, engine) -> None:
        self.engine = engine
        self.log: list[tuple[str, float]] = []

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["sweep_probe_t"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.log.append((statement, time.perf_counter() - conn.info.pop("sweep_probe_t")))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    @property
    def n(self) -> int:
        return len(self.log)

    @property
    def seconds(self) -> float:
        return sum(t for _, t in self.log)

    def by_kind(self) -> dict[str, tuple[int, float]]:
        """kind → (statements, seconds inside cursor.execute)."""
        out: dict[str, list] = {}
        for statement, secs in self.log:
            entry = out.setdefault(self.kind(statement), [0, 0.0])
            entry[0] += 1
            entry[1] += secs
        return {k: (n, secs) for k, (n, secs) in out.items()}

    @staticmethod
    def kind(statement: str) -> str:
        words = " ".join(statement.split())
        head = words.split(" ")[0].upper()
        if head in ("SELECT", "WITH") and "FOR UPDATE" in words:
            return "SELECT … FOR UPDATE SKIP LOCKED (batch lookup)"
        if head == "SELECT":
            return "SELECT FROM " + (words.split(" FROM ", 1)[1].split(" ")[0] if " FROM " in words else "?")
        if head == "INSERT":
            return "INSERT INTO " + words.split(" ")[2]
        if head == "UPDATE":
            return "UPDATE " + words.split(" ")[1]
        return " ".join(w for w in words.split(" ") if not w.startswith("sa_savepoint"))


# --- the measurement -----------------------------------------------------------------------------
def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def measure_sweep(target: Any = None, say: Callable[[str], None] = print, profile: bool | None = None) -> dict:
    """Measure scheduler sweeps over 100,000 waiting cases (1,000 due) in a database of its own.

    ``target``: a PostgreSQL server URL whose user may CREATE DATABASE, or an object with an
    ``admin_url`` attribute (bench.run.PgServer); default BENCH_DATABASE_URL or the local server.
    ``profile``: run one more sweep under cProfile (default: BENCH_PROFILE or BENCH_SWEEP_PROFILE set).
    Returns the median and samples (ms), ms and SQL statements per fired case, and the details printed.
    """
    admin_url = getattr(target, "admin_url", target) or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG
    if profile is None:
        profile = bool(os.environ.get("BENCH_PROFILE") or os.environ.get("BENCH_SWEEP_PROFILE"))
    t_start = time.perf_counter()
    own = _OwnDatabase(admin_url)
    server_version = own.create()
    say(f"[sweep] PostgreSQL {server_version}, database {own.name}; {os.cpu_count()} CPUs, load average {_load()}")
    database = None
    try:
        database = Database(own.url)
        prepare_store(database, START)
        _compression(database, say)
        fixture = _Fixture(database, say)
        fixture.load()
        clock = fixture.sweep_clock

        # Informational: the due-case lookup alone, exactly as the sweep sends it, on 100k rows.
        lookup = _lookup_statement(database, clock)
        _explain_lookup(database, lookup, say)
        # Informational: the engine's in-memory work alone on the same 1,000 states (the floor of a sweep).
        floor = _engine_floor(database, fixture, clock, say)

        # The samples: each sweep fires the same 1,000 due cases (reset in between, outside the timing).
        samples, details, kinds = [], [], Counter()
        statements = 0
        for i in range(SWEEPS):
            fixture.reset()
            gc.collect()
            wal_before = _wal_lsn(database)
            with _SqlProbe(database.engine) as probe:
                t, c = time.perf_counter(), time.process_time()
                result = sweep(database, clock, **SWEEP_BATCH)
                elapsed, cpu = time.perf_counter() - t, time.process_time() - c
            wal_mb = _wal_mb_since(database, wal_before)
            wal_span = (wal_before, _wal_lsn(database))
            fixture.check_moved_on(result)
            samples.append(elapsed * 1000)
            details.append({"ms": elapsed * 1000, "cpu_ms": cpu * 1000, "sql_ms": probe.seconds * 1000,
                            "statements": probe.n})
            for kind, (n, secs) in probe.by_kind().items():
                kinds[(kind, "n")] += n
                kinds[(kind, "s")] += secs
            statements += probe.n
            say(f"[sweep] sweep {i + 1}/{SWEEPS}: {elapsed * 1000:.0f} ms = {elapsed * 1000 / N_DUE:.2f} ms per "
                f"fired case (fired {result.fired}, {result.batches} batches, {probe.n:,} SQL statements, "
                f"{probe.seconds * 1000:.0f} ms inside cursor.execute; process CPU {cpu * 1000:.0f} ms; "
                f"WAL {wal_mb:.1f} MB; load {_load()})")
        _wal_breakdown(database, wal_span, say)
        median = statistics.median(samples)
        fired_total = N_DUE * SWEEPS
        per_case = {k: kinds[(k, "n")] / fired_total for k, part in kinds if part == "n"}
        sql_per_case = {k: kinds[(k, "s")] * 1000 / fired_total for k, part in kinds if part == "n"}
        med_detail = sorted(details, key=lambda d: d["ms"])[len(details) // 2]
        say(f"[sweep] SQL per fired case (mean of the {SWEEPS} sweeps): {statements / fired_total:.2f} statements, "
            f"{sum(sql_per_case.values()):.2f} ms inside cursor.execute{_summed()}; the median sweep spent "
            f"{med_detail['sql_ms'] / N_DUE:.2f} ms per case inside cursor.execute and "
            f"{(med_detail['ms'] * _workers() - med_detail['sql_ms']) / N_DUE:.2f} ms outside (Python, COMMIT"
            f"{', and waiting for the interpreter lock' if _workers() > 1 else ''}). By kind:")
        for kind in sorted(per_case, key=lambda k: (-per_case[k], -sql_per_case[k])):
            say(f"[sweep]     {per_case[kind]:6.3f} per case  {sql_per_case[kind]:6.3f} ms per case  {kind}")
        say(f"[sweep] scheduler sweep over {N_CASES:,} waiting cases, {N_DUE:,} due: median {median:.0f} ms over "
            f"{SWEEPS} sweeps = {median / N_DUE:.2f} ms per fired case, {statements / fired_total:.2f} SQL "
            f"statements per fired case; samples {', '.join(f'{x:.0f}' for x in samples)} ms; "
            f"target ≤ {TARGET_MS:.0f} ms")

        profile_rows = []
        if profile:
            fixture.reset()
            profile_rows = _profile_sweep(database, clock, fixture, say)
        say(f"[sweep] sweep part took {time.perf_counter() - t_start:.0f} s")
        return {
            "median_ms": median, "samples_ms": samples, "sample_details": details,
            "ms_per_fired_case": median / N_DUE, "statements_per_fired_case": statements / fired_total,
            "statements_by_kind_per_case": per_case, "sql_ms_by_kind_per_case": sql_per_case,
            "fired": N_DUE, "cases": N_CASES, "lookup": lookup.get("result"), "engine_floor": floor,
            "profile": profile_rows,
        }
    finally:
        if database is not None:
            database.dispose()
        own.drop()
        say(f"[sweep] dropped database {own.name}")


def _engine_floor(database: Database, fixture: "_Fixture", clock: FrozenClock,
                  say: Callable[[str], None]) -> dict:
    """The in-memory engine work of firing the 1,000 due timers, stage by stage, without any SQL."""
    with database.unit_of_work() as uow:
        s = uow.session
        version = get_version(s, fixture.case_rows[0]["process_version_id"])
    now = clock.now()
    stages: Counter = Counter()
    perf = time.perf_counter
    gc.collect()
    c0, t0 = time.process_time(), perf()
    rows = fixture.case_rows[:FLOOR_N]
    for row in rows:
        t = perf()
        wf = Workflow.restore(version.spec, row["state"])
        t1 = perf()
        before = {x.id for x in wf.ready_user_tasks()}
        names = wf.due_timer_names(now)
        t2 = perf()
        wf.fire_due_timers(now)
        t3 = perf()
        after = wf.ready_user_tasks()
        t4 = perf()
        values = state_values(wf, now, version.declarations)  # dump + next_timer_due + ready_user_tasks + summary
        t5 = perf()
        assert names and [x.name for x in after] == ["confirmation"] and before and values["next_due_at"] is None
        stages["Workflow.restore"] += t1 - t
        stages["ready_user_tasks + due_timer_names (before)"] += t2 - t1
        stages["fire_due_timers (refresh_timers + do_engine_steps)"] += t3 - t2
        stages["ready_user_tasks (after)"] += t4 - t3
        stages["state_values (dump, next_timer_due, ready_user_tasks, summary)"] += t5 - t4
    total, cpu = perf() - t0, time.process_time() - c0
    n = len(rows)
    say(f"[sweep] engine work alone (no SQL) on {n} of the due states: {total * 1000 / n:.2f} ms per case "
        f"(process CPU {cpu * 1000 / n:.2f} ms per case), i.e. ≥ {total * N_DUE / n:.1f} s for {N_DUE:,} on one "
        f"core before any SQL:")
    for name, secs in stages.items():
        say(f"[sweep]     {secs * 1000 / n:6.3f} ms per case  {name}")
    return {"ms_per_case": total * 1000 / n, "cpu_ms_per_case": cpu * 1000 / n,
            "stages_ms_per_case": {k: v * 1000 / n for k, v in stages.items()}}


def _compression(database, say) -> None:
    """The TOAST compression of the case's state and timer plan for this run (BENCH_SWEEP_COMPRESSION)."""
    method = os.environ.get("BENCH_SWEEP_COMPRESSION")
    if method:
        if method not in ("pglz", "lz4"):
            raise SystemExit(f"BENCH_SWEEP_COMPRESSION must be pglz or lz4, not {method!r}")
        with database.engine.begin() as conn:
            for column in ("state", "timer_plan"):
                conn.exec_driver_sql(f'ALTER TABLE "case" ALTER COLUMN {column} SET COMPRESSION {method}')
    with database.engine.connect() as conn:
        methods = dict(conn.exec_driver_sql("SELECT attname, attcompression FROM pg_attribute WHERE attrelid = "
                                            "'\"case\"'::regclass AND attname IN ('state', 'timer_plan')").all())
    say(f"[sweep] case.state / case.timer_plan compression: {methods.get('state') or 'default'} / "
        f"{methods.get('timer_plan') or 'default'} (l = lz4, p = pglz)")


def _lookup_statement(database: Database, clock: FrozenClock) -> dict:
    """The batch lookup the sweep sends, with its parameters: captured from a sweep stopped before it runs."""
    from engine import jobs as scheduler
    captured: list[tuple[str, Any]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if "case_timer" in statement and "FOR UPDATE" in statement and not captured:
            captured.append((statement, parameters))
            raise _Captured()

    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        scheduler.sweep(database, clock, workers=1)  # one thread: the first lookup is captured, none runs
    except _Captured:
        pass  # nothing ran: the unit of work rolled back before the lookup executed
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    assert captured, "the sweep sent no due-case lookup"
    return {"statement": captured[0][0], "parameters": captured[0][1]}


class _Captured(Exception):
    pass


def _explain_lookup(database: Database, lookup: dict, say: Callable[[str], None]) -> None:
    statement, parameters = lookup["statement"], lookup["parameters"]
    raw = database.engine.raw_connection()
    try:
        cur = raw.cursor()
        times = []
        for _ in range(21):
            t = time.perf_counter()
            cur.execute(statement, parameters)
            rows = cur.fetchall()
            times.append((time.perf_counter() - t) * 1000)
            raw.rollback()  # release the row locks
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = [r[0] for r in cur.fetchall()]
        raw.rollback()
    finally:
        raw.close()
    lookup["result"] = {"rows": len(rows), "median_ms": statistics.median(times), "plan": plan}
    say(f"[sweep] due-case lookup alone ({' '.join(statement.split())[:160]} …): {len(rows)} rows, "
        f"median {statistics.median(times):.2f} ms over {len(times)} runs on {N_CASES:,} waiting cases; plan:")
    for line in plan:
        say(f"[sweep]     {line}")


def _profile_sweep(database: Database, clock: FrozenClock, fixture: _Fixture,
                   say: Callable[[str], None]) -> list[dict]:
    """One sweep under cProfile: the top functions, in ms per fired case."""
    prof = cProfile.Profile()
    gc.collect()
    t = time.perf_counter()
    prof.enable()
    result = sweep(database, clock)
    prof.disable()
    elapsed = time.perf_counter() - t
    fixture.check_moved_on(result)
    stats = pstats.Stats(prof).stats
    say(f"[sweep cProfile] one sweep under cProfile: {elapsed * 1000:.0f} ms ({elapsed * 1000 / N_DUE:.2f} ms per "
        f"fired case; cProfile inflates Python-heavy code); top 45 by cumulative time, ms per fired case:")
    rows = []
    for (path, line, name), (_cc, nc, tt, ct, _callers) in sorted(stats.items(), key=lambda kv: -kv[1][3])[:45]:
        where = f"{'/'.join(Path(path).parts[-2:])}:{line} {name}"
        rows.append({"function": where, "cum_ms_per_case": ct * 1000 / N_DUE, "self_ms_per_case": tt * 1000 / N_DUE,
                     "calls_per_case": nc / N_DUE})
        say(f"[sweep cProfile]   cum {ct * 1000 / N_DUE:7.3f}  self {tt * 1000 / N_DUE:7.3f}  "
            f"calls/case {nc / N_DUE:8.1f}  {where}")
    say("[sweep cProfile] top 15 by self time, ms per fired case:")
    for (path, line, name), (_cc, nc, tt, ct, _callers) in sorted(stats.items(), key=lambda kv: -kv[1][2])[:15]:
        say(f"[sweep cProfile]   self {tt * 1000 / N_DUE:7.3f}  cum {ct * 1000 / N_DUE:7.3f}  "
            f"calls/case {nc / N_DUE:8.1f}  {'/'.join(Path(path).parts[-2:])}:{line} {name}")
    return rows


def main() -> int:
    profile = os.environ.get("BENCH_SWEEP_PROFILE") != "0"
    result = measure_sweep(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG, profile=profile)
    print(f"scheduler_sweep_ms={result['median_ms']:.0f}", flush=True)
    print(f"sweep_samples_ms={','.join(f'{x:.0f}' for x in result['samples_ms'])}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
