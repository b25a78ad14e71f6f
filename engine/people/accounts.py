"""People and places: password hashing, log-in, and the principal loaded once per log-in (kept in the
server-side session row, see sessions)."""
from __future__ import annotations

from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import RoleAssignment, Unit, User

ROLES = ("village", "township", "county", "county_supervisor", "province_supervisor", "designer", "admin")
STAFF_ROLES = frozenset({"village", "township", "county", "county_supervisor", "review_panel",
                         "disability_federation", "district_center"})
# The province's supervisor (省级民政厅 督导): read-only, a county supervisor of every county in the province.
PROVINCE_ROLE = "province_supervisor"
ROLE_NAMES_ZH = {
    "village": "村（居）委会", "township": "乡镇（街道）", "county": "县（区）民政局",
    "county_supervisor": "县级监督", "province_supervisor": "省级民政厅督导", "designer": "流程设计", "admin": "系统管理",
    "review_panel": "评审小组", "disability_federation": "县（区）残联", "district_center": "区社会救助中心",
}
# The department liaisons (联络专员) of the one-window intake (seed 001): each answers the referrals of its
# department in the county it is held in (engine.window), and sees no case, task or household.
DEPARTMENT_ROLES = {
    "dept_hrss": "人社局联络专员", "dept_housing": "住建局联络专员", "dept_education": "教体局联络专员",
    "dept_justice": "司法局联络专员", "dept_health": "卫健委联络专员", "dept_medical_insurance": "医保局联络专员",
    "dept_emergency": "应急管理局联络专员", "dept_union": "总工会联络专员", "dept_disability": "残联联络专员",
    "dept_women": "妇联联络专员",
}
ROLE_NAMES_ZH.update(DEPARTMENT_ROLES)
# The longest name of a unit or display name of a user (their columns' width).
NAME_MAX = 100
# argon2id at argon2-cffi's defaults (RFC 9106's low-memory profile: t=3, m=64 MiB, p=4).
PRODUCTION_HASHER = PasswordHasher()
_HASHER = PRODUCTION_HASHER
# Verifying against a fixed hash when the user is unknown keeps timing uniform.
_DUMMY_HASH = _HASHER.hash("jiuzhu-no-such-user")


def use_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """The test suite's hook (tests/conftest.py), never called by the product: hash new passwords (and the
    unknown user's dummy) with ``hasher``; returns the hasher used until now. A hash carries its own parameters,
    so verifying works for hashes made either way; the suite's hundreds of log-ins then do not each spend the
    production cost, which tests/webapp/test_password_hashing.py still tests end to end."""
    global _HASHER, _DUMMY_HASH
    previous, _HASHER = _HASHER, hasher
    _DUMMY_HASH = hasher.hash("jiuzhu-no-such-user")
    return previous


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if the password matches the argon2 hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Principal:
    """Who is acting: roles as (role, unit id) pairs, loaded once at log-in."""

    user_id: int
    username: str
    display_name: str
    roles: tuple[tuple[str, int], ...]
    unit_names: dict[int, str] = field(default_factory=dict, compare=False)

    def units_for(self, role: str) -> tuple[int, ...]:
        """Unit ids in which the principal holds ``role``."""
        return tuple(unit for r, unit in self.roles if r == role)

    def has_role(self, role: str) -> bool:
        """True if the principal holds ``role`` anywhere."""
        return any(r == role for r, _unit in self.roles)

    @property
    def staff_units(self) -> tuple[int, ...]:
        """Units where the principal works on cases (any staff role)."""
        return tuple(sorted({unit for r, unit in self.roles if r in STAFF_ROLES}))

    def to_session(self) -> dict:
        """A JSON-able form for the server-side session row."""
        return {"id": self.user_id, "u": self.username, "n": self.display_name,
                "r": [list(r) for r in self.roles], "un": {str(k): v for k, v in self.unit_names.items()}}

    @classmethod
    def from_session(cls, data: dict) -> "Principal":
        """Rebuild from the server-side session row."""
        return cls(data["id"], data["u"], data["n"], tuple((r, int(u)) for r, u in data["r"]),
                   {int(k): v for k, v in data.get("un", {}).items()})


def load_principal(session: Session, user: User) -> Principal:
    """The principal of a user, with names of the units they work in. A province supervisor (省级督导)
    supervises every county under its province: the counties are read here, in SQL, once per log-in, and
    held as ``county_supervisor`` in each, so every county supervisor's query confines them in SQL (an
    admin who moves a county in or out of a province ends those supervisors' sessions)."""
    rows = session.execute(
        select(RoleAssignment.role, RoleAssignment.unit_id, Unit.name)
        .join(Unit, Unit.id == RoleAssignment.unit_id)
        .where(RoleAssignment.user_id == user.id)
        .order_by(RoleAssignment.id)
    ).all()
    roles = [(r.role, r.unit_id) for r in rows]
    names = {r.unit_id: r.name for r in rows}
    provinces = [r.unit_id for r in rows if r.role == PROVINCE_ROLE]
    if provinces:
        for county_id, name in session.execute(select(Unit.id, Unit.name).where(
                Unit.parent_id.in_(provinces), Unit.level == "county").order_by(Unit.code)).all():
            if ("county_supervisor", county_id) not in roles:
                roles.append(("county_supervisor", county_id))
            names[county_id] = name
    return Principal(user.id, user.username, user.display_name, tuple(roles), names)


def authenticate(session: Session, username: str, password: str) -> Principal | None:
    """The principal for valid credentials of an active user, else None."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    return load_principal(session, user)


def principal_of(session: Session, username: str) -> Principal:
    """The principal of a user found by username (CLI commands, scheduler set-up, tests)."""
    return load_principal(session, session.execute(select(User).where(User.username == username)).scalar_one())
