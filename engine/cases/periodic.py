"""Cases the engine lodges by itself: periodic reviews (复核) of the register when they fall due, and each
month's cut-off (Siping). Use cases: the scheduler job that calls them owns the transaction."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.batch_start import PlannedStart, start_cases
from engine.cases.lifecycle import start_township_case
from engine.errors import NotFound
from engine.households.register import CAME_OF_AGE, ORPHAN, eighteenth_birthday
from engine.people.places import places_of_villages
from engine.store.bulk import update_rows
from engine.store.models import Case, Person, Recipient, Unit
from engine.store.sequences import claim
from engine.catalogue.rules import catalog, follow_up_process_for, model_in_force, rule_book, variant_for

CASE, RECIPIENT, PERSON = Case.__table__, Recipient.__table__, Person.__table__


@dataclass
class ReviewBatch:
    """What one batch of periodic reviews did."""

    started: int = 0
    failed: dict[int, Exception] = field(default_factory=dict)  # recipient id → why its review did not start
    cases: dict[int, Any] = field(default_factory=dict)  # recipient id → its review (StartedCase)

    @property
    def claimed(self) -> int:
        """Due recipients the batch took."""
        return self.started + len(self.failed)


def start_due_reviews(session: Session, clock, limit: int = 100, skip: Collection[int] = ()) -> ReviewBatch:
    """Start a periodic review (复核) case for up to ``limit`` active recipients whose review is due
    (but not those in ``skip``), of every monthly type, each on the review route its type is decided on
    in its place (``follow_up_process_for``). One-off payments are registered ``paid`` and never due.

    Claiming, starting and linking happen in the caller's one transaction: on PostgreSQL the due
    rows are locked FOR UPDATE SKIP LOCKED, so a concurrent scheduler takes other households, and a
    recipient stops being due (it is linked to its review) in the same commit that creates the
    review. So no household is reviewed twice, and a batch lost to a crash is redone whole. The
    reviews are started together (engine.cases.batch_start: a few statements per batch). A review
    that cannot start (bad register data, a place without a route) writes nothing and its recipient
    stays due.
    """
    today = clock.today()
    # The beneficiary's birth date: a review of an adult orphan says why (review_start_data).
    stmt = (select(RECIPIENT, CASE.c.number, PERSON.c.birth_date).join(CASE, CASE.c.id == RECIPIENT.c.case_id)
            .outerjoin(PERSON, PERSON.c.id == RECIPIENT.c.person_id)
            .where(RECIPIENT.c.status == "active", RECIPIENT.c.next_review_on <= today,
                   RECIPIENT.c.review_case_id.is_(None))
            .order_by(RECIPIENT.c.next_review_on, RECIPIENT.c.id).limit(limit))
    if skip:
        stmt = stmt.where(RECIPIENT.c.id.not_in(list(skip)))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=RECIPIENT)
    due = session.execute(stmt).all()
    return start_reviews(session, clock, due, lambda r: review_start_data(r, today))


def start_reviews(session: Session, clock, due, start_data) -> ReviewBatch:
    """Start a review for each register row of ``due`` (recipient columns and the granting case's ``number``),
    its start form ``start_data(row)``, on the review route of its type in its place, and link each recipient
    to its review in the same transaction. Shared by the due reviews and the reviews an event starts (a
    death: engine.households.deaths). A review that cannot start writes nothing and is reported."""
    today = clock.today()
    batch = ReviewBatch()
    if not due:
        return batch
    places = places_of_villages(session, {r.village_id for r in due})
    routes: dict[tuple, str] = {}
    planned = []
    for r in due:
        place = places.get(r.village_id)
        try:
            if place is None:
                raise NotFound(f"village {r.village_id}", "所选村（社区）不存在",
                               message_en="The chosen village (community) does not exist")
            key = (r.assistance_type, place.county_code, place.township_code)
            if key not in routes:
                routes[key] = follow_up_process_for("periodic_review", r.assistance_type, place.county_code,
                                                    place.township_code, today, session)
        except Exception as exc:  # one household's bad data must not hold back the others
            batch.failed[r.id] = exc
            continue
        planned.append(PlannedStart(r.id, routes[key], r.village_id, start_data(r)))
    started, failed = start_cases(session, clock, planned, places)
    batch.failed.update(failed)
    if started:  # linked to its review in the commit that creates it: no longer due
        update_rows(session, RECIPIENT, "id", [{"id": rid, "review_case_id": review.id} for rid, review in started.items()])
    batch.started = len(started)
    batch.cases = started
    return batch


def review_start_data(r, today: date | None = None) -> dict[str, Any]:
    """The start form of a periodic review, filled from the register. With ``today`` (the periodic sweep): the
    review of a 特困（孤儿） benefit whose beneficiary is 18 by then is started for that reason, with the rule
    (《特困人员认定办法》第二十四条) in its notes — a coming-of-age review ended without a decision (终止) leaves
    the question to the next regular review (engine.households.register.release_review), which asks it."""
    data = {"assistance_type": r.assistance_type, "recipient_case_number": r.number,
            "applicant_name": r.applicant_name, "applicant_id_number": r.applicant_id_number,
            "household_size": r.household_size, "current_monthly_amount": float(r.monthly_amount),
            "review_class": r.review_class, "start_reason": "periodic"}
    born = getattr(r, "birth_date", None)
    birthday = eighteenth_birthday(born) if born and r.assistance_type == "extreme_poverty" and r.category == ORPHAN else None
    if today is not None and birthday is not None and birthday <= today:
        data.update(start_reason=CAME_OF_AGE, start_notes=adult_orphan_notes(r.applicant_name, birthday))
    return data


def adult_orphan_notes(name: str, birthday: date) -> str:
    """What a review of an orphan at 18 asks (the start notes of every such review)."""
    return (f"孤儿{name}于{birthday.isoformat()}年满18周岁：在校就读（义务教育、高中、中职、高等教育）的继续供养，"
            "否则终止（《特困人员认定办法》第二十四条）。")


def open_monthly_cutoffs(session: Session, clock) -> int:
    """Open the month's cut-off case for every township whose model runs one (Siping: approvals by
    the 26th, data to the district by the 30th); returns how many were opened.

    Once per township and month, decided by the database: each case first claims its number
    (a unique key, see ``engine.store.sequences.claim``). A scheduler that loses the claim to another one
    still in its transaction waits for it and then skips that township.
    """
    variants = catalog()["monthly_cutoff"]["variants"]
    today = clock.today()
    townships = session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.parent_id).where(Unit.level == "township")).all()
    county_codes = dict(session.execute(select(Unit.id, Unit.code).where(Unit.level == "county")).all())
    opened = 0
    known = rule_book(session)   # the file's counties and those an admin set up
    for township in townships:
        county_code = county_codes.get(township.parent_id)
        if county_code not in known:
            continue
        variant = variant_for("monthly_cutoff", model_in_force(county_code, township.code, today, session))
        number = f"{township.code}-{today:%Y%m}-月度"
        if variant not in variants or not claim(session, f"opened:{number}"):
            continue
        start_township_case(session, clock, variants[variant]["process_id"], township.id,
                            {"month": f"{today:%Y-%m}", "applicant_name": f"{township.name}{today:%Y年%m月}月度工作"},
                            number)
        opened += 1
    return opened
