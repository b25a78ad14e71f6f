"""Recipients (在册对象): households a case granted a benefit to. An end event of a route says what
its outcome does to the register with ``camunda:properties`` ``recipient`` = register | update |
continue | stop, and which data holds each column with ``register.<column>`` (engine.declarations);
periodic reviews (复核) are started from here when they fall due."""
from __future__ import annotations

import calendar as month_calendar
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from .declarations import Outcome
from .models import Case, Recipient, Unit
from .numbering import claim
from .rules import catalog, counties, model_in_force, process_for, variant_for

CASE, RECIPIENT = Case.__table__, Recipient.__table__
DEFAULT_CLASS = "B"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's end)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def first_of_next_month(day: date) -> date:
    """The first day of the month after ``day`` (payments start then)."""
    return add_months(day.replace(day=1), 1)


def next_review(day: date, review_class: str, data: dict[str, Any]) -> date:
    """When a household of class A/B/C is next reviewed, from the county's intervals in the case data."""
    months = int(data.get(f"review_interval_months_{review_class.lower()}") or {"A": 12, "B": 6, "C": 3}[review_class])
    return add_months(day, months)


def _iso(value: Any, default: date) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return default


def apply_outcome(session: Session, case_id: int, outcome: Outcome, data: dict[str, Any], today: date,
                  now: datetime) -> None:
    """Apply a finished case's effect on the register (same transaction as the case), reading each
    column from the data the route's end event declares for it (``register.<column>``)."""
    value = partial(outcome.value, data=data)
    if outcome.effect == "register":
        case = session.execute(select(CASE).where(CASE.c.id == case_id)).one()
        payment_from = _iso(value("payment_from"), first_of_next_month(today))
        review_class = value("review_class") or DEFAULT_CLASS
        session.execute(insert(RECIPIENT).values(
            assistance_type=case.assistance_type or "minimum_living", case_id=case_id, county_id=case.county_id,
            township_id=case.township_id, village_id=case.village_id, applicant_name=case.applicant_name,
            applicant_id_number=case.applicant_id_number, household_size=int(value("household_size") or 1),
            monthly_amount=float(value("monthly_amount") or 0), payment_from=payment_from, stopped_from=None,
            review_class=review_class, next_review_on=next_review(payment_from, review_class, data),
            review_case_id=None, status="active", updated_at=now))
        return
    target = _recipient_for(session, case_id, value("recipient_case_number"))
    if target is None:
        return
    values: dict[str, Any] = {"review_case_id": None, "updated_at": now}
    review_class = value("review_class") or target.review_class
    if outcome.effect in ("update", "continue"):
        # The route's own next-review date wins (it knows the type's cadence); else the county's class interval.
        values.update(review_class=review_class,
                      next_review_on=_iso(value("next_review_on"), next_review(today, review_class, data)))
        if outcome.effect == "update" and value("monthly_amount") is not None:
            values["monthly_amount"] = float(value("monthly_amount"))
        if value("household_size"):
            values["household_size"] = int(value("household_size"))
    elif outcome.effect == "stop":
        values.update(status="stopped", stopped_from=_iso(value("stopped_from"), first_of_next_month(today)))
    session.execute(update(RECIPIENT).where(RECIPIENT.c.id == target.id).values(**values))


def _recipient_for(session: Session, case_id: int, case_number: str | None):
    """The recipient a dynamic-management case is about: the one under review, or by the original case number."""
    row = session.execute(select(RECIPIENT).where(RECIPIENT.c.review_case_id == case_id)).first()
    if row is None and case_number:
        row = session.execute(select(RECIPIENT).join(CASE, CASE.c.id == RECIPIENT.c.case_id)
                              .where(CASE.c.number == case_number)).first()
    return row


@dataclass
class ReviewBatch:
    """What one batch of periodic reviews did."""

    started: int = 0
    failed: dict[int, Exception] = field(default_factory=dict)  # recipient id → why its review did not start

    @property
    def claimed(self) -> int:
        """Due recipients the batch took."""
        return self.started + len(self.failed)


def start_due_reviews(session: Session, clock, limit: int = 100, skip: Collection[int] = ()) -> ReviewBatch:
    """Start a periodic review (复核) case for up to ``limit`` active recipients whose review is due
    (but not those in ``skip``).

    Claiming, starting and linking happen in the caller's one transaction: on PostgreSQL the due
    rows are locked FOR UPDATE SKIP LOCKED, so a concurrent scheduler takes other households, and a
    recipient stops being due (it is linked to its review) in the same commit that creates the
    review. So no household is reviewed twice, and a batch lost to a crash is redone whole. A
    review that cannot start (bad register data, a place without a route) is undone alone, in a
    savepoint, and its recipient stays due.
    """
    from .cases import start_case  # cases imports this module
    today = clock.today()
    stmt = (select(RECIPIENT, CASE.c.number).join(CASE, CASE.c.id == RECIPIENT.c.case_id)
            .where(RECIPIENT.c.status == "active", RECIPIENT.c.next_review_on <= today,
                   RECIPIENT.c.review_case_id.is_(None))
            .order_by(RECIPIENT.c.next_review_on, RECIPIENT.c.id).limit(limit))
    if skip:
        stmt = stmt.where(RECIPIENT.c.id.not_in(list(skip)))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=RECIPIENT)
    due = session.execute(stmt).all()
    batch = ReviewBatch()
    if not due:
        return batch
    codes = dict(session.execute(select(Unit.id, Unit.code)).all())
    for r in due:
        try:
            with session.begin_nested():  # rolled back alone if this household's review fails
                process_id = process_for("periodic_review", codes[r.county_id], codes[r.township_id], today)
                review = start_case(session, None, clock, process_id, r.village_id, review_start_data(r))
                session.execute(update(RECIPIENT).where(RECIPIENT.c.id == r.id).values(review_case_id=review.id))
        except Exception as exc:  # one household's bad data must not hold back the others
            batch.failed[r.id] = exc
        else:
            batch.started += 1
    return batch


def review_start_data(r) -> dict[str, Any]:
    """The start form of a periodic review, filled from the register."""
    return {"assistance_type": r.assistance_type, "recipient_case_number": r.number,
            "applicant_name": r.applicant_name, "applicant_id_number": r.applicant_id_number,
            "household_size": r.household_size, "current_monthly_amount": float(r.monthly_amount),
            "review_class": r.review_class, "start_reason": "periodic"}


def review_progress(session: Session, county_ids, today: date) -> dict[str, int]:
    """Periodic-review progress in the counties: due, under way, done this month."""
    base = [RECIPIENT.c.county_id.in_(county_ids), RECIPIENT.c.status == "active"]
    due = session.execute(select(func.count()).select_from(RECIPIENT).where(
        *base, RECIPIENT.c.next_review_on <= today, RECIPIENT.c.review_case_id.is_(None))).scalar_one()
    running = session.execute(select(func.count()).select_from(RECIPIENT).where(
        *base, RECIPIENT.c.review_case_id.is_not(None))).scalar_one()
    active = session.execute(select(func.count()).select_from(RECIPIENT).where(*base)).scalar_one()
    return {"due": due, "running": running, "active": active}


def open_monthly_cutoffs(session: Session, clock) -> int:
    """Open the month's cut-off case for every township whose model runs one (Siping: approvals by
    the 26th, data to the district by the 30th); returns how many were opened.

    Once per township and month, decided by the database: each case first claims its number
    (a unique key, see ``numbering.claim``). A scheduler that loses the claim to another one
    still in its transaction waits for it and then skips that township.
    """
    from .cases import start_township_case  # cases imports this module
    variants = catalog()["monthly_cutoff"]["variants"]
    today = clock.today()
    townships = session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.parent_id).where(Unit.level == "township")).all()
    county_codes = dict(session.execute(select(Unit.id, Unit.code).where(Unit.level == "county")).all())
    opened = 0
    for township in townships:
        county_code = county_codes.get(township.parent_id)
        if county_code not in counties():
            continue
        variant = variant_for("monthly_cutoff", model_in_force(county_code, township.code, today))
        number = f"{township.code}-{today:%Y%m}-月度"
        if variant not in variants or not claim(session, f"opened:{number}"):
            continue
        start_township_case(session, clock, variants[variant]["process_id"], township.id,
                            {"month": f"{today:%Y-%m}", "applicant_name": f"{township.name}{today:%Y年%m月}月度工作"},
                            number)
        opened += 1
    return opened
