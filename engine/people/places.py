"""The place of a case (village → township → county) and which unit does a lane's work."""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from engine.errors import NotFound
from engine.store.memo import remembered
from engine.store.models import Unit

# Which level of the case's place holds the tasks of a lane (role).
LANE_LEVEL = {
    "village": "village", "township": "township", "review_panel": "township",
    "county": "county", "disability_federation": "county", "district_center": "county",
}


@dataclass(frozen=True)
class Place:
    """Where a case belongs."""

    county_id: int
    township_id: int
    village_id: int
    county_code: str | None = None
    township_code: str | None = None

    def unit_for_role(self, role: str | None) -> int:
        """The unit whose holders of ``role`` do the lane's tasks for this case."""
        level = LANE_LEVEL.get(role or "township", "township")
        return {"village": self.village_id, "township": self.township_id, "county": self.county_id}[level]


def place_of_village(session: Session, village_id: int) -> Place:
    """The place of a village, with its township and county (one query, asked once per transaction)."""
    place = remembered(session, ("place_of_village", village_id),
                       lambda: places_of_villages(session, (village_id,)).get(village_id))
    if place is None:
        raise NotFound(f"village {village_id}", "所选村（社区）不存在",
                       message_en="The chosen village (community) does not exist")
    return place


@cache
def _places_statement():
    # Built once (with its aliases): building it is most of what a call costs; the ids are bound per call.
    township, county = aliased(Unit), aliased(Unit)
    return (select(Unit.id, township.id.label("township_id"), county.id.label("county_id"), county.code,
                   township.code.label("township_code"))
            .join(township, township.id == Unit.parent_id)
            .join(county, county.id == township.parent_id)
            .where(Unit.id.in_(bindparam("village_ids", expanding=True)), Unit.level == "village"))


def places_of_villages(session: Session, village_ids) -> dict[int, Place]:
    """The places of many villages (as ``place_of_village``), in one query; unknown ids are left out."""
    rows = session.execute(_places_statement(), {"village_ids": list(village_ids)}).all()
    return {r.id: Place(r.county_id, r.township_id, r.id, r.code, r.township_code) for r in rows}


@cache
def _villages_statement():
    township = aliased(Unit)
    return (select(Unit.id, Unit.name, township.name.label("township"))
            .join(township, township.id == Unit.parent_id)
            .where(Unit.level == "village")
            .where((Unit.id.in_(bindparam("village_ids", expanding=True)))
                   | (Unit.parent_id.in_(bindparam("township_ids", expanding=True))))
            .order_by(township.code, Unit.code))


def villages_for(session: Session, village_ids, township_ids) -> list[tuple[int, str, str]]:
    """(id, village name, township name) of the villages a user may lodge applications for."""
    rows = session.execute(_villages_statement(), {"village_ids": list(village_ids) or [-1],
                                                   "township_ids": list(township_ids) or [-1]}).all()
    return [(r.id, r.name, r.township) for r in rows]


_names: dict[int, str] = {}
# Names are kept in memory for this long: an admin's rename is seen at once by the process that made it
# (forget_unit_names) and within this many seconds by the other web workers and the scheduler.
NAMES_RECHECK_SECONDS = 10.0
_names_since = [0.0]


def forget_unit_names() -> None:
    """Drop the names kept in memory (after a rename or a places load)."""
    _names.clear()
    _names_since[0] = time.monotonic()


def unit_names(session: Session, unit_ids) -> dict[int, str]:
    """Names of units by id, kept in memory for ``NAMES_RECHECK_SECONDS``: units are renamed rarely."""
    if time.monotonic() - _names_since[0] >= NAMES_RECHECK_SECONDS:
        forget_unit_names()
    wanted = [u for u in unit_ids if u is not None]
    missing = [u for u in wanted if u not in _names]
    if missing:
        _names.update(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(missing))).all())
    return {u: _names[u] for u in wanted if u in _names}
