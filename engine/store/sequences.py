"""Counters that are safe under concurrency (case, household and document numbers), and once-only claims."""
from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.store.models import Sequence


@cache
def _upsert(dialect_name: str):
    # Built once per dialect: constructing it costs more than running it.
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(Sequence).values(key=bindparam("counter"), value=1)
    stmt = stmt.on_conflict_do_update(index_elements=[Sequence.key], set_={"value": Sequence.value + 1})
    return stmt.returning(Sequence.value)


def next_value(session: Session, key: str) -> int:
    """Increment and return the counter ``key`` (created at 1), in the caller's transaction."""
    return session.execute(_upsert(session.get_bind().dialect.name), {"counter": key}).scalar_one()


def number_key(prefix: str, year: int) -> str:
    """The counter of the numbers ``<prefix>〔year〕n号``: keyed by the prefix's own text, so two issuers whose
    numbers read alike (two counties whose names begin with the same character, two townships of one name)
    count on one counter and never issue the same number; a prefix too long for the key shares a counter
    with those it begins like, which is still unique."""
    return f"no:{prefix[:70]}:{year}"


def next_number(session: Session, prefix: str, year: int) -> str:
    """The next 文号 of a prefix and year, ``<prefix>〔year〕n号`` (响民低保〔2026〕12号), in the caller's transaction."""
    return f"{prefix}〔{year}〕{next_value(session, number_key(prefix, year))}号"


@cache
def _upsert_many(dialect_name: str):
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(Sequence).values(key=bindparam("counter"), value=bindparam("n"))
    stmt = stmt.on_conflict_do_update(index_elements=[Sequence.key],
                                      set_={"value": Sequence.value + stmt.excluded.value})
    return stmt.returning(Sequence.value)


def next_values(session: Session, key: str, n: int) -> range:
    """Take the next ``n`` values of the counter ``key`` at once (one statement; see ``next_value``)."""
    last = session.execute(_upsert_many(session.get_bind().dialect.name), {"counter": key, "n": n}).scalar_one()
    return range(last - n + 1, last + 1)


@cache
def _claim(dialect_name: str):
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(Sequence).values(key=bindparam("claimed"), value=1)
    return stmt.on_conflict_do_nothing(index_elements=[Sequence.key]).returning(Sequence.key)


def claim(session: Session, key: str) -> bool:
    """Take the once-only key ``key`` in the caller's transaction: True for its first taker only.

    The primary key decides, not a prior read: on PostgreSQL a second taker while the
    first one's transaction is open waits for it, then gets False (or True if it rolled back).
    """
    return session.execute(_claim(session.get_bind().dialect.name), {"claimed": key}).first() is not None
