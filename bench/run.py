"""Jiuzhu benchmark: `python -m bench.run` (or `make bench`).

Figures, printed as name=value on the last lines of output (bench/sweep.py and bench/households.py
describe the scheduler and household-registry ones, printed first and last):

completion_ratio_vs_raw
    Median time of completing one 'acceptance' task of the 响水 minimum-living route
    THROUGH THE WEB APP (Flask test client, logged in as township_xs, POST of the HTML
    form with its CSRF token to /tasks/<id>; load, validate, run, persist, inbox rows,
    audit; answer 302), divided by the median time of SpiffWorkflow ALONE doing
    deserialize → complete → serialize of the same task with the same data
    (CamundaParser, BpmnWorkflow, BpmnWorkflowSerializer(CAMUNDA_CONFIG),
    serialize_json/deserialize_json, which embed the spec). The two are measured in the
    same process, alternating sample by sample so machine noise hits both; each round
    gives a ratio of medians and the figure is the median of the round ratios.
    Store: an embedded SQLite file in a temp dir. The same ratio on PostgreSQL is printed
    as an informational line when a server is reachable.

inbox_p95_ms
    p95 latency of GET /inbox (rendered HTML, township_xs at 响水镇) through the Flask
    test client on PostgreSQL holding 100,000 cases and 20,000 open tasks (about 1/3 of
    them township tasks at 响水镇), bulk-loaded with COPY, then ANALYZE (autovacuum held
    off on the two tables while measuring, so the plan cannot change mid-run; the figure
    after VACUUM is printed as information). Cases span a year over the demo county's 3
    townships plus 17 generated ones (111 villages); the 80,000 closed ones are older than
    45 days, the 20,000 running ones were lodged in the last 45 days; every case row holds
    a copy of one real serialized state. `NA` when no PostgreSQL server is reachable.

PostgreSQL: BENCH_DATABASE_URL (a server URL whose user may CREATE DATABASE) or else
postgresql://postgres@127.0.0.1:5432/test; the bench creates its own database
jiuzhu_bench_<pid> there and drops it at the end.

Knobs (environment): BENCH_ROUNDS (5), BENCH_PER_ROUND (70), BENCH_PG_ROUNDS (3),
BENCH_PG_PER_ROUND (60), BENCH_INBOX_SAMPLES (300), BENCH_POSTGRES=0 (skip PostgreSQL),
BENCH_SCALE (1: the data sets' size; `make test` smoke-tests the bench at 0.01),
BENCH_PROFILE=1 (print where the time of a web completion and of an inbox page goes:
wall-clock probes around named functions, see bench/breakdown.py, then cProfile).
"""
from __future__ import annotations

import gc
import json
import math
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

# The app would otherwise create instance/secret_key when SECRET_KEY is only given as an override.
os.environ.setdefault("JIUZHU_SECRET_KEY", "bench-secret")

from sqlalchemy import create_engine, delete, event, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from engine.cases.lifecycle import start_case  # noqa: E402
from engine.clock import CHINA_TZ, FrozenClock  # noqa: E402
from engine.store.database import Database, normalise_url  # noqa: E402
from tests.factories import DEMO_PASSWORD, fresh_id_number, sample_application  # noqa: E402
from engine.installation import prepare_store  # noqa: E402
from engine.people.accounts import principal_of as principal  # noqa: E402
from engine.catalogue.deployment import PROCESSES_DIR  # noqa: E402
from engine.store.models import Base, Case, HumanTask, Unit, User  # noqa: E402
from engine.catalogue.rules import case_parameters  # noqa: E402
from engine.catalogue.versions import get_version, latest_version_id  # noqa: E402
from engine.runtime.workflow import Workflow  # noqa: E402
from engine.runtime.workflow_guards import script_engine  # noqa: E402

START = datetime(2026, 9, 15, 2, 0, tzinfo=timezone.utc)  # 10:00 in China, a Tuesday
PROCESS_ID = "minimum_living_xiangshui"
BPMN_FILE = PROCESSES_DIR / "minimum_living" / "xiangshui.bpmn"
TASK_NAME = "acceptance"
VILLAGE_CODE = "320921100201"  # 双园村, 响水镇
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
# What the browser posts for the acceptance form (every field of the rendered form).
HTML_FORM = {"acceptance_decision": "accepted", "missing_materials": "", "acceptance_reasons": "",
             "accepted_on": START.astimezone(CHINA_TZ).date().isoformat(), "submit": ""}
# The same decision as typed data, for the raw baseline (what coerce + validate produce).
TASK_DATA = {"acceptance_decision": "accepted", "accepted_on": HTML_FORM["accepted_on"]}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 5))
PER_ROUND = int(os.environ.get("BENCH_PER_ROUND", 70))
PG_ROUNDS = int(os.environ.get("BENCH_PG_ROUNDS", 3))
PG_PER_ROUND = int(os.environ.get("BENCH_PG_PER_ROUND", 60))
WARMUP = 10
INBOX_SAMPLES = int(os.environ.get("BENCH_INBOX_SAMPLES", 300))
INBOX_WARMUP = 30
# BENCH_SCALE shrinks the data sets (the smoke test of `make test` runs the whole bench at 0.01).
SCALE = float(os.environ.get("BENCH_SCALE", 1))
N_CASES = max(100, int(100_000 * SCALE))
N_OPEN = max(20, int(20_000 * SCALE))


def say(line: str = "") -> None:
    print(line, flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# --- stores -------------------------------------------------------------------------------
def build_store(url: str) -> Database:
    """A migrated database with the routes deployed and the demo county and users loaded."""
    database = Database(url)
    prepare_store(database, START)
    return database


@dataclass
class PgServer:
    admin_url: str
    name: str

    @property
    def url(self) -> str:
        return make_url(normalise_url(self.admin_url)).set(database=self.name).render_as_string(hide_password=False)

    def _admin(self):
        return create_engine(normalise_url(self.admin_url), isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": 5})

    def create(self) -> str:
        admin = self._admin()
        try:
            with admin.connect() as conn:
                version = conn.execute(text("SHOW server_version")).scalar()
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}"'))
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        finally:
            admin.dispose()
        return version

    def drop(self) -> None:
        admin = self._admin()
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        finally:
            admin.dispose()


def find_postgres() -> tuple[PgServer | None, str]:
    """The PostgreSQL server to use, or None with the reason."""
    admin_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG
    server = PgServer(admin_url, f"jiuzhu_bench_{os.getpid()}")
    try:
        version = server.create()
    except Exception as exc:  # unreachable, refused, no CREATE DATABASE privilege …
        shown = make_url(normalise_url(admin_url)).render_as_string(hide_password=True)
        return None, f"PostgreSQL not usable at {shown}: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    return server, f"PostgreSQL {version}, database {server.name}"


# --- the web side ---------------------------------------------------------------------------
class WebUser:
    """A logged-in test client carrying its CSRF token (as tests/conftest.py does)."""

    def __init__(self, app, username: str) -> None:
        self.client = app.test_client()
        page = self.client.get("/login")
        token = CSRF_RE.search(page.text).group(1)
        response = self.client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                                    "csrf_token": token})
        assert response.status_code == 302, response.text
        self.csrf = self.client.get("/api/v1/csrf-token").json["csrf_token"]
        # The session cookie after log-in (holds the CSRF secret). Restored before each POST so
        # the un-followed redirects do not pile flash messages into the cookie: a browser would
        # follow the redirect and the case page would consume the flash.
        self.session_cookie = self.client.get_cookie("session").value

    def reset_session(self) -> None:
        self.client.set_cookie("session", self.session_cookie)

    def complete(self, task_id: str):
        return self.client.post(f"/tasks/{task_id}", data={"csrf_token": self.csrf, **HTML_FORM})


def make_app(database: Database, clock: FrozenClock):
    from webapp import create_app
    return create_app({"DATABASE": database, "CLOCK": clock, "SECRET_KEY": "bench-secret", "TESTING": False})


RAW_ID_NUMBER = "320921197001011236"  # the raw baseline's applicant, and the first case's


_RAW_APPLICANT_LODGED: set = set()  # the stores whose first case is the raw baseline's applicant's


def prepare_cases(database: Database, clock: FrozenClock, n: int) -> list[str]:
    """Start n cases through the engine; return their open 'acceptance' task ids."""
    with database.unit_of_work() as uow:
        s = uow.session
        village = principal(s, "village_sy")
        village_id = s.execute(select(Unit.id).where(Unit.code == VILLAGE_CODE)).scalar_one()
    case_ids = []
    with database.unit_of_work(write=True) as uow:
        s = uow.session
        for i in range(n):  # one household each: the registry refuses a second open 低保 for the same people
            first = i == 0 and database not in _RAW_APPLICANT_LODGED  # the raw baseline's applicant, once a store
            app = sample_application("王小明", RAW_ID_NUMBER if first else fresh_id_number(), [300, 0, 200])
            case_ids.append(start_case(s, village, clock, PROCESS_ID, village_id, app).id)
        uow.commit()
    _RAW_APPLICANT_LODGED.add(database)
    with database.unit_of_work() as uow:
        s = uow.session
        rows = s.execute(select(HumanTask.case_id, HumanTask.id).where(
            HumanTask.case_id.in_(case_ids), HumanTask.status == "open", HumanTask.task_name == TASK_NAME)).all()
    by_case = dict(rows)
    assert len(by_case) == n, f"expected {n} open acceptance tasks, found {len(by_case)}"
    return [by_case[c] for c in case_ids]


def count_statements(database: Database, user: WebUser, task_id: str) -> list[str]:
    """The SQL statements one web completion sends (before_cursor_execute on the engine)."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        user.reset_session()
        response = user.complete(task_id)
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    assert response.status_code == 302, (response.status_code, response.text[:2000])
    return statements


# --- the raw SpiffWorkflow side -------------------------------------------------------------
class RawSpiff:
    """SpiffWorkflow alone on the same route, task and data.

    Fairness: both sides use engine.runtime.workflow_guards.script_engine() (designer text through
    engine.runtime.expressions: the cached whitelist check, no builtins, the budget), so script tasks and
    gateway conditions cost the same; the raw side uses the library's own serializer with
    CAMUNDA_CONFIG, whose JSON embeds the spec (it is re-read on every deserialize).
    """

    def __init__(self, database: Database, clock: FrozenClock) -> None:
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
        from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
        from SpiffWorkflow.util.task import TaskState

        self.TaskState = TaskState
        self.script_engine = script_engine()
        self.task_data = TASK_DATA
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
        parser = CamundaParser()
        parser.add_bpmn_file(str(BPMN_FILE))
        spec = parser.get_spec(PROCESS_ID)
        subprocesses = parser.get_subprocess_specs(PROCESS_ID)
        # The same start data the engine seeds: the validated application plus the county's rules.
        with database.unit_of_work() as uow:
            s = uow.session
            version = get_version(s, latest_version_id(s, PROCESS_ID))
            county_id = s.execute(select(Unit.id).where(Unit.code == "320921")).scalar_one()
            township_id = s.execute(select(Unit.id).where(Unit.code == "320921100")).scalar_one()
            start_form = version.tasks["@start"]["form_key"]
            data = version.validator(start_form).validate(
                sample_application("王小明", RAW_ID_NUMBER, [300, 0, 200]))
            data.update(version.declarations.payment_defaults(data))
            data.update(case_parameters(s, county_id, township_id, PROCESS_ID, clock.today()))
        wf = BpmnWorkflow(spec, subprocesses, script_engine=script_engine())
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(data)
        wf.do_engine_steps()
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        assert [t.task_spec.bpmn_id for t in ready] == [TASK_NAME], ready
        self.task_id = ready[0].id
        self.state = self.serializer.serialize_json(wf)
        self.start_data = dict(wf.last_task.data)

    def complete_once(self) -> str:
        wf = self.serializer.deserialize_json(self.state)
        wf.script_engine = self.script_engine
        task = wf.get_task_from_id(self.task_id)
        task.set_data(**self.task_data)
        task.run()
        wf.refresh_timers()
        wf.do_engine_steps()
        return self.serializer.serialize_json(wf)

    def next_steps(self) -> list[str]:
        wf = self.serializer.deserialize_json(self.complete_once())
        return [t.task_spec.bpmn_id for t in wf.get_tasks(state=self.TaskState.READY, manual=True)]


# --- completion ratio -------------------------------------------------------------------------
@dataclass
class RatioResult:
    ratio: float
    web_median: float
    raw_median: float
    rounds: list[tuple[float, float, float]]
    statements: list[str]


def measure_completion(label: str, database: Database, rounds: int, per_round: int) -> RatioResult:
    clock = FrozenClock(START)
    n = WARMUP + 1 + rounds * per_round
    t0 = time.perf_counter()
    task_ids = prepare_cases(database, clock, n)
    say(f"[{label}] prepared {n} cases through start_case in {time.perf_counter() - t0:.1f} s "
        f"(each with an open '{TASK_NAME}' task for 响水镇)")
    raw = RawSpiff(database, clock)
    app = make_app(database, clock)
    user = WebUser(app, "township_xs")

    # Same task, same data: the engine's restored workflow must hold what the raw one holds.
    with database.unit_of_work() as uow:
        s = uow.session
        case = s.execute(select(Case.process_version_id, Case.state).join(HumanTask, HumanTask.case_id == Case.id)
                         .where(HumanTask.id == task_ids[0])).one()
        engine_data = Workflow.restore(get_version(s, case.process_version_id).spec, case.state).data
        engine_state_len = len(case.state)
    assert engine_data == raw.start_data, "raw baseline data differ from the engine's case data"
    assert raw.next_steps() == ["economic_check"], raw.next_steps()
    say(f"[{label}] raw baseline: same route and data as the engine's case (checked); stored state "
        f"{len(raw.state)} chars with spec (raw) vs {engine_state_len} chars without (engine)")

    it = iter(task_ids)
    for _ in range(WARMUP):
        user.reset_session()
        response = user.complete(next(it))
        assert response.status_code == 302, (response.status_code, response.text[:2000])
        raw.complete_once()
    statements = count_statements(database, user, next(it))

    web_all: list[float] = []
    raw_all: list[float] = []
    round_results = []
    perf = time.perf_counter
    for r in range(rounds):
        gc.collect()
        web_t: list[float] = []
        raw_t: list[float] = []
        for i in range(per_round):
            task_id = next(it)
            # Alternate which goes first so neither always follows the other.
            order = (0, 1) if i % 2 == 0 else (1, 0)
            for which in order:
                if which == 0:
                    user.reset_session()
                    t = perf()
                    response = user.complete(task_id)
                    web_t.append(perf() - t)
                    if response.status_code != 302:
                        raise AssertionError(f"web completion answered {response.status_code}: {response.text[:2000]}")
                else:
                    t = perf()
                    raw.complete_once()
                    raw_t.append(perf() - t)
        wm, rm = statistics.median(web_t), statistics.median(raw_t)
        round_results.append((wm, rm, wm / rm))
        web_all += web_t
        raw_all += raw_t
        say(f"[{label}] round {r + 1}/{rounds}: web median {ms(wm)} ms, raw median {ms(rm)} ms, "
            f"ratio {wm / rm:.2f} ({per_round} samples each)")
    with database.unit_of_work() as uow:
        s = uow.session
        done = s.execute(select(HumanTask.id).where(HumanTask.id.in_(task_ids), HumanTask.status == "completed")).all()
    assert len(done) == len(task_ids), "not every posted task was completed"
    ratio = statistics.median(r[2] for r in round_results)
    result = RatioResult(ratio, statistics.median(web_all), statistics.median(raw_all), round_results, statements)
    say(f"[{label}] web completion (POST /tasks/<id> → 302): median {ms(result.web_median)} ms, "
        f"p95 {ms(p95(web_all))} ms over {len(web_all)} samples")
    say(f"[{label}] raw SpiffWorkflow deserialize→complete→serialize: median {ms(result.raw_median)} ms, "
        f"p95 {ms(p95(raw_all))} ms over {len(raw_all)} samples")
    say(f"[{label}] ratio of overall medians {result.web_median / result.raw_median:.2f}; "
        f"median of round ratios {ratio:.2f}")
    say(f"[{label}] SQL statements per web completion: {len(statements)}")
    for stmt in statements:
        say(f"[{label}]     {stmt[:150]}")
    if os.environ.get("BENCH_PROFILE"):
        profile_completion(label, database, clock, app, user, raw)
    return result


def profile_completion(label: str, database: Database, clock: FrozenClock, app, user: WebUser,
                       raw: RawSpiff) -> None:
    """BENCH_PROFILE=1: where a web completion's time goes (wall-clock probes, then cProfile)."""
    import cProfile
    import pstats

    from bench.breakdown import completion_breakdown
    completion_breakdown(database, app, user, prepare_cases(database, clock, 200), raw, say, f"[{label} breakdown]")
    n = 100
    task_ids = prepare_cases(database, clock, n)
    prof = cProfile.Profile()
    for task_id in task_ids:
        user.reset_session()
        prof.enable()
        user.complete(task_id)
        prof.disable()
    say(f"[{label} cProfile] {n} web completions, cumulative ms per completion (cProfile inflates Python-heavy "
        f"code), top 40:")
    rows = sorted(pstats.Stats(prof).stats.items(), key=lambda kv: kv[1][3], reverse=True)[:40]
    for (path, line, func), (_cc, nc, tt, ct, _callers) in rows:
        say(f"[{label} cProfile]   cum {ct * 1000 / n:8.3f} ms  self {tt * 1000 / n:7.3f} ms  calls/op {nc / n:7.1f}  "
            f"{'/'.join(Path(path).parts[-2:])}:{line} {func}")


# --- inbox on 100k cases -----------------------------------------------------------------------
TITLES = {"acceptance": "受理审查", "economic_check": "家庭经济状况信息核对", "home_investigation": "入户调查",
          "democratic_appraisal": "民主评议", "confirmation": "审核确认"}


KEPT_TABLES = frozenset({"unit", "app_user", "role_assignment", "process_version", "alembic_version"})


def wipe_case_data(s) -> None:
    """Delete every case, household and audit row (dependants first); places, users and versions stay."""
    for table in reversed(Base.metadata.sorted_tables):
        if table.name not in KEPT_TABLES:
            s.execute(delete(table))


def load_inbox_data(database: Database) -> dict:
    """Bulk-load 100,000 cases and their human_task rows (20,000 open) with COPY; ANALYZE."""
    rng = random.Random(20260915)
    with database.unit_of_work(write=True) as uow:
        s = uow.session
        wipe_case_data(s)
        uow.commit()
    # One real case for its serialized state, summary and version.
    clock = FrozenClock(START)
    template_task = prepare_cases(database, clock, 1)[0]
    with database.unit_of_work() as uow:
        s = uow.session
        tmpl = s.execute(select(Case).join(HumanTask, HumanTask.case_id == Case.id)
                         .where(HumanTask.id == template_task)).scalar_one()
        county = s.execute(select(Unit).where(Unit.code == "320921")).scalar_one()
        townships = s.execute(select(Unit.id, Unit.code).where(Unit.level == "township").order_by(Unit.code)).all()
        villages = s.execute(select(Unit.id, Unit.parent_id).where(Unit.level == "village")).all()
        users = dict(s.execute(select(User.username, User.id)).all())
        version_id, state, summary = tmpl.process_version_id, tmpl.state, json.dumps(tmpl.summary, ensure_ascii=False)
        title_by_name = {k: v.get("title", k) for k, v in get_version(s, version_id).tasks.items()}
        forms_by_name = {k: v.get("form_key") for k, v in get_version(s, version_id).tasks.items()}
    with database.unit_of_work(write=True) as uow:
        s = uow.session
        wipe_case_data(s)
        # 17 more townships with 6 villages each: 20 townships, 111 villages in the county.
        for i in range(17):
            code = f"320921{200 + i:03d}"
            tid = s.execute(insert(Unit.__table__).values(code=code, name=f"测试{i + 1}镇", level="township",
                                                          parent_id=county.id).returning(Unit.id)).scalar_one()
            townships.append((tid, code))
            rows = [{"code": f"{code}{201 + j:03d}", "name": f"测试{i + 1}镇{j + 1}村", "level": "village",
                     "parent_id": tid} for j in range(6)]
            for vid in s.execute(insert(Unit.__table__).returning(Unit.id), rows).scalars():
                villages.append((vid, tid))
        uow.commit()
    xs_id = next(tid for tid, code in townships if code == "320921100")
    villages_of: dict[int, list[int]] = {}
    for vid, tid in villages:
        villages_of.setdefault(tid, []).append(vid)
    township_ids = [tid for tid, _ in townships]
    others = [t for t in township_ids if t != xs_id]

    def title(name):
        return title_by_name.get(name, TITLES.get(name, name))

    # Open tasks: ~1/3 township@响水镇, the rest township elsewhere, village, county.
    share = N_OPEN / 20_000
    plan = ([("township", xs_id)] * int(6_700 * share) + [("township", None)] * int(7_000 * share)
            + [("village", None)] * int(4_300 * share))
    plan += [("county", None)] * (N_OPEN - len(plan))
    rng.shuffle(plan)
    case_rows, task_rows = [], []
    base_id = 1_000_000
    township_user, county_user, village_user = users["township_xs"], users["county_mz"], users["village_sy"]
    for i in range(N_CASES):
        case_id = base_id + i
        running = i < N_OPEN
        if running:
            role, township = plan[i]
            if township is None:
                township = rng.choice(others if role == "township" else township_ids)
        else:
            role, township = None, rng.choice(township_ids)
        village = rng.choice(villages_of[township])
        # A year of cases: the 80,000 closed ones lodged 45–365 days ago, the 20,000 running ones in the
        # last 45 days (the statutory limits close a case within weeks), so the oldest open tasks are
        # a few weeks overdue rather than months.
        age_days = rng.uniform(0, 45) if running else rng.uniform(45, 365)
        created = START - timedelta(days=age_days)
        number = f"BENCH{i:07d}"
        id_number = f"320921{1950 + i % 60:04d}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}{i % 10}"
        if running:
            name = {"township": rng.choice(("acceptance", "home_investigation", "confirmation")),
                    "village": "democratic_appraisal", "county": "economic_check"}[role]
            unit = {"township": township, "village": village, "county": county.id}[role]
            opened = created + (START - created) * rng.uniform(0, 0.9)
            if name != "acceptance":
                task_rows.append((str(uuid.uuid4()), case_id, "acceptance", title("acceptance"), "township",
                                  township, forms_by_name.get("acceptance"), "completed", created, None,
                                  opened, township_user))
            task_rows.append((str(uuid.uuid4()), case_id, name, title(name), role, unit, forms_by_name.get(name),
                              "open", opened, opened.astimezone(CHINA_TZ).date() + timedelta(days=7), None, None))
            case_rows.append((case_id, number, version_id, PROCESS_ID, f"申请人{i}", id_number, county.id, township,
                              village, "running", None, title(name), summary, state, tmpl.serializer_version,
                              tmpl.schema_version, 2, None, None, created, opened, None, village_user))
        else:
            done = created + timedelta(days=rng.uniform(10, 40))
            for k, (name, role_, unit, who) in enumerate((
                    ("acceptance", "township", township, township_user),
                    ("economic_check", "county", county.id, county_user),
                    ("confirmation", "township", township, township_user))):
                at = created + (done - created) * (k + 1) / 3
                task_rows.append((str(uuid.uuid4()), case_id, name, title(name), role_, unit,
                                  forms_by_name.get(name), "completed", created + (done - created) * k / 3,
                                  None, at, who))
            case_rows.append((case_id, number, version_id, PROCESS_ID, f"申请人{i}", id_number, county.id, township,
                              village, "completed", "end_confirmed", None, summary, state,
                              tmpl.serializer_version, tmpl.schema_version, 4, None,
                              created.astimezone(CHINA_TZ).date(), created, done, done, village_user))
    case_cols = ("id, number, process_version_id, process_id, applicant_name, applicant_id_number, county_id, "
                 "township_id, village_id, status, outcome, current_step, summary, state, serializer_version, "
                 "schema_version, revision, next_due_at, accepted_on, created_at, updated_at, completed_at, "
                 "started_by_id")
    task_cols = ("id, case_id, task_name, title, role, unit_id, form_key, status, created_at, due_on, "
                 "completed_at, completed_by_id")
    raw_conn = database.engine.raw_connection()
    try:
        cur = raw_conn.cursor()
        # Autovacuum would wake up mid-measurement after a bulk load and change the count query's plan
        # (index-only scan once the visibility map is set): keep it off while the headline is measured.
        cur.execute('ALTER TABLE "case" SET (autovacuum_enabled = false)')
        cur.execute("ALTER TABLE human_task SET (autovacuum_enabled = false)")
        with cur.copy(f'COPY "case" ({case_cols}) FROM STDIN') as copy:
            for row in case_rows:
                copy.write_row(row)
        with cur.copy(f"COPY human_task ({task_cols}) FROM STDIN") as copy:
            for row in task_rows:
                copy.write_row(row)
        cur.execute("""SELECT setval(pg_get_serial_sequence('"case"', 'id'), (SELECT max(id) FROM "case"))""")
        raw_conn.commit()
        cur.execute('ANALYZE "case"')
        cur.execute("ANALYZE human_task")
        cur.execute("ANALYZE unit")
        raw_conn.commit()
    finally:
        raw_conn.close()
    with database.unit_of_work() as uow:
        s = uow.session
        counts = {
            "cases": s.execute(text('SELECT count(*) FROM "case"')).scalar(),
            "tasks": s.execute(text("SELECT count(*) FROM human_task")).scalar(),
            "open": s.execute(text("SELECT count(*) FROM human_task WHERE status = 'open'")).scalar(),
            "xs_open": s.execute(text("SELECT count(*) FROM human_task WHERE status = 'open' AND role = 'township' "
                                      "AND unit_id = :u"), {"u": xs_id}).scalar(),
            "townships": len(township_ids), "villages": len(villages),
            "state_chars": len(state),
        }
    return counts


def explain(database: Database, statements: list[tuple[str, object]], tag: str,
            wanted=lambda statement: True) -> list[list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) each wanted SELECT of ``statements`` (text and parameters as sent);
    print the plans under ``tag`` and return them."""
    plans = []
    raw_conn = database.engine.raw_connection()
    try:
        cur = raw_conn.cursor()
        for statement, params in statements:
            if not statement.lstrip().upper().startswith("SELECT") or not wanted(statement):
                continue
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            plans.append([r[0] for r in cur.fetchall()])
            say(f"{tag} plan of: {' '.join(statement.split())[:110]} …")
            for line in plans[-1]:
                say(f"{tag}     {line}")
        raw_conn.rollback()
    finally:
        raw_conn.close()
    return plans


def sample_inbox(user: WebUser, n: int, url: str = "/inbox") -> list[float]:
    gc.collect()
    perf = time.perf_counter
    samples = []
    for _ in range(n):
        t = perf()
        response = user.client.get(url)
        samples.append(perf() - t)
        assert response.status_code == 200, response.status_code
    return samples


def measure_inbox(database: Database) -> float:
    t0 = time.perf_counter()
    counts = load_inbox_data(database)
    say(f"[inbox] loaded {counts['cases']:,} cases and {counts['tasks']:,} human_task rows "
        f"({counts['open']:,} open, {counts['xs_open']:,} of them township@响水镇) over {counts['townships']} "
        f"townships / {counts['villages']} villages with COPY + ANALYZE in {time.perf_counter() - t0:.1f} s "
        f"(case.state = one real {counts['state_chars']}-char state)")
    app = make_app(database, FrozenClock(START))
    user = WebUser(app, "township_xs")
    first = user.client.get("/inbox")
    assert first.status_code == 200, first.status_code
    rows = first.text.count('<tr class="')
    say(f"[inbox] GET /inbox as township_xs: 200, {rows} rows on page 1, {len(first.data):,} bytes")

    statements: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        user.client.get("/inbox")
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    say(f"[inbox] SQL statements per GET /inbox: {len(statements)}")

    for _ in range(INBOX_WARMUP):
        assert user.client.get("/inbox").status_code == 200
    samples = sample_inbox(user, INBOX_SAMPLES)
    result = p95(samples) * 1000
    say(f"[inbox] GET /inbox (after COPY + ANALYZE): median {ms(statistics.median(samples))} ms, p95 {result:.2f} ms, "
        f"p99 {ms(sorted(samples)[math.ceil(0.99 * len(samples)) - 1])} ms, max {ms(max(samples))} ms "
        f"over {len(samples)} samples")
    perf = time.perf_counter

    # Informational: where the time goes (SQL alone, and the plans).
    from engine.oversight import inbox as inbox_queries
    with database.unit_of_work() as uow:
        s = uow.session
        who = principal(s, "township_xs")
    today = START.astimezone(CHINA_TZ).date()
    sql_t = []
    for _ in range(100):
        with database.unit_of_work() as uow:
            s = uow.session
            t = perf()
            inbox_queries.inbox(s, who, today)
            sql_t.append(perf() - t)
    with database.unit_of_work() as uow:
        s = uow.session
        page_rows, total = inbox_queries.inbox(s, who, today)
    overdue = sorted((today - r.due_on).days for r in page_rows if r.due_on)
    say(f"[inbox] page 1 of {total:,} township@响水镇 tasks (oldest first): due dates {overdue[-1]}…{overdue[0]} "
        f"calendar days ago (the template counts working days to each due date)")
    say(f"[inbox] engine.oversight.inbox.inbox alone (2 queries): median {ms(statistics.median(sql_t))} ms, "
        f"p95 {ms(p95(sql_t))} ms")
    deep = []
    for _ in range(50):
        t = perf()
        assert user.client.get("/inbox?page=100").status_code == 200
        deep.append(perf() - t)
    say(f"[inbox] GET /inbox?page=100 (informational): median {ms(statistics.median(deep))} ms, p95 {ms(p95(deep))} ms")
    if os.environ.get("BENCH_PROFILE"):
        from bench.breakdown import inbox_breakdown
        inbox_breakdown(database, app, user, 200, say)
    explain(database, statements, "[inbox]", lambda statement: "human_task" in statement)
    # Informational: the steady state autovacuum reaches by itself (visibility map set).
    t0 = time.perf_counter()
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql('ALTER TABLE "case" RESET (autovacuum_enabled)')
        conn.exec_driver_sql("ALTER TABLE human_task RESET (autovacuum_enabled)")
        conn.exec_driver_sql('VACUUM (ANALYZE) "case", human_task')
    vacuum_s = time.perf_counter() - t0
    for _ in range(INBOX_WARMUP):
        user.client.get("/inbox")
    after = sample_inbox(user, 200)
    say(f"[inbox] informational, after VACUUM (ANALYZE) ({vacuum_s:.1f} s): GET /inbox median "
        f"{ms(statistics.median(after))} ms, p95 {ms(p95(after))} ms over {len(after)} samples")
    return result


# --- main ------------------------------------------------------------------------------------
def main() -> int:
    import SpiffWorkflow
    import sqlalchemy
    t_start = time.perf_counter()
    say(f"Jiuzhu bench: Python {platform.python_version()}, SpiffWorkflow "
        f"{getattr(SpiffWorkflow, '__version__', '?')}, SQLAlchemy {sqlalchemy.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs")
    say(f"route: {BPMN_FILE.relative_to(PROCESSES_DIR.parent)}; task: '{TASK_NAME}' (受理审查) with "
        f"decision=accepted; timer: time.perf_counter")

    # 1. Completion ratio on embedded SQLite (the headline figure).
    with tempfile.TemporaryDirectory(prefix="jiuzhu_bench_") as tmp:
        url = f"sqlite:///{Path(tmp) / 'jiuzhu.sqlite3'}"
        say(f"[sqlite] store: {url}")
        sqlite_db = build_store(url)
        try:
            sqlite_result = measure_completion("sqlite", sqlite_db, ROUNDS, PER_ROUND)
        finally:
            sqlite_db.dispose()

    # 2. PostgreSQL: the same ratio (informational) and the inbox at 100k cases.
    inbox_value = "NA"
    if os.environ.get("BENCH_POSTGRES", "1") == "0":
        server, why = None, "BENCH_POSTGRES=0 (PostgreSQL part skipped on request)"
    else:
        server, why = find_postgres()
    say(f"[postgres] {why}")
    if server is not None:
        pg_db = None
        try:
            pg_db = build_store(server.url)
            pg_result = measure_completion("postgres", pg_db, PG_ROUNDS, PG_PER_ROUND)
            say(f"[postgres] completion_ratio_vs_raw on PostgreSQL (informational) = {pg_result.ratio:.2f}")
            inbox_value = f"{measure_inbox(pg_db):.2f}"
        finally:
            if pg_db is not None:
                pg_db.dispose()
            server.drop()
            say(f"[postgres] dropped database {server.name}")
    else:
        say(f"[inbox] inbox_p95_ms=NA because {why}")
    # 3. PostgreSQL: one scheduler sweep over 100,000 waiting cases, 1,000 due (bench/sweep.py, own database).
    sweep_value = "NA"
    if server is not None:
        from bench.sweep import measure_sweep
        sweep_value = f"{measure_sweep(server, say)['median_ms']:.0f}"
    else:
        say(f"[sweep] scheduler_sweep_ms=NA because {why}")
    # 4. The three-step route over HTTP through gunicorn, SQLite and PostgreSQL (bench/over_http.py).
    from bench.over_http import TARGETS as HTTP_TARGETS, measure_http
    http_figures = measure_http(say, postgres=server is not None)
    # 5. PostgreSQL: the household registry at province scale (bench/households.py, own database).
    from bench.households import TARGETS as HOUSEHOLD_TARGETS
    household_values = dict.fromkeys(HOUSEHOLD_TARGETS, "NA")
    if server is not None:
        from bench.households import measure_households
        household_values = {name: f"{value:.2f}" for name, value in measure_households(server, say).items()}
    else:
        say(f"[households] household figures NA because {why}")
    say(f"[sqlite] headline: web median {ms(sqlite_result.web_median)} ms, raw median "
        f"{ms(sqlite_result.raw_median)} ms, {len(sqlite_result.statements)} SQL statements per completion; "
        f"target ratio ≤ 3, inbox p95 ≤ 30 ms")
    for store, values in http_figures.items():  # the SQLite ones are the figures, PostgreSQL's information
        say(f"[http] {store}: " + ", ".join(f"{k} {v:.2f}" for k, v in values.items()))
    say(f"total bench time {time.perf_counter() - t_start:.0f} s")
    say(f"scheduler_sweep_ms={sweep_value}")
    say(f"completion_ratio_vs_raw={sqlite_result.ratio:.2f}")
    say(f"inbox_p95_ms={inbox_value}")
    for name in HTTP_TARGETS:
        say(f"{name}={http_figures['sqlite'][name]:.2f}")
    for name, value in household_values.items():
        say(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
