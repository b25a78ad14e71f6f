"""The security audit trail: log-in throttling and locks, unlocks, user administration, and exports of
personal data (a household's archive)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.people.accounts import Principal
from engine.store.models import SecurityEvent, User

EVENT = SecurityEvent.__table__
KINDS = ("login_throttled", "login_locked", "login_unlocked", "user_created", "user_deactivated",
         "password_changed", "roles_changed", "dossier_exported", "user_reactivated", "place_added",
         "place_renamed", "places_loaded", "calendar_loaded", "rule_entry_added", "rule_entry_retired", "county_moved")


def record_event(session: Session, now: datetime, kind: str, *, actor: Principal | None = None,
                 username: str | None = None, address: str | None = None, **detail: Any) -> None:
    """Add one event in the caller's transaction; ``actor`` None is the operator's command line."""
    if kind not in KINDS:
        raise ValueError(f"unknown security event kind {kind!r}")
    if actor is None:
        detail.setdefault("via", "cli")
    session.execute(insert(EVENT).values(
        at=now, kind=kind, actor_id=actor.user_id if actor else None, username=(username or "")[:64] or None,
        address=(address or "")[:45] or None, detail=detail))


def recent_events(session: Session, limit: int = 100, username: str | None = None,
                  kinds: tuple[str, ...] = ()) -> list:
    """The latest events (about one account, or of some kinds, when given), newest first, with the acting
    user's name."""
    query = select(EVENT, User.display_name.label("actor_name")).outerjoin(User, User.id == EVENT.c.actor_id)
    if username is not None:
        query = query.where(EVENT.c.username == username)
    if kinds:
        query = query.where(EVENT.c.kind.in_(kinds))
    return session.execute(query.order_by(EVENT.c.at.desc(), EVENT.c.id.desc()).limit(limit)).all()
