"""Facts read once per transaction (engine/store/memo.py): the place of a village and the newest version of a
route are asked of the database once while the transaction writes nothing, and again after any write, at the
next transaction, and never across transactions."""
from __future__ import annotations

from sqlalchemy import select, update

from engine.catalogue.versions import latest_version_id
from engine.people.places import place_of_village
from engine.store.models import Unit
from tests.factories import SHUANGYUAN, XIANGSHUI
from tests.integration.test_search import statements as counted


def test_a_fact_is_read_once_until_the_transaction_writes(db, unit_id):
    village = unit_id(SHUANGYUAN)
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        first = place_of_village(s, village)
        with counted(db) as sent:
            assert place_of_village(s, village) == first and latest_version_id(s, XIANGSHUI) > 0
            assert latest_version_id(s, XIANGSHUI) > 0
        assert len(sent) == 1  # the version once; the place not again
        # A write in the same transaction: the next read asks the database and sees the change.
        s.execute(update(Unit).where(Unit.id == village).values(code="320921100299"))
        with counted(db) as sent:
            assert place_of_village(s, village) == first  # same ids: the code is not part of a place
            latest_version_id(s, XIANGSHUI)
        assert len(sent) == 2
        # A rollback ends the transaction and the memo with it.
        s.rollback()
        with counted(db) as sent:
            place_of_village(s, village)
        assert any("FROM unit" in statement for statement in sent)


def test_nothing_is_kept_between_units_of_work(db, unit_id):
    village = unit_id(SHUANGYUAN)
    with db.unit_of_work() as uow:
        place_of_village(uow.session, village)
    with db.unit_of_work() as uow, counted(db) as sent:
        place_of_village(uow.session, village)
    assert any("FROM unit" in statement for statement in sent)


def test_a_township_moved_in_the_transaction_is_seen_at_once(db, unit_id):
    village = unit_id(SHUANGYUAN)
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        before = place_of_village(s, village)
        other = s.execute(select(Unit.id).where(Unit.level == "township", Unit.id != before.township_id,
                                                Unit.parent_id == before.county_id)).scalars().first()
        assert other is not None  # the demo county has several townships
        s.execute(update(Unit).where(Unit.id == village).values(parent_id=other))
        assert place_of_village(s, village).township_id == other  # not the remembered township
