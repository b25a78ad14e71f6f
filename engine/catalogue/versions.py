"""Deployed process versions, parsed once per process and kept in memory.

A version is immutable, so its spec, forms and validators can be cached for the
life of the process without invalidation.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from engine.catalogue.declarations import PROCESS_KEY, RouteDeclarations
from engine.errors import NotFound
from engine.catalogue.forms import FormValidator
from engine.store.memo import remembered
from engine.store.models import ProcessVersion
from engine.runtime.workflow import load_spec


@dataclass(frozen=True)
class LoadedVersion:
    """Everything needed to run cases of one process version."""

    id: int
    process_id: str
    name: str
    spec: Any
    tasks: dict[str, Any]
    forms: dict[str, dict[str, Any]]
    validators: dict[str, FormValidator]
    bpmn_xml: str
    declarations: RouteDeclarations  # the data names the engine reads from this route
    # Facts worked out from the spec on first use (the version never changes, so neither do they); they live
    # and die with the version, so a simulation's forgotten scratch version takes its own with it.
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def validator(self, form_key: str) -> FormValidator:
        """The compiled validator of a form of this version."""
        return self.validators[form_key]


_cache: dict[int, LoadedVersion] = {}
_lock = threading.Lock()


def get_version(session: Session, version_id: int) -> LoadedVersion:
    """The loaded version by id (from memory after the first use)."""
    loaded = _cache.get(version_id)
    if loaded is not None:
        return loaded
    with _lock:
        loaded = _cache.get(version_id)
        if loaded is None:
            row = session.get(ProcessVersion, version_id)
            if row is None:
                raise NotFound(f"process version {version_id}")
            loaded = LoadedVersion(
                id=row.id, process_id=row.process_id, name=row.name, spec=load_spec(row.spec_json),
                tasks=_in_diagram_order(row.tasks, row.bpmn_xml), forms=row.forms,
                validators={key: FormValidator(schema) for key, schema in row.forms.items()},
                bpmn_xml=row.bpmn_xml, declarations=RouteDeclarations.from_stored(row.tasks.get(PROCESS_KEY)),
            )
            _cache[version_id] = loaded
    return loaded


def forget_version(version_id: int) -> None:
    """Drop a version from memory: only a simulation's scratch version (a draft's) is ever forgotten."""
    _cache.pop(version_id, None)


def _in_diagram_order(tasks: dict[str, Any], bpmn_xml: str) -> dict[str, Any]:
    """Each task's properties in the order the diagram lists them (documents are issued in that order).
    PostgreSQL's JSONB keeps keys sorted by length, not as written."""
    ordered = {}
    for name, facts in tasks.items():
        properties = facts.get("properties") if isinstance(facts, dict) else None
        start = bpmn_xml.find(f'id="{name}"')
        if not properties or start < 0:
            ordered[name] = facts
            continue
        def position(key: str) -> int:
            found = bpmn_xml.find(f'name="{key}"', start)
            return found if found >= 0 else len(bpmn_xml)
        ordered[name] = {**facts, "properties": {k: properties[k] for k in sorted(properties, key=position)}}
    return ordered


def not_deployed(process_id: str) -> NotFound:
    """The refusal of a route that has no deployed version."""
    return NotFound(f"process {process_id} is not deployed", "该流程尚未部署", message_en="The route is not deployed yet")


def no_such_version(process_id: str, version_id) -> NotFound:
    """The refusal of a version the route does not have."""
    return NotFound(f"version {version_id} of {process_id}", "该流程没有这个版本", message_en="The route has no such version")


_LATEST_VERSION = select(func.max(ProcessVersion.id)).where(ProcessVersion.process_id == bindparam("process_id"))


def latest_version_id(session: Session, process_id: str) -> int:
    """The newest deployed version of a process."""
    version_id = remembered(session, ("latest_version_id", process_id), lambda: session.execute(
        _LATEST_VERSION, {"process_id": process_id}).scalar())
    if version_id is None:
        raise not_deployed(process_id)
    return version_id
