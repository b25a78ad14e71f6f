"""User administration: create, deactivate, change a password, change roles.

Each change that alters who may act ends the user's sessions at once (a copied cookie stops working) and
is recorded in the security audit trail. ``actor`` is an admin's principal, or None for the operator's
command line; the caller commits.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.people.accounts import ROLES, STAFF_ROLES, Principal, hash_password
from engine.errors import Forbidden, FormInvalid, NotFound
from engine.store.models import RoleAssignment, Unit, User
from engine.people.security_events import record_event
from engine.people.sessions import revoke_user_sessions

MIN_PASSWORD_LENGTH = 10
# The level of place each role is held at; roles not listed (designer, admin) may be held anywhere.
ROLE_LEVELS = {"village": "village", "township": "township", "review_panel": "township", "county": "county",
               "county_supervisor": "county", "disability_federation": "county", "district_center": "county"}
LEVEL_NAMES_ZH = {"village": "村（社区）", "township": "乡镇（街道）", "county": "县（区）"}


def _require_admin(actor: Principal | None) -> None:
    if actor is not None and not actor.has_role("admin"):
        raise Forbidden("user administration is for administrators")


def _user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username).with_for_update()).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}", f"没有用户名为 {username} 的用户")
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FormInvalid({"password": f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符"})


def _resolve_roles(session: Session, roles: Iterable[tuple[str, str]]) -> list[tuple[str, Unit]]:
    """(role, unit code) pairs → (role, unit), refusing unknown roles, unknown units and wrong levels."""
    wanted = list(dict.fromkeys(roles))
    codes = {code for _role, code in wanted}
    units = {u.code: u for u in session.execute(select(Unit).where(Unit.code.in_(codes))).scalars()}
    errors = {}
    for role, code in wanted:
        where = f"{role}:{code}"
        if role not in set(ROLES) | STAFF_ROLES:
            errors[where] = f"未知角色 {role}"
        elif code not in units:
            errors[where] = f"未知单位代码 {code}"
        elif ROLE_LEVELS.get(role, units[code].level) != units[code].level:
            errors[where] = f"角色 {role} 应设在{LEVEL_NAMES_ZH[ROLE_LEVELS[role]]}一级"
    if errors:
        raise FormInvalid(errors)
    return [(role, units[code]) for role, code in wanted]


def create_user(session: Session, actor: Principal | None, now: datetime, username: str, display_name: str,
                password: str | None, roles: Iterable[tuple[str, str]] = (), password_hash: str | None = None) -> int:
    """Add a user with a password (or an argon2 ``password_hash`` from a users file) and (role, unit code)
    pairs; returns the new user's id."""
    _require_admin(actor)
    username = username.strip()
    if not username or len(username) > 64:
        raise FormInvalid({"username": "用户名须为 1 至 64 个字符"})
    if session.execute(select(User.id).where(User.username == username)).first():
        raise FormInvalid({"username": f"用户名 {username} 已被使用"})
    if password_hash is None:
        _check_password(password or "")
        password_hash = hash_password(password)
    resolved = _resolve_roles(session, roles)
    user = User(username=username, display_name=display_name.strip()[:100] or username,
                password_hash=password_hash, created_at=now)
    session.add(user)
    session.flush()
    session.add_all([RoleAssignment(user_id=user.id, role=role, unit_id=unit.id) for role, unit in resolved])
    record_event(session, now, "user_created", actor=actor, username=username,
                 roles=[f"{role}:{unit.code}" for role, unit in resolved])
    return user.id


def deactivate_user(session: Session, actor: Principal | None, now: datetime, username: str) -> int:
    """Stop a user from logging in and end their sessions; returns how many sessions were ended."""
    _require_admin(actor)
    user = _user(session, username)
    user.active = False
    ended = revoke_user_sessions(session, user.id, now, "deactivated")
    record_event(session, now, "user_deactivated", actor=actor, username=username, sessions_ended=ended)
    return ended


def change_password(session: Session, actor: Principal | None, now: datetime, username: str,
                    new_password: str) -> int:
    """Set a new password and end every session of the user; returns how many sessions were ended."""
    _require_admin(actor)
    _check_password(new_password)
    user = _user(session, username)
    user.password_hash = hash_password(new_password)
    ended = revoke_user_sessions(session, user.id, now, "password_changed")
    record_event(session, now, "password_changed", actor=actor, username=username, sessions_ended=ended)
    return ended


def change_roles(session: Session, actor: Principal | None, now: datetime, username: str,
                 roles: Iterable[tuple[str, str]]) -> int:
    """Replace a user's (role, unit code) pairs and end their sessions (a session holds the roles it was
    opened with); returns how many sessions were ended."""
    _require_admin(actor)
    user = _user(session, username)
    resolved = _resolve_roles(session, roles)
    before = sorted(f"{a.role}:{a.unit.code}" for a in user.roles)
    session.execute(delete(RoleAssignment).where(RoleAssignment.user_id == user.id))
    session.add_all([RoleAssignment(user_id=user.id, role=role, unit_id=unit.id) for role, unit in resolved])
    ended = revoke_user_sessions(session, user.id, now, "roles_changed")
    record_event(session, now, "roles_changed", actor=actor, username=username, sessions_ended=ended,
                 before=before, after=sorted(f"{role}:{unit.code}" for role, unit in resolved))
    session.expire(user, ["roles"])
    return ended
