"""Shared fixtures: a real database per store (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), the deployed routes, the demo places and users, a
frozen clock, and logged-in web clients."""
from __future__ import annotations

import os
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from engine.clock import FrozenClock
from engine.store.database import Database, normalise_url
from tests.factories import DEMO_PASSWORD
from engine.installation import prepare_store
from engine.people.accounts import principal_of as principal, use_password_hasher
from engine.store.models import Base, Unit

# argon2id at its lowest cost for the suite's users and log-ins (the production cost is tested once, in
# tests/webapp/test_password_hashing.py); set before any store's demo users are hashed.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
use_password_hasher(TEST_HASHER)

PG_URL = os.environ.get("TEST_DATABASE_URL")
STORES = ["sqlite"] + (["postgres"] if PG_URL else [])
START = datetime(2026, 9, 15, 2, 0, tzinfo=timezone.utc)  # 10:00 in China


def _create_pg_database() -> tuple[str, callable]:
    from sqlalchemy import create_engine, text
    admin_url = make_url(normalise_url(PG_URL))
    name = f"jiuzhu_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False), drop


def build_store(kind: str, tmp_dir: Path):
    """A migrated database with the routes deployed and the demo county loaded."""
    if kind == "sqlite":
        url, drop = f"sqlite:///{tmp_dir / 'jiuzhu.sqlite3'}", (lambda: None)
    else:
        url, drop = _create_pg_database()
    database = Database(url)
    prepare_store(database, START)
    return database, url, drop


@pytest.fixture(scope="session", params=STORES)
def store(request, tmp_path_factory):
    """(Database, url) of one store, shared by the session's tests."""
    if request.param == "postgres" and not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    database, url, drop = build_store(request.param, tmp_path_factory.mktemp(request.param))
    yield database, url
    database.dispose()
    drop()


KEPT_TABLES = frozenset({"unit", "app_user", "role_assignment", "process_version", "alembic_version"})


@pytest.fixture
def db(store):
    """The store's Database; case data, sessions and log-in throttling are wiped after each test (places, users,
    versions stay)."""
    database, _url = store
    yield database
    wipe_case_data(database)


def wipe_case_data(database) -> None:
    """Delete everything but places, users and versions (what the db fixture does after each test)."""
    with database.unit_of_work(write=True) as uow:
        s = uow.session
        for table in reversed(Base.metadata.sorted_tables):  # dependants first
            if table.name not in KEPT_TABLES:
                s.execute(delete(table))
        uow.commit()


@pytest.fixture
def forget_new_versions(db):
    """Process versions a test deploys (the workbench's) are removed after it, with every case on them, so the
    session's other tests keep starting cases on the shipped routes."""
    from engine.catalogue import versions
    from engine.store.models import ProcessVersion
    with db.unit_of_work() as uow:
        before = uow.session.execute(select(func.max(ProcessVersion.id))).scalar()
    yield
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        for table in reversed(Base.metadata.sorted_tables):  # cases (and drafts) on the new versions go first
            if table.name not in KEPT_TABLES:
                s.execute(delete(table))
        for (version_id,) in s.execute(select(ProcessVersion.id).where(ProcessVersion.id > before)).all():
            versions._cache.pop(version_id, None)
        s.execute(delete(ProcessVersion).where(ProcessVersion.id > before))
        uow.commit()


@pytest.fixture
def db_url(store):
    """The URL of the store (for subprocesses)."""
    return store[1]


@pytest.fixture
def clock():
    """A frozen clock at 2026-09-15 10:00 China time."""
    return FrozenClock(START)


@pytest.fixture
def who(db):
    """who('township_xs') → that demo user's principal."""
    def get(username: str):
        with db.unit_of_work() as uow:
            s = uow.session
            return principal(s, username)
    return get


@pytest.fixture
def unit_id(db):
    """unit_id('320921100201') → the unit's id."""
    def get(code: str) -> int:
        with db.unit_of_work() as uow:
            s = uow.session
            return s.execute(select(Unit.id).where(Unit.code == code)).scalar_one()
    return get


@pytest.fixture
def new_user(db, clock):
    """new_user(("county", "320921"), …) → the username of a fresh user with those (role, unit code) pairs
    and the demo password (demo users stay as they are for other tests)."""
    from engine.people.users import create_user

    def make(*roles: tuple[str, str]) -> str:
        username = f"user_{uuid.uuid4().hex[:10]}"
        with db.unit_of_work(write=True) as uow:
            s = uow.session
            create_user(s, None, clock.now(), username, f"测试用户 {username}", DEMO_PASSWORD, roles)
            uow.commit()
        return username
    return make


@pytest.fixture
def attachments_dir(tmp_path) -> Path:
    """Where the test's scans are stored (outside the repository)."""
    return tmp_path / "attachments"


@pytest.fixture
def app(db, clock, attachments_dir):
    """The real Flask app on the test store, with CSRF on."""
    from webapp import create_app
    return create_app({"DATABASE": db, "CLOCK": clock, "TESTING": True, "SECRET_KEY": "test-secret",
                       "ATTACHMENTS_DIR": str(attachments_dir)})


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebUser:
    """A logged-in browser-less client that carries its CSRF token."""

    def __init__(self, client, username: str) -> None:
        self.client = client
        page = client.get("/login")
        token = CSRF_RE.search(page.text).group(1)
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.text
        self.csrf = client.get("/api/v1/csrf-token").json["csrf_token"]

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post_form(self, url, data: dict):
        return self.client.post(url, data={"csrf_token": self.csrf, **data})


@pytest.fixture
def login(app):
    """login('township_xs') → a WebUser with its own cookie jar."""
    return lambda username: WebUser(app.test_client(), username)


# --- BPMN flow coverage, printed at the end of `make test` --------------------
@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    from tests.flow_coverage import TAKEN
    for process_id, pairs in getattr(node, "workeroutput", {}).get("flow_pairs", {}).items():
        TAKEN[process_id] |= {tuple(p) for p in pairs}


REQUIRE_COVERAGE_ENV = "JIUZHU_REQUIRE_FLOW_COVERAGE"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from tests.flow_coverage import TAKEN, report, total_uncovered
    if getattr(config, "workeroutput", None) is not None:
        return
    if not TAKEN and os.environ.get(REQUIRE_COVERAGE_ENV) != "1":
        return
    for line in report(TAKEN):
        terminalreporter.write_line(line)
    if os.environ.get(REQUIRE_COVERAGE_ENV) == "1" and total_uncovered(TAKEN):
        terminalreporter.write_line("FAILED: some sequence flows of deployed processes are taken by no test", red=True)


def pytest_sessionfinish(session, exitstatus):
    """Under `make test` (JIUZHU_REQUIRE_FLOW_COVERAGE=1) an untaken sequence flow fails the run."""
    from tests.flow_coverage import TAKEN, total_uncovered
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["flow_pairs"] = {k: sorted(map(list, v)) for k, v in TAKEN.items()}
        return
    if os.environ.get(REQUIRE_COVERAGE_ENV) == "1" and exitstatus == 0 and total_uncovered(TAKEN):
        session.exitstatus = 1
