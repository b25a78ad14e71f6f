"""The caller owns the one commit (cosmicpython, chapter 6): use cases never commit, a unit of work
keeps nothing unless its caller commits, an exception rolls back, and on SQLite every transaction
of a writing unit of work holds the write lock from its BEGIN."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from engine.cases.lifecycle import complete_task, start_case
from engine.store.database import ReadOnlyUnitOfWork
from engine.store.models import Case, CaseEvent, HumanTask
from tests.factories import FORM_DATA, SHUANGYUAN, XIANGSHUI, sample_application


def lodge(session, who, clock, village_id) -> int:
    data = sample_application("王小明", "320921197001011236", [300, 0, 200])
    return start_case(session, who("village_sy"), clock, XIANGSHUI, village_id, data).id


def case_count(db) -> int:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(func.count()).select_from(Case)).scalar_one()


def test_uncommitted_work_is_rolled_back_by_default(db, clock, who, unit_id):
    village_id = unit_id(SHUANGYUAN)
    with db.unit_of_work(write=True) as uow:
        lodge(uow.session, who, clock, village_id)
    assert case_count(db) == 0, "a use case never commits; leaving the block without commit() keeps nothing"


def test_an_exception_rolls_back(db, clock, who, unit_id):
    village_id = unit_id(SHUANGYUAN)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with db.unit_of_work(write=True) as uow:
            lodge(uow.session, who, clock, village_id)
            raise Boom()
    assert case_count(db) == 0


def test_use_cases_compose_into_one_commit(db, clock, who, unit_id):
    village_id = unit_id(SHUANGYUAN)
    with db.unit_of_work(write=True) as uow:
        case_id = lodge(uow.session, who, clock, village_id)
        task_id = uow.session.execute(select(HumanTask.id).where(HumanTask.case_id == case_id,
                                                                 HumanTask.status == "open")).scalar_one()
        complete_task(uow.session, who("township_xs"), clock, task_id, FORM_DATA["acceptance"])
        uow.commit()
    with db.unit_of_work() as uow:
        kinds = uow.session.execute(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)
                                    .order_by(CaseEvent.id)).scalars().all()
    assert kinds == ["case_started", "task_completed"]


def test_a_reading_unit_of_work_cannot_commit(db, clock, who, unit_id):
    village_id = unit_id(SHUANGYUAN)
    with db.unit_of_work() as uow:
        if db.is_postgres:  # a READ ONLY transaction: the database itself refuses the write
            with pytest.raises(DBAPIError, match="read-only"):
                lodge(uow.session, who, clock, village_id)
        else:
            lodge(uow.session, who, clock, village_id)
            with pytest.raises(ReadOnlyUnitOfWork):
                uow.commit()
    assert case_count(db) == 0


def test_every_transaction_of_a_writing_unit_of_work_takes_the_sqlite_write_lock_at_begin(db, db_url):
    if db.is_postgres:
        pytest.skip("SQLite's database write lock; PostgreSQL locks rows")
    path = db_url.removeprefix("sqlite:///")
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(text("SELECT 1"))
        uow.commit()
        # A second transaction of the same unit of work: it must hold the write lock from its BEGIN,
        # before it has read or written anything, so it can never meet "database is locked" later.
        uow.session.execute(text("SELECT 1"))
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
    with db.unit_of_work() as uow:  # a reading one does not take it
        uow.session.execute(text("SELECT 1"))
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()


def test_a_pooled_connection_lost_while_idle_is_replaced_before_use(db, monkeypatch):
    """The pool pings a connection only after it was idle (JIUZHU_PG_PING_AFTER_IDLE_S): one the server closed
    meanwhile (a restart, an idle cut) is replaced at checkout, and the unit of work runs on a new one."""
    if not db.is_postgres:
        pytest.skip("SQLite has no server to lose")
    import engine.store.database as database_module
    with db.engine.connect() as other:
        with db.unit_of_work() as uow:  # a second pooled connection, idle in the pool once this ends
            lost = uow.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost}).scalar_one()
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_S", 0.0)
    with db.unit_of_work() as first, db.unit_of_work() as second:  # both pooled connections come out
        pids = {u.session.execute(text("SELECT pg_backend_pid()")).scalar_one() for u in (first, second)}
    assert lost not in pids and len(pids) == 2
