"""Facts read once per transaction: a memo on the session that forgets everything as soon as it writes.

A new application asks for the place of its village, the newest version of its route and its county's
rule entries several times over (the page, the use case, the case's parameters), in one transaction. What
the database answered the first time is what it would answer again, unless this transaction changed it,
so the answer is kept on the session (``Session.info``) until the session executes anything that is not a
SELECT, flushes, commits or rolls back — then the memo is empty again and the next read asks the database.
Nothing is kept between transactions, so another worker's committed change is seen by the next request.
"""
from __future__ import annotations

from typing import Any, Callable, Hashable

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

_MEMO = "jiuzhu.memo"


def remembered(session: Session, key: Hashable, read: Callable[[], Any]) -> Any:
    """``read()``'s answer, asked once per transaction while the session has written nothing since.

    The caller must not change the answer in place (it is handed out again)."""
    memo = session.info.get(_MEMO)
    if memo is None:
        memo = session.info[_MEMO] = {}
    if key not in memo:
        memo[key] = read()
    return memo[key]


def forget(session: Session, *_args) -> None:
    """Empty the session's memo (after a write, a flush, the end of a transaction)."""
    memo = session.info.get(_MEMO)
    if memo:
        memo.clear()


def _forget_after_writes(state: ORMExecuteState) -> None:
    if not state.is_select:
        forget(state.session)


_FORGETTING = (("do_orm_execute", _forget_after_writes), ("after_flush", forget), ("after_commit", forget),
               ("after_rollback", forget), ("after_soft_rollback", forget))


def watch_sessions() -> None:
    """Make every session forget its memo when it writes or its transaction ends (once per process; the
    Database calls it, so a session made any other way is covered too)."""
    for name, listener in _FORGETTING:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
