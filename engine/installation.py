"""Setting up an installation: the schema, the routes, and the places, users and sample cases from data
files (the demo's are in demo/). Nothing here commits; the command that calls it does."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.people.accounts import principal_of
from engine.cases.cosigning import cosign_by
from engine.cases.lifecycle import complete_task, start_case
from engine.clock import Clock
from engine.catalogue.datafiles import DataFile
from engine.catalogue.deployment import deploy
from engine.people.directory import LoadReport, load_places, load_users, read_places, read_users
from engine.errors import DataFileInvalid
from engine.store.migrations import upgrade
from engine.store.models import Case, HumanTask, Unit

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
CASES_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["case"],
    "properties": {"case": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["process", "village", "lodged_by", "application"],
        "properties": {
            "process": {"type": "string"}, "village": {"type": "string", "pattern": "^[0-9]{12}$"},
            "lodged_by": {"type": "string"}, "application": {"type": "object"},
            "steps": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["task", "by", "data"],
                "properties": {"task": {"type": "string"}, "by": {"type": "string"}, "data": {"type": "object"},
                               "cosigned_by": {"type": "array", "items": {"type": "string"}}}}}}}}},
}


def demo_password(directory: Path = DEMO_DIR) -> str:
    """The password the demo users file gives every demo user."""
    return DataFile(directory / "users.toml").data["default_password"]


def load_directory(session: Session, now: datetime, places: Path, users: Path) -> tuple[LoadReport, LoadReport]:
    """Load a places file, then a users file (whose roles name units of the places)."""
    place_report = load_places(session, read_places(places))
    return place_report, load_users(session, read_users(users, session), now)


def prepare_store(database, now: datetime, directory: Path = DEMO_DIR) -> None:
    """Migrate a database, deploy the routes and load the demo places and users (tests, benchmarks)."""
    upgrade(database.engine)
    with database.unit_of_work(write=True) as uow:
        deploy(uow.session, now)
        load_directory(uow.session, now, directory / "places.toml", directory / "users.toml")
        uow.commit()


def load_cases(session: Session, clock: Clock, path: Path) -> int:
    """Lodge the sample cases of a cases file and take each through its listed steps (a step's ``cosigned_by``
    users sign it first: the 会签 its route may require).

    Only into an installation without cases: sample data must never mix with real work.
    """
    source = DataFile(path)
    problems = source.schema_problems(CASES_SCHEMA)
    if problems:
        raise DataFileInvalid(problems)
    if session.execute(select(Case.id).limit(1)).first():
        return 0
    villages = dict(session.execute(select(Unit.code, Unit.id).where(Unit.level == "village")).all())
    for i, entry in enumerate(source.data["case"]):
        if entry["village"] not in villages:
            raise DataFileInvalid([source.problem(("case", i, "village"), f"village {entry['village']} is not loaded",
                                                  f"村（社区）{entry['village']} 不存在")])
        started = start_case(session, principal_of(session, entry["lodged_by"]), clock, entry["process"],
                             villages[entry["village"]], _dated(entry["application"], clock.today()))
        for step in entry.get("steps", []):
            task_id = session.execute(select(HumanTask.id).where(
                HumanTask.case_id == started.id, HumanTask.status == "open",
                HumanTask.task_name == step["task"])).scalar_one()
            holder = principal_of(session, step["by"])
            # 会签: the co-signers (the second 入户调查 investigator) sign before the holder completes
            cosign_by(session, holder, clock, task_id, [principal_of(session, u) for u in step.get("cosigned_by", [])])
            complete_task(session, holder, clock, task_id, _dated(step["data"], clock.today()))
    return len(source.data["case"])


def demo_walk(process_id: str, today: date) -> dict[str, Any]:
    """The demo installation's first walk of a route, as simulation samples: its village, its application
    and each step's data by task name, dated ``today`` (empty when the demo has no case on the route)."""
    cases = [case for case in DataFile(DEMO_DIR / "cases.toml").data.get("case", []) if case["process"] == process_id]
    if not cases:
        return {}
    steps = {step["task"]: _dated(step["data"], today) for case in cases for step in case.get("steps", [])}
    return {"village": cases[0]["village"], "application": _dated(cases[0]["application"], today), "steps": steps}


def _dated(data: dict[str, Any], today: date) -> dict[str, Any]:
    return {k: today.isoformat() if v == "today" else v for k, v in data.items()}
