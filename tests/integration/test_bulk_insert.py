"""Rows written by engine.store.bulk.insert_rows (one statement: PostgreSQL's unnest of binary arrays) are the
rows SQLAlchemy's executemany writes — every column, the columns' own defaults, JSON, UTC times, NULLs among
values — and the keys it returns are in the rows' order; on PostgreSQL it is one statement whatever the size."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, insert, select

from engine.store.bulk import insert_rows
from engine.store.models import Case, CaseEvent
from tests.factories import start

CASE, EVENT = Case.__table__, CaseEvent.__table__
DEFAULTED = ("timer_attempts", "due_provisional", "privacy")  # given by the columns' defaults when left out


def _rows(model: dict, tag: str, n: int, now) -> list[dict]:
    rows = []
    for i in range(n):
        row = {k: v for k, v in model.items() if k not in ("id", *DEFAULTED)}
        row.update(number=f"{tag}-{i}", applicant_name=f"复核户{i}\"'\\{{}}", request_token=None, open_key=None,
                   summary={"i": i, "名": ["a", None, 1.5], "quote": '"\\'},
                   next_due_at=None if i % 2 else now + timedelta(days=i),
                   accepted_on=None if i % 3 else now.date(), current_step=None if i == 1 else "入户调查")
        rows.append(row)
    return rows


def _written(s, ids: list[int]) -> list[dict]:
    by_id = {r.id: dict(r._mapping) for r in s.execute(select(CASE).where(CASE.c.id.in_(ids)))}
    return [{k: v for k, v in by_id[i].items() if k not in ("id", "number")} for i in ids]


def test_rows_in_one_statement_are_the_rows_sqlalchemy_writes(db, clock, who, unit_id):
    origin = start(db, clock, who, unit_id)
    now = clock.now()
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        model = dict(s.execute(select(CASE).where(CASE.c.id == origin.case_id)).one()._mapping)
        for n in (5, 1):  # several rows (some columns alike in all), and one (every column alike)
            expected_ids = list(s.execute(insert(CASE).returning(CASE.c.id, sort_by_parameter_order=True),
                                          _rows(model, f"sa{n}", n, now)).scalars())
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                ids = insert_rows(s, CASE, _rows(model, f"bulk{n}", n, now), returning=CASE.c.id)
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            assert _written(s, ids) == _written(s, expected_ids)
            numbers = dict(s.execute(select(CASE.c.id, CASE.c.number).where(CASE.c.id.in_(ids))).all())
            assert [numbers[i] for i in ids] == [f"bulk{n}-{i}" for i in range(n)], "keys in the rows' order"
            assert {r[k] for r in _written(s, ids) for k in DEFAULTED} == {0, False}
        if db.is_postgres:
            assert len(statements) == 2 and all("unnest" in x for x in statements)
        # without a key to return, and a JSON column
        events = [{"case_id": i, "at": now, "actor_id": None, "kind": "case_started", "task_name": None,
                   "title": "复核", "data": {"n": k, "text": "引号\"", "none": None}} for k, i in enumerate(ids + expected_ids)]
        assert insert_rows(s, EVENT, events) == []
        got = s.execute(select(EVENT.c.case_id, EVENT.c.at, EVENT.c.data).where(EVENT.c.kind == "case_started",
                                                                               EVENT.c.title == "复核")
                        .order_by(EVENT.c.id)).all()
        assert [tuple(r) for r in got] == [(e["case_id"], now, e["data"]) for e in events]
        assert insert_rows(s, EVENT, []) == []


def test_rows_updated_in_one_statement_are_the_rows_sqlalchemy_updates(db, clock, who, unit_id):
    from sqlalchemy import bindparam, update

    from engine.store.bulk import update_rows
    from engine.store.models import Household
    HOUSEHOLD = Household.__table__
    cases = [start(db, clock, who, unit_id) for _ in range(4)]
    now = clock.now()
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        ids = [c.case_id for c in cases]
        households = s.execute(select(CASE.c.household_id).where(CASE.c.id.in_(ids)).order_by(CASE.c.id)).scalars().all()
        # a row named twice takes the last values; JSON and times bound as SQLAlchemy binds them
        update_rows(s, CASE, "id", [{"id": ids[0], "summary": {"first": 1}, "updated_at": now},
                                    {"id": ids[1], "summary": {"名": "二\""}, "updated_at": now},
                                    {"id": ids[0], "summary": {"last": [1, None]}, "updated_at": now}])
        s.execute(update(CASE).where(CASE.c.id == bindparam("b_id")).values(summary=bindparam("b_s")),
                  [{"b_id": ids[2], "b_s": {"名": "二\""}}])
        got = dict(s.execute(select(CASE.c.id, CASE.c.summary).where(CASE.c.id.in_(ids))).all())
        assert (got[ids[0]], got[ids[1]], got[ids[2]]) == ({"last": [1, None]}, {"名": "二\""}, {"名": "二\""})
        assert s.execute(select(CASE.c.updated_at).where(CASE.c.id == ids[1])).scalar_one() == now
        # where_null: only the rows whose column is still NULL change
        s.execute(update(HOUSEHOLD).where(HOUSEHOLD.c.id == households[0]).values(head_id=None))
        heads = dict(s.execute(select(HOUSEHOLD.c.id, HOUSEHOLD.c.head_id).where(HOUSEHOLD.c.id.in_(households))).all())
        person = heads[households[1]]
        update_rows(s, HOUSEHOLD, "id", [{"id": h, "head_id": person} for h in households[:2]], where_null=("head_id",))
        after = dict(s.execute(select(HOUSEHOLD.c.id, HOUSEHOLD.c.head_id).where(HOUSEHOLD.c.id.in_(households))).all())
        assert after == {**heads, households[0]: person}
        update_rows(s, HOUSEHOLD, "id", [])


def test_a_text_too_long_for_its_column_is_refused_not_cut(db, clock, who, unit_id):
    import pytest
    from sqlalchemy.exc import DBAPIError

    from engine.store.bulk import update_rows
    if not db.is_postgres:
        pytest.skip("SQLite keeps text of any length")
    origin = start(db, clock, who, unit_id)
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        model = dict(s.execute(select(CASE).where(CASE.c.id == origin.case_id)).one()._mapping)
        rows = _rows(model, "long", 2, clock.now())
        rows[1]["applicant_id_number"] = "3" * 19  # String(18)
        with pytest.raises(DBAPIError), s.begin_nested():
            insert_rows(s, CASE, rows, returning=CASE.c.id)
        with pytest.raises(DBAPIError), s.begin_nested():
            update_rows(s, CASE, "id", [{"id": origin.case_id, "applicant_id_number": "3" * 19},
                                        {"id": origin.case_id + 1, "applicant_id_number": "3" * 18}])
        assert s.execute(select(CASE.c.applicant_id_number).where(CASE.c.id == origin.case_id)).scalar_one() \
            == model["applicant_id_number"]


def test_rows_updated_only_where_they_still_match(db, clock, who, unit_id):
    """engine.store.bulk.update_matching (the sweep's fired cases under their revisions): a row whose ``match``
    column moved on is left alone and counted out; values alike in every row, JSON, NULLs and a fixed SQL value
    are written as SQLAlchemy writes them; SQLite gets None (the caller's own path)."""
    from engine.store.bulk import update_matching
    cases = [start(db, clock, who, unit_id) for _ in range(3)]
    now = clock.now()
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        ids = [c.case_id for c in cases]
        revisions = dict(s.execute(select(CASE.c.id, CASE.c.revision).where(CASE.c.id.in_(ids))).all())
        rows = [(i, revisions[i] - (1 if i == ids[2] else 0),  # the third one changed meanwhile
                 {"revision": revisions[i] + 1, "summary": {"名": f"二\"{k}"}, "updated_at": now,
                  "next_due_at": None if k else now, "outcome": None}) for k, i in enumerate(ids)]
        changed = update_matching(s, CASE, "id", "revision", rows, {"current_step": "'公示'"})
        got = {r.id: r for r in s.execute(select(CASE).where(CASE.c.id.in_(ids)))}
        if not db.is_postgres:
            assert changed is None and got[ids[0]].revision == revisions[ids[0]]
            return
        assert changed == 2
        for k, i in enumerate(ids[:2]):
            row = got[i]
            assert (row.revision, row.summary, row.updated_at, row.next_due_at, row.current_step) == (
                revisions[i] + 1, {"名": f"二\"{k}"}, now, None if k else now, "公示")
        assert got[ids[2]].revision == revisions[ids[2]] and got[ids[2]].current_step != "公示"
        assert update_matching(s, CASE, "id", "revision", []) is None
