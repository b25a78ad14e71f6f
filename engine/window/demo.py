"""The demo's one-window intake (demo/window.toml): registrations through ``register`` as their clerk, a
liaison's answers through ``answer_referral``, and the departments' projects for the joint review through
``submit_project`` and the office's ``initial_review`` — the real use cases, so the demo shows what they
write. Loaded only into an installation without registrations; the caller commits."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.catalogue.datafiles import DataFile
from engine.clock import CHINA_TZ, Clock
from engine.errors import DataFileInvalid, FormInvalid
from engine.people.accounts import principal_of
from engine.store.models import Unit, WindowItem, WindowRegistration
from engine.window.joint_review import initial_review, submit_project
from engine.window.referrals import answer_referral
from engine.window.registration import Applicant, RequestedItem, register

_TEXT = {"type": "string", "minLength": 1}
SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "registration": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["by", "village", "applicant", "difficulty",
                                                                        "items"],
        "properties": {"by": _TEXT, "village": _TEXT, "difficulty": _TEXT, "applicant": {"type": "object"},
                       "items": {"type": "array", "minItems": 1, "items": {
                           "type": "object", "additionalProperties": False, "required": ["code"],
                           "properties": {"code": _TEXT, "outcome": _TEXT, "note": _TEXT, "data": {"type": "object"}}}}}}},
    "answer": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["registration", "item", "by", "answer", "note"],
        "properties": {"registration": {"type": "integer", "minimum": 1}, "item": _TEXT, "by": _TEXT,
                       "answer": _TEXT, "note": _TEXT}}},
    "project": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["by", "name", "budget", "description"],
        "properties": {"by": _TEXT, "name": _TEXT, "budget": {"type": "number"}, "description": _TEXT,
                       "beneficiaries": {"type": "integer"}, "passed_by": _TEXT}}},
}}


def load_window_demo(session: Session, clock: Clock, path: Path) -> int:
    """Load the demo's registrations, answers and projects; returns how many registrations (0 when the
    installation has registrations already)."""
    source = DataFile(path)
    if problems := source.schema_problems(SCHEMA):
        raise DataFileInvalid(problems)
    if session.execute(select(WindowRegistration.id).limit(1)).first():
        return 0
    villages = dict(session.execute(select(Unit.code, Unit.id).where(Unit.level == "village")).all())
    ids = []
    for i, entry in enumerate(source.data.get("registration", [])):
        a = entry["applicant"]
        applicant = Applicant(a["name"], a["id_number"], a["address"], a.get("phone", ""), a.get("monthly_income"),
                              a.get("authorises_check", False))
        items = [RequestedItem(item["code"], item.get("outcome", "accept"), item.get("note", ""), item.get("data", {}))
                 for item in entry["items"]]
        try:
            ids.append(register(session, principal_of(session, entry["by"]), clock, villages[entry["village"]],
                                applicant, entry["difficulty"], items))
        except (FormInvalid, KeyError) as exc:
            raise DataFileInvalid([source.problem(("registration", i), f"registration refused: {exc}",
                                                  f"登记未通过：{exc}")]) from exc
    for entry in source.data.get("answer", []):
        item_id = session.execute(select(WindowItem.id).where(
            WindowItem.registration_id == ids[entry["registration"] - 1],
            WindowItem.item_code == entry["item"])).scalar_one()
        answer_referral(session, principal_of(session, entry["by"]), clock, item_id, entry["answer"], entry["note"])
    year = clock.now().astimezone(CHINA_TZ).year
    for entry in source.data.get("project", []):
        submitter = principal_of(session, entry["by"])
        project_id = submit_project(session, submitter, clock, {
            "year": year, "name": entry["name"], "budget": entry["budget"], "description": entry["description"],
            "beneficiaries": entry.get("beneficiaries")})
        if entry.get("passed_by"):  # the office passes it to the meeting
            initial_review(session, principal_of(session, entry["passed_by"]), clock, project_id, "pass", "")
    return len(ids)
