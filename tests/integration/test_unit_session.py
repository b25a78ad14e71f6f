"""The units of work's session (engine/store/sessions.py): a SELECT of columns runs on the transaction's
connection with the same rows, keys and transaction as the ORM's path; entities, loader options, execution
options and DML keep the ORM's path; the memo (engine/store/memo.py) still forgets after any write."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import aliased, selectinload

from engine.people.places import place_of_village
from engine.store.models import Unit
from engine.store.sessions import UnitSession
from tests.factories import SHUANGYUAN
from tests.integration.test_search import statements as counted


def test_a_column_select_runs_on_the_connection_with_the_orm_s_rows_and_keys(db):
    parent = aliased(Unit)
    statement = (select(Unit.id, parent.id, Unit.name, parent.name.label("above"))
                 .join(parent, parent.id == Unit.parent_id).order_by(Unit.id))
    with db.unit_of_work() as uow:
        s = uow.session
        assert isinstance(s, UnitSession)
        with counted(db) as sent:
            fast = s.execute(statement)
            assert isinstance(fast, CursorResult)  # not the ORM's result
            keys, rows = list(fast.keys()), fast.all()
        assert len(sent) >= 1  # the cursor's events fire as for any statement
        orm = orm_path_execute(s, statement)
        assert keys == list(orm.keys()) == ["id", "id_1", "name", "above"]
        assert rows == orm.all() and rows
        assert s.scalars(select(Unit.id).order_by(Unit.id)).all() == [r.id for r in
                                                                      s.execute(select(Unit.id).order_by(Unit.id))]
        assert s.scalar(select(func.count()).select_from(Unit)) == len(s.execute(select(Unit.id)).all())


def orm_path_execute(session, statement):
    """The ORM's own path for the same statement (the base class's execute)."""
    return super(UnitSession, session).execute(statement)


def test_entities_options_and_execution_options_keep_the_orm_s_path(db):
    with db.unit_of_work() as uow:
        s = uow.session
        units = s.execute(select(Unit).order_by(Unit.id)).scalars().all()
        assert units and all(isinstance(u, Unit) for u in units)
        assert s.get(Unit, units[0].id) is units[0]  # in the identity map: loaded by the ORM
        assert not isinstance(s.execute(select(Unit.id).execution_options(yield_per=10)), CursorResult)
        assert not isinstance(s.execute(select(Unit).options(selectinload(Unit.parent))), CursorResult)


def test_a_column_select_sees_the_transaction_s_own_write_and_the_memo_forgets(db, unit_id):
    village = unit_id(SHUANGYUAN)
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        place_of_village(s, village)
        s.execute(update(Unit).where(Unit.id == village).values(name="改名村"))
        assert s.scalar(select(Unit.name).where(Unit.id == village)) == "改名村"  # same transaction
        with counted(db) as sent:
            place_of_village(s, village)
        assert any("FROM unit" in statement for statement in sent)  # the write emptied the memo
