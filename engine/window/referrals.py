"""Referrals (转办) to the departments' liaisons and what the window sees of them.

A liaison (role ``dept_*`` held in a county unit) sees only the referrals of their department in that county,
in SQL. They answer: not eligible (written notice, within 2 wd), eligible with the initial handling (within
6 wd), then finished with the result (within the item's own limit); the answer is the feedback to the window
(fed back the day it is recorded) and reaches the registering clerk's township or village as a notification.
Overdue referrals become the county 民政's 督办 items in the escalation sweep. The caller commits.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, exists, false, insert, or_, select, update
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.errors import Conflict, FormInvalid, Message, NotFound
from engine.people.accounts import DEPARTMENT_ROLES, Principal
from engine.people.scope import place_scope
from engine.households.registry import died_on_of
from engine.store.models import Notification, Person, Unit, WindowItem, WindowRegistration, WindowSupervisionItem
from engine.window.items import window_rules
from engine.window.registration import OPEN_REFERRAL, TEXT_MAX
from engine.workdays import WorkingCalendar, add_workdays_due

ITEM, REGISTRATION = WindowItem.__table__, WindowRegistration.__table__
SUPERVISION, NOTE = WindowSupervisionItem.__table__, Notification.__table__
ANSWERS = ("not_eligible", "eligible", "finished")
WINDOW_ROLES = ("township", "village")


def liaison_scope(principal: Principal):
    """Referrals of the departments and counties where the principal holds a liaison role."""
    rules = window_rules()
    clauses = [and_(ITEM.c.department == rules.department_of_role(role), ITEM.c.county_id == unit)
               for role, unit in principal.roles if role in DEPARTMENT_ROLES and rules.department_of_role(role)]
    return or_(*clauses) if clauses else false()


def window_scope(principal: Principal):
    """Registrations of the windows (townships) and service points (villages) where the principal works, and of
    the counties they supervise."""
    return place_scope(REGISTRATION, principal, ("township", "village", "county", "county_supervisor"))


def _columns():
    return (ITEM, REGISTRATION.c.number.label("registration_number"), REGISTRATION.c.applicant_name,
            REGISTRATION.c.applicant_id_number, REGISTRATION.c.address, REGISTRATION.c.phone,
            REGISTRATION.c.difficulty, REGISTRATION.c.registered_on, REGISTRATION.c.village_id)


def referrals_inbox(session: Session, principal: Principal, open_only: bool = True) -> list:
    """The liaison's referrals, the most urgent first."""
    query = (select(*_columns()).join(REGISTRATION, REGISTRATION.c.id == ITEM.c.registration_id)
             .where(liaison_scope(principal), ITEM.c.referred_on.is_not(None)))
    if open_only:
        query = query.where(ITEM.c.status.in_(OPEN_REFERRAL))
    return session.execute(query.order_by(ITEM.c.due_on, ITEM.c.id).limit(200)).all()


def referral_for(session: Session, principal: Principal, item_id: int, for_update: bool = False):
    """One referral the principal may see (its liaison, or the window that registered it), else NotFound."""
    query = (select(*_columns()).join(REGISTRATION, REGISTRATION.c.id == ITEM.c.registration_id)
             .where(ITEM.c.id == item_id, ITEM.c.referred_on.is_not(None),
                    or_(liaison_scope(principal), window_scope(principal))))
    row = session.execute(query.with_for_update(of=ITEM) if for_update else query).first()
    if row is None:
        raise NotFound(f"referral {item_id}")
    return row


def answer_referral(session: Session, actor: Principal, clock: Clock, item_id: int, answer: str, note: str) -> None:
    """Record a department's answer to a referral (only its liaison may): not eligible, eligible (the initial
    handling) or finished (the result). Each is feedback to the window on the day it is recorded."""
    query = select(ITEM).where(ITEM.c.id == item_id, liaison_scope(actor)).with_for_update()
    row = session.execute(query).first()
    if row is None:
        raise NotFound(f"referral {item_id}")
    note = (note or "").strip()
    errors: dict[str, Message] = {}
    if answer not in ANSWERS:
        errors["answer"] = Message("请选择答复类型", "Choose the kind of answer")
    if not note or len(note) > TEXT_MAX:
        errors["note"] = Message(f"请填写答复内容（不超过{TEXT_MAX}字）", f"Enter the answer (at most {TEXT_MAX} characters)")
    if errors:
        raise FormInvalid.of(errors)
    allowed = {"referred": ("not_eligible", "eligible", "finished"), "handling": ("finished",)}.get(row.status, ())
    if answer not in allowed:
        raise Conflict(f"referral {item_id} is {row.status}")
    today = clock.today()
    values: dict = {"answered_by_id": actor.user_id, "fed_back_on": today}
    if answer in ("not_eligible", "eligible"):
        values.update(answered_on=today, answer_note=note)
    if answer == "not_eligible":
        values.update(status="not_eligible", due_on=None)
    elif answer == "eligible":
        item = window_rules().item(_county_code(session, row.county_id), row.item_code)
        finish = add_workdays_due(WorkingCalendar.load(), today, item.limit_wd if item and item.limit_wd else 20)
        values.update(status="handling", finish_due_on=finish.on, due_on=finish.on,
                      due_provisional=row.due_provisional or finish.provisional)
    else:
        feedback = add_workdays_due(WorkingCalendar.load(), today, window_rules().deadlines["feedback_wd"])
        values.update(status="finished", finished_on=today, result=note, feedback_due_on=feedback.on, due_on=None)
        if row.answered_on is None:
            values.update(answered_on=today, answer_note=note)
    session.execute(update(ITEM).where(ITEM.c.id == item_id).values(**values))
    _notify_window(session, row, answer, clock)


def _county_code(session, county_id: int) -> str:
    return session.execute(select(Unit.code).where(Unit.id == county_id)).scalar_one()


def _notify_window(session, row, answer: str, clock: Clock) -> None:
    """The feedback reaches the window that registered it (its township, or its village service point)."""
    registration = session.execute(select(REGISTRATION.c.point, REGISTRATION.c.village_id, REGISTRATION.c.number,
                                          REGISTRATION.c.applicant_name)
                                   .where(REGISTRATION.c.id == row.registration_id)).one()
    role, unit = (("village", registration.village_id) if registration.point == "village_point"
                  else ("township", row.township_id))
    word = {"not_eligible": "答复不符合条件", "eligible": "反馈初步核查及办理情况", "finished": "已办结"}[answer]
    session.execute(insert(NOTE).values(
        role=role, unit_id=unit, case_id=None, task_id=f"window-item-{row.id}", kind=f"window_{answer}",
        params={"number": registration.number, "applicant": registration.applicant_name, "item": row.item_name},
        message=f"受理单 {registration.number}（{registration.applicant_name}）「{row.item_name}」：承办部门{word}",
        created_at=clock.now()))


def escalate_referrals(session: Session, clock: Clock) -> dict[str, int]:
    """Raise one 督办 item per referral past its current deadline (idempotent), close those answered since."""
    now, today = clock.now(), clock.today()
    overdue = session.execute(
        select(ITEM.c.id, ITEM.c.status, ITEM.c.county_id, ITEM.c.township_id, ITEM.c.department, ITEM.c.due_on)
        .where(ITEM.c.status.in_(OPEN_REFERRAL), ITEM.c.due_on < today)).all()
    raised = 0
    for row in overdue:
        stage = "initial" if row.status == "referred" else "finish"
        if session.execute(select(SUPERVISION.c.id).where(SUPERVISION.c.window_item_id == row.id,
                                                          SUPERVISION.c.stage == stage)).first():
            continue
        session.execute(insert(SUPERVISION).values(
            window_item_id=row.id, stage=stage, county_id=row.county_id, township_id=row.township_id,
            department=row.department, due_on=row.due_on, created_at=now, resolved_at=None))
        raised += 1
    stage_open = or_(and_(SUPERVISION.c.stage == "initial", ITEM.c.status == "referred"),
                     and_(SUPERVISION.c.stage == "finish", ITEM.c.status == "handling"))
    resolved = session.execute(update(SUPERVISION).where(
        SUPERVISION.c.resolved_at.is_(None),
        ~exists().where(ITEM.c.id == SUPERVISION.c.window_item_id, stage_open)).values(resolved_at=now)).rowcount
    return {"referrals_escalated": raised, "referrals_resolved": resolved}


def end_referrals_of_the_dead(session: Session, now, today: date, household_id: int, person_id: int,
                              died_on: date) -> tuple[str, ...]:
    """End the open referrals (转办) a person's death leaves without a subject, in the transaction that records
    it (engine.cases.deaths.record_death): those registered for them of an item for the person alone (window
    item ``subject = "person"``: 就业援助, 医疗救助, 法律援助 …) and, when they were the household's last living
    member (``last``), every open referral of the household. A household item (``subject = "household"``: 住房,
    受灾, 教育 …) registered by them stays open for the living members. Each ended referral is ``ended`` on the day
    with its reason (``end_reason``, on the window's registration page and ledger), its deadline and 督办 item
    closed, and a notification to the department's liaison and to the window that registered it. Returns the
    ended referrals' 转办单 numbers. Asked after the death is recorded: ``last`` is read from the registry."""
    person, others = Person.__table__, Person.__table__.alias("others")
    name, id_number, last = session.execute(
        select(person.c.name, person.c.id_number, ~exists().where(
            others.c.household_id == household_id, others.c.id != person_id, died_on_of(others).is_(None)))
        .where(person.c.id == person_id)).one()
    rules = window_rules()
    county = Unit.__table__.alias("county")
    rows = session.execute(
        select(ITEM.c.id, ITEM.c.item_code, ITEM.c.item_name, ITEM.c.department, ITEM.c.county_id,
               ITEM.c.township_id, ITEM.c.transfer_number, ITEM.c.registration_id, ITEM.c.status,
               REGISTRATION.c.applicant_id_number, county.c.code.label("county_code"))
        .join(REGISTRATION, REGISTRATION.c.id == ITEM.c.registration_id)
        .join(county, county.c.id == ITEM.c.county_id)
        .where(ITEM.c.status.in_(OPEN_REFERRAL),
               or_(REGISTRATION.c.applicant_id_number == id_number, REGISTRATION.c.household_id == household_id))
        .order_by(ITEM.c.id).with_for_update(of=ITEM)).all()
    ended = []
    for row in rows:
        item = rules.item(row.county_code, row.item_code)
        own = row.applicant_id_number == id_number and (item is None or item.subject == "person")
        if not (own or last):
            continue
        reason = (f"申请人{name}于{died_on.isoformat()}死亡，本事项为其本人事项，转办终止" if own else
                  f"家庭最后一名在世成员{name}于{died_on.isoformat()}死亡，转办终止")
        session.execute(update(ITEM).where(ITEM.c.id == row.id).values(
            status="ended", ended_on=today, end_reason=reason, due_on=None))
        session.execute(update(SUPERVISION).where(SUPERVISION.c.window_item_id == row.id,
                                                  SUPERVISION.c.resolved_at.is_(None)).values(resolved_at=now))
        registration = session.execute(select(REGISTRATION.c.point, REGISTRATION.c.village_id, REGISTRATION.c.number)
                                       .where(REGISTRATION.c.id == row.registration_id)).one()
        window = (("village", registration.village_id) if registration.point == "village_point"
                  else ("township", row.township_id))
        params = {"number": registration.number, "transfer": row.transfer_number or "", "item": row.item_name,
                  "name": name, "died_on": died_on.isoformat()}
        message = f"转办单 {row.transfer_number}「{row.item_name}」：{reason}"[:500]
        # one notification per (task_id, kind): the window's under the item, the liaison's under its department
        session.execute(insert(NOTE), [
            {"role": role, "unit_id": unit, "case_id": None, "task_id": task, "kind": "window_ended",
             "params": params, "message": message, "created_at": now}
            for role, unit, task in ((*window, f"window-item-{row.id}"),
                                     (rules.role_of(row.department), row.county_id, f"window-item-{row.id}-dept"))
            if role])
        ended.append(row.transfer_number or str(row.id))
    return tuple(ended)


def is_late(row, today: date) -> bool:
    """True if an open referral is past its deadline, or a closed one was answered after it."""
    if row.status in OPEN_REFERRAL:
        return row.due_on is not None and row.due_on < today
    if row.status == "not_eligible":
        return row.answered_on is not None and row.notice_due_on is not None and row.answered_on > row.notice_due_on
    if row.status == "finished":
        return bool((row.answered_on and row.initial_due_on and row.answered_on > row.initial_due_on)
                    or (row.finished_on and row.finish_due_on and row.finished_on > row.finish_due_on))
    return False
