"""The users an administrator looks at: a filtered, paged list with each user's roles in units, and one
user with their roles and the audit trail about them."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.people.security_events import recent_events
from engine.store.models import RoleAssignment, Unit, User

USERS_PAGE_SIZE = 50


@dataclass(frozen=True)
class HeldRole:
    """A role held in a unit."""

    role: str
    unit_code: str
    unit_name: str
    unit_level: str


@dataclass(frozen=True)
class UserRow:
    """A user as the list shows them."""

    id: int
    username: str
    display_name: str
    active: bool
    roles: tuple[HeldRole, ...]


def _roles_of(session: Session, user_ids) -> dict[int, list[HeldRole]]:
    rows = session.execute(
        select(RoleAssignment.user_id, RoleAssignment.role, Unit.code, Unit.name, Unit.level)
        .join(Unit, Unit.id == RoleAssignment.unit_id)
        .where(RoleAssignment.user_id.in_(tuple(user_ids) or (-1,))).order_by(RoleAssignment.id)).all()
    held: dict[int, list[HeldRole]] = {}
    for row in rows:
        held.setdefault(row.user_id, []).append(HeldRole(row.role, row.code, row.name, row.level))
    return held


def list_users(session: Session, unit_code: str | None = None, role: str | None = None,
               active: bool | None = None, page: int = 1) -> tuple[list[UserRow], int]:
    """Users by username, one page, and how many match: ``unit_code`` matches roles held in that unit or
    any unit inside it (codes nest), ``role`` a role held there, ``active`` the account's state."""
    query = select(User.id)
    if unit_code or role:
        held = select(RoleAssignment.user_id).join(Unit, Unit.id == RoleAssignment.unit_id)
        if unit_code:
            held = held.where(Unit.code.startswith(unit_code, autoescape=True))
        if role:
            held = held.where(RoleAssignment.role == role)
        query = query.where(User.id.in_(held))
    if active is not None:
        query = query.where(User.active.is_(active))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    users = session.execute(
        select(User.id, User.username, User.display_name, User.active).where(User.id.in_(query))
        .order_by(User.username).limit(USERS_PAGE_SIZE).offset((page - 1) * USERS_PAGE_SIZE)).all()
    held_roles = _roles_of(session, [u.id for u in users])
    return [UserRow(u.id, u.username, u.display_name, u.active, tuple(held_roles.get(u.id, ()))) for u in users], total


def user_detail(session: Session, user_id: int, events: int = 20) -> tuple[UserRow, list]:
    """One user with their roles, and the latest audit events about their account."""
    user = session.execute(select(User.id, User.username, User.display_name, User.active)
                           .where(User.id == user_id)).first()
    if user is None:
        raise NotFound(f"user {user_id}", "该用户不存在", message_en="No such user")
    trail = recent_events(session, events, username=user.username) if events else []
    return UserRow(user.id, user.username, user.display_name, user.active,
                   tuple(_roles_of(session, [user.id]).get(user.id, ()))), trail
