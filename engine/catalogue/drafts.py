"""The designer's workbench: drafts of a route edited in the browser, validated and deployed by the very
functions `jiuzhu deploy` runs (engine.catalogue.deployment), and the history of a route's versions.

A draft is BPMN text (and any forms edited with it) kept per designer and route. Validating or deploying
it lays the draft out as the route's file in a scratch tree beside the installation's decision tables and
forms, and hands that tree to ``validate_file``/``deploy``: one set of rules, one version hash, so what
the browser deploys and what `jiuzhu deploy` deploys from the same files are the same version.
"""
from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from contextlib import contextmanager
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from engine.catalogue.draft_decisions import scratch_decisions
from engine.catalogue.draft_text import checked_document, refused, storable
from engine.catalogue.versions import no_such_version, not_deployed
from engine.catalogue.deployment import BPMN, FORMS_DIR, PROCESSES_DIR, DeployReport, deploy, validate_tree
from engine.catalogue.rules import rule_book
from engine.catalogue.forms import check_form_schema
from engine.errors import DeployRefused, NotFound, Problem
from engine.store.models import Case, ProcessDraft, ProcessVersion, User

MAX_BPMN_BYTES = 1_000_000   # the largest shipped route is under 50 KB
MAX_NOTE_CHARS = 2000
MAX_DRAFT_FORMS = 20
FORM_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")


@dataclass(frozen=True)
class DeployOutcome:
    """What deploying a draft did: the new version, or the existing one when the content is unchanged."""

    version_id: int
    content_hash: str
    created: bool


def checked_text(process_id: str, text: Any) -> bytes:
    """The draft's BPMN as bytes, refused (DeployRefused, nothing stored) unless it is a BPMN document of a
    bounded size without a DOCTYPE: what no draft may be even before validation (not XML, entities, huge)."""
    return checked_document(f"{process_id}.bpmn", text, "BPMN", MAX_BPMN_BYTES, f"{{{BPMN}}}definitions",
                            "不是 BPMN 2.0 文件（根元素应为 bpmn:definitions）")


def checked_forms(forms: Any) -> dict[str, dict]:
    """Forms edited with a draft: {form key: JSON Schema}, keys as forms/ names its files."""
    if forms in (None, {}):
        return {}
    if not isinstance(forms, dict) or len(forms) > MAX_DRAFT_FORMS:
        raise refused("forms", "forms must be an object of at most 20 schemas", f"表单应为对象，且最多 {MAX_DRAFT_FORMS} 个")
    for key, schema in forms.items():
        if not isinstance(key, str) or not FORM_KEY.fullmatch(key) or not isinstance(schema, dict):
            raise refused("forms", f"form key {key!r} must be lower-case letters, digits and _ with a schema object",
                           f"表单标识「{key}」只能由小写字母、数字和下划线组成，且须附 JSON Schema 对象")
    if not storable(json.dumps(forms, ensure_ascii=False)):
        raise refused("forms", "the forms contain control or invalid characters", "表单中含有不允许的控制字符或无效字符")
    return forms


def _latest(session: Session, process_id: str) -> ProcessVersion:
    version = session.execute(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                              .order_by(ProcessVersion.id.desc()).limit(1)).scalar_one_or_none()
    if version is None:
        raise not_deployed(process_id)
    return version


@contextmanager
def _scratch_tree(source_path: str, xml: bytes, forms: dict[str, dict],
                  tables: dict[str, bytes] | None = None) -> Iterator[tuple[Path, Path, Path]]:
    """(processes dir, forms dir, the draft's file) of a scratch installation: the draft at its route's path,
    the installation's decision tables with ``tables`` (path → DMN) laid over them, and its forms with the
    draft's own."""
    with tempfile.TemporaryDirectory(prefix="jiuzhu-draft-") as scratch:
        processes, forms_dir = Path(scratch) / "processes", FORMS_DIR
        for dmn in PROCESSES_DIR.rglob("*.dmn"):
            target = processes / dmn.relative_to(PROCESSES_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(dmn, target)
        for relative_table, table in (tables or {}).items():
            (processes / relative_table).write_bytes(table)
        relative = Path(source_path)
        if relative.is_absolute() or ".." in relative.parts or relative.suffix != ".bpmn":
            relative = Path("drafts") / "route.bpmn"
        route_file = processes / relative
        route_file.parent.mkdir(parents=True, exist_ok=True)
        route_file.write_bytes(xml)
        if forms:
            forms_dir = Path(scratch) / "forms"
            shutil.copytree(FORMS_DIR, forms_dir)
            for key, schema in forms.items():
                (forms_dir / f"{key}.json").write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
        yield processes, forms_dir, route_file


def validate_draft(session: Session, process_id: str, text: Any, forms: Any = None,
                   author_id: int | None = None) -> list[Problem]:
    """Every problem `jiuzhu deploy` would find in the draft of route ``process_id`` (empty: it deploys),
    with the decision tables the author's draft keeps.

    Raises DeployRefused for text no draft may be (see ``checked_text``)."""
    xml, forms = checked_text(process_id, text), checked_forms(forms)
    latest = _latest(session, process_id)
    tables = scratch_decisions(session, author_id, process_id)
    with _scratch_tree(latest.source_path, xml, forms, tables) as (processes, forms_dir, route_file):
        try:
            files, _forms, problems = validate_tree(processes, forms_dir, rule_book(session),
                                                    only=(route_file, latest.source_path))
        except DeployRefused as exc:
            return exc.problems
    validated = files[0] if files else None
    if validated is not None:
        ids = [spec.process_id for spec in validated.processes]
        if ids != [process_id]:
            problems.append(Problem(latest.source_path, None, ids[0] if ids else None,
                                    f"the draft must define exactly the process '{process_id}', not {ids}",
                                    f"草稿只能定义流程「{process_id}」（当前为：{'、'.join(ids) or '无'}）"))
    return problems


def _deploy_into(session: Session, target: Session, now: datetime, author_id: int, process_id: str, text: Any,
                 forms: Any) -> DeployReport:
    """Validate the draft against the installation (``session``) and deploy it with ``deployment.deploy`` into
    ``target``: the installation's store, or a simulation's scratch store. DeployRefused with every problem."""
    problems = validate_draft(session, process_id, text, forms, author_id)
    if problems:
        raise DeployRefused(problems)
    latest = _latest(session, process_id)
    tables = scratch_decisions(session, author_id, process_id)
    with _scratch_tree(latest.source_path, checked_text(process_id, text), checked_forms(forms), tables) as (
            processes, forms_dir, _route_file):
        return deploy(target, now, processes, forms_dir)


def deploy_draft(session: Session, now: datetime, author_id: int, process_id: str, text: Any, note: Any,
                 forms: Any = None) -> DeployOutcome:
    """Deploy the draft of route ``process_id`` with ``deployment.deploy`` and record who and why.

    A draft whose executable content equals a deployed version's makes no new version (``created`` False).
    Raises DeployRefused with every problem; nothing is written then. The caller commits."""
    note = note.strip() if isinstance(note, str) else ""
    if not note:
        raise refused(f"{process_id}.bpmn", "a change note is required", "请填写变更说明（为什么修改）")
    if not storable(note):
        raise refused(f"{process_id}.bpmn", "the change note contains control or invalid characters",
                       "变更说明中含有不允许的控制字符或无效字符")
    if len(note) > MAX_NOTE_CHARS:
        raise refused(f"{process_id}.bpmn", f"the change note is longer than {MAX_NOTE_CHARS} characters",
                       f"变更说明不能超过 {MAX_NOTE_CHARS} 字")
    report = _deploy_into(session, session, now, author_id, process_id, text, forms)
    created = dict(report.deployed)
    content_hash = created.get(process_id) or dict(report.unchanged)[process_id]
    version = session.execute(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                           ProcessVersion.content_hash == content_hash)).scalar_one()
    if process_id in created:
        version.deployed_by_id, version.note = author_id, note
        session.execute(delete(ProcessDraft).where(ProcessDraft.process_id == process_id,
                                                   ProcessDraft.author_id == author_id))
        session.flush()
    return DeployOutcome(version.id, content_hash, process_id in created)


def deploy_scratch(session: Session, scratch: Session, now: datetime, author_id: int, process_id: str, text: Any,
                   forms: Any = None) -> int:
    """Deploy the designer's unsaved draft of a route into a scratch store (``scratch``, a simulation's),
    never into the installation's: validated first exactly as deploy validates it (``validate_draft``,
    DeployRefused with every problem), then ``deploy`` run on the scratch session. Returns the scratch
    version's id: negative and random, so the version cache (keyed by id) never mistakes it for a real
    version; the caller forgets it (``versions.forget_version``) when the simulation ends."""
    _deploy_into(session, scratch, now, author_id, process_id, text, forms)
    row = scratch.execute(select(ProcessVersion).where(ProcessVersion.process_id == process_id)).scalar_one()
    scratch_id = -secrets.randbits(48) - 1
    scratch.execute(update(ProcessVersion).where(ProcessVersion.id == row.id).values(id=scratch_id))
    scratch.expunge(row)
    return scratch_id


def save_draft(session: Session, now: datetime, author_id: int, process_id: str, text: Any,
               forms: Any = None) -> datetime:
    """Keep the designer's draft of a route (replacing their previous one); returns when it was saved."""
    xml, forms = checked_text(process_id, text), checked_forms(forms)
    latest = _latest(session, process_id)
    draft = session.execute(select(ProcessDraft).where(ProcessDraft.process_id == process_id,
                                                       ProcessDraft.author_id == author_id)
                            .with_for_update()).scalar_one_or_none()
    if draft is None:
        draft = ProcessDraft(process_id=process_id, author_id=author_id)
        session.add(draft)
    draft.bpmn_xml, draft.forms, draft.saved_at = xml.decode("utf-8"), forms, now
    draft.based_on_version_id = draft.based_on_version_id or latest.id
    session.flush()
    return now


def discard_draft(session: Session, author_id: int, process_id: str) -> bool:
    """Forget the designer's draft of a route; True when there was one."""
    result = session.execute(delete(ProcessDraft).where(ProcessDraft.process_id == process_id,
                                                        ProcessDraft.author_id == author_id))
    return bool(result.rowcount)


def workbench_source(session: Session, author_id: int, process_id: str) -> dict[str, Any]:
    """What the modeler opens: the designer's draft of the route if any, else its newest version."""
    latest = _latest(session, process_id)
    draft = session.execute(select(ProcessDraft).where(ProcessDraft.process_id == process_id,
                                                       ProcessDraft.author_id == author_id)).scalar_one_or_none()
    source = {"process_id": process_id, "name": latest.name, "source_path": latest.source_path,
              "version": {"id": latest.id, "hash": latest.content_hash}, "draft": None,
              "bpmn": latest.bpmn_xml, "forms": {}}
    if draft is not None:
        source.update(bpmn=draft.bpmn_xml, forms=draft.forms or {},
                      draft={"saved_at": draft.saved_at, "based_on_version_id": draft.based_on_version_id,
                             "outdated": draft.based_on_version_id != latest.id})
    return source


def route_history(session: Session, process_id: str) -> list[dict[str, Any]]:
    """The deployed versions of a route, newest first: hash, date, author, note, running cases."""
    running = (select(Case.process_version_id, func.count().label("n")).where(Case.status == "running",
               Case.process_id == process_id).group_by(Case.process_version_id).subquery())
    rows = session.execute(
        select(ProcessVersion.id, ProcessVersion.name, ProcessVersion.content_hash, ProcessVersion.deployed_at,
               ProcessVersion.note, ProcessVersion.source_path, User.display_name, func.coalesce(running.c.n, 0))
        .outerjoin(User, User.id == ProcessVersion.deployed_by_id)
        .outerjoin(running, running.c.process_version_id == ProcessVersion.id)
        .where(ProcessVersion.process_id == process_id).order_by(ProcessVersion.id.desc())).all()
    if not rows:
        raise not_deployed(process_id)
    return [{"id": r[0], "name": r[1], "content_hash": r[2], "deployed_at": r[3], "note": r[4], "source_path": r[5],
             "deployed_by": r[6], "running_cases": r[7], "number": len(rows) - i} for i, r in enumerate(rows)]


def version_bpmn(session: Session, process_id: str, version_id: int) -> tuple[str, str]:
    """(file name, BPMN text) of one deployed version of a route."""
    row = session.execute(select(ProcessVersion.source_path, ProcessVersion.bpmn_xml, ProcessVersion.content_hash)
                          .where(ProcessVersion.id == version_id, ProcessVersion.process_id == process_id)).first()
    if row is None:
        raise no_such_version(process_id, version_id)
    return f"{Path(row[0]).stem}-{process_id}-{row[2][:12]}.bpmn", row[1]


def installed_form(form_key: str) -> dict[str, Any]:
    """The JSON Schema of a form in forms/ (the one the modeler starts from when editing it)."""
    if not isinstance(form_key, str) or not FORM_KEY.fullmatch(form_key):
        raise NotFound(f"form {form_key!r}", "表单不存在", message_en="No such form")
    path = FORMS_DIR / f"{form_key}.json"
    if not path.is_file():
        raise NotFound(f"form {form_key!r}", "表单不存在", message_en="No such form")
    return json.loads(path.read_text(encoding="utf-8"))


def form_problems(form_key: Any, schema: Any) -> list[Problem]:
    """What deploy would refuse in a form edited with a draft (empty: it would deploy), for the preview."""
    forms = checked_forms({form_key: schema})
    return check_form_schema(forms[form_key], f"{form_key}.json")
