"""Migrating running cases to another version of their route: a preview with a verdict per case, then a
batch that moves the safe ones, each audited, with a result per case.

The designer sees the running cases of their units (``case_scope`` with the designer role). A case whose
verdict is not safe is never touched; the batch checks each case again under its lock, so a case that
moved on since the preview is judged as it is now.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.writer import locked, write_migration
from engine.catalogue.versions import get_version
from engine.errors import Conflict, NotFound
from engine.people.accounts import Principal
from engine.people.scope import case_scope
from engine.runtime.migration import check_migration, migrated_state
from engine.store.models import Case, ProcessVersion

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


def _target(session: Session, process_id: str, version_id: int) -> ProcessVersion:
    target = session.get(ProcessVersion, version_id)
    if target is None or target.process_id != process_id:
        raise NotFound(f"version {version_id} of {process_id}", "该流程没有这个版本")
    return target


def _verdict(session: Session, case: Case, target_id: int) -> CaseVerdict:
    found = check_migration(get_version(session, case.process_version_id).spec, get_version(session, target_id).spec,
                            case.state)
    return CaseVerdict(case.id, case.number, case.process_version_id, found.steps, found.safe, found.reason_zh)


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
            raise NotFound(f"running case {case_id} of {process_id}", "未找到该在办案件，或不在您的范围内")
        verdict = _verdict(session, case, version_id)
        if case.process_version_id == version_id:
            results.append(replace(verdict, result="already"))
            continue
        if not verdict.safe:
            results.append(replace(verdict, result="refused"))
            continue
        try:
            state = migrated_state(get_version(session, version_id).spec, case.state)
        except Exception as exc:  # noqa: BLE001 - a state the new spec cannot hold stays where it is
            results.append(replace(verdict, safe=False, result="refused",
                                   reason_zh=f"新版本无法载入该案件的记录：{type(exc).__name__}"))
            continue
        try:
            write_migration(session, case.id, case.revision, version_id, state, now, principal.user_id,
                            {"from_version": case.process_version_id, "to_version": version_id})
        except Conflict:
            results.append(replace(verdict, result="conflict"))
            continue
        results.append(replace(verdict, result="migrated"))
    return results
