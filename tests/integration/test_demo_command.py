"""What `make run` does on a fresh machine: `jiuzhu migrate`, `deploy` and `demo` on an empty store load the
demo places, users and sample cases (the demo data meets the forms it is lodged with), and running `demo` again
changes nothing."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from engine.store.database import Database
from engine.store.models import Case, User
from tests.conftest import PG_URL, _create_pg_database


def jiuzhu(url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, "-m", "webapp.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_make_run_s_set_up_loads_the_demo_on_an_empty_store(kind, tmp_path):
    if kind == "postgres" and not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    url, drop = (f"sqlite:///{tmp_path / 'demo.sqlite3'}", lambda: None) if kind == "sqlite" else _create_pg_database()
    try:
        jiuzhu(url, "migrate")
        jiuzhu(url, "deploy")
        first = jiuzhu(url, "demo")
        assert "sample cases started" in first and "jiuzhu-demo-2026" in first
        database = Database(url)
        with database.unit_of_work() as uow:
            cases = uow.session.execute(select(func.count()).select_from(Case)).scalar()
            users = uow.session.execute(select(func.count()).select_from(User)).scalar()
        assert cases >= 2 and users >= 20
        again = jiuzhu(url, "demo")
        assert "0 created" in again
        with database.unit_of_work() as uow:
            assert uow.session.execute(select(func.count()).select_from(Case)).scalar() == cases
        database.dispose()
    finally:
        drop()
