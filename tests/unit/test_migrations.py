"""The Alembic migrations create exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine.store.models import Base


def test_models_and_migrations_agree(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_the_case_state_is_compressed_with_lz4_on_postgresql(db):
    """Migration 0024_e: the hot TOASTed columns are lz4 where the server offers it (pglz took most of a sweep's
    database time); SQLite has nothing of the kind."""
    if not db.is_postgres:
        return
    with db.engine.connect() as conn:
        offered = "lz4" in (conn.exec_driver_sql(
            "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'").scalar() or [])
        methods = dict(conn.exec_driver_sql(
            "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = '\"case\"'::regclass "
            "AND attname IN ('state', 'timer_plan')").all())
    assert methods == ({"state": "l", "timer_plan": "l"} if offered else {"state": "", "timer_plan": ""})


def test_migration_0026_a_recompresses_states_and_bodies_and_the_downgrade_restores_plain_zlib(db, clock, who,
                                                                                               unit_id):
    """Upgrade: SQLite's stored states and document bodies take the preset dictionaries; downgrade: plain zlib
    again (what the code before reads). PostgreSQL stores text: both directions leave it as it is. Every value
    reads the same throughout."""
    import zlib

    from sqlalchemy import text

    from engine.store.compression import decompress
    from engine.store.migrations import downgrade, upgrade
    from tests.factories import start

    walk = start(db, clock, who, unit_id)
    walk.drive_to("confirmation")
    walk.do("confirmation")  # issues the approval notice (a document)

    def stored():
        with db.engine.connect() as conn:
            return [row for query in ('SELECT state FROM "case"', "SELECT body FROM document")
                    for row in conn.execute(text(query)).scalars()]

    def read(values):
        return [decompress(v) if isinstance(v, bytes) else v for v in values]

    current = stored()
    assert len(current) >= 2
    downgrade(db.engine, "0025_a")
    try:
        old = stored()
        assert read(old) == read(current)
        if db.is_postgres:
            assert old == current and all(isinstance(v, str) for v in old)
        else:
            assert all(isinstance(v, bytes) and not v[1] & 0x20 for v in old)  # plain zlib, no dictionary
            assert [zlib.decompress(v).decode() for v in old] == read(current)
    finally:
        upgrade(db.engine)
    again = stored()
    assert read(again) == read(current)
    if not db.is_postgres:
        assert all(v[1] & 0x20 for v in again) and sum(map(len, again)) < sum(map(len, old)) / 1.5


def test_migration_0027_a_unlinks_benefits_from_reviews_that_ended_and_keeps_running_ones(db, clock, who, unit_id):
    """A benefit linked to a finished review (a 终止 written before the fix) is unlinked, due as it was; a benefit
    whose review still runs keeps its link."""
    from datetime import date, datetime, timezone

    from sqlalchemy import insert, select, update

    from engine import terminate_case
    from engine.store.migrations import downgrade, upgrade
    from engine.store.models import Recipient
    from tests.factories import fresh_id_number, start

    ended, running = start(db, clock, who, unit_id), start(db, clock, who, unit_id)
    with db.unit_of_work(write=True) as uow:
        terminate_case(uow.session, who("county_mz"), clock, ended.case_id, "复核对象已另案处理")
        uow.commit()
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        for walk in (ended, running):
            case = walk.case()
            s.execute(insert(Recipient).values(
                assistance_type="minimum_living", case_id=case.id, county_id=case.county_id,
                township_id=case.township_id, village_id=case.village_id, applicant_name=case.applicant_name,
                applicant_id_number=fresh_id_number(), household_size=3, monthly_amount=1840.0,
                payment_from=date(2026, 1, 1), stopped_from=None, review_class="A", next_review_on=date(2026, 9, 1),
                review_case_id=case.id, status="active", updated_at=datetime.now(timezone.utc)))
        uow.commit()
    downgrade(db.engine, "0026_a")
    upgrade(db.engine)
    with db.unit_of_work() as uow:
        links = dict(uow.session.execute(select(Recipient.case_id, Recipient.review_case_id)).all())
        due = set(uow.session.execute(select(Recipient.next_review_on)).scalars())
    assert links == {ended.case_id: None, running.case_id: running.case_id} and due == {date(2026, 9, 1)}
