"""特困人员（孤儿） reaching 18: the review that decides whether the support goes on (《特困人员认定办法》
第二十四条: a minor is supported until 18, longer while at school), started by the scheduler.

The benefit is not stopped on the birthday by itself — a pupil or student is still supported — but it is not
left to run on either: the county's ``orphan_review_lead_days`` before the 18th birthday the scheduler starts
the benefit's review (reason ``came_of_age``), due on the birthday (the working day before when that is a day
off), so the decision (continue, or terminate from the next month) is taken by then. A birthday is no event
anyone records, so the scheduler, not a clerk's use case, finds it. Each benefit is reviewed for it once (a
once-only key taken in the transaction that starts the review).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.orm import Session

from engine.cases.periodic import ReviewBatch, adult_orphan_notes, review_start_data, start_reviews
from engine.cases.writer import write_event_limit
from engine.catalogue.rules import rules_in_force
from engine.errors import NotFound
from engine.households.register import ADULT_MONTHS, CAME_OF_AGE, ORPHAN, eighteenth_birthday
from engine.people.places import places_of_villages
from engine.store.models import Case, Person, Recipient, Sequence
from engine.store.sequences import claim
from engine.workdays import add_months, due_by

CASE, PERSON, RECIPIENT, SEQUENCE = Case.__table__, Person.__table__, Recipient.__table__, Sequence.__table__
KEY = "came_of_age:"
LEAD = "orphan_review_lead_days"
MAX_LEAD_DAYS = 365  # the county value's upper bound (engine.catalogue.rules.AMOUNT_SCHEMAS)


def _lead_days(session: Session, place, today: date) -> tuple[int | None, bool]:
    """The county's ``orphan_review_lead_days`` for the place (None without rules there), and whether the county
    data marks it as an assumption (said on the review, so the supervisor reading the case sees it)."""
    if place is None:
        return None, False
    try:
        entry = rules_in_force(place.county_code, today, place.township_code, session)
    except NotFound:
        return None, False
    return entry.get("orphan_review_lead_days"), LEAD in entry.get("assumptions", {})


def start_coming_of_age_reviews(session: Session, clock, limit: int = 100) -> ReviewBatch:
    """Start the review of every active 特困（孤儿） benefit whose beneficiary turns 18 within the county's
    ``orphan_review_lead_days`` (or already has) and that has neither a review running nor one started for
    this before; each review is due on the 18th birthday. The caller commits."""
    today, now = clock.today(), clock.now()
    # Born on or before this day: 18 within the longest lead any county may set (each county's own lead below).
    latest_birth = add_months(today + timedelta(days=MAX_LEAD_DAYS), -ADULT_MONTHS)
    reviewed = exists().where(SEQUENCE.c.key == literal(KEY) + cast(RECIPIENT.c.id, String))
    stmt = (select(RECIPIENT, CASE.c.number, PERSON.c.name.label("person_name"), PERSON.c.birth_date)
            .join(CASE, CASE.c.id == RECIPIENT.c.case_id).join(PERSON, PERSON.c.id == RECIPIENT.c.person_id)
            .where(RECIPIENT.c.status == "active", RECIPIENT.c.assistance_type == "extreme_poverty",
                   RECIPIENT.c.category == ORPHAN, RECIPIENT.c.review_case_id.is_(None),
                   PERSON.c.birth_date <= latest_birth, ~reviewed)
            .order_by(PERSON.c.birth_date, RECIPIENT.c.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=RECIPIENT)
    candidates = session.execute(stmt).all()
    places = places_of_villages(session, {r.village_id for r in candidates})
    due, leads, by_village = [], {}, {}
    for r in candidates:
        if r.village_id not in by_village:  # the county's value once per village, not once per orphan
            by_village[r.village_id] = _lead_days(session, places.get(r.village_id), today)
        lead, assumed = by_village[r.village_id]
        if lead is None or eighteenth_birthday(r.birth_date) - timedelta(days=int(lead)) <= today:
            due.append(r)  # a place without the value: reviewed now rather than never
            leads[r.id] = (f"按本县规则于生日前{int(lead)}天发起复核{'（设计假设，见县（区）救助规则说明）' if assumed else ''}。"
                           if lead is not None else "本地未设提前天数，即时发起复核。")
    birthdays = {r.id: eighteenth_birthday(r.birth_date) for r in due}

    def start_data(r):
        return {**review_start_data(r), "start_reason": CAME_OF_AGE,
                "start_notes": adult_orphan_notes(r.person_name, birthdays[r.id]) + leads[r.id]}
    batch = start_reviews(session, clock, due, start_data)
    for recipient_id, review in batch.cases.items():
        claim(session, f"{KEY}{recipient_id}")
        limit_on = due_by(birthdays[recipient_id])
        write_event_limit(session, review.id, limit_on, now, "孤儿年满18周岁：生日前完成复核",
                          {"reason": "came_of_age", "birthday": birthdays[recipient_id].isoformat(),
                           "to": limit_on.on.isoformat()})
    return batch
