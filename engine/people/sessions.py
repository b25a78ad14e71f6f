"""Server-side log-in sessions: revocable at once, with an absolute lifetime and an idle timeout.

The cookie carries only a random token; the row is keyed by the token's SHA-256 (a copy of the table
opens no session) and holds the principal loaded once at log-in, so a request costs one primary-key read.
Log-out, deactivation, a password change and a role change revoke rows, so a copied cookie stops working.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.people.accounts import Principal
from engine.store.models import LoginSession

SESSION = LoginSession.__table__
# Built once: a request runs the read, and at most once a minute the touch.
_LOAD = select(SESSION.c.principal, SESSION.c.created_at, SESSION.c.last_seen_at, SESSION.c.revoked_at).where(
    SESSION.c.id == bindparam("key"))
_TOUCH = update(SESSION).where(SESSION.c.id == bindparam("key"), SESSION.c.revoked_at.is_(None)).values(
    last_seen_at=bindparam("now"))


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: ``lifetime`` from log-in whatever the use, ``idle_timeout`` without use."""

    lifetime: timedelta = timedelta(hours=8)
    idle_timeout: timedelta = timedelta(minutes=30)
    # last_seen_at is written at most this often, so reading pages does not turn into writing rows.
    touch_interval: timedelta = timedelta(minutes=1)


@dataclass(frozen=True)
class LiveSession:
    """A session that is valid now: its row key, its principal, and whether last_seen_at is due a write."""

    key: str
    principal: Principal
    needs_touch: bool


def session_key(token: str) -> str:
    """The row key of a cookie token (its SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, principal: Principal, now: datetime, policy: SessionPolicy,
                 address: str | None = None) -> str:
    """Start a session for a principal who has just logged in; returns the token for the cookie."""
    # The user's ended sessions go now, so the table holds about the live ones without a sweep job.
    session.execute(delete(SESSION).where(
        SESSION.c.user_id == principal.user_id,
        or_(SESSION.c.revoked_at.is_not(None), SESSION.c.created_at <= now - policy.lifetime)))
    token = secrets.token_urlsafe(32)
    session.execute(insert(SESSION).values(
        id=session_key(token), user_id=principal.user_id, principal=principal.to_session(),
        address=(address or "")[:45] or None, created_at=now, last_seen_at=now))
    return token


def load_session(session: Session | Connection, token: str, now: datetime, policy: SessionPolicy) -> LiveSession | None:
    """The live session of a cookie token; None when unknown, revoked, past its lifetime or idle too long.
    One Core statement: a Session or a bare Connection (the web app's, at every request) runs it."""
    key = session_key(token)
    row = session.execute(_LOAD, {"key": key}).first()
    if row is None or row.revoked_at is not None:
        return None
    if now >= row.created_at + policy.lifetime or now >= row.last_seen_at + policy.idle_timeout:
        return None
    return LiveSession(key, Principal.from_session(row.principal), now - row.last_seen_at >= policy.touch_interval)


def touch_session(session: Session, key: str, now: datetime) -> None:
    """Record use of a session (its idle timeout counts from here; its lifetime does not move)."""
    session.execute(_TOUCH, {"key": key, "now": now})


def revoke_session(session: Session, token: str, now: datetime, reason: str = "logout") -> None:
    """End the session of a cookie token (log-out)."""
    session.execute(update(SESSION).where(SESSION.c.id == session_key(token), SESSION.c.revoked_at.is_(None))
                    .values(revoked_at=now, revoked_reason=reason))


def revoke_user_sessions(session: Session, user_id: int, now: datetime, reason: str) -> int:
    """End every session of a user at once; returns how many were live."""
    result = session.execute(update(SESSION).where(SESSION.c.user_id == user_id, SESSION.c.revoked_at.is_(None))
                             .values(revoked_at=now, revoked_reason=reason))
    return result.rowcount
