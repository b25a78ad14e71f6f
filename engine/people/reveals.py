"""The ID-reveal audit: every view or download of full ID numbers (who, when, what, how many rows, which
county), and the county supervisor's list of their county's entries."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.people.accounts import Principal
from engine.errors import Forbidden
from engine.store.models import IdReveal, Unit, User

REVEAL = IdReveal.__table__
PAGE_SIZE = 100


def allowed_counties(principal: Principal) -> frozenset[int]:
    """Counties whose full ID numbers the principal may see: where they hold the county (民政局) role."""
    return frozenset(principal.units_for("county"))


def refuse_unless_allowed(principal: Principal, county_ids) -> None:
    """Forbidden unless the principal may see full ID numbers of every one of ``county_ids``."""
    if set(county_ids) - allowed_counties(principal):
        raise Forbidden("full ID numbers are for county staff of that county",
                        "完整公民身份号码仅限本县（区）民政局经办人员查看",
                        message_en="Full ID numbers are for the staff of this county's (district's) civil affairs "
                                   "bureau only")


def record_reveal(session: Session, principal: Principal, now: datetime, county_id: int, kind: str,
                  description: str, row_count: int, address: str | None = None) -> None:
    """Record that ``principal`` saw ``row_count`` full ID numbers of a county (caller's transaction)."""
    session.execute(insert(REVEAL).values(
        at=now, user_id=principal.user_id, county_id=county_id, kind=kind, description=description[:200],
        row_count=row_count, address=(address or "")[:45] or None))


def reveals_for_supervisor(session: Session, principal: Principal, page: int = 1) -> list:
    """Reveals of full ID numbers in the counties the principal supervises, newest first."""
    counties = principal.units_for("county_supervisor")
    if not counties:
        raise Forbidden("the ID-reveal log is for county supervisors")
    return session.execute(
        select(REVEAL, User.username, User.display_name, Unit.name.label("county_name"))
        .join(User, User.id == REVEAL.c.user_id).join(Unit, Unit.id == REVEAL.c.county_id)
        .where(REVEAL.c.county_id.in_(counties))
        .order_by(REVEAL.c.at.desc(), REVEAL.c.id.desc())
        .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
