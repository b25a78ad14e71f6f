"""The designer's dry run of a route: lodge an application and take its steps with test data on a scratch
store, and say what each step did — the lane (role) and the unit it went to, its deadline, the documents it
issued — without touching the installation's cases.

The scratch store is an in-memory SQLite database made for one request: the places of the household's
county and the route's newest version are copied into it, one simulation user holds every staff role in
each of those units, and the real use cases (engine.cases.lifecycle) run there exactly as they run on real cases. Nothing is written
to the real store: it is only read. Each request replays the whole walk (the start data and each step's
submission), so the walk needs no state kept between requests.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from engine.cases.cosigning import cosign_by, required_signoffs
from engine.cases.lifecycle import complete_task, start_case
from engine.catalogue.form_samples import sample_for_schema
from engine.catalogue.forms import SIGNATURES_HINT
from engine.catalogue.rules import catalog, process_for
from engine.catalogue.drafts import deploy_scratch
from engine.catalogue.versions import forget_version, get_version, latest_version_id
from engine.clock import FrozenClock, to_local_date
from engine.errors import JiuzhuError, NotFound
from engine.people.accounts import ROLE_NAMES_ZH, STAFF_ROLES, Principal
from engine.store.database import Database
from engine.store.models import (Base, Case, CaseEvent, CountyRuleEntry, Document, HumanTask, ProcessVersion,
                                 RoleAssignment, Unit, User)

MAX_STEPS = 60   # the longest shipped route has fewer than 30 steps on any path
SIMULATION_USER = "simulation"
COSIGNER_IDS = 100  # the simulation co-signers are users 101, 102 … of the scratch store


def simulation_start(session: Session, today, process_id: str, demo: dict[str, Any]) -> dict[str, Any]:
    """What the simulation page starts from: the villages, the start form and sample data for it (``demo``,
    the demo installation's walk of this route if it has one, else data made from the form's schema)."""
    version = get_version(session, latest_version_id(session, process_id))
    start_key = (version.tasks.get("@start") or {}).get("form_key")
    schema = version.forms.get(start_key) or {} if start_key else {}
    villages = session.execute(select(Unit.code, Unit.name, Unit.parent_id).where(Unit.level == "village")
                               .order_by(Unit.code)).all()
    return {"process_id": process_id, "name": version.name, "start_form": start_key,
            "village": demo.get("village") or _village_on_route(session, today, process_id, villages),
            "villages": [{"code": code, "name": name} for code, name, _p in villages],
            "start": demo.get("application") or sample_for_schema(schema, today)}


def _village_on_route(session: Session, today, process_id: str, villages: list) -> str | None:
    """The first village whose county's rules run this route today (else the first village): a household
    there would be lodged on it."""
    types = [name for name, entry in catalog().items()
             if any(v["process_id"] == process_id for v in entry["variants"].values())]
    codes = dict(session.execute(select(Unit.id, Unit.code).where(Unit.level != "village")).all())
    parents = dict(session.execute(select(Unit.id, Unit.parent_id).where(Unit.level == "township")).all())
    for code, _name, township_id in villages:
        county = codes.get(parents.get(township_id))
        for kind in types:
            try:
                if process_for(kind, county, codes.get(township_id), today, session) == process_id:
                    return code
            except NotFound:
                continue
    return villages[0][0] if villages else None


def _step_sample(samples: dict[str, dict], task_name: str, schema: dict, today, applicant: str) -> dict[str, Any]:
    """A step's prefilled data: the demo's walk of it, else made from its form; a visit record is signed by
    the simulated case's own applicant (the signatures name the case's members)."""
    sample = dict(samples[task_name]) if task_name in samples else sample_for_schema(schema, today)
    for field, node in (schema.get("properties") or {}).items():
        if isinstance(node, dict) and node.get(SIGNATURES_HINT) and field in sample:
            sample[field] = [{"name": applicant, "signature": "self"}]
    return sample


def _county_units(session: Session, village_code: Any) -> tuple[int, list]:
    """(the village's id, every unit of its county): a case never leaves its county, so the scratch store
    needs no other places."""
    village = session.execute(select(Unit.id, Unit.parent_id).where(
        Unit.code == str(village_code), Unit.level == "village")).one_or_none()
    if village is None:
        raise NotFound(f"village {village_code!r}", "所选村（社区）不存在",
                       message_en="The chosen village (community) does not exist")
    county_id = session.execute(select(Unit.parent_id).where(Unit.id == village.parent_id)).scalar_one()
    townships = select(Unit.id).where(Unit.parent_id == county_id)
    units = session.execute(select(Unit.id, Unit.code, Unit.name, Unit.level, Unit.parent_id).where(
        or_(Unit.id == county_id, Unit.parent_id == county_id, Unit.parent_id.in_(townships)))).all()
    return village.id, units


def _scratch_store(session: Session, now: datetime, process_id: str, units: list,
                   draft: Draft | None) -> tuple[Database, Principal, int | None]:
    """A new in-memory store with ``units``, the county rule entries admins added for their county, and the
    route's newest version (copied by id, so the version cache serves both) or the designer's unsaved
    ``draft`` deployed there (``drafts.deploy_scratch``: its id is returned, to be forgotten after); and a
    principal with every staff role in each of those units."""
    scratch = Database("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(scratch.engine)
    by_depth = {"county": 0, "township": 1, "village": 2}
    county_codes = [row.code for row in units if row.level == "county"]
    scratch_version = None
    try:
        with scratch.unit_of_work(write=True) as uow:
            s = uow.session
            for depth in (0, 1, 2):   # parents before their children (the foreign key is checked)
                s.add_all(Unit(id=row.id, code=row.code, name=row.name, level=row.level,
                               parent_id=row.parent_id if depth else None)
                          for row in units if by_depth.get(row.level) == depth)
                s.flush()
            s.add(User(id=1, username=SIMULATION_USER, display_name="模拟", password_hash="!", active=True,
                       created_at=now))
            for entry in session.execute(select(CountyRuleEntry).where(
                    CountyRuleEntry.county_code.in_(county_codes))).scalars():
                columns = {c.key: getattr(entry, c.key) for c in CountyRuleEntry.__table__.columns}
                s.add(CountyRuleEntry(**{**columns, "created_by_id": None, "retired_by_id": None}))
            s.flush()
            if draft is None:
                version = session.get(ProcessVersion, latest_version_id(session, process_id))
                columns = {c.key: getattr(version, c.key) for c in ProcessVersion.__table__.columns}
                s.add(ProcessVersion(**{**columns, "deployed_by_id": None}))
            else:
                scratch_version = deploy_scratch(session, s, now, draft.author_id, process_id, draft.bpmn, draft.forms)
            uow.commit()
    except Exception:
        scratch.engine.dispose()
        raise
    roles = tuple((role, row.id) for row in units for role in sorted(STAFF_ROLES))
    names = {row.id: row.name for row in units}
    return scratch, Principal(1, SIMULATION_USER, "模拟", roles, names), scratch_version


@dataclass(frozen=True)
class Draft:
    """The designer's unsaved work the modeler posts to be simulated: the BPMN and the forms edited with it."""

    author_id: int
    bpmn: Any
    forms: Any = None


def simulate(session: Session, now: datetime, process_id: str, village_code: Any, start: Any,
             steps: Any, samples: dict[str, dict] | None = None, draft: Draft | None = None) -> dict[str, Any]:
    """Walk the route on a scratch store: lodge ``start`` for a household of ``village_code``, then submit
    each of ``steps`` ([{"task": name, "data": {...}}], in order) to the open step of that name.

    Returns the steps taken (title, lane role, unit, deadline, documents issued), the open steps with sample
    data for their forms, and where the walk stopped; a refused submission (DomainError and its kin) is
    raised as the real task page would raise it, naming the step. ``samples`` (task name → data) prefill
    the open steps before the data made from their forms' schemas. With ``draft`` the walk runs the designer's
    unsaved BPMN instead of the newest version, refused (DeployRefused, every problem) unless deploy would
    take it."""
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        raise JiuzhuError("steps must be a list", f"步骤应为列表（最多 {MAX_STEPS} 步）",
                          message_en=f"The steps must be a list (at most {MAX_STEPS} steps)")
    village, units = _county_units(session, village_code)
    scratch, principal, scratch_version = _scratch_store(session, now, process_id, units, draft)
    clock = FrozenClock(now)
    try:
        with scratch.unit_of_work(write=True) as uow:
            s = uow.session
            case = start_case(s, principal, clock, process_id, village, start)
            for i, step in enumerate(steps):
                name = step.get("task") if isinstance(step, dict) else None
                task_id = s.execute(select(HumanTask.id).where(HumanTask.case_id == case.id,
                                    HumanTask.status == "open", HumanTask.task_name == name)).scalar_one_or_none()
                if task_id is None:
                    raise NotFound(f"step {i + 1}: no open step {name!r}", f"第 {i + 1} 步：没有待办的步骤「{name}」",
                                   message_en=f"Step {i + 1}: there is no open step “{name}”")
                clock.advance(hours=1)  # each step after the one before, so the path reads in order
                try:
                    _cosign(s, principal, clock, task_id, now)
                    complete_task(s, principal, clock, task_id, step.get("data"))
                except JiuzhuError as exc:
                    exc.step = i  # which submission the page should show the problem on
                    raise
            return _report(s, clock, samples or {}, case.id)
    finally:
        scratch.engine.dispose()
        if scratch_version is not None:
            forget_version(scratch_version)


def _cosign(s: Session, principal: Principal, clock: FrozenClock, task_id: str, now: datetime) -> None:
    """The 会签 a step requires (property ``cosign``), signed by simulation co-signers of the task's role and
    unit (made on the scratch store when first needed), as colleagues would sign on the task page."""
    task = s.get(HumanTask, task_id)
    needed = required_signoffs(get_version(s, s.get(Case, task.case_id).process_version_id)
                               .tasks.get(task.task_name, {}).get("properties", {}))
    signers = []
    for i in range(1, needed + 1):
        user_id = COSIGNER_IDS + i
        if s.get(User, user_id) is None:
            s.add(User(id=user_id, username=f"{SIMULATION_USER}_{i}", display_name=f"模拟会签人 {i}",
                       password_hash="!", active=True, created_at=now))
            s.flush()
        if s.execute(select(RoleAssignment.id).where(RoleAssignment.user_id == user_id, RoleAssignment.role == task.role,
                                                     RoleAssignment.unit_id == task.unit_id)).first() is None:
            s.add(RoleAssignment(user_id=user_id, role=task.role, unit_id=task.unit_id))
            s.flush()
        signers.append(Principal(user_id, f"{SIMULATION_USER}_{i}", f"模拟会签人 {i}", ((task.role, task.unit_id),)))
    cosign_by(s, principal, clock, task_id, signers)


def _listed(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "issued_at"}


def _report(s: Session, clock: FrozenClock, samples: dict[str, dict], case_id: int) -> dict[str, Any]:
    case = s.get(Case, case_id)
    version = get_version(s, case.process_version_id)
    units = dict(s.execute(select(Unit.id, Unit.name)).all())
    # A voided document (engine.cases.voiding) is listed as such, as the case page lists it, never as valid.
    documents = [{"kind": d.kind, "title": d.title, "number": d.number, "issued_at": d.issued_at,
                  "voided": d.voided_at is not None, "voided_reason": d.voided_reason} for d in s.execute(
        select(Document.kind, Document.title, Document.number, Document.issued_at, Document.voided_at,
               Document.voided_reason).where(Document.case_id == case_id).order_by(Document.id))]
    tasks = s.execute(select(HumanTask).where(HumanTask.case_id == case_id)
                      .order_by(HumanTask.created_at, HumanTask.id)).scalars().all()
    taken, open_steps = [], []
    for task in tasks:
        row = {"task": task.task_name, "title": task.title, "role": task.role,
               "role_name": ROLE_NAMES_ZH.get(task.role, task.role), "unit": units.get(task.unit_id),
               "deadline": (version.tasks.get(task.task_name) or {}).get("properties", {}).get("deadline"),
               "due_on": task.due_on.isoformat() if task.due_on else None, "status": task.status}
        if task.status == "open":
            schema = version.forms.get(task.form_key) or {}
            open_steps.append({**row, "form_key": task.form_key, "schema": schema,
                               "sample": _step_sample(samples, task.task_name, schema, to_local_date(clock.now()),
                                                      case.applicant_name)})
        else:
            done_at = task.completed_at
            row["documents"] = [_listed(d) for d in documents
                                if done_at and task.created_at < d["issued_at"] <= done_at]
            taken.append(row)
    case = s.get(Case, case_id)
    events = s.execute(select(CaseEvent.kind, CaseEvent.title).where(CaseEvent.case_id == case_id)
                       .order_by(CaseEvent.id)).all()
    return {"status": case.status, "number": case.number, "taken": taken, "open": open_steps,
            "documents": [_listed(d) for d in documents],
            "elements": [t["task"] for t in taken], "current": [t["task"] for t in open_steps],
            "events": [{"kind": e.kind, "title": e.title} for e in events][-40:]}
