"""Facts read once per transaction: a memo on the transaction's connection that forgets everything as soon as
the transaction writes.

A new application asks for the place of its village, the newest version of its route and its county's
rule entries several times over (the page, the use case, the case's parameters), in one transaction. What
the database answered the first time is what it would answer again, unless this transaction changed it,
so the answer is kept with the session's connection (``Connection.info``) until that connection executes
any statement that is not a SELECT (an ORM flush's and driver SQL included), begins, commits or rolls back
(to a savepoint too) — then the memo is empty again and the next read asks the database. Nothing is kept
between transactions, so another worker's committed change is seen by the next request.

The listeners are the engine's (Core connection events, on every Engine), not the session's: a session-level
``do_orm_execute`` listener makes the ORM build an execution state for every statement, which cost about a
fifth of a simple SELECT's time in SQLAlchemy (issue 14).
"""
from __future__ import annotations

from typing import Any, Callable, Hashable

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

_MEMO = "jiuzhu.memo"


def remembered(session: Session, key: Hashable, read: Callable[[], Any]) -> Any:
    """``read()``'s answer, asked once per transaction while the session has written nothing since.

    The caller must not change the answer in place (it is handed out again)."""
    info = session.connection().info
    memo = info.get(_MEMO)
    if memo is None:
        memo = info[_MEMO] = {}
    if key not in memo:
        memo[key] = read()
    return memo[key]


def forget(conn: Connection, *_args) -> None:
    """Empty the memo of a connection's transaction (after a write, at a transaction's start and end)."""
    memo = conn.info.get(_MEMO)
    if memo:
        memo.clear()


def _forget_unless_select(conn: Connection, _cursor, statement: str, *_args) -> None:
    # Every statement sent, by the ORM, Core or as driver SQL: anything but a plain SELECT may change what
    # was read (a WITH … is treated as a write; it only costs a read again).
    if statement[:6] != "SELECT":
        forget(conn)


_FORGETTING = (("before_cursor_execute", _forget_unless_select), ("begin", forget), ("commit", forget),
               ("rollback", forget), ("rollback_savepoint", forget))


def watch_engines() -> None:
    """Make every engine's connections forget their memo when they write or a transaction begins or ends
    (once per process; the Database calls it, so an engine made any other way is covered too)."""
    for name, listener in _FORGETTING:
        if not event.contains(Engine, name, listener):
            event.listen(Engine, name, listener)
