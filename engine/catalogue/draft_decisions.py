"""The decision tables (DMN) of the designer's workbench: which tables a route may edit, the text each opens
with, and the check of an edited table before it is kept in the route's draft.

A table edited in the browser is kept in the designer's draft of the route (``ProcessDraft.decisions``) and
validated and deployed with it: the scratch tree of engine.catalogue.drafts lays it over the installation's
file, so the same ``validate_decision`` as `jiuzhu deploy` judges it and the version hash covers it.
"""
from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.catalogue.deployment import DMN_NS, PROCESSES_DIR, validate_decision
from engine.catalogue.draft_text import SAFE_XML, checked_document, refused
from engine.catalogue.versions import not_deployed
from engine.errors import DeployRefused, NotFound
from engine.store.models import ProcessDraft, ProcessVersion

MAX_DMN_BYTES = 300_000   # the shipped tables are under 10 KB


def installed_decisions() -> dict[str, Path]:
    """decision id → its DMN file under processes/ (one decision per file, as deploy requires)."""
    found = {}
    parser = etree.XMLParser(**SAFE_XML)
    for path in sorted(PROCESSES_DIR.rglob("*.dmn")):
        for decision in etree.parse(str(path), parser).getroot().iterfind("{*}decision"):
            found[decision.get("id")] = path.relative_to(PROCESSES_DIR)
    return found


def decision_path(decision_id: str) -> Path:
    """Where the table lies in processes/ (a scratch tree lays an edited table at the same place)."""
    path = installed_decisions().get(decision_id)
    if path is None:
        raise NotFound(f"decision table {decision_id!r}", "决策表不存在", message_en="No such decision table")
    return path


def route_decision_ids(bpmn_xml: str) -> list[str]:
    """The decision ids the route's business rule tasks call (camunda:decisionRef), in file order."""
    root = etree.fromstring(bpmn_xml.encode("utf-8"), etree.XMLParser(**SAFE_XML))
    refs = [task.get("{http://camunda.org/schema/1.0/bpmn}decisionRef")
            for task in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}businessRuleTask")]
    return list(dict.fromkeys(ref for ref in refs if ref))


def checked_decision(decision_id: str, text: Any) -> bytes:
    """The edited table as bytes once deploy's own DMN validation passes it and it still defines
    ``decision_id``; else DeployRefused naming what is wrong (a DOCTYPE, an unsafe expression, …)."""
    name = str(decision_path(decision_id))
    data = checked_document(name, text, "DMN", MAX_DMN_BYTES, f"{{{DMN_NS['dmn']}}}definitions",
                            "不是 DMN 1.3 文件（根元素应为 definitions）")
    with tempfile.TemporaryDirectory(prefix="jiuzhu-dmn-") as scratch:
        path = Path(scratch) / "table.dmn"
        path.write_bytes(data)
        decision, problems = validate_decision(path, name)
    if problems:
        raise DeployRefused(problems)
    if decision.decision_id != decision_id:
        raise refused(name, f"the table must keep the decision id '{decision_id}'",
                      f"决策表的标识必须保持为「{decision_id}」（当前为「{decision.decision_id}」）")
    return data


def decision_source(session: Session, author_id: int, process_id: str, decision_id: str) -> dict[str, Any]:
    """What the decision table editor opens: the designer's draft of it for this route, else the table the
    route's newest version deployed, else the installation's file."""
    path = decision_path(decision_id)
    latest = session.execute(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                             .order_by(ProcessVersion.id.desc()).limit(1)).scalar_one_or_none()
    if latest is None:
        raise not_deployed(process_id)
    draft = session.execute(select(ProcessDraft.decisions).where(
        ProcessDraft.process_id == process_id, ProcessDraft.author_id == author_id)).scalar_one_or_none() or {}
    if decision_id in draft:
        origin, text = "draft", draft[decision_id]
    elif decision_id in (latest.decisions or {}):
        origin, text = "version", latest.decisions[decision_id]
    else:
        origin, text = "file", (PROCESSES_DIR / path).read_text(encoding="utf-8")
    return {"process_id": process_id, "route_name": latest.name, "decision_id": decision_id, "path": str(path),
            "origin": origin, "dmn": text, "used_by_route": decision_id in route_decision_ids(latest.bpmn_xml)}


def save_decision(session: Session, now: datetime, author_id: int, process_id: str, decision_id: str,
                  text: Any) -> datetime:
    """Keep an edited table in the designer's draft of the route (a draft of the newest BPMN is started if
    there is none). Refused with deploy's problems, nothing stored, unless deploy would take the table."""
    data = checked_decision(decision_id, text)
    draft = session.execute(select(ProcessDraft).where(ProcessDraft.process_id == process_id,
                                                       ProcessDraft.author_id == author_id)
                            .with_for_update()).scalar_one_or_none()
    if draft is None:
        latest = session.execute(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                                 .order_by(ProcessVersion.id.desc()).limit(1)).scalar_one_or_none()
        if latest is None:
            raise not_deployed(process_id)
        draft = ProcessDraft(process_id=process_id, author_id=author_id, bpmn_xml=latest.bpmn_xml, forms={},
                             based_on_version_id=latest.id)
        session.add(draft)
    draft.decisions = {**(draft.decisions or {}), decision_id: data.decode("utf-8")}
    draft.saved_at = now
    session.flush()
    return now


def scratch_decisions(session: Session, author_id: int | None, process_id: str) -> dict[str, bytes]:
    """{path under processes/: DMN} to lay over the installation's tables when validating or deploying the
    route: what its newest version deployed, then what the designer's draft changed."""
    tables = {}
    latest = session.execute(select(ProcessVersion.decisions).where(ProcessVersion.process_id == process_id)
                             .order_by(ProcessVersion.id.desc()).limit(1)).scalar_one_or_none() or {}
    draft = {}
    if author_id is not None:
        draft = session.execute(select(ProcessDraft.decisions).where(
            ProcessDraft.process_id == process_id, ProcessDraft.author_id == author_id)).scalar_one_or_none() or {}
    known = installed_decisions()
    for decision_id, text in {**latest, **draft}.items():
        path = known.get(decision_id)
        if path is not None:
            tables[str(path)] = text.encode("utf-8")
    return tables
