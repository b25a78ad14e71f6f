"""Recipients (在册对象): households a case granted a benefit to. An end event of a route says what
its outcome does to the register with ``camunda:properties`` ``recipient`` = register | update |
continue | stop; periodic reviews (复核) are started from here when they fall due."""
from __future__ import annotations

import calendar as month_calendar
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from .models import Case, Recipient, Unit
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


def apply_outcome(session: Session, case_id: int, effect: str, data: dict[str, Any], today: date,
                  now: datetime) -> None:
    """Apply a finished case's effect on the register (same transaction as the case)."""
    if effect == "register":
        case = session.execute(select(CASE).where(CASE.c.id == case_id)).one()
        payment_from = _iso(data.get("payment_from"), first_of_next_month(today))
        review_class = data.get("review_class") or DEFAULT_CLASS
        session.execute(insert(RECIPIENT).values(
            assistance_type=case.assistance_type or "minimum_living", case_id=case_id, county_id=case.county_id,
            township_id=case.township_id, village_id=case.village_id, applicant_name=case.applicant_name,
            applicant_id_number=case.applicant_id_number, household_size=int(data.get("household_size") or 1),
            monthly_amount=float(data.get("monthly_amount") or 0), payment_from=payment_from, stopped_from=None,
            review_class=review_class, next_review_on=next_review(payment_from, review_class, data),
            review_case_id=None, status="active", updated_at=now))
        return
    target = _recipient_for(session, case_id, data)
    if target is None:
        return
    values: dict[str, Any] = {"review_case_id": None, "updated_at": now}
    review_class = data.get("review_class") or target.review_class
    if effect in ("update", "continue"):
        # The route's own next-review date wins (it knows the type's cadence); else the county's class interval.
        values.update(review_class=review_class,
                      next_review_on=_iso(data.get("next_review_on"), next_review(today, review_class, data)))
        if effect == "update" and data.get("new_monthly_amount") is not None:
            values["monthly_amount"] = float(data["new_monthly_amount"])
        if data.get("new_household_size"):
            values["household_size"] = int(data["new_household_size"])
    elif effect == "stop":
        values.update(status="stopped", stopped_from=_iso(data.get("stops_from"), first_of_next_month(today)))
    session.execute(update(RECIPIENT).where(RECIPIENT.c.id == target.id).values(**values))


def _recipient_for(session: Session, case_id: int, data: dict[str, Any]):
    """The recipient a dynamic-management case is about: the one under review, or by the original case number."""
    row = session.execute(select(RECIPIENT).where(RECIPIENT.c.review_case_id == case_id)).first()
    if row is None and data.get("recipient_case_number"):
        row = session.execute(select(RECIPIENT).join(CASE, CASE.c.id == RECIPIENT.c.case_id)
                              .where(CASE.c.number == data["recipient_case_number"])).first()
    return row


def start_due_reviews(db, clock, batch_size: int = 100, max_batches: int | None = None) -> dict[str, int]:
    """Start a periodic review (复核) case for every active recipient whose review is due.

    Batches are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL; a recipient with a
    review under way is skipped, so running this twice starts nothing twice.
    """
    from .cases import start_case  # cases imports this module
    started = batches = 0
    while max_batches is None or batches < max_batches:
        with db.unit_of_work(write=True) as session:
            today = clock.today()
            stmt = (select(RECIPIENT, CASE.c.number).join(CASE, CASE.c.id == RECIPIENT.c.case_id)
                    .where(RECIPIENT.c.status == "active", RECIPIENT.c.next_review_on <= today,
                           RECIPIENT.c.review_case_id.is_(None))
                    .order_by(RECIPIENT.c.next_review_on, RECIPIENT.c.id).limit(batch_size))
            if db.is_postgres:
                stmt = stmt.with_for_update(skip_locked=True, of=RECIPIENT)
            due = session.execute(stmt).all()
            if not due:
                break
            codes = dict(session.execute(select(Unit.id, Unit.code)).all())
            for r in due:
                process_id = process_for("periodic_review", codes[r.county_id], codes[r.township_id], today)
                review = start_case(session, None, clock, process_id, r.village_id, review_start_data(r))
                session.execute(update(RECIPIENT).where(RECIPIENT.c.id == r.id).values(review_case_id=review.id))
                started += 1
            session.commit()
            batches += 1
    return {"started": started, "batches": batches}


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


def start_monthly_cutoffs(db, clock) -> int:
    """On the first days of a month, open the month's cut-off case for every township whose model
    runs one (Siping: approvals by the 26th, data to the district by the 30th). Once per township
    and month: the case number is derived from both and unique."""
    from .cases import start_township_case  # cases imports this module
    variants = catalog()["monthly_cutoff"]["variants"]
    started = 0
    with db.unit_of_work(write=True) as session:
        today = clock.today()
        townships = session.execute(
            select(Unit.id, Unit.code, Unit.name, Unit.parent_id).where(Unit.level == "township")).all()
        county_codes = dict(session.execute(select(Unit.id, Unit.code).where(Unit.level == "county")).all())
        existing = set(session.execute(select(CASE.c.number).where(
            CASE.c.process_id.in_([v["process_id"] for v in variants.values()]))).scalars())
        for township in townships:
            county_code = county_codes.get(township.parent_id)
            if county_code not in counties():
                continue
            variant = variant_for("monthly_cutoff", model_in_force(county_code, township.code, today))
            number = f"{township.code}-{today:%Y%m}-月度"
            if variant not in variants or number in existing:
                continue
            start_township_case(session, clock, variants[variant]["process_id"], township.id,
                                {"month": f"{today:%Y-%m}", "applicant_name": f"{township.name}{today:%Y年%m月}月度工作"},
                                number)
            started += 1
    return started
