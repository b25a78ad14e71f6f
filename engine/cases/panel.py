"""Review-panel (评审小组) meetings: one screen decides several cases, each with its own decision
and vote, recorded once and signed by the chair."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import and_, insert, select
from sqlalchemy.orm import Session

from engine.people.accounts import Principal
from engine.clock import CHINA_TZ, Clock
from engine.errors import Forbidden, FormInvalid, Message, NotFound
from engine.store.models import Case, HumanTask, PanelMeeting, Unit
from engine.store.sequences import next_number
from engine.cases.lifecycle import complete_task

TASK, CASE = HumanTask.__table__, Case.__table__
PANEL_ROLE = "review_panel"
ATTENDEES_MAX = PanelMeeting.__table__.c.attendees.type.length


def agenda(session: Session, principal: Principal):
    """Open review-panel tasks in the principal's panels, oldest first."""
    units = principal.units_for(PANEL_ROLE)
    if not units:
        raise Forbidden("not a review panel member")
    return session.execute(
        select(TASK.c.id, TASK.c.title, TASK.c.due_on, TASK.c.unit_id, CASE.c.id.label("case_id"), CASE.c.number,
               CASE.c.applicant_name, CASE.c.applicant_id_number, CASE.c.summary, CASE.c.assistance_type)
        .join(CASE, CASE.c.id == TASK.c.case_id)
        .where(and_(TASK.c.status == "open", TASK.c.role == PANEL_ROLE, TASK.c.unit_id.in_(units)))
        .order_by(TASK.c.created_at, TASK.c.id)
    ).all()


def hold_meeting(session: Session, chair: Principal, clock: Clock, decisions: dict[str, dict[str, Any]],
                 attendees: str) -> str:
    """Decide the given agenda items in one transaction and record the signed meeting; returns its number.

    One invalid item or a lost race raises, and the caller's unit of work rolls back
    the whole meeting.
    """
    units = chair.units_for(PANEL_ROLE)
    if not units:
        raise Forbidden("only a review panel member chairs a meeting")
    if not decisions:
        raise FormInvalid.of({"_form": Message("请至少对一个案件作出评审决定", "Decide on at least one case")})
    attendees = (attendees or "").strip()
    if len(attendees) < 2:
        raise FormInvalid.of({"attendees": Message("请填写参会人员", "Enter who attended")})
    if len(attendees) > ATTENDEES_MAX:  # the column's size
        raise FormInvalid.of({"attendees": Message(f"参会人员不能超过 {ATTENDEES_MAX} 个字",
                                                      f"Attendees may have at most {ATTENDEES_MAX} characters")})
    unit_id = units[0]
    now = clock.now()
    year = now.astimezone(CHINA_TZ).year
    unit_name = session.execute(select(Unit.name).where(Unit.id == unit_id)).scalar_one()
    number = next_number(session, f"{unit_name}评审", year)
    record = []
    errors: dict[str, Message] = {}
    for task_id, data in decisions.items():
        case_number = session.execute(select(CASE.c.number).join(TASK, TASK.c.case_id == CASE.c.id)
                                      .where(TASK.c.id == task_id)).scalar()
        try:
            complete_task(session, chair, clock, task_id, {**data, "meeting_number": number})
        except FormInvalid as exc:
            errors.update({f"{task_id}.{k}": v for k, v in exc.messages().items()})
            continue
        except NotFound:
            errors[task_id] = Message("该案件不在本评审小组的议程中", "This case is not on the review panel's agenda")
            continue
        record.append({"task_id": task_id, "case_number": case_number, **data})
    if errors:
        raise FormInvalid.of(errors)
    content = json.dumps({"number": number, "chair": chair.user_id, "held_at": now.isoformat(),
                          "attendees": attendees, "record": record}, ensure_ascii=False, sort_keys=True)
    session.execute(insert(PanelMeeting.__table__).values(
        number=number, unit_id=unit_id, chaired_by_id=chair.user_id, held_at=now, attendees=attendees,
        record={"items": record}, signature=hashlib.sha256(content.encode("utf-8")).hexdigest()))
    return number


def meetings(session: Session, principal: Principal, limit: int = 20):
    """Recent meetings of the principal's panels."""
    units = principal.units_for(PANEL_ROLE)
    return session.execute(select(PanelMeeting).where(PanelMeeting.unit_id.in_(units or (-1,)))
                           .order_by(PanelMeeting.held_at.desc()).limit(limit)).scalars().all()
