"""Places as an administrator changes them in the browser: the tree of provinces (省), counties (县/区),
townships or streets (乡镇/街道) and villages or communities (村/社区); adding one with its code, renaming
one, putting a county under its province, and loading a whole county from a places file
(``directory.load_places``, the same code as the command line).

Codes are checked by ``directory.code_problem``, the one check of a code. Every change is recorded in the
security audit trail and takes effect at once: the unit names kept in memory are forgotten. The caller
commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from engine.catalogue.datafiles import DataFile
from engine.errors import FormInvalid, Message, NotFound
from engine.people.accounts import NAME_MAX, PROVINCE_ROLE, Principal
from engine.people.directory import CODE_DIGITS, LEVEL_BELOW, LoadReport, code_problem, load_places
from engine.people.places import forget_unit_names
from engine.people.security_events import record_event
from engine.people.sessions import revoke_user_sessions
from engine.people.users import require_admin
from engine.store.models import RoleAssignment, Unit

LEVELS = ("province", "county", "township", "village")


@dataclass(frozen=True)
class PlaceRow:
    """A unit as the places pages list it: how many units are below it and how many roles are held in it."""

    id: int
    code: str
    name: str
    level: str
    children: int
    roles: int


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_PLACES_UNDER_CHILD = aliased(Unit)


def places_under(session: Session, parent_id: int | None) -> list[PlaceRow]:
    """The units directly under ``parent_id`` (the provinces and the counties in none when None), by code,
    with their counts."""
    child = _PLACES_UNDER_CHILD
    children = (select(func.count()).select_from(child).where(child.parent_id == Unit.id)
                .correlate(Unit).scalar_subquery())
    roles = (select(func.count()).select_from(RoleAssignment).where(RoleAssignment.unit_id == Unit.id)
             .correlate(Unit).scalar_subquery())
    where = Unit.parent_id.is_(None) if parent_id is None else Unit.parent_id == parent_id
    rows = session.execute(select(Unit.id, Unit.code, Unit.name, Unit.level, children.label("children"),
                                  roles.label("roles")).where(where).order_by(Unit.code)).all()
    return [PlaceRow(*row) for row in rows]


def place_path(session: Session, unit_id: int) -> list[Unit]:
    """The unit and the units above it, the topmost (province or county) first; NotFound for an unknown id."""
    path: list[Unit] = []
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"unit {unit_id}", "该区划不存在", message_en="No such place")
    while unit is not None:
        path.insert(0, unit)
        unit = session.get(Unit, unit.parent_id) if unit.parent_id is not None else None
    return path


def _name_problem(name: str) -> Message | None:
    if not name:
        return Message("请填写名称", "Enter a name")
    if len(name) > NAME_MAX:
        return Message(f"名称不能超过 {NAME_MAX} 个字", f"The name may have at most {NAME_MAX} characters")
    return None


def add_place(session: Session, actor: Principal | None, now: datetime, parent_id: int | None, code: str,
              name: str) -> int:
    """Add a province or a county (``parent_id`` None: a 2-digit code is a province, else a county), a county
    under a province, a township under a county or a village under a township; returns the new unit's id.
    The code must have its level's digits, begin with the parent's code and be new; every problem of the code
    and the name is reported at once."""
    require_admin(actor)
    parent = None
    if parent_id is not None:
        parent = session.get(Unit, parent_id)
        if parent is None:
            raise NotFound(f"unit {parent_id}", "上级区划不存在", message_en="The parent place does not exist")
    code, name = (code or "").strip(), (name or "").strip()
    level = LEVEL_BELOW.get(parent.level if parent else None)
    if parent is None and len(code) == CODE_DIGITS["province"]:
        level = "province"
    if level is None:
        raise FormInvalid.of({"code": Message("村（社区）之下不能再设区划", "No place can be set up below a village (community)")})
    errors: dict[str, Message] = {}
    if wrong := code_problem(code, level, parent.code if parent else ""):
        errors["code"] = Message(wrong[1], wrong[0])
    elif (taken := session.execute(select(Unit.name).where(Unit.code == code)).scalar_one_or_none()) is not None:
        errors["code"] = Message(f"代码 {code} 已由「{taken}」使用", f"The code {code} is used by “{taken}”")
    if wrong_name := _name_problem(name):
        errors["name"] = wrong_name
    if errors:
        raise FormInvalid.of(errors)
    unit = Unit(code=code, name=name, level=level, parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    record_event(session, now, "place_added", actor=actor, code=code, name=name, level=level,
                 parent=parent.code if parent else None)
    if level == "county" and parent is not None:
        _end_province_sessions(session, now, (parent.id,))
    forget_unit_names()
    return unit.id


def _end_province_sessions(session: Session, now: datetime, province_ids) -> int:
    """End the sessions of the supervisors of these provinces (None: of every province): their principals
    hold the province's counties as they were at log-in."""
    held = select(RoleAssignment.user_id).where(RoleAssignment.role == PROVINCE_ROLE)
    if province_ids is not None:
        held = held.where(RoleAssignment.unit_id.in_([p for p in province_ids if p is not None]))
    return sum(revoke_user_sessions(session, user_id, now, "province_changed")
               for user_id in sorted(set(session.execute(held).scalars())))


def provinces_for(session: Session, county: Unit) -> list[Unit]:
    """The provinces a county may be put under: those whose code begins the county's."""
    return list(session.execute(select(Unit).where(
        Unit.level == "province", Unit.code == county.code[:CODE_DIGITS["province"]])).scalars())


def move_county(session: Session, actor: Principal | None, now: datetime, county_id: int,
                province_id: int | None) -> bool:
    """Put a county under a province (its code must begin with the province's) or, with None, under none;
    returns False when it is there already. The supervisors of both provinces are logged out, since their
    counties change."""
    require_admin(actor)
    county = session.execute(select(Unit).where(Unit.id == county_id).with_for_update()).scalar_one_or_none()
    if county is None or county.level != "county":
        raise NotFound(f"county {county_id}", "该县（区）不存在", message_en="No such county (district)")
    province = None
    if province_id is not None:
        province = session.get(Unit, province_id)
        if province is None or province.level != "province":
            raise FormInvalid.of({"province": Message("所选省份不存在", "The chosen province does not exist")})
        if wrong := code_problem(county.code, "county", province.code):
            raise FormInvalid.of({"province": Message(wrong[1], wrong[0])})
    if county.parent_id == province_id:
        return False
    before, county.parent_id = county.parent_id, province_id
    before_code = session.get(Unit, before).code if before is not None else None
    record_event(session, now, "county_moved", actor=actor, code=county.code, before=before_code,
                 after=province.code if province else None)
    _end_province_sessions(session, now, (before, province_id))
    forget_unit_names()
    return True


def rename_place(session: Session, actor: Principal | None, now: datetime, unit_id: int, name: str) -> bool:
    """Give a unit a new name (its code stays); returns False when the name is the same."""
    require_admin(actor)
    unit = session.execute(select(Unit).where(Unit.id == unit_id).with_for_update()).scalar_one_or_none()
    if unit is None:
        raise NotFound(f"unit {unit_id}", "该区划不存在", message_en="No such place")
    name = (name or "").strip()
    if wrong := _name_problem(name):
        raise FormInvalid.of({"name": wrong})
    if name == unit.name:
        return False
    before, unit.name = unit.name, name
    record_event(session, now, "place_renamed", actor=actor, code=unit.code, before=before, after=name)
    forget_unit_names()
    return True


def load_places_file(session: Session, actor: Principal | None, now: datetime, source: DataFile,
                     file_name: str) -> LoadReport:
    """Load a checked places file (``directory.read_places``) as an admin: created and updated codes are
    audited. A dry run is this call in a unit of work that is not committed."""
    require_admin(actor)
    report = load_places(session, source)
    if report.created or report.updated:
        record_event(session, now, "places_loaded", actor=actor, file=file_name[:100],
                     created=len(report.created), updated=len(report.updated), codes=(report.created + report.updated)[:50])
        if any(len(code) == CODE_DIGITS["county"] for code in report.created + report.updated):
            _end_province_sessions(session, now, None)  # a county may have joined a province
        forget_unit_names()
    return report
