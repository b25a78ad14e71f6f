"""A member's death, recorded in the register, and the review it starts (2022 notice: a 低保 household is
reviewed within 3 months after a member's death; a county rule, ``death_review_months_by_type``).

The recording use case starts the review itself, not the scheduler: the death and its review are written
in one transaction, so there is never a death on file whose review waits for the next sweep, and the
township that records it sees at once which review it started (and where to find it). A second report
of the same person's death is refused by the database (a once-only key), so it starts nothing.

A recipient's own death ends the benefits that are theirs alone (特困, 两项补贴, 尊老金: the catalogue's personal
benefits) from the month after it, in the same transaction; a household benefit (低保) is reviewed instead. The
cases the death makes moot end with them, terminated by the system (no 终止办理通知书: nobody decided it): a
review (复核) still running for a benefit it stopped, a change (变更) of such a benefit, and an application of a
personal benefit for the person. A household benefit's application goes on — unless the dead person was the
household's last living member: then nobody is left to support, and the household's benefits stop and its cases
end the same way (no review is started for them).

The death also closes what it leaves without a subject or a payee: the window's open referrals (转办) for the
person alone end (engine.window.referrals.end_referrals_of_the_dead, called by engine.deaths.record_death, the
public entry point, in the same transaction: the window depends on the cases, not the reverse); when the head of
household (户主) dies and the household goes on, the household names a new head (户主变更: the member the recording clerk picks, else by
``successor_rule``) and every household benefit the dead person held passes to them (``change_holder``: the
payee of the payment roll), in the benefit's history, an event on its granting case and the household's
history; a benefit collected by the dead person on someone's behalf (代领人) is no longer (``end_collector``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, insert, or_, select
from sqlalchemy.orm import Session

from engine.catalogue.rules import benefit_types, death_review_months, personal_types, rules_in_force
from engine.cases.operations import cancel_running_case
from engine.cases.periodic import review_start_data, start_reviews
from engine.cases.writer import TASK, locked, write_event, write_event_limit, write_notifications
from engine.catalogue.forms import ADULT_AGE, age_on, mask_id_number
from engine.households.register import change_holder, end_collector, stop_benefit
from engine.households.registry import died_on_of, subject_key
from engine.errors import FormInvalid, Message, NotFound
from engine.people.accounts import Principal
from engine.people.scope import household_scope
from engine.store.models import Case, Household, HouseholdEvent, Notification, Person, Recipient, Unit
from engine.store.sequences import claim
from engine.workdays import Due, add_months, due_by, first_of_next_month

CASE, HOUSEHOLD, PERSON = Case.__table__, Household.__table__, Person.__table__
H_EVENT, RECIPIENT = HouseholdEvent.__table__, Recipient.__table__
NOTE = Notification.__table__
ENDED_BY_DEATH = "受助人死亡，终止办理"
CHANGE_TYPE = "benefit_change"  # the catalogue's 变更 (增发、减发、停发、终止) of a benefit


@dataclass(frozen=True)
class DeathRecorded:
    """What recording a death did: whether it was new, the reviews it started and those already running
    whose limit it brought forward (case numbers), the reviews' due date, the granting cases of the person's
    own benefits it stopped, and the cases it made moot and ended (their reviews, applications for the person)."""

    recorded: bool
    started: tuple[str, ...] = ()
    hastened: tuple[str, ...] = ()
    due_on: date | None = None
    stopped: tuple[str, ...] = ()
    terminated: tuple[str, ...] = ()
    referrals_ended: tuple[str, ...] = ()   # the window's 转办单 numbers the death ended (engine.deaths)
    new_head: str | None = None             # the household's new head (户主变更), when the head died
    holders_changed: tuple[str, ...] = ()   # granting cases of the household benefits passed to the new head
    holder: str | None = None               # who holds them now (the new head, or the living head)


def review_due_after_death(died_on: date, months: int) -> Due:
    """The last day of a review ``months`` after a death (``due_by``: never on a day off, never later)."""
    return due_by(add_months(died_on, months))


def record_death(session: Session, principal: Principal, clock, household_id: int, person_id: int,
                 died_on: date, new_head_id: int | None = None) -> DeathRecorded:
    """Record that a member of a household in the township's place died on ``died_on`` (a household event
    by the acting user) and start the review of each benefit of the household that a death puts under
    review, due that many months after the death: the county's rule in force on the day of the death
    (``death_review_months_by_type``, engine.catalogue.rules; 低保 3 where the entry does not say). A review
    already running for the benefit is not doubled: its limit is brought forward when the death's is earlier.
    The person's own benefits stop (``stop_personal_benefits``) and the cases the death makes moot end
    (``end_moot_cases``); when they were the household's last living member, so do the household's benefits
    (低保 …: nobody is left to support) and its cases, and no review is started. When the person heads the
    household (户主) and others live on, ``new_head_id`` names the new head, a living member of the household (an
    adult if any is: FormInvalid otherwise, nothing written); None: ``successor_rule``. The household benefits
    they held pass to the head (``pass_on_benefits``); those they collected for others no longer are
    (``end_collections``). The caller commits."""
    county, township = Unit.__table__.alias("county"), Unit.__table__.alias("township")
    others = PERSON.alias("others")  # a member still alive: else the household's own benefits end with this death
    alive = exists().where(others.c.household_id == household_id, others.c.id != person_id,
                           died_on_of(others).is_(None))
    member = session.execute(
        select(PERSON.c.id, PERSON.c.name, PERSON.c.birth_date, PERSON.c.id_number, HOUSEHOLD.c.head_id,
               county.c.code.label("county_code"),
               township.c.code.label("township_code"), (~alive).label("last"))
        .join(HOUSEHOLD, HOUSEHOLD.c.id == PERSON.c.household_id)
        .join(county, county.c.id == HOUSEHOLD.c.county_id).join(township, township.c.id == HOUSEHOLD.c.township_id)
        .where(PERSON.c.id == person_id, HOUSEHOLD.c.id == household_id,
               household_scope(principal, ("township",)))).first()
    if member is None:
        raise NotFound(f"member {person_id} of household {household_id}", "该户没有这名成员，或不在您的辖区",
                       message_en="This household has no such member, or it is outside your area")
    today, now = clock.today(), clock.now()
    if died_on > today:
        raise FormInvalid.of({"died_on": Message("死亡日期不能晚于今天", "The date of death cannot be in the future")})
    if member.birth_date and died_on < member.birth_date:
        raise FormInvalid.of({"died_on": Message("死亡日期不能早于出生日期", "The date of death is before the birth date")})
    review_months = death_review_months(rules_in_force(member.county_code, died_on, member.township_code, session))
    last = bool(member.last)
    successor = _successor(session, household_id, member, died_on, new_head_id, last)
    if not claim(session, f"died:{person_id}"):
        return DeathRecorded(False)
    session.execute(insert(H_EVENT).values(household_id=household_id, person_id=person_id, kind="died", on=died_on,
                                           case_id=None, actor_id=principal.user_id, at=now,
                                           detail={"died_on": died_on.isoformat()}))
    # The cases first, then the benefits: the order a review's completion locks them in (case, then register).
    terminated = end_moot_cases(session, principal, now, household_id, person_id, member.name, died_on, last)
    stopped = stop_personal_benefits(session, principal, now, person_id, member.name, died_on,
                                     household_id if last else None)
    holders = pass_on_benefits(session, principal, now, today, household_id, member, died_on, successor)
    end_collections(session, principal, now, today, member, died_on)
    after = {"holders_changed": holders, "holder": successor.name if holders else None,
             "new_head": successor.name if successor is not None and successor.becomes_head else None}
    benefits = session.execute(
        select(RECIPIENT, CASE.c.number).join(CASE, CASE.c.id == RECIPIENT.c.case_id)
        .where(RECIPIENT.c.household_id == household_id, RECIPIENT.c.status == "active",
               RECIPIENT.c.assistance_type.in_(list(review_months)))
        .order_by(RECIPIENT.c.id)).all()
    if not benefits:
        return DeathRecorded(True, stopped=stopped, terminated=terminated, **after)
    notes = f"家庭成员{member.name}于{died_on.isoformat()}死亡，应于死亡后{{months}}个月内完成复核（2022年通知）。"
    started, hastened, due_on = [], [], None
    for months in sorted({review_months[b.assistance_type] for b in benefits}):
        due = review_due_after_death(died_on, months)
        due_on = due.on if due_on is None else min(due_on, due.on)
        text = notes.format(months=months)
        rows = [b for b in benefits if review_months[b.assistance_type] == months]
        running = [b.review_case_id for b in rows if b.review_case_id is not None]
        batch = start_reviews(session, clock, [b for b in rows if b.review_case_id is None],
                              lambda r: {**review_start_data(r), "start_reason": "death", "start_notes": text})
        if batch.failed:  # the death is not on file without the review it must start
            raise next(iter(batch.failed.values()))
        detail = {"reason": "death", "person_id": person_id, "died_on": died_on.isoformat(), "to": due.on.isoformat()}
        for review in batch.cases.values():
            write_event_limit(session, review.id, due, now, f"家庭成员死亡：{months}个月内完成复核", detail)
            started.append(review.number)
        for case_id, number, was in session.execute(
                select(CASE.c.id, CASE.c.number, CASE.c.due_on).where(CASE.c.id.in_(running),
                                                                       CASE.c.status == "running")).all():
            if was is None or was > due.on:
                write_event_limit(session, case_id, due, now, f"家庭成员死亡：{months}个月内完成复核",
                                  {**detail, "from": was.isoformat() if was else None})
                hastened.append(number)
    return DeathRecorded(True, tuple(started), tuple(hastened), due_on, stopped, terminated, **after)


@dataclass(frozen=True)
class Successor:
    """Who holds the household's benefits after a death: a living member, and whether they become its head."""

    id: int
    name: str
    id_number: str
    chosen: bool          # named by the clerk (else by successor_rule, or the head already living)
    becomes_head: bool    # the dead person headed the household (or it had no head): 户主变更


def _adult(person, on: date) -> bool:
    """Whether a member (a row with ``birth_date``) is of age on ``on``; an unknown birth date counts as a minor."""
    return (age_on(person.birth_date, on) or 0) >= ADULT_AGE


def successor_rule(living: list, died_on: date):
    """The new head when the clerk names none (the household's usual choice, an assumption in docs/rules.md): the
    dead head's spouse if an adult, else the oldest adult member, else the oldest member (a household of minors:
    their guardian acts for the head). ``living``: the rows of the members alive after the death."""
    adults = [p for p in living if _adult(p, died_on)]
    spouse = [p for p in adults if p.relation == "spouse"]
    pool = spouse or adults or living
    return min(pool, key=lambda p: (p.birth_date or date.max, p.id))


def _successor(session: Session, household_id: int, member, died_on: date, new_head_id: int | None,
               last: bool) -> Successor | None:
    """Who the dead person's household benefits pass to, checked before anything is written: FormInvalid on
    ``new_head_id`` when it names no living member of the household (an adult, if any member is), or names one
    while the dead person did not head it (the head lives on: their benefits pass to that head)."""
    if last:
        if new_head_id is not None:
            raise FormInvalid.of({"new_head_id": Message("该户已无其他在世成员，不能选择新户主",
                                                         "No other member of the household is alive to head it")})
        return None
    living = session.execute(
        select(PERSON.c.id, PERSON.c.name, PERSON.c.id_number, PERSON.c.birth_date, PERSON.c.relation)
        .where(PERSON.c.household_id == household_id, PERSON.c.id != member.id, died_on_of(PERSON).is_(None))
        .order_by(PERSON.c.id)).all()
    head_dies = member.head_id in (None, member.id) or member.head_id not in {p.id for p in living}
    if not head_dies:
        if new_head_id is not None and new_head_id != member.head_id:
            raise FormInvalid.of({"new_head_id": Message("死亡成员不是户主，户主不变，无需选择新户主",
                                                         "The member who died did not head the household: its head stays")})
        head = next(p for p in living if p.id == member.head_id)
        return Successor(head.id, head.name, head.id_number, False, False)
    if new_head_id is None:
        found = successor_rule(living, died_on)
        return Successor(found.id, found.name, found.id_number, False, True)
    chosen = next((p for p in living if p.id == new_head_id), None)
    if chosen is None:
        raise FormInvalid.of({"new_head_id": Message("新户主须为该户的在世成员",
                                                     "The new head must be a living member of this household")})
    if not _adult(chosen, died_on) and any(_adult(p, died_on) for p in living):
        raise FormInvalid.of({"new_head_id": Message("该户有成年在世成员，新户主须年满十八周岁",
                                                     "The household has living adults: the new head must be one of them")})
    return Successor(chosen.id, chosen.name, chosen.id_number, True, True)


def pass_on_benefits(session: Session, principal: Principal, now, today: date, household_id: int, member,
                     died_on: date, successor: Successor | None) -> tuple[str, ...]:
    """户主变更: the household's new head (``successor.becomes_head``: in the household's history), and every
    active household benefit the dead person held passes to ``successor`` — its holder and payee on the payment
    roll (``change_holder``), in its history, and an event on its granting case with both names (ID numbers
    masked). Returns the granting cases' numbers."""
    if successor is None:
        return ()
    if successor.becomes_head:
        session.execute(HOUSEHOLD.update().where(HOUSEHOLD.c.id == household_id).values(head_id=successor.id,
                                                                                        updated_at=now))
        session.execute(insert(H_EVENT).values(
            household_id=household_id, person_id=successor.id, kind="head_changed", on=died_on, case_id=None,
            actor_id=principal.user_id, at=now,
            detail={"reason": "death", "from_person_id": member.id, "from_name": member.name,
                    "chosen": successor.chosen}))
    rows = session.execute(
        select(RECIPIENT.c.id, RECIPIENT.c.case_id, CASE.c.number).join(CASE, CASE.c.id == RECIPIENT.c.case_id)
        .where(RECIPIENT.c.household_id == household_id, RECIPIENT.c.status == "active",
               RECIPIENT.c.applicant_id_number == member.id_number,
               RECIPIENT.c.assistance_type.not_in(list(personal_types())))
        .order_by(RECIPIENT.c.id).with_for_update(of=RECIPIENT)).all()
    title = f"户主{member.name}于{died_on.isoformat()}死亡，户主变更为{successor.name}，救助金由其领取"
    for r in rows:
        change_holder(session, r.id, r.case_id, successor.name, successor.id_number, successor.id, today, now)
        write_event(session, r.case_id, now, principal.user_id, "holder_changed", None, title,
                    {"reason": "death", "died_on": died_on.isoformat(), "from_person_id": member.id,
                     "from": f"{member.name}（{mask_id_number(member.id_number)}）", "to_person_id": successor.id,
                     "to": f"{successor.name}（{mask_id_number(successor.id_number)}）", "chosen": successor.chosen})
    return tuple(r.number for r in rows)


def end_collections(session: Session, principal: Principal, now, today: date, member, died_on: date) -> None:
    """Every active benefit the dead person collected on another's behalf (代领人) is no longer collected by them:
    the collector cleared (``end_collector``), in its history and an event on its granting case."""
    rows = session.execute(select(RECIPIENT.c.id, RECIPIENT.c.case_id).where(
        RECIPIENT.c.collector_id_number == member.id_number, RECIPIENT.c.status == "active")
        .order_by(RECIPIENT.c.id).with_for_update()).all()
    for r in rows:
        end_collector(session, r.id, r.case_id, today, now)
        write_event(session, r.case_id, now, principal.user_id, "collector_ended", None,
                    f"代领人{member.name}于{died_on.isoformat()}死亡，不再代领",
                    {"reason": "death", "died_on": died_on.isoformat(), "person_id": member.id})


def stop_personal_benefits(session: Session, principal: Principal, now, person_id: int, name: str,
                           died_on: date, household_id: int | None = None) -> tuple[str, ...]:
    """Stop every active benefit the person receives themself (a personal benefit: 特困, 两项补贴, 尊老金 …;
    the catalogue's ``subject = "person"``) from the month after the death (终止 effective next month:
    《特困人员认定办法》第二十四—二十六条; the payment roll pays a benefit only before its ``stopped_from``).
    Each stop is in the benefit's history, an event on its granting case, and a notice to the county's
    supervisor; a review that was running for it is no longer linked (``end_moot_cases`` ended it). Returns the
    granting cases' numbers. A household benefit (低保) is not stopped: the death starts its review instead —
    unless ``household_id`` is given (the person was its last living member), when the household's active
    benefits stop the same way."""
    stopped_from = first_of_next_month(died_on)
    rows = session.execute(
        select(RECIPIENT.c.id, RECIPIENT.c.case_id, RECIPIENT.c.assistance_type, RECIPIENT.c.county_id,
               CASE.c.number)
        .join(CASE, CASE.c.id == RECIPIENT.c.case_id)
        .where(or_(RECIPIENT.c.person_id == person_id, RECIPIENT.c.household_id == household_id)
               if household_id is not None else RECIPIENT.c.person_id == person_id, RECIPIENT.c.status == "active")
        .order_by(RECIPIENT.c.id).with_for_update(of=RECIPIENT)).all()
    personal = [r for r in rows if r.assistance_type in personal_types() or household_id is not None]
    for r in personal:
        stop_benefit(session, r.id, r.case_id, stopped_from, died_on, now)
        who = "受助人" if r.assistance_type in personal_types() else "家庭最后一名在世成员"
        title = f"{who}{name}于{died_on.isoformat()}死亡：自{stopped_from:%Y年%m月}起停发"
        write_event(session, r.case_id, now, principal.user_id, "benefit_stopped", None, title,
                    {"reason": "death", "person_id": person_id, "died_on": died_on.isoformat(),
                     "stopped_from": stopped_from.isoformat()})
        session.execute(insert(NOTE).values(role="county_supervisor", unit_id=r.county_id, case_id=r.case_id,
                                            task_id=None, user_id=None, kind="benefit_stopped",
                                            message=f"案件 {r.number}：{title}", created_at=now))
    return tuple(r.number for r in personal)


def end_moot_cases(session: Session, principal: Principal, now, household_id: int, person_id: int, name: str,
                   died_on: date, last: bool = False) -> tuple[str, ...]:
    """End the running cases a person's death makes moot: the review (复核) linked to each active personal
    benefit of theirs (which ``stop_personal_benefits`` stops) and every application of a personal benefit
    for them (its ``open_key`` names them: ``subject_key``), suspended or not. Each is cancelled as 终止 cancels
    one (``cancel_running_case``: its open tasks withdrawn from every inbox, under its revision: Conflict when
    someone changed it first), but by the system and without the written notice, with an event that says why
    and who recorded the death, and a notice to the units that held its open tasks and to the county's
    supervisor. A change (变更) of a personal benefit of theirs that is still running ends too (it names them;
    not linked to the benefit, it would otherwise decide on a benefit the death stopped). One SELECT finds the
    cases (locked), one their open tasks' units. A household benefit's application (低保) and changes go on,
    unless ``last`` (the household's last living member died): then every benefit's. Returns the case numbers."""
    personal = personal_types()
    # ``last``: the household's last living member — its own benefits, reviews and applications end too.
    types = [b["type"] for b in benefit_types()] if last else personal
    reviews = select(RECIPIENT.c.review_case_id).where(
        or_(RECIPIENT.c.person_id == person_id, RECIPIENT.c.household_id == household_id) if last
        else RECIPIENT.c.person_id == person_id, RECIPIENT.c.status == "active",
        RECIPIENT.c.assistance_type.in_(types), RECIPIENT.c.review_case_id.is_not(None))
    # A change (变更) is not linked to the benefit: one naming the person, kept when it is about a household benefit.
    changes = and_(CASE.c.assistance_type == CHANGE_TYPE, CASE.c.applicant_id_number == select(
        PERSON.c.id_number).where(PERSON.c.id == person_id).scalar_subquery())
    cases = [c for c in session.execute(locked(session, select(CASE).where(
        or_(CASE.c.open_key.in_([subject_key(t, household_id, person_id) for t in types]),
            CASE.c.id.in_(reviews), changes), CASE.c.status == "running").order_by(CASE.c.id))).all()
             if c.assistance_type != CHANGE_TYPE or last or (c.summary or {}).get("assistance_type") in personal]
    if not cases:
        return ()
    holders = session.execute(select(TASK.c.case_id, TASK.c.role, TASK.c.unit_id).distinct().where(
        TASK.c.case_id.in_([c.id for c in cases]), TASK.c.status == "open")).all()
    title = f"受助人{name}于{died_on.isoformat()}死亡，终止办理"
    detail = {"reason": "death", "person_id": person_id, "died_on": died_on.isoformat(),
              "recorded_by": principal.display_name, "recorded_by_id": principal.user_id}
    notes = []
    for case in cases:
        cancel_running_case(session, case, now)
        write_event(session, case.id, now, None, "case_terminated", None, ENDED_BY_DEATH,
                    {**detail, "before": {"status": "running", "step": case.current_step},
                     "after": {"status": "completed", "outcome": "terminated"}})
        params = {"number": case.number, "name": name, "died_on": died_on.isoformat()}
        notes += [{"role": role, "unit_id": unit_id, "case_id": case.id, "kind": "ended_by_death", "created_at": now,
                   "params": params, "message": f"案件 {case.number}：{title}，待办事项已撤回"[:500]}
                  for role, unit_id in sorted({(h.role, h.unit_id) for h in holders if h.case_id == case.id}
                                              | {("county_supervisor", case.county_id)})]
    write_notifications(session, notes)
    return tuple(c.number for c in cases)
