"""The joint review (会审) of the departments' assistance projects (seed 004 三(六)).

Each department's liaison submits the projects it plans for the year with their budgets; the 联席会议办公室
(the county 民政局, role ``county``) makes the initial review (passes a project to the meeting or returns it);
the member units (processes/joint_review.toml) review jointly in one meeting: each present unit's opinion and
the decision on each project (approved, approved with an adjusted budget, not approved), one signed record,
and the report to the county (district) government, rendered once and kept as issued. Approved projects are
listed on the county's overview. Every step is found within the actor's role × place in SQL and leaves a
``joint_review_event``. The caller commits.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import and_, false, func, insert, or_, select, update
from sqlalchemy.orm import Session

from engine.catalogue.datafiles import DataFile
from engine.catalogue.deployment import PROCESSES_DIR
from engine.catalogue.documents import KINDS, render
from engine.clock import CHINA_TZ, Clock
from engine.errors import Conflict, DataFileInvalid, Forbidden, FormInvalid, Message, NotFound
from engine.people.accounts import DEPARTMENT_ROLES, Principal
from engine.people.scope import supervised_counties
from engine.store.models import JointReviewEvent, JointReviewMeeting, JointReviewProject, Unit, User
from engine.store.sequences import next_number
from engine.window.items import CIVIL_AFFAIRS, window_rules
from engine.window.registration import TEXT_MAX

SOURCE = "processes/joint_review.toml"
PROJECT, MEETING, EVENT = JointReviewProject.__table__, JointReviewMeeting.__table__, JointReviewEvent.__table__
OFFICE_ROLE = "county"   # the 联席会议办公室 is in the county 民政局
STATUS_ZH = {"submitted": "待初审", "returned": "初审退回", "passed": "初审通过，待会审", "approved": "会审通过",
             "rejected": "会审未通过"}
OPINIONS_ZH = {"agree": "同意", "disagree": "不同意", "abstain": "弃权"}
DECISIONS_ZH = {"approved": "通过", "adjusted": "调整预算后通过", "rejected": "不予通过"}
NAME_MAX, BUDGET_MAX = 100, 10_000_000_000
ATTENDEES_MAX = MEETING.c.attendees.type.length
_CODE = {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,39}$"}
_MEMBERS = {"type": "array", "minItems": 2, "items": {
    "type": "object", "additionalProperties": False, "required": ["code", "name_zh", "name_en"],
    "properties": {"code": _CODE, "name_zh": {"type": "string", "minLength": 1, "maxLength": 60},
                   "name_en": {"type": "string", "minLength": 1, "maxLength": 100},
                   "department": _CODE}}}
SCHEMA = {"type": "object", "additionalProperties": False, "required": ["members"], "properties": {
    "source": {"type": "string"}, "assumption": {"type": "string"}, "members": _MEMBERS,
    "county": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                          "required": ["code", "members"],
                                          "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"},
                                                         "members": _MEMBERS}}}}}


@dataclass(frozen=True)
class Member:
    """A member unit of the 联席会议; ``department`` is the window's department whose liaison submits for it."""

    code: str
    name_zh: str
    department: str | None = None
    name_en: str = ""


@cache
def member_lists(directory: Path = PROCESSES_DIR) -> dict[str | None, tuple[Member, ...]]:
    """County code (None: the default) → its member units, checked on load with lines."""
    source = DataFile(directory / "joint_review.toml", SOURCE)
    problems = source.schema_problems(SCHEMA)
    if problems:
        raise DataFileInvalid(problems)
    departments = window_rules(directory).departments
    lists = {None: ("members",), **{c["code"]: ("county", i, "members")
                                     for i, c in enumerate(source.data.get("county", []))}}
    out: dict[str | None, tuple[Member, ...]] = {}
    for county, where in lists.items():
        raw = source.data["members"] if county is None else source.data["county"][where[1]]["members"]
        seen: set[str] = set()
        for j, member in enumerate(raw):
            if member["code"] in seen:
                problems.append(source.problem(where + (j, "code"), f"member {member['code']} listed twice",
                                               f"成员单位 {member['code']} 重复"))
            seen.add(member["code"])
            if member.get("department") and member["department"] not in departments:
                problems.append(source.problem(where + (j, "department"),
                                               f"unknown department '{member['department']}'",
                                               f"未知的部门「{member['department']}」（见 window_items.toml）"))
        out[county] = tuple(Member(m["code"], m["name_zh"], m.get("department"), m["name_en"]) for m in raw)
    if problems:
        raise DataFileInvalid(problems)
    return out


def members_for(county_code: str) -> tuple[Member, ...]:
    """The member units of a county's 联席会议."""
    lists = member_lists()
    return lists.get(county_code, lists[None])


def office_members(session: Session, actor: Principal) -> tuple[Member, ...]:
    """The member units of the 联席会议 whose office the actor holds (or supervises)."""
    counties = actor.units_for(OFFICE_ROLE) or supervised_counties(actor)
    if not counties:
        raise Forbidden("not in a county's 联席会议办公室")
    return members_for(session.execute(select(Unit.code).where(Unit.id == counties[0])).scalar_one())


def department_name(code: str) -> str:
    """The department's Chinese name (the window's list), or its code."""
    return window_rules().departments.get(code, {}).get("name_zh", code)


def submitting_places(actor: Principal) -> list[tuple[str, int]]:
    """The (department, county) pairs the actor submits projects for: a liaison for their department, the
    office for 民政."""
    rules = window_rules()
    pairs = [(rules.department_of_role(role), unit) for role, unit in actor.roles
             if role in DEPARTMENT_ROLES and rules.department_of_role(role)]
    return pairs + [(CIVIL_AFFAIRS, unit) for unit in actor.units_for(OFFICE_ROLE)]


def project_scope(actor: Principal, read: bool = True):
    """Projects the actor's department submitted in its county; and with ``read``, every project of the
    counties the actor's office reviews or supervises."""
    clauses = [and_(PROJECT.c.department == department, PROJECT.c.county_id == county)
               for department, county in submitting_places(actor)]
    if read and (counties := supervised_counties(actor)):
        clauses.append(PROJECT.c.county_id.in_(counties))
    return or_(*clauses) if clauses else false()


def _event(session, clock: Clock, actor: Principal, county_id: int, action: str, detail: dict,
           project_id: int | None = None, meeting_id: int | None = None) -> None:
    session.execute(insert(EVENT).values(county_id=county_id, project_id=project_id, meeting_id=meeting_id,
                                         actor_id=actor.user_id, at=clock.now(), action=action, detail=detail))


def _text(errors: dict, key: str, value: str, low: int, high: int, message: Message) -> str:
    value = (value or "").strip()
    if not low <= len(value) <= high:
        errors[key] = message
    return value


def _budget(errors: dict, key: str, raw: Any) -> float | None:
    try:
        value = round(float(raw), 2)
    except (TypeError, ValueError):
        errors[key] = Message("预算应为金额（元）", "The budget must be an amount (yuan)")
        return None
    if not 0 < value <= BUDGET_MAX:
        errors[key] = Message("预算应大于0且不超过一百亿元", "The budget must be more than 0 and at most ten billion yuan")
        return None
    return value


def submit_project(session: Session, actor: Principal, clock: Clock, fields: dict[str, Any],
                   project_id: int | None = None) -> int:
    """Submit a planned project (``fields``: department, year, name, description, budget, beneficiaries), or
    resubmit one returned or not yet reviewed (``project_id``); returns its id."""
    places = submitting_places(actor)
    if not places:
        raise Forbidden("only a department's liaison or the 联席会议办公室 submits projects")
    errors: dict[str, Message] = {}
    this_year = clock.now().astimezone(CHINA_TZ).year
    department = fields.get("department") or places[0][0]
    county = next((c for d, c in places if d == department), None)
    if county is None:
        errors["department"] = Message("只能申报本部门的项目", "You can submit only your own department's projects")
    try:
        year = int(fields.get("year") or this_year)
    except (TypeError, ValueError):
        year = 0
    if year not in (this_year, this_year + 1):
        errors["year"] = Message(f"年度应为{this_year}或{this_year + 1}", f"The year must be {this_year} or {this_year + 1}")
    name = _text(errors, "name", fields.get("name", ""), 2, NAME_MAX,
                 Message(f"请填写项目名称（2–{NAME_MAX}字）", f"Enter the project's name (2–{NAME_MAX} characters)"))
    description = _text(errors, "description", fields.get("description", ""), 2, TEXT_MAX,
                        Message(f"请填写项目内容、对象和标准（不超过{TEXT_MAX}字）",
                                f"Describe the project, whom it helps and its standards (at most {TEXT_MAX} "
                                "characters)"))
    budget = _budget(errors, "budget", fields.get("budget"))
    beneficiaries = fields.get("beneficiaries")
    if beneficiaries not in (None, ""):
        try:
            beneficiaries = int(beneficiaries)
        except (TypeError, ValueError):
            beneficiaries = -1
        if not 0 <= beneficiaries <= 10_000_000:
            errors["beneficiaries"] = Message("计划救助人数应为0至一千万之间的整数",
                                              "The planned number of people helped must be a whole number from 0 to "
                                              "ten million")
    else:
        beneficiaries = None
    if errors:
        raise FormInvalid.of(errors)
    values = {"year": year, "name": name, "description": description, "budget": budget,
              "beneficiaries": beneficiaries, "status": "submitted", "submitted_by_id": actor.user_id,
              "submitted_at": clock.now(), "reviewed_by_id": None}
    if project_id is None:
        project_id = session.execute(insert(PROJECT).values(county_id=county, department=department, **values)
                                     .returning(PROJECT.c.id)).scalar_one()
        action = "submitted"
    else:
        row = session.execute(select(PROJECT.c.status, PROJECT.c.department).where(
            PROJECT.c.id == project_id, project_scope(actor, read=False)).with_for_update()).first()
        if row is None or row.department != department:
            raise NotFound(f"project {project_id}")
        if row.status not in ("submitted", "returned"):
            raise Conflict(f"project {project_id} is {row.status}")
        session.execute(update(PROJECT).where(PROJECT.c.id == project_id).values(**values))
        action = "resubmitted"
    _event(session, clock, actor, county, action, {"name": name, "budget": budget, "year": year},
           project_id=project_id)
    return project_id


def projects(session: Session, actor: Principal, year: int | None = None, status: str | None = None) -> list[dict]:
    """The projects the actor may see, by department, newest first, with their names and status in Chinese."""
    submitter = select(User.display_name).where(User.id == PROJECT.c.submitted_by_id).scalar_subquery()
    query = select(PROJECT, submitter.label("submitted_by")).where(project_scope(actor))
    if year:
        query = query.where(PROJECT.c.year == year)
    if status:
        query = query.where(PROJECT.c.status == status)
    rows = session.execute(query.order_by(PROJECT.c.year.desc(), PROJECT.c.department, PROJECT.c.id).limit(500))
    return [{**r._asdict(), "department_zh": department_name(r.department), "status_zh": STATUS_ZH[r.status]}
            for r in rows]


def initial_review(session: Session, actor: Principal, clock: Clock, project_id: int, decision: str,
                   note: str) -> None:
    """The office's initial review (初审): ``pass`` to the joint review, or ``return`` to the department with
    what to change."""
    counties = actor.units_for(OFFICE_ROLE)
    row = session.execute(select(PROJECT.c.status, PROJECT.c.county_id).where(
        PROJECT.c.id == project_id, PROJECT.c.county_id.in_(counties or (-1,))).with_for_update()).first()
    if row is None:
        raise NotFound(f"project {project_id}")
    note = (note or "").strip()
    if decision not in ("pass", "return"):
        raise FormInvalid.of({"decision": Message("请选择初审意见", "Choose the first review's decision")})
    if (decision == "return" and len(note) < 2) or len(note) > TEXT_MAX:
        raise FormInvalid.of({"note": Message(f"退回须写明需修改之处（不超过{TEXT_MAX}字）",
                                              f"A return must say what to change (at most {TEXT_MAX} characters)")})
    if row.status != "submitted":
        raise Conflict(f"project {project_id} is {row.status}")
    status = "passed" if decision == "pass" else "returned"
    session.execute(update(PROJECT).where(PROJECT.c.id == project_id).values(
        status=status, reviewed_by_id=actor.user_id, review_note=note or None))
    _event(session, clock, actor, row.county_id, status, {"note": note}, project_id=project_id)


def agenda(session: Session, actor: Principal, year: int) -> list[dict]:
    """The projects passed to the joint review of the actor's county for ``year``."""
    counties = actor.units_for(OFFICE_ROLE)
    if not counties:
        raise Forbidden("only the 联席会议办公室 holds the joint review")
    return [p for p in projects(session, actor, year, "passed") if p["county_id"] == counties[0]]


def hold_joint_review(session: Session, chair: Principal, clock: Clock, year: int, attendees: str,
                      present: list[str], decisions: dict[int, dict[str, Any]]) -> int:
    """Record the joint review of ``year``: ``present`` member units (codes), and per project id its
    ``opinions`` (member → agree|disagree|abstain, one for every present unit), ``decision``
    (approved|adjusted|rejected), ``approved_budget`` (adjusted) and ``note``. One signed record and the report
    to the government; returns the meeting's id. Any problem raises with nothing written (all or nothing)."""
    counties = chair.units_for(OFFICE_ROLE)
    if not counties:
        raise Forbidden("only the 联席会议办公室 records the joint review")
    county_id = counties[0]
    county_name, county_code = session.execute(select(Unit.name, Unit.code).where(Unit.id == county_id)).one()
    members = {m.code: m for m in members_for(county_code)}
    errors: dict[str, Message] = {}
    attendees = _text(errors, "attendees", attendees, 2, ATTENDEES_MAX,
                      Message(f"请填写参会人员（不超过{ATTENDEES_MAX}字）", f"Enter who attended (at most {ATTENDEES_MAX} characters)"))
    present = [code for code in members if code in set(present)]
    if not len(present) * 2 > len(members):
        errors["present"] = Message(f"出席的成员单位须过半数（共{len(members)}家）",
                                    f"More than half of the member units must be present (of {len(members)})")
    if not decisions:
        errors["_form"] = Message("请至少对一个项目作出会审决定", "Decide on at least one project")
    rows = {r.id: r for r in session.execute(select(PROJECT).where(
        PROJECT.c.id.in_(list(decisions)), PROJECT.c.county_id == county_id, PROJECT.c.year == year)
        .with_for_update()).all()}
    record = []
    for project_id, data in decisions.items():
        row = rows.get(project_id)
        if row is None:
            errors[f"{project_id}"] = Message("该项目不在本次会审议程中", "This project is not on this meeting's agenda")
            continue
        if row.status != "passed":
            raise Conflict(f"project {project_id} is {row.status}")
        record.append(_decided(errors, row, data, present, members))
    if errors:
        raise FormInvalid.of(errors)
    now = clock.now()
    number = next_number(session, f"{county_name[:1]}救会", year)
    report_number = next_number(session, f"{county_name[:1]}民{KINDS['joint_review_report'][1]}", year)
    content = {"number": number, "chair": chair.user_id, "held_at": now.isoformat(), "attendees": attendees,
               "present": present, "year": year, "projects": record}
    signature = hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()
    _t, _c, report = render("joint_review_report", **_report_context(
        members, record, county_name, year, now, number, report_number, present=present, attendees=attendees,
        signature=signature))
    meeting_id = session.execute(insert(MEETING).values(
        number=number, report_number=report_number, county_id=county_id, year=year, chaired_by_id=chair.user_id,
        held_at=now, attendees=attendees, record=content, signature=signature, report=report)
        .returning(MEETING.c.id)).scalar_one()
    for entry in record:
        session.execute(update(PROJECT).where(PROJECT.c.id == entry["project_id"]).values(
            status="rejected" if entry["decision"] == "rejected" else "approved", meeting_id=meeting_id,
            approved_budget=entry["approved_budget"]))
        _event(session, clock, chair, county_id, "decided", {"decision": entry["decision"],
                                                            "approved_budget": entry["approved_budget"]},
               project_id=entry["project_id"], meeting_id=meeting_id)
    _event(session, clock, chair, county_id, "meeting", {"number": number, "report_number": report_number,
                                                         "signature": signature}, meeting_id=meeting_id)
    return meeting_id


def _decided(errors: dict, row, data: dict[str, Any], present: list[str], members: dict[str, Member]) -> dict:
    """One project's entry of the record, its problems added to ``errors`` under ``<id>.<field>``."""
    key = str(row.id)
    opinions = {code: (data.get("opinions") or {}).get(code, "") for code in present}
    for code, opinion in opinions.items():
        if opinion not in OPINIONS_ZH:
            errors[f"{key}.opinion.{code}"] = Message(f"请记录{members[code].name_zh}对该项目的意见",
                                                      "Record the opinion of "
                                                      f"{members[code].name_en or members[code].name_zh} on this project")
    decision, note = data.get("decision", ""), (data.get("note") or "").strip()
    approved_budget = None
    if decision not in DECISIONS_ZH:
        errors[f"{key}.decision"] = Message("请选择会审决定", "Choose the meeting's decision")
    elif decision == "adjusted":
        approved_budget = _budget(errors, f"{key}.approved_budget", data.get("approved_budget"))
        if approved_budget is not None and approved_budget >= row.budget:
            errors[f"{key}.approved_budget"] = Message("调整后的预算应少于申报预算",
                                                       "The adjusted budget must be less than the budget asked for")
        if not note:
            errors[f"{key}.note"] = Message("调整预算须写明理由", "An adjusted budget needs a reason")
    elif decision == "approved":
        approved_budget = row.budget
    agree = sum(1 for o in opinions.values() if o == "agree")
    if decision in ("approved", "adjusted") and not agree * 2 > len(present):
        errors[f"{key}.decision"] = Message("出席成员单位过半数同意，项目方可通过",
                                            "A project is approved only when more than half of the member units "
                                            "present agree")
    if len(note) > TEXT_MAX:
        errors[f"{key}.note"] = Message(f"说明不超过{TEXT_MAX}字", f"The note may have at most {TEXT_MAX} characters")
    return {"project_id": row.id, "department": row.department, "name": row.name, "budget": row.budget,
            "opinions": opinions, "decision": decision, "approved_budget": approved_budget, "note": note}


def _report_context(members, record, county, year, now, number, report_number, present=(), attendees="",
                    signature="") -> dict[str, Any]:
    approved = [e for e in record if e["decision"] != "rejected"]
    return {"county": county, "year": year, "issued_on": now.astimezone(CHINA_TZ).date(), "number": report_number,
            "meeting_number": number, "attendees": attendees, "signature": signature,
            "present": [members[c].name_zh for c in present],
            "projects": [{**e, "department_zh": department_name(e["department"]),
                          "decision_zh": DECISIONS_ZH.get(e["decision"], ""),
                          "opinions_zh": _opinion_summary(e["opinions"], members)}
                         for e in record],
            "requested_total": sum(e["budget"] for e in record),
            "approved_total": sum(e["approved_budget"] or 0 for e in approved), "approved_count": len(approved)}


def _opinion_summary(opinions: dict[str, str], members) -> list[tuple[str, str]]:
    """(opinion, who) per opinion given: the count of units agreeing, the names of those disagreeing or abstaining."""
    out = []
    for opinion, title in OPINIONS_ZH.items():
        names = [members[c].name_zh for c, o in opinions.items() if o == opinion]
        if names:
            out.append((title, f"{len(names)}家" if opinion == "agree" else "、".join(names)))
    return out


def meetings(session: Session, principal: Principal, limit: int = 20) -> list:
    """Recent joint reviews of the counties the principal's office holds or supervises."""
    counties = supervised_counties(principal)
    return session.execute(select(MEETING.c.id, MEETING.c.number, MEETING.c.report_number, MEETING.c.year,
                                  MEETING.c.held_at, MEETING.c.attendees, MEETING.c.signature, MEETING.c.record)
                           .where(MEETING.c.county_id.in_(counties or (-1,)))
                           .order_by(MEETING.c.held_at.desc()).limit(limit)).all()


def meeting_report(session: Session, principal: Principal, meeting_id: int):
    """One meeting with its report, for the office and the county's supervisors; else NotFound."""
    counties = supervised_counties(principal)
    row = session.execute(select(MEETING).where(MEETING.c.id == meeting_id,
                                                MEETING.c.county_id.in_(counties or (-1,)))).first()
    if row is None:
        raise NotFound(f"joint review {meeting_id}")
    return row


def approved_projects(session: Session, principal: Principal, year: int) -> dict[str, Any]:
    """The projects the joint review approved in the supervised counties for ``year``, with the total."""
    counties = supervised_counties(principal)
    number = select(MEETING.c.number).where(MEETING.c.id == PROJECT.c.meeting_id).scalar_subquery()
    rows = session.execute(select(PROJECT, number.label("meeting_number")).where(
        PROJECT.c.county_id.in_(counties or (-1,)), PROJECT.c.year == year, PROJECT.c.status == "approved")
        .order_by(PROJECT.c.department, PROJECT.c.id)).all()
    items = [{**r._asdict(), "department_zh": department_name(r.department)} for r in rows]
    return {"year": year, "items": items, "total": sum(i["approved_budget"] or 0 for i in items)}


def project_counts(session: Session, principal: Principal, year: int) -> dict[str, int]:
    """How many of the principal's visible projects of ``year`` stand in each status."""
    return dict(session.execute(select(PROJECT.c.status, func.count()).where(
        project_scope(principal), PROJECT.c.year == year).group_by(PROJECT.c.status)).all())
