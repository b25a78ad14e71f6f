"""Siping's monthly cut-offs: tasks due on the 26th and the 30th, opened each month for each street."""
from __future__ import annotations

import importlib.util
from datetime import date, datetime, timezone

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import delete, select

from engine.store.database import PROJECT_ROOT
from engine.store.models import Case, Sequence
from engine.jobs import cutoff_sweep
from tests.factories import Walk

FORMS = {
    "approvals_cutoff": {"approved_count": 12, "pending_count": 1},
    "data_report": {"reported_on": "2026-11-27", "households": 340, "total_amount": 401230.5, "data_checked": True},
    "district_receipt": {"received_on": "2026-11-30"},
}


def test_cutoffs_open_each_month_for_siping_streets_only(db, clock, who, login):
    clock.set(datetime(2026, 10, 31, 17, 0, tzinfo=timezone.utc))  # 2026-11-01 01:00 in China
    assert cutoff_sweep(db, clock) == 3
    assert cutoff_sweep(db, clock) == 0, "once per street and month"
    with db.unit_of_work() as uow:
        s = uow.session
        cases = s.execute(select(Case).where(Case.process_id == "siping_monthly_cutoff")).scalars().all()
    assert sorted(c.number for c in cases) == ["220302001-202611-月度", "220302002-202611-月度", "220302003-202611-月度"]
    renxing = next(c for c in cases if c.number.startswith("220302001"))
    walk = Walk(db, clock, who, renxing.id, renxing.number, "220302001", FORMS)
    [task] = walk.open_tasks()
    assert (task.task_name, task.due_on, task.role) == ("approvals_cutoff", date(2026, 11, 26), "township")
    assert "本月审批办结（26日前）" in login("street_rx").get("/inbox").text
    walk.do("approvals_cutoff")
    [task] = walk.open_tasks()
    assert (task.task_name, task.due_on) == ("data_report", date(2026, 11, 30))
    walk.do("data_report")
    assert walk.do("district_receipt") == "center_tx"
    assert walk.case().status == "completed"
    clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc))
    assert cutoff_sweep(db, clock) == 3


def test_cutoffs_opened_before_the_claims_existed_are_not_opened_again(db, clock):
    """A store upgraded mid-month: migration 0007 gives the month's open cut-offs their claims."""
    clock.set(datetime(2026, 10, 31, 17, 0, tzinfo=timezone.utc))
    assert cutoff_sweep(db, clock) == 3
    with db.unit_of_work(write=True) as uow:  # as a store that opened them before this change
        uow.session.execute(delete(Sequence).where(Sequence.key.like("opened:%")))
        uow.commit()
    migration = _migration("0008_unit_of_work.py")
    with db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.upgrade()
    assert cutoff_sweep(db, clock) == 0


def _migration(filename: str):
    path = PROJECT_ROOT / "migrations" / "versions" / filename
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
