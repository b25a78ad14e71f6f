"""User administration: create, deactivate, change a password, change roles.

Each change that alters who may act ends the user's sessions at once (a copied cookie stops working) and
is recorded in the security audit trail. ``actor`` is an admin's principal, or None for the operator's
command line; the caller commits.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.people.accounts import DEPARTMENT_ROLES, NAME_MAX, ROLES, STAFF_ROLES, Principal, hash_password
from engine.errors import Forbidden, FormInvalid, Message, NotFound
from engine.store.models import RoleAssignment, Unit, User
from engine.people.security_events import record_event
from engine.people.sessions import revoke_user_sessions

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
USERNAME_PATTERN = "^[A-Za-z0-9_.-]{3,64}$"
ASSIGNABLE_ROLES = tuple(ROLES) + tuple(sorted(STAFF_ROLES - set(ROLES))) + tuple(DEPARTMENT_ROLES)
# The level of place each role is held at; roles not listed (designer, admin) may be held anywhere.
ROLE_LEVELS = {"village": "village", "township": "township", "review_panel": "township", "county": "county",
               "county_supervisor": "county", "province_supervisor": "province", "disability_federation": "county", "district_center": "county",
               **{role: "county" for role in DEPARTMENT_ROLES}}
LEVEL_NAMES_ZH = {"village": "村（社区）", "township": "乡镇（街道）", "county": "县（区）", "province": "省（自治区、直辖市）"}
LEVEL_NAMES_EN = {"village": "village (community)", "township": "township (street)", "county": "county (district)",
                  "province": "province"}


def require_admin(actor: Principal | None) -> None:
    """Refuse an actor who is not an administrator (None, the operator's command line, may act)."""
    if actor is not None and not actor.has_role("admin"):
        raise Forbidden("user administration is for administrators")


def _user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username).with_for_update()).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}", f"没有用户名为 {username} 的用户",
                       message_en=f"There is no user named {username}")
    return user


def _password_problem(password: str) -> Message | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return Message(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符",
                       f"A password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        return Message(f"密码不能超过 {MAX_PASSWORD_LENGTH} 个字符",
                       f"A password may have at most {MAX_PASSWORD_LENGTH} characters")
    return None


def _check_password(password: str) -> None:
    if wrong := _password_problem(password):
        raise FormInvalid.of({"password": wrong})


def generate_password() -> str:
    """A random initial password (16 characters), shown once to whoever set it."""
    return secrets.token_urlsafe(12)


def _role_problems(session: Session, wanted: list[tuple[str, str]]) -> tuple[dict[str, Unit], dict[str, Message]]:
    """The units of (role, unit code) pairs by code, and what is wrong: unknown roles, unknown units, a role
    at the wrong level. Errors are keyed ``role``/``unit`` for one pair (a form), else ``role:code``."""
    codes = {code for _role, code in wanted}
    units = {u.code: u for u in session.execute(select(Unit).where(Unit.code.in_(codes))).scalars()}
    errors: dict[str, Message] = {}

    def add(field: str, role: str, code: str, message: Message) -> None:
        key = field if len(wanted) == 1 else f"{role}:{code}"
        errors[key] = Message(f"{errors[key].zh}；{message.zh}",
                              f"{errors[key].en}; {message.en}") if key in errors else message

    for role, code in wanted:
        if role not in ASSIGNABLE_ROLES:
            add("role", role, code, Message(f"未知角色 {role}", f"Unknown role {role}"))
        if code not in units:
            add("unit", role, code, Message(f"未知单位代码 {code}", f"Unknown unit code {code}"))
        elif role in ASSIGNABLE_ROLES and ROLE_LEVELS.get(role, units[code].level) != units[code].level:
            add("role", role, code, Message(f"角色 {role} 应设在{LEVEL_NAMES_ZH[ROLE_LEVELS[role]]}一级",
                                           f"Role {role} belongs at the level of a "
                                           f"{LEVEL_NAMES_EN[ROLE_LEVELS[role]]}"))
    return units, errors


def _resolve_roles(session: Session, roles: Iterable[tuple[str, str]]) -> list[tuple[str, Unit]]:
    """(role, unit code) pairs → (role, unit), refusing unknown roles, unknown units and wrong levels."""
    wanted = list(dict.fromkeys(roles))
    units, errors = _role_problems(session, wanted)
    if errors:
        raise FormInvalid.of(errors)
    return [(role, units[code]) for role, code in wanted]


def create_user(session: Session, actor: Principal | None, now: datetime, username: str, display_name: str,
                password: str | None, roles: Iterable[tuple[str, str]] = (), password_hash: str | None = None) -> int:
    """Add a user with a password (or an argon2 ``password_hash`` from a users file) and (role, unit code)
    pairs; returns the new user's id."""
    require_admin(actor)
    username, display_name = username.strip(), display_name.strip()
    errors: dict[str, Message] = {}
    if not re.fullmatch(USERNAME_PATTERN, username):
        errors["username"] = Message("用户名须为 3 至 64 个字母、数字或 _ . -", "A user name is 3 to 64 letters, digits or _ . -")
    elif session.execute(select(User.id).where(User.username == username)).first():
        errors["username"] = Message(f"用户名 {username} 已被使用", f"The user name {username} is taken")
    if len(display_name) > NAME_MAX:
        errors["display_name"] = Message(f"姓名不能超过 {NAME_MAX} 个字", f"The name may have at most {NAME_MAX} characters")
    if password_hash is None and (wrong := _password_problem(password or "")):
        errors["password"] = wrong
    wanted = list(dict.fromkeys(roles))
    units, role_errors = _role_problems(session, wanted)
    if errors or role_errors:
        raise FormInvalid.of({**errors, **role_errors})
    password_hash = password_hash or hash_password(password)
    resolved = [(role, units[code]) for role, code in wanted]
    user = User(username=username, display_name=display_name or username,
                password_hash=password_hash, created_at=now)
    session.add(user)
    session.flush()
    session.add_all([RoleAssignment(user_id=user.id, role=role, unit_id=unit.id) for role, unit in resolved])
    record_event(session, now, "user_created", actor=actor, username=username,
                 roles=[f"{role}:{unit.code}" for role, unit in resolved])
    return user.id


def deactivate_user(session: Session, actor: Principal | None, now: datetime, username: str) -> int:
    """Stop a user from logging in and end their sessions; returns how many sessions were ended."""
    require_admin(actor)
    user = _user(session, username)
    if actor is not None and actor.user_id == user.id:
        raise FormInvalid.of({"active": Message("不能停用自己的账号", "You cannot deactivate your own account")})
    user.active = False
    ended = revoke_user_sessions(session, user.id, now, "deactivated")
    record_event(session, now, "user_deactivated", actor=actor, username=username, sessions_ended=ended)
    return ended


def change_password(session: Session, actor: Principal | None, now: datetime, username: str,
                    new_password: str) -> int:
    """Set a new password and end every session of the user; returns how many sessions were ended."""
    require_admin(actor)
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
    require_admin(actor)
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


def reactivate_user(session: Session, actor: Principal | None, now: datetime, username: str) -> bool:
    """Let a deactivated user log in again (with their password as it was); False when already active."""
    require_admin(actor)
    user = _user(session, username)
    if user.active:
        return False
    user.active = True
    record_event(session, now, "user_reactivated", actor=actor, username=username)
    return True


def _held(user: User) -> list[tuple[str, str]]:
    return [(a.role, a.unit.code) for a in sorted(user.roles, key=lambda a: a.id)]


def add_role(session: Session, actor: Principal | None, now: datetime, username: str, role: str,
             unit_code: str) -> int:
    """Give a user ``role`` in the unit with ``unit_code`` (it must fit the unit's level); their sessions end
    (``change_roles``). Returns how many sessions were ended."""
    require_admin(actor)
    held = _held(_user(session, username))
    _resolve_roles(session, [(role, unit_code)])  # the new pair's problems, under the form's fields
    if (role, unit_code) in held:
        raise FormInvalid.of({"role": Message("该用户已在此单位担任这一角色", "This user already holds this role in this unit")})
    return change_roles(session, actor, now, username, held + [(role, unit_code)])


def remove_role(session: Session, actor: Principal | None, now: datetime, username: str, role: str,
                unit_code: str) -> int:
    """Take ``role`` in the unit with ``unit_code`` from a user; their sessions end. An admin cannot take
    their own last administrator role (nobody would be left to give it back)."""
    require_admin(actor)
    user = _user(session, username)
    held = _held(user)
    if (role, unit_code) not in held:
        raise FormInvalid.of({"role": Message("该用户没有这一角色", "This user does not hold this role")})
    rest = [pair for pair in held if pair != (role, unit_code)]
    if actor is not None and actor.user_id == user.id and role == "admin" and not any(r == "admin" for r, _c in rest):
        raise FormInvalid.of({"role": Message("不能取消自己唯一的系统管理角色", "You cannot remove your only administrator role")})
    return change_roles(session, actor, now, username, rest)
