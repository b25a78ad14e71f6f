"""SQL clauses that confine every query to the acting user's roles and places.

Nothing is filtered after loading: each query that returns cases or tasks
carries one of these clauses.

A privacy case (吉林: 艾滋病病人或感染者, ``case.privacy``) and its household's file (``household.privacy``:
the household, its members, its scans) are left out of every village-level match: the community that lodged
the case no longer sees it once the street records the condition; the street and the county still do.
Tasks and notifications addressed to the case's village are left out too (``addressed_to_hidden_village``).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.orm import Session, aliased

from engine.people.accounts import STAFF_ROLES, Principal
from engine.store.models import Case, Household, HumanTask, Person, Unit

TASK_ROLES = STAFF_ROLES - {"county_supervisor"}
TASK = HumanTask.__table__
CASE = Case.__table__
HOUSEHOLD = Household.__table__
PERSON = Person.__table__
# Aliases for the privacy subqueries, so that a query already reading case or household keeps its own rows
# (SQLAlchemy would otherwise correlate the subquery's table away).
PRIVATE_CASE, PRIVATE_HOUSEHOLD = CASE.alias("private_case"), HOUSEHOLD.alias("private_household")


def hidden_from_village(table):
    """The clause true for rows of ``table`` that a village may not see: a privacy case (its own column) or a
    row of a privacy household (the household's column, through ``household_id``); None when the table has
    neither (nothing of it is withheld)."""
    if "privacy" in table.c:
        return table.c.privacy.is_(True)
    if "household_id" in table.c:
        return exists().where(PRIVATE_HOUSEHOLD.c.id == table.c.household_id, PRIVATE_HOUSEHOLD.c.privacy.is_(True))
    return None


def addressed_to_hidden_village(table):
    """Rows of ``table`` (tasks, notifications: ``case_id`` and ``unit_id``) addressed to the village of a
    privacy case: the community no longer works on, or hears about, a case it may not see."""
    return exists().where(PRIVATE_CASE.c.id == table.c.case_id, PRIVATE_CASE.c.privacy.is_(True),
                          PRIVATE_CASE.c.village_id == table.c.unit_id)


def village_pair(table, clause, role: str):
    """``clause`` (rows addressed to a (role, unit) pair), less what is addressed to a privacy case's village
    when the role is the village's: only the village role is held at villages, so the other roles' rows never
    need the look-up (it stays off the township's and county's inbox and notification queries)."""
    return and_(clause, ~addressed_to_hidden_village(table)) if role == "village" else clause


def in_villages(table, units):
    """Rows of ``table`` in the villages ``units``, less what a village may not see (``hidden_from_village``)."""
    clause = table.c.village_id.in_(units)
    hidden = hidden_from_village(table)
    return clause if hidden is None else and_(clause, ~hidden)


def task_scope(principal: Principal):
    """Tasks whose (role, unit) is one the principal holds, less a privacy case's village tasks; supervisors
    hold none."""
    by_role: dict[str, list[int]] = {}
    for role, unit in principal.roles:
        if role in TASK_ROLES:
            by_role.setdefault(role, []).append(unit)
    if not by_role:
        return false()
    return _task_clause(tuple((role, tuple(units)) for role, units in sorted(by_role.items())))


# The clauses are immutable, so each shape of roles and units is built once per process (a page asks for its
# user's scope up to nine times; building one cost ~0.1 ms of SQLAlchemy each time).
@lru_cache(maxsize=4096)
def _task_clause(by_role: tuple[tuple[str, tuple[int, ...]], ...]):
    return or_(*(village_pair(TASK, and_(TASK.c.role == role, TASK.c.unit_id.in_(units)), role)
                 for role, units in by_role))


def place_scope(table, principal: Principal, roles=STAFF_ROLES):
    """Rows of ``table`` (any table with county_id, township_id and village_id columns) whose place
    includes a unit where the principal holds one of ``roles`` (a village: less ``hidden_from_village``)."""
    units = tuple(sorted({unit for role, unit in principal.roles if role in roles}))
    if not units:
        return false()
    return _place_clause(table, units)


@lru_cache(maxsize=4096)
def _place_clause(table, units: tuple[int, ...]):
    return or_(in_villages(table, units), table.c.township_id.in_(units), table.c.county_id.in_(units))


def case_scope(principal: Principal, roles=STAFF_ROLES):
    """Cases whose place includes a unit where the principal holds a staff role (or one of ``roles``)."""
    return place_scope(CASE, principal, roles)


def household_scope(principal: Principal, roles=STAFF_ROLES):
    """Households whose place includes a unit where the principal holds a staff role (or one of ``roles``)."""
    return place_scope(HOUSEHOLD, principal, roles)


def withheld_people(principal: Principal, id_numbers):
    """The people among ``id_numbers`` whose household's file the principal may not see: a privacy household
    (``hidden_from_village``) outside their ``household_scope``. A village cannot reach such a household through
    the window or a lodging either (register, find, attach or add its people); the street and county still can."""
    return select(PERSON.c.id).where(PERSON.c.id_number.in_(list(id_numbers)), withheld_person(principal))


def withheld_person(principal: Principal | None):
    """The clause on ``person`` of ``withheld_people``: in a privacy household outside the principal's
    ``household_scope`` (false for ``None``, the scheduler)."""
    if principal is None:
        return false()
    return PERSON.c.household_id.in_(select(PRIVATE_HOUSEHOLD.c.id).where(
        PRIVATE_HOUSEHOLD.c.privacy.is_(True),
        ~PRIVATE_HOUSEHOLD.c.id.in_(select(HOUSEHOLD.c.id).where(household_scope(principal)))))


def visible_person(principal: Principal | None):
    """The clause on ``person``: in a household whose file the principal may see (``household_scope``)."""
    if principal is None:
        return false()
    return PERSON.c.household_id.in_(select(HOUSEHOLD.c.id).where(household_scope(principal)))


def supervised_counties(principal: Principal) -> tuple[int, ...]:
    """Counties the principal supervises (read-only view of every case there)."""
    return principal.units_for("county_supervisor") + principal.units_for("county")


@dataclass(frozen=True)
class Reach:
    """Where a principal works, by level: the counties their units lie in and their units of each level.
    ``clause`` confines any table with county/township/village columns (person, household, case) to it,
    the county first so that an index led by ``county_id`` serves the query."""

    counties: tuple[int, ...] = ()
    by_level: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def clause(self, table):
        """Rows of ``table`` in the principal's places (nothing when they have none)."""
        if not self.counties:
            return false()
        return and_(table.c.county_id.in_(self.counties),
                    or_(*(in_villages(table, units) if level == "village" else table.c[f"{level}_id"].in_(units)
                          for level, units in self.by_level)))


# Made once, not per call: building an alias costs more than the query (it proxies every column).
_REACH_OF_PARENT = aliased(Unit)


def reach_of(session: Session, principal: Principal) -> Reach:
    """The principal's staff units with their levels and counties (one query)."""
    units = principal.staff_units
    if not units:
        return Reach()
    parent = _REACH_OF_PARENT
    rows = session.execute(select(Unit.id, Unit.level, Unit.parent_id, parent.parent_id.label("grandparent_id"))
                           .outerjoin(parent, parent.id == Unit.parent_id).where(Unit.id.in_(units))).all()
    counties = {r.id: {"county": r.id, "township": r.parent_id, "village": r.grandparent_id}.get(r.level)
                for r in rows}
    by_level = tuple((level, tuple(sorted(r.id for r in rows if r.level == level)))
                     for level in ("county", "township", "village") if any(r.level == level for r in rows))
    return Reach(tuple(sorted({c for c in counties.values() if c is not None})), by_level)


def township_reach(session: Session, principal: Principal) -> Reach:
    """The townships (乡镇/街道) where the principal holds the township role, with their counties: the
    places whose own payment roll and monthly report the township runs (one query)."""
    townships = principal.units_for("township")
    if not townships:
        return Reach()
    rows = session.execute(select(Unit.id, Unit.parent_id)
                           .where(Unit.id.in_(townships), Unit.level == "township")).all()
    if not rows:
        return Reach()
    return Reach(tuple(sorted({r.parent_id for r in rows})), (("township", tuple(sorted(r.id for r in rows))),))
