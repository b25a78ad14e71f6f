"""SQL clauses that confine every query to the acting user's roles and places.

Nothing is filtered after loading: each query that returns cases or tasks
carries one of these clauses.
"""
from __future__ import annotations

from sqlalchemy import and_, false, or_

from engine.people.accounts import STAFF_ROLES, Principal
from engine.store.models import Case, Household, HumanTask

TASK_ROLES = STAFF_ROLES - {"county_supervisor"}
TASK = HumanTask.__table__
CASE = Case.__table__
HOUSEHOLD = Household.__table__


def task_scope(principal: Principal):
    """Tasks whose (role, unit) is one the principal holds; supervisors hold none."""
    by_role: dict[str, list[int]] = {}
    for role, unit in principal.roles:
        if role in TASK_ROLES:
            by_role.setdefault(role, []).append(unit)
    if not by_role:
        return false()
    return or_(*(and_(TASK.c.role == role, TASK.c.unit_id.in_(units)) for role, units in sorted(by_role.items())))


def case_scope(principal: Principal):
    """Cases whose place includes a unit where the principal holds a staff role."""
    units = principal.staff_units
    if not units:
        return false()
    return or_(CASE.c.village_id.in_(units), CASE.c.township_id.in_(units), CASE.c.county_id.in_(units))


def supervised_counties(principal: Principal) -> tuple[int, ...]:
    """Counties the principal supervises (read-only view of every case there)."""
    return principal.units_for("county_supervisor") + principal.units_for("county")


def household_scope(principal: Principal):
    """Households whose place includes a unit where the principal holds a staff role."""
    units = principal.staff_units
    if not units:
        return false()
    return or_(HOUSEHOLD.c.village_id.in_(units), HOUSEHOLD.c.township_id.in_(units), HOUSEHOLD.c.county_id.in_(units))
