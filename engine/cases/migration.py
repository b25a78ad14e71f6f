"""Migrating running cases to another version of their route: a preview with a verdict per case, then a
batch that moves the safe ones, each audited, with a result per case.

The designer sees the running cases of their units (``case_scope`` with the designer role). A case whose
verdict is not safe is never touched; the batch checks each case again under its lock, so a case that
moved on since the preview is judged as it is now.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.writer import locked, write_migration
from engine.catalogue.rules import case_parameters, parameter_names
from engine.catalogue.versions import get_version, no_such_version
from engine.clock import to_local_date
from engine.errors import Conflict, NotFound
from engine.people.accounts import Principal
from engine.people.scope import case_scope
from engine.runtime.migration import check_migration, migrated_state, names_held, names_read
from engine.store.models import Case, CaseEvent, ProcessVersion

MAX_BATCH = 500
ROLES = ("designer",)


@dataclass(frozen=True)
class CaseVerdict:
    """One running case in the preview or the batch: where it is and what happens to it."""

    case_id: int
    number: str
    version_id: int
    steps: tuple[tuple[str, str], ...]
    safe: bool
    reason_zh: str
    result: str = ""   # in a batch: migrated | refused | conflict
    # rule values the new version reads and the case lacks, filled from the rules in force when it was lodged
    added: tuple[tuple[str, Any], ...] = ()


def _target(session: Session, process_id: str, version_id: int) -> ProcessVersion:
    target = session.get(ProcessVersion, version_id)
    if target is None or target.process_id != process_id:
        raise no_such_version(process_id, version_id)
    return target


def _lodged_on(session: Session, case: Case) -> date:
    """The day the case was lodged (its case_started event), whose rules it carries."""
    at = session.execute(select(CaseEvent.at).where(CaseEvent.case_id == case.id, CaseEvent.kind == "case_started")
                         .order_by(CaseEvent.id).limit(1)).scalar_one_or_none()
    return to_local_date(at or case.created_at)


def _verdict(session: Session, case: Case, target_id: int) -> CaseVerdict:
    old, new = get_version(session, case.process_version_id).spec, get_version(session, target_id).spec
    found = check_migration(old, new, case.state)
    verdict = CaseVerdict(case.id, case.number, case.process_version_id, found.steps, found.safe, found.reason_zh)
    if not found.safe:
        return verdict
    # A new version may read a county rule value cases lodged before it never received: give the case the
    # value in force on its own lodging day, or refuse the move now rather than let the case fail at the step.
    lacking = sorted((names_read(new) & parameter_names()) - names_held(old, case.state))
    if not lacking:
        return verdict
    on = _lodged_on(session, case)
    try:
        rules = case_parameters(session, case.county_id, case.township_id, case.process_id, on)
    except NotFound:  # a case lodged before the county's recorded rules begin
        rules = {}
    if missing := [name for name in lacking if name not in rules]:
        return replace(verdict, safe=False, reason_zh=(
            f"新版本读取的县级规则参数「{'、'.join(missing)}」在本案受理日（{on.isoformat()}）施行的规则中没有，"
            f"不迁移；请先为该县（区）补充该日施行的这些参数"))
    added = tuple((name, rules[name]) for name in lacking)
    return replace(verdict, added=added, reason_zh=(
        f"新版本读取的县级规则参数按本案受理日（{on.isoformat()}）施行的规则补入："
        + "；".join(f"{name} = {value}" for name, value in added)))


def migration_preview(session: Session, principal: Principal, process_id: str, version_id: int) -> list[CaseVerdict]:
    """The running cases of the route in the principal's units that are on another version, each with its
    verdict on moving to ``version_id`` (nothing is written)."""
    _target(session, process_id, version_id)
    cases = session.execute(select(Case).where(
        Case.process_id == process_id, Case.status == "running", Case.process_version_id != version_id,
        case_scope(principal, ROLES)).order_by(Case.id).limit(MAX_BATCH)).scalars().all()
    return [_verdict(session, case, version_id) for case in cases]


def migrate_cases(session: Session, principal: Principal, now: datetime, process_id: str, version_id: int,
                  case_ids: list[int]) -> list[CaseVerdict]:
    """Move each of ``case_ids`` whose verdict is safe onto ``version_id``; the others stay as they are.
    Returns a result per case; the caller commits once for the batch."""
    _target(session, process_id, version_id)
    results = []
    for case_id in sorted(set(case_ids))[:MAX_BATCH]:
        case = session.execute(locked(session, select(Case).where(
            Case.id == case_id, Case.process_id == process_id, Case.status == "running",
            case_scope(principal, ROLES)))).scalar_one_or_none()
        if case is None:
            raise NotFound(f"running case {case_id} of {process_id}", "未找到该在办案件，或不在您的范围内",
                           message_en="No such running case, or it is outside your area")
        verdict = _verdict(session, case, version_id)
        if case.process_version_id == version_id:
            results.append(replace(verdict, result="already"))
            continue
        if not verdict.safe:
            results.append(replace(verdict, result="refused"))
            continue
        try:
            state = migrated_state(get_version(session, version_id).spec, case.state, dict(verdict.added))
        except Exception as exc:  # noqa: BLE001 - a state the new spec cannot hold stays where it is
            results.append(replace(verdict, safe=False, result="refused",
                                   reason_zh=f"新版本无法载入该案件的记录：{type(exc).__name__}"))
            continue
        try:
            write_migration(session, case.id, case.revision, version_id, state, now, principal.user_id,
                            {"from_version": case.process_version_id, "to_version": version_id,
                             **({"added_rule_values": dict(verdict.added)} if verdict.added else {})})
        except Conflict:
            results.append(replace(verdict, result="conflict"))
            continue
        results.append(replace(verdict, result="migrated"))
    return results
