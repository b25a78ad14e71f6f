"""转介 to charities and social organisations (seed 001 三、4): the county's list as data
(processes/charities.toml, checked on load with lines), a window's referral of an applicant to one of its projects,
and the organisation's feedback as the window records it. The caller commits."""
from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.catalogue.datafiles import DataFile
from engine.catalogue.deployment import PROCESSES_DIR
from engine.clock import Clock
from engine.errors import DataFileInvalid, FormInvalid, Message, NotFound
from engine.households.registry import refuse_withheld
from engine.people.accounts import Principal
from engine.store.models import Unit, WindowCharityReferral, WindowRegistration
from engine.window.referrals import window_scope
from engine.window.registration import TEXT_MAX

SOURCE = "processes/charities.toml"
CHARITY, REGISTRATION = WindowCharityReferral.__table__, WindowRegistration.__table__
KINDS_ZH = {"charity_project": "慈善项目", "fundraising": "社会募捐", "professional_service": "专业服务",
            "volunteer": "志愿服务"}
_CODE = {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,39}$"}
SCHEMA = {
    "type": "object", "additionalProperties": False, "properties": {
        "assumption": {"type": "string"},
        "county": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["code", "organisations"],
            "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"}, "organisations": {
                "type": "array", "items": {
                    "type": "object", "additionalProperties": False, "required": ["code", "name_zh", "name_en", "projects"],
                    "properties": {"code": _CODE, "name_zh": {"type": "string", "minLength": 1, "maxLength": 100},
                                   "name_en": {"type": "string", "minLength": 1, "maxLength": 200},
                                   "projects": {"type": "array", "minItems": 1, "items": {
                                       "type": "object", "additionalProperties": False,
                                       "required": ["code", "name_zh", "name_en", "kind"],
                                       "properties": {"code": _CODE, "name_zh": {"type": "string", "minLength": 1,
                                                                                 "maxLength": 100},
                                                      "name_en": {"type": "string", "minLength": 1,
                                                                  "maxLength": 200},
                                                      "kind": {"enum": sorted(KINDS_ZH)},
                                                      "retired_from": {"type": "string", "format": "date"}}}}}}}}}},
    },
}


@cache
def charities(directory: Path = PROCESSES_DIR) -> dict[str, list[dict]]:
    """County code → its organisations with their projects, checked on load."""
    source = DataFile(directory / "charities.toml", SOURCE)
    problems = source.schema_problems(SCHEMA)
    seen: set[tuple] = set()
    for i, county in enumerate(source.data.get("county", [])):
        for j, organisation in enumerate(county.get("organisations", [])):
            for k, project in enumerate(organisation.get("projects", [])):
                key = (county.get("code"), organisation.get("code"), project.get("code"))
                if key in seen:
                    problems.append(source.problem(("county", i, "organisations", j, "projects", k),
                                                   f"project {key} listed twice", f"项目 {project.get('code')} 重复"))
                seen.add(key)
    if problems:
        raise DataFileInvalid(problems)
    return {county["code"]: county["organisations"] for county in source.data.get("county", [])}


def projects_for(county_code: str, day: date) -> list[dict]:
    """The projects a county's windows may refer to on ``day``: organisation, project and kind, with names."""
    return [{"organisation": o["code"], "organisation_zh": o["name_zh"], "organisation_en": o["name_en"],
             "project": p["code"], "project_zh": p["name_zh"], "project_en": p["name_en"], "kind": p["kind"], "kind_zh": KINDS_ZH[p["kind"]]}
            for o in charities().get(county_code, []) for p in o["projects"]
            if p.get("retired_from") is None or day < p["retired_from"]]


def _registration(session: Session, actor: Principal, registration_id: int):
    found = session.execute(select(REGISTRATION.c.id, REGISTRATION.c.county_id, REGISTRATION.c.township_id,
                                   REGISTRATION.c.village_id, REGISTRATION.c.applicant_id_number)
                            .where(REGISTRATION.c.id == registration_id, window_scope(actor))).first()
    if found is None or not (found.township_id in actor.units_for("township")
                             or found.village_id in actor.units_for("village")):
        raise NotFound(f"registration {registration_id}")
    return found


def refer_to_charity(session: Session, actor: Principal, clock: Clock, registration_id: int, choice: str,
                     note: str) -> int:
    """转介 the registration's applicant to a project (``choice`` = "organisation:project") of the county's list;
    an applicant recorded as dead since is refused (FormInvalid, nothing written), as the window's registration is."""
    found = _registration(session, actor, registration_id)
    refuse_withheld(session, actor, [found.applicant_id_number], {found.applicant_id_number: ("project", "referral")})
    county_code = session.execute(select(Unit.code).where(Unit.id == found.county_id)).scalar_one()
    projects = {f"{p['organisation']}:{p['project']}": p for p in projects_for(county_code, clock.today())}
    note = (note or "").strip()
    errors: dict[str, Message] = {}
    if choice not in projects:
        errors["project"] = Message("请选择本县（区）名录中的机构和项目",
                                    "Choose an organisation and project from the county (district) directory")
    if len(note) > TEXT_MAX:
        errors["note"] = Message(f"说明不超过{TEXT_MAX}字", f"The note may have at most {TEXT_MAX} characters")
    if errors:
        raise FormInvalid.of(errors)
    project = projects[choice]
    return session.execute(insert(CHARITY).values(
        registration_id=registration_id, county_id=found.county_id, township_id=found.township_id,
        organisation=project["organisation_zh"], project=project["project_zh"], kind=project["kind"],
        note=note or None, referred_on=clock.today(), referred_by_id=actor.user_id)
        .returning(CHARITY.c.id)).scalar_one()


def record_charity_feedback(session: Session, actor: Principal, clock: Clock, charity_referral_id: int,
                            feedback: str) -> None:
    """Record what the organisation reported back (the window records it: organisations hold no accounts)."""
    row = session.execute(select(CHARITY.c.registration_id, CHARITY.c.fed_back_on)
                          .where(CHARITY.c.id == charity_referral_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"charity referral {charity_referral_id}")
    _registration(session, actor, row.registration_id)
    feedback = (feedback or "").strip()
    if not feedback or len(feedback) > TEXT_MAX:
        raise FormInvalid.of({"feedback": Message(f"请填写机构反馈（不超过{TEXT_MAX}字）",
                                                  f"Enter the organisation's feedback (at most {TEXT_MAX} "
                                                  "characters)")})
    session.execute(update(CHARITY).where(CHARITY.c.id == charity_referral_id)
                    .values(feedback=feedback, fed_back_on=clock.today()))


def charity_referrals(session: Session, registration_id: int) -> list:
    """The 转介 of a registration (the caller has checked the registration is the principal's to see)."""
    return session.execute(select(CHARITY).where(CHARITY.c.registration_id == registration_id)
                           .order_by(CHARITY.c.id)).all()
