"""The ORM session the units of work use: a SELECT of columns goes straight to the transaction's connection.

A ``select(Case.id, Case.number)`` run by ``Session.execute`` passes through the ORM's execution path (an ORM
compile state, ORM result loading) although it loads no object: about 30 µs more than the same statement on
the session's ``Connection`` (measured on SQLite, issue 14), for the same rows with the same keys. The session
runs such statements on its connection: same transaction, same statement cache, same events at the cursor
(statement counters see them). Everything else — an entity, loader options, DML, execution options (the
statement's or the call's: ``yield_per`` …), a bind argument — takes the ORM's path as before. Nothing is
flushed first in either case: the units of work do not autoflush.
"""
from __future__ import annotations

from sqlalchemy import Select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement


def _columns_only(statement) -> bool:
    return (statement.__class__ is Select and not statement._with_options and not statement._execution_options
            and all(isinstance(column, ColumnElement) for column in statement._raw_columns))


class UnitSession(Session):
    """A Session whose column SELECTs skip the ORM's result loading (see the module's docstring)."""

    def execute(self, statement, params=None, **kwargs):
        if not kwargs and _columns_only(statement):
            return self.connection().execute(statement, params)
        return super().execute(statement, params, **kwargs)

    def scalars(self, statement, params=None, **kwargs):
        if not kwargs and _columns_only(statement):
            return self.connection().execute(statement, params).scalars()
        return super().scalars(statement, params, **kwargs)

    def scalar(self, statement, params=None, **kwargs):
        if not kwargs and _columns_only(statement):
            return self.connection().execute(statement, params).scalar()
        return super().scalar(statement, params, **kwargs)
