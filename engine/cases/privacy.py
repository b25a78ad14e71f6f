"""The privacy case (隐私保护): a case the village that lodged it may no longer see.

Jilin's rule for a person living with HIV/AIDS in hardship (《吉林省最低生活保障管理办法》): the street
records the condition, the district checks and confirms directly, nothing is put on a board. From the
moment a step declaring ``privacy`` (engine.catalogue.declarations) is completed with its condition met,
the case and its household's file are withheld from the village in every query (engine.people.scope);
the mark is never lifted by the case itself, since the community has already been told nothing since.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.cases.writer import CASE, write_event
from engine.store.models import Household

HOUSEHOLD = Household.__table__


def restrict_to_street_and_county(session: Session, case_id: int, household_id: int | None, now: datetime,
                                  actor_id: int | None, task_name: str) -> bool:
    """Mark the case (and its household) private; records one event the first time. Returns True when
    the mark is new."""
    changed = session.execute(update(CASE).where(CASE.c.id == case_id, CASE.c.privacy.is_(False))
                              .values(privacy=True)).rowcount
    if household_id is not None:
        session.execute(update(HOUSEHOLD).where(HOUSEHOLD.c.id == household_id, HOUSEHOLD.c.privacy.is_(False))
                        .values(privacy=True))
    if changed:
        write_event(session, case_id, now, actor_id, "privacy_restricted", task_name,
                    "隐私保护：本案件及其家庭档案仅街道（乡镇）和区（县）可见，村（居）委会不再可见", {})
    return bool(changed)
