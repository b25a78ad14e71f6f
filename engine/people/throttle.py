"""Log-in throttling per account name and per client address: a growing backoff, then a temporary lock.

A refused try is neither checked nor counted, so guessing is slowed to a few tries per quarter hour per
account whatever the attacker sends. Backoffs and locks are audited; an admin can unlock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.people.accounts import Principal
from engine.errors import Forbidden
from engine.store.models import LoginThrottle
from engine.people.security_events import record_event

THROTTLE = LoginThrottle.__table__
SCOPES = ("account", "address")


@dataclass(frozen=True)
class ThrottleRule:
    """After ``backoff_after`` failures each try waits (1 s, 2 s, 4 s … up to ``max_backoff``); at
    ``lock_after`` failures log-in is locked for ``lock_for``. A quiet ``forget_after`` clears the count."""

    backoff_after: int
    lock_after: int
    lock_for: timedelta = timedelta(minutes=15)
    max_backoff: timedelta = timedelta(seconds=60)
    forget_after: timedelta = timedelta(minutes=15)

    def block_for(self, failures: int) -> tuple[timedelta | None, bool]:
        """How long to refuse after this many failures, and whether that is a lock."""
        if failures >= self.lock_after:
            return self.lock_for, True
        if failures >= self.backoff_after:
            return min(timedelta(seconds=2 ** (failures - self.backoff_after)), self.max_backoff), False
        return None, False


# An address is often a whole township office behind one gateway: it gets more room than one account.
RULES = {"account": ThrottleRule(backoff_after=3, lock_after=6),
         "address": ThrottleRule(backoff_after=10, lock_after=30)}


@dataclass(frozen=True)
class Refusal:
    """Log-in is refused until ``until`` because of ``scope`` (a lock, or a backoff)."""

    scope: str
    until: datetime
    locked: bool

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until a try is accepted again (at least 1)."""
        return max(1, ceil((self.until - now).total_seconds()))


def _keys(username: str, address: str | None) -> list[tuple[str, str]]:
    keys = [("account", username[:100])]
    if address:
        keys.append(("address", address[:100]))
    return keys


def _latest(refusals: list[Refusal]) -> Refusal | None:
    return max(refusals, key=lambda r: (r.until, r.locked), default=None)


def check_login_allowed(session: Session, now: datetime, username: str, address: str | None) -> Refusal | None:
    """The refusal in force for this account name or address, if any (read only)."""
    rows = session.execute(select(THROTTLE.c.scope, THROTTLE.c.blocked_until, THROTTLE.c.locked).where(
        or_(*(and_(THROTTLE.c.scope == scope, THROTTLE.c.key == key) for scope, key in _keys(username, address))),
        THROTTLE.c.blocked_until > now)).all()
    return _latest([Refusal(r.scope, r.blocked_until, r.locked) for r in rows])


def record_login_failure(session: Session, now: datetime, username: str, address: str | None) -> Refusal | None:
    """Count a failed log-in against the account name and the address; the refusal it starts, if any."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    refusals = []
    for scope, key in _keys(username, address):
        session.execute(dialect.insert(THROTTLE).values(scope=scope, key=key, failures=0, last_failure_at=now,
                                                        locked=False).on_conflict_do_nothing())
        row = session.execute(select(THROTTLE.c.failures, THROTTLE.c.last_failure_at).where(
            THROTTLE.c.scope == scope, THROTTLE.c.key == key).with_for_update()).one()
        rule = RULES[scope]
        failures = 1 if now - row.last_failure_at >= rule.forget_after else row.failures + 1
        wait, locked = rule.block_for(failures)
        until = now + wait if wait else None
        session.execute(update(THROTTLE).where(THROTTLE.c.scope == scope, THROTTLE.c.key == key).values(
            failures=failures, last_failure_at=now, blocked_until=until, locked=locked))
        if until:
            record_event(session, now, "login_locked" if locked else "login_throttled",
                         actor=None, username=username if scope == "account" else None, address=address,
                         scope=scope, failures=failures, until=until.isoformat(), via="login")
            refusals.append(Refusal(scope, until, locked))
    return _latest(refusals)


def record_login_success(session: Session, username: str) -> None:
    """A correct log-in clears the account's count (not the address's: one good account must not
    reset the count of guesses at others)."""
    session.execute(delete(THROTTLE).where(THROTTLE.c.scope == "account", THROTTLE.c.key == username[:100]))


def unlock(session: Session, actor: Principal | None, now: datetime, scope: str, key: str) -> bool:
    """Clear the count and any lock of an account name or address (admins; None: the command line).
    Audited; False when there was nothing to clear."""
    if actor is not None and not actor.has_role("admin"):
        raise Forbidden("unlocking log-in is for administrators")
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    result = session.execute(delete(THROTTLE).where(THROTTLE.c.scope == scope, THROTTLE.c.key == key))
    if result.rowcount:
        record_event(session, now, "login_unlocked", actor=actor, username=key if scope == "account" else None,
                     address=key if scope == "address" else None, scope=scope)
    return bool(result.rowcount)


def throttled_logins(session: Session, now: datetime) -> list:
    """Account names and addresses with recent failures, refused ones first."""
    return session.execute(
        select(THROTTLE, (THROTTLE.c.blocked_until > now).label("refused"))
        .where(or_(THROTTLE.c.blocked_until > now, THROTTLE.c.last_failure_at > now - RULES["account"].forget_after))
        .order_by(THROTTLE.c.blocked_until.desc().nulls_last(), THROTTLE.c.last_failure_at.desc())
    ).all()
