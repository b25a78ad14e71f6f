"""Recipients (在册对象): households a case granted a benefit to. An end event of a route says what
its outcome does to the register with ``camunda:properties`` ``recipient`` = register | update |
continue | stop, and which data holds each column with ``register.<column>`` (engine.catalogue.declarations);
periodic reviews (复核) are started from here when they fall due."""
from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.catalogue.declarations import Outcome
from engine.catalogue.rules import benefit_of
from engine.errors import Duplicate
from engine.households.overlaps import flag_household_cases, require_decided
from engine.households.registry import member_count, subject_key
from engine.workdays import add_months, first_of_next_month
from engine.store.models import Case, Person, Recipient, RecipientChange

CASE, RECIPIENT, PERSON, CHANGE = Case.__table__, Recipient.__table__, Person.__table__, RecipientChange.__table__
DEFAULT_CLASS = "B"
REVIEW_ENDED = "review_ended"  # the history entry of a review ended without a decision (release_review)
CAME_OF_AGE = "came_of_age"    # the start reason of an orphan's review at 18 (engine.cases.coming_of_age)
ADULT_MONTHS = 18 * 12
ORPHAN = "孤儿"                # the 特困 category of an orphan (特困（孤儿）)


def next_review(day: date, review_class: str, data: dict[str, Any], assistance_type: str | None = None) -> date:
    """When a benefit is next reviewed, from the county's rules in the case data: the type's own cadence
    where the county gives one (``review_interval_months_by_type``: 特困 yearly), else the interval of
    its class A/B/C."""
    by_type = data.get("review_interval_months_by_type") or {}
    months = int(by_type.get(assistance_type or "") or data.get(f"review_interval_months_{review_class.lower()}")
                 or {"A": 12, "B": 6, "C": 3}[review_class])
    return add_months(day, months)


def _iso(value: Any, default: date) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return default


def apply_outcome(session: Session, case_id: int, outcome: Outcome, data: dict[str, Any], today: date,
                  now: datetime, payment: dict[str, str | None] | None = None) -> None:
    """Apply a finished case's effect on the register (same transaction as the case), reading each
    column from the data the route's end event declares for it (``register.<column>``); ``payment``: the
    account and its keeper the application declares (``applicant.payment_account``, ``.account_keeper``)."""
    value = partial(outcome.value, data=data)
    if outcome.effect == "register":
        _register(session, case_id, value, data, today, now, payment or {})
        return
    target = _recipient_for(session, case_id, value("recipient_case_number"))
    if target is None:
        return
    if target.status != "active":
        # Decided on a benefit already stopped (by a death, by an earlier decision): its stop date and amount stay,
        # so no later 停发/终止 pays it on past an earlier stop; only a review still linked to this case is released.
        session.execute(update(RECIPIENT).where(RECIPIENT.c.id == target.id, RECIPIENT.c.review_case_id == case_id)
                        .values(review_case_id=None, updated_at=now))
        return
    values: dict[str, Any] = {"review_case_id": None, "updated_at": now}
    review_class = value("review_class") or target.review_class
    if outcome.effect in ("update", "continue"):
        # The route's own next-review date wins (it knows the type's cadence); else the county's class interval.
        values.update(review_class=review_class, next_review_on=_iso(
            value("next_review_on"), next_review(today, review_class, data, target.assistance_type)))
        if outcome.effect == "update" and value("monthly_amount") is not None:
            values["monthly_amount"] = float(value("monthly_amount"))
        if value("household_size"):
            values["household_size"] = int(value("household_size"))
        if outcome.effect == "update" and value("care_level"):  # a self-care re-assessment changed the band
            values["care_level"] = str(value("care_level"))
    elif outcome.effect == "stop":
        values.update(status="stopped", stopped_from=_iso(value("stopped_from"), first_of_next_month(today)))
    if outcome.effect == "stop":
        values["active_key"] = None
    session.execute(update(RECIPIENT).where(RECIPIENT.c.id == target.id).values(**values))
    _history(session, target.id, case_id, outcome.effect, today, now)


# What a grant reads of its case (not the whole row: its state was written a statement ago).
_REGISTER_CASE_COLUMNS = (CASE.c.id, CASE.c.assistance_type, CASE.c.applicant_id_number, CASE.c.applicant_name,
                          CASE.c.county_id, CASE.c.township_id, CASE.c.village_id, CASE.c.household_id)


def _register(session: Session, case_id: int, value, data: dict[str, Any], today: date, now: datetime,
              payment: dict[str, str | None]) -> None:
    """A granted benefit: one row per benefit, of the household or the applicant (the type's subject). A
    second active benefit of a type for the same subject is refused here too (the approval), whatever the
    lodging check saw: the unique ``active_key`` decides.

    A monthly benefit is ``active`` and reviewed from the route's own next-review date, else at the type's
    cadence (``next_review``); a one-off payment (payment = once) is ``paid`` on its date (the decision
    day unless the route says) and never reviewed. A personal benefit covers one person."""
    case = session.execute(select(*_REGISTER_CASE_COLUMNS).where(CASE.c.id == case_id)).one()
    assistance_type = case.assistance_type or "minimum_living"
    benefit = benefit_of(assistance_type) or {"subject": "household", "payment": "monthly"}
    person_id = session.execute(select(PERSON.c.id).where(PERSON.c.id_number == case.applicant_id_number)).scalar()
    once = benefit["payment"] == "once"
    payment_from = _iso(value("payment_from"), today if once else first_of_next_month(today))
    review_class = value("review_class") or DEFAULT_CLASS
    # A one-off payment is never due for review (status "paid"); the column holds its payment date.
    next_review_on = payment_from if once else _iso(
        value("next_review_on"), next_review(payment_from, review_class, data, assistance_type))
    size = value("household_size") or (1 if benefit["subject"] == "person" or case.household_id is None else
                                       member_count(session, case.household_id))
    key = None if once or case.household_id is None else subject_key(assistance_type, case.household_id, person_id)
    require_decided(session, case_id, today, now)
    try:
        with session.begin_nested():
            recipient_id = session.execute(insert(RECIPIENT).values(
                assistance_type=assistance_type, case_id=case_id, county_id=case.county_id,
                township_id=case.township_id, village_id=case.village_id, applicant_name=case.applicant_name,
                applicant_id_number=case.applicant_id_number, household_size=int(size or 1),
                monthly_amount=float(value("monthly_amount") or 0), payment_from=payment_from, stopped_from=None,
                review_class=review_class, next_review_on=next_review_on,
                review_case_id=None, status="paid" if once else "active", updated_at=now,
                household_id=case.household_id, person_id=person_id, payment=benefit["payment"],
                care_level=value("care_level"), category=value("category"), active_key=key,
                payment_account=payment.get("payment_account"),
                account_keeper=payment.get("account_keeper"), collector_name=payment.get("collector_name"),
                collector_id_number=payment.get("collector_id_number")).returning(RECIPIENT.c.id)).scalar_one()
    except IntegrityError:
        other = session.execute(select(CASE.c.id, CASE.c.number).join(RECIPIENT, RECIPIENT.c.case_id == CASE.c.id)
                                .where(RECIPIENT.c.active_key == key)).first()
        number = other.number if other else "?"
        raise Duplicate(f"already receiving {assistance_type} (case {number})",
                        f"该{'家庭' if benefit['subject'] == 'household' else '申请人'}已在享受该救助"
                        f"（案件 {number}），不能重复登记", other.id if other else None, other.number if other else None,
                        message_en=f"This {benefit['subject'] if benefit['subject'] == 'household' else 'applicant'} "
                                   f"already receives this assistance (case {number}): it cannot be registered "
                                   "twice") from None
    _history(session, recipient_id, case_id, "register", today, now)
    flag_household_cases(session, case.household_id, case_id, today, now)


def stop_benefit(session: Session, recipient_id: int, case_id: int, stopped_from: date, on: date,
                 now: datetime) -> None:
    """Stop a benefit from ``stopped_from`` (no longer active: its subject may be granted the type again), with
    its history entry dated ``on`` and credited to ``case_id``; the caller holds the row's lock. Like a stop
    decided by a review (``apply_outcome``), it leaves the benefit under no review: the caller ends a review
    that was running for it (a death: engine.cases.deaths)."""
    session.execute(update(RECIPIENT).where(RECIPIENT.c.id == recipient_id).values(
        status="stopped", stopped_from=stopped_from, active_key=None, review_case_id=None, updated_at=now))
    _history(session, recipient_id, case_id, "stop", on, now)


HOLDER_CHANGED = "holder_changed"        # a household benefit passed to the new head (户主变更) after a death
COLLECTOR_ENDED = "collector_ended"      # the 代领人 died: the benefit is no longer collected by them


def change_holder(session: Session, recipient_id: int, case_id: int, name: str, id_number: str, person_id: int,
                  on: date, now: datetime) -> None:
    """A household benefit's holder (户主, the payee on the roll) is now this member (户主变更 after the head's
    death: engine.cases.deaths), with its history entry dated ``on``; the caller holds the row's lock."""
    session.execute(update(RECIPIENT).where(RECIPIENT.c.id == recipient_id).values(
        applicant_name=name, applicant_id_number=id_number, person_id=person_id, updated_at=now))
    _history(session, recipient_id, case_id, HOLDER_CHANGED, on, now)


def end_collector(session: Session, recipient_id: int, case_id: int, on: date, now: datetime) -> None:
    """The benefit's 代领人 died: nobody collects it on the recipient's behalf any more (history dated ``on``)."""
    session.execute(update(RECIPIENT).where(RECIPIENT.c.id == recipient_id).values(
        collector_name=None, collector_id_number=None, updated_at=now))
    _history(session, recipient_id, case_id, COLLECTOR_ENDED, on, now)


def release_review(session: Session, case_id: int, data: dict[str, Any], today: date, now: datetime) -> None:
    """Leave the benefit the review (复核) ``case_id`` was running for under no review, when that review ends
    without applying an outcome (``apply_outcome`` unlinks it otherwise): 终止 by the county, a death that makes
    it moot (engine.cases.writer.write_termination), an end event that declares no ``recipient`` effect.

    A benefit still active is not left due (the next sweep would restart the review just ended): it is due at
    its next regular cycle counted from ``today``, the day the review ended, by the rule a completed review uses
    (``next_review``: the type's own cadence, else its class interval, from the county values in ``data``, the
    review's own case data) — unless it was not due yet (a self-care re-assessment, a death's review started
    before the cycle), when it keeps its date. A coming-of-age review (``start_reason`` came_of_age) ended
    before the 18th birthday leaves the benefit due on the birthday if that comes first, so the age rule is
    still asked then (engine.cases.periodic.review_start_data: a review of an adult orphan says why), and is
    never restarted by the coming-of-age sweep (its once-only key stays). The benefit's history records it
    (``review_ended``). A benefit no longer active (a death stopped it) is only unlinked. Nothing when none is
    linked (read by ``ix_recipient_review_case``)."""
    row = session.execute(select(RECIPIENT.c.id, RECIPIENT.c.status, RECIPIENT.c.review_class,
                                 RECIPIENT.c.assistance_type, RECIPIENT.c.next_review_on, PERSON.c.birth_date)
                          .outerjoin(PERSON, PERSON.c.id == RECIPIENT.c.person_id)
                          .where(RECIPIENT.c.review_case_id == case_id)).first()
    if row is None:
        return
    values: dict[str, Any] = {"review_case_id": None, "updated_at": now}
    active = row.status == "active"
    if active:
        due = row.next_review_on if row.next_review_on and row.next_review_on > today else next_review(
            today, row.review_class or DEFAULT_CLASS, data, row.assistance_type)
        birthday = eighteenth_birthday(row.birth_date) if row.birth_date else None
        if data.get("start_reason") == CAME_OF_AGE and birthday is not None and today < birthday < due:
            due = birthday  # ended before the birthday: the age rule is asked on it, by the periodic sweep
        values["next_review_on"] = due
    session.execute(update(RECIPIENT).where(RECIPIENT.c.id == row.id).values(**values))
    if active:
        _history(session, row.id, case_id, REVIEW_ENDED, today, now)


def eighteenth_birthday(birth_date: date) -> date:
    """The day a person turns 18 (born on 29 February: the 28th in a common year)."""
    return add_months(birth_date, ADULT_MONTHS)


def _history(session: Session, recipient_id: int, case_id: int, effect: str, today: date, now: datetime) -> None:
    row = session.execute(select(RECIPIENT.c.monthly_amount, RECIPIENT.c.review_class, RECIPIENT.c.status)
                          .where(RECIPIENT.c.id == recipient_id)).one()
    session.execute(insert(CHANGE).values(recipient_id=recipient_id, case_id=case_id, effect=effect, on=today,
                                          monthly_amount=row.monthly_amount, review_class=row.review_class,
                                          status=row.status, at=now))


def _recipient_for(session: Session, case_id: int, case_number: str | None):
    """The recipient a dynamic-management case is about: the one under review, or by the original case number."""
    row = session.execute(select(RECIPIENT).where(RECIPIENT.c.review_case_id == case_id)).first()
    if row is None and case_number:
        row = session.execute(select(RECIPIENT).join(CASE, CASE.c.id == RECIPIENT.c.case_id)
                              .where(CASE.c.number == case_number)).first()
    return row


def review_progress(session: Session, county_ids, today: date) -> dict[str, int]:
    """Periodic-review progress in the counties: due, under way, done this month (one statement over the
    counties' active benefits, read from ix_recipient_county_review alone)."""
    due, running, active = session.execute(
        select(func.count().filter(RECIPIENT.c.next_review_on <= today, RECIPIENT.c.review_case_id.is_(None)),
               func.count().filter(RECIPIENT.c.review_case_id.is_not(None)), func.count())
        .where(RECIPIENT.c.county_id.in_(county_ids), RECIPIENT.c.status == "active")).one()
    return {"due": due, "running": running, "active": active}
