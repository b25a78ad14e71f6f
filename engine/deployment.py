"""Validate BPMN files and deploy changed processes as new immutable versions.

Every problem is reported with file, line and element id; a deploy with any
problem deploys nothing.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from .declarations import PROCESS_KEY, check_process as check_declarations
from .documents import KINDS as DOCUMENT_KINDS, PREFIX as DOCUMENT_PREFIX, TEMPLATES_DIR as DOCUMENT_TEMPLATES
from .errors import DeployRefused, Problem
from .expressions import UnsafeExpression, check_expression
from .forms import FORMS_DIR, load_form_files
from .models import ProcessVersion
from .workdays import parse_period
from .workflow import SERIALIZER_VERSION, ParseError, parse_processes

PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}
LANE_ROLES = frozenset({"village", "township", "county", "review_panel", "disability_federation", "district_center"})
HUMAN_TAGS = ("userTask", "manualTask")
BRANCHING_GATEWAYS = ("exclusiveGateway", "inclusiveGateway")
START_KEY = "@start"
ENDS_KEY = "@ends"   # end event id → camunda:properties (e.g. recipient=register)
RECIPIENT_EFFECTS = ("register", "update", "continue", "stop")


@dataclass
class ValidatedFile:
    """A BPMN file that passed validation, with what deploy needs from it."""

    path: str
    xml: bytes
    processes: list = field(default_factory=list)
    start_forms: dict[str, dict] = field(default_factory=dict)
    form_keys: set[str] = field(default_factory=set)
    decisions: dict[str, "Decision"] = field(default_factory=dict)
    end_properties: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    declarations: dict[str, dict] = field(default_factory=dict)  # process id → engine.declarations' stored form


@dataclass
class Decision:
    """A validated DMN file and the decision id it defines."""

    decision_id: str
    name: str
    xml: bytes


DMN_NS = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}


def validate_decision(path: Path, display_name: str) -> tuple[Decision | None, list[Problem]]:
    """Check one DMN file: well-formed, one decision, every expression safe."""
    xml = path.read_bytes()
    problems: list[Problem] = []
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return None, [Problem(display_name, exc.lineno, None, f"XML syntax error: {exc.msg}", f"XML 格式错误：{exc.msg}")]
    ns = {"dmn": root.nsmap.get(None) or root.nsmap.get("dmn") or DMN_NS["dmn"]}
    decisions = root.findall("dmn:decision", ns)
    if len(decisions) != 1:
        return None, [Problem(display_name, root.sourceline, root.get("id"), "a DMN file must hold exactly one decision",
                              "每个 DMN 文件只能包含一个决策")]

    def check(node, source, as_test):
        text = (source or "").strip()
        if not text or text == "-":
            return
        candidates = [text.replace("?", "dmninputexpr")] if "?" in text else [text, f"dmninputexpr {text}"]
        errors = []
        for candidate in candidates if as_test else [text]:
            try:
                check_expression(candidate, "eval")
                return
            except UnsafeExpression as exc:
                errors.append(exc)
        owner = node
        while owner.getparent() is not None and not owner.get("id"):
            owner = owner.getparent()
        problems.append(Problem(display_name, node.sourceline, owner.get("id"),
                                f"unsafe or invalid expression: {errors[-1].reason}",
                                f"决策表表达式不安全或有误：{errors[-1].reason_zh}"))

    for node in root.iterfind(".//dmn:inputExpression/dmn:text", ns):
        check(node, node.text, False)
    for node in root.iterfind(".//dmn:inputEntry/dmn:text", ns):
        check(node, node.text, True)
    for node in root.iterfind(".//dmn:outputEntry/dmn:text", ns):
        check(node, node.text, False)
    if problems:
        return None, problems
    return Decision(decisions[0].get("id"), display_name, xml), []


def validate_file(path: Path, forms: dict[str, dict], display_name: str | None = None,
                  decisions: dict[str, "Decision"] | None = None) -> tuple[ValidatedFile | None, list[Problem]]:
    """Check one BPMN file; returns the parsed file or the problems found.

    ``decisions`` maps decision ids to the validated DMN files that define them.
    """
    decisions = decisions or {}
    name = display_name or str(path)
    xml = path.read_bytes()
    problems: list[Problem] = []

    def problem(node, message, message_zh, line=None):
        problems.append(Problem(name, line or (node.sourceline if node is not None else None),
                                node.get("id") if node is not None else None, message, message_zh))

    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError as exc:
        return None, [Problem(name, exc.lineno, None, f"XML syntax error: {exc.msg}", f"XML 格式错误：{exc.msg}")]
    if root.tag != f"{{{BPMN}}}definitions":
        return None, [Problem(name, root.sourceline, root.get("id"), "not a BPMN 2.0 definitions document",
                              "不是 BPMN 2.0 文件（根元素应为 bpmn:definitions）")]
    schema_problem = _schema_problem(root, name)
    if schema_problem:
        return None, [schema_problem]

    result = ValidatedFile(path=name, xml=xml)
    for process in root.iterfind("bpmn:process", NS):
        _check_process(process, forms, problem, result)
        result.declarations[process.get("id")] = check_declarations(process, forms, decisions, problem)
    for task in root.iter(f"{{{BPMN}}}businessRuleTask"):
        ref = task.get(f"{{{CAMUNDA}}}decisionRef")
        if ref not in decisions:
            problem(task, f"camunda:decisionRef '{ref}' names no decision in processes/decisions",
                    f"业务规则任务引用的决策表「{ref}」不存在")
        else:
            result.decisions[ref] = decisions[ref]
    if problems:
        return None, problems
    try:
        result.processes = parse_processes(xml, name, {d.name: d.xml for d in result.decisions.values()})
    except ParseError as exc:
        return None, [Problem(exc.file_name, exc.line, exc.element_id, str(exc), f"流程解析失败：{exc}")]
    return result, []


def _schema_problem(root, name: str) -> Problem | None:
    from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator  # XSD only; the parser stays in workflow.py
    from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
    try:
        BpmnValidator().validate(root, name)
    except ValidationException as exc:
        line = exc.line_number if isinstance(exc.line_number, int) else None
        return Problem(name, line, exc.id or None, f"BPMN schema error: {exc}", f"不符合 BPMN 2.0 规范：{exc}")
    return None


def _check_process(process, forms, problem, result: ValidatedFile) -> None:
    lanes = {}
    for lane in process.iterfind(".//bpmn:lane", NS):
        role = (lane.get("name") or "").strip()
        if role not in LANE_ROLES:
            problem(lane, f"lane names unknown role '{role}' (known: {', '.join(sorted(LANE_ROLES))})",
                    f"泳道名称「{role}」不是已知角色（应为 {', '.join(sorted(LANE_ROLES))} 之一）")
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            lanes[(ref.text or "").strip()] = role
    by_id = {el.get("id"): el for el in process.iter() if el.get("id")}

    for tag in HUMAN_TAGS:
        for task in process.iter(f"{{{BPMN}}}{tag}"):
            if task.get("id") not in lanes:
                problem(task, "user task is not inside any lane (its lane names the role that does it)",
                        "用户任务不在任何泳道内（泳道决定由哪个角色办理）")
            _check_form_key(task, forms, problem, result)
            _check_properties(task, problem)
    for end in process.iter(f"{{{BPMN}}}endEvent"):
        props = {p.get("name"): p.get("value") for p in
                 end.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS)}
        if props.get("recipient") and props["recipient"] not in RECIPIENT_EFFECTS:
            problem(end, f"recipient effect '{props['recipient']}' must be one of {', '.join(RECIPIENT_EFFECTS)}",
                    f"end 事件的 recipient 属性「{props['recipient']}」无效")
        if props:
            result.end_properties.setdefault(process.get("id"), {})[end.get("id")] = props
    for start in process.iterfind("bpmn:startEvent", NS):
        key = _check_form_key(start, forms, problem, result)
        if key:
            result.start_forms[process.get("id")] = {"form_key": key, "lane": lanes.get(start.get("id"))}

    for gateway_tag in BRANCHING_GATEWAYS:
        for gateway in process.iter(f"{{{BPMN}}}{gateway_tag}"):
            outgoing = [f for f in process.iterfind("bpmn:sequenceFlow", NS) if f.get("sourceRef") == gateway.get("id")]
            if len(outgoing) < 2:
                continue
            for flow in outgoing:
                if flow.find("bpmn:conditionExpression", NS) is None and gateway.get("default") != flow.get("id"):
                    problem(flow, f"branch of gateway '{gateway.get('id')}' has neither a condition nor is the default",
                            f"网关「{gateway.get('name') or gateway.get('id')}」的分支既无条件也不是默认分支")

    for flow in process.iter(f"{{{BPMN}}}sequenceFlow"):
        for ref in ("sourceRef", "targetRef"):
            if flow.get(ref) not in by_id:
                problem(flow, f"{ref} '{flow.get(ref)}' does not exist", f"连线指向不存在的元素「{flow.get(ref)}」")
        cond = flow.find("bpmn:conditionExpression", NS)
        if cond is not None:
            _check_code(cond, cond.text or "", "eval", problem)
    for timer_expr in ("timeDuration", "timeDate", "timeCycle"):
        for node in process.iter(f"{{{BPMN}}}{timer_expr}"):
            _check_code(node, node.text or "", "eval", problem)
    for script in process.iter(f"{{{BPMN}}}script"):
        _check_code(script, script.text or "", "exec", problem)


def _check_form_key(node, forms, problem, result: ValidatedFile) -> str | None:
    key = node.get(f"{{{CAMUNDA}}}formKey")
    if key is None:
        return None
    if key not in forms:
        problem(node, f"camunda:formKey '{key}' has no file forms/{key}.json", f"表单「{key}」在 forms/ 目录中不存在")
        return None
    result.form_keys.add(key)
    return key


def _check_properties(task, problem) -> None:
    for prop in task.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS):
        name = prop.get("name") or ""
        if name.startswith(DOCUMENT_PREFIX):
            kind = name[len(DOCUMENT_PREFIX):]
            if kind not in DOCUMENT_KINDS or not (DOCUMENT_TEMPLATES / f"{kind}.html").exists():
                problem(task, f"unknown document kind '{kind}'", f"文书类型「{kind}」不存在（documents/ 中无模板）",
                        prop.sourceline)
            _check_code(prop, prop.get("value") or "", "eval", problem)
        if name == "deadline":
            try:
                parse_period(prop.get("value") or "")
            except ValueError:
                problem(task, f"deadline '{prop.get('value')}' must look like 10wd or 7d",
                        f"期限「{prop.get('value')}」格式应为 10wd（工作日）或 7d（天）")


def _check_code(node, source: str, mode: str, problem) -> None:
    if not source.strip():
        problem(node, "empty expression", "表达式为空")
        return
    try:
        check_expression(source.strip(), mode)
    except UnsafeExpression as exc:
        owner = node  # report the flow element, not a timerEventDefinition or text node inside it
        while owner.getparent() is not None and (not owner.get("id") or owner.tag.endswith("EventDefinition")):
            owner = owner.getparent()
        line = (node.sourceline or 0) + (exc.lineno or 1) - 1
        problem(owner, f"unsafe or invalid expression: {exc.reason}", f"表达式不安全或有误：{exc.reason_zh}", line)


@dataclass
class DeployReport:
    """What a deploy did."""

    deployed: list[tuple[str, str]] = field(default_factory=list)   # (process id, hash)
    unchanged: list[tuple[str, str]] = field(default_factory=list)


def deploy(session: Session, now: datetime, processes_dir: Path = PROCESSES_DIR, forms_dir: Path = FORMS_DIR) -> DeployReport:
    """Validate every BPMN file under ``processes_dir`` and deploy changed processes.

    All files are validated before anything is written; one problem anywhere
    refuses the whole deploy. Commits once.
    """
    forms = load_form_files(forms_dir)
    files = sorted(processes_dir.rglob("*.bpmn"))
    validated, problems = [], []
    decisions: dict[str, Decision] = {}
    for path in sorted(processes_dir.rglob("*.dmn")):
        decision, found = validate_decision(path, str(path.relative_to(processes_dir)))
        problems.extend(found)
        if decision:
            decisions[decision.decision_id] = decision
    for path in files:
        display = str(path.relative_to(processes_dir)) if path.is_relative_to(processes_dir) else str(path)
        ok, found = validate_file(path, forms, display, decisions)
        problems.extend(found)
        if ok:
            validated.append(ok)
    if not files:
        problems.append(Problem(str(processes_dir), None, None, "no .bpmn files found", "未找到任何 .bpmn 文件"))
    if problems:
        raise DeployRefused(problems)
    seen: dict[str, str] = {}
    for vf in validated:
        for spec in vf.processes:
            if spec.process_id in seen:
                raise DeployRefused([Problem(vf.path, None, spec.process_id,
                                             f"process id also defined in {seen[spec.process_id]}",
                                             f"流程标识与 {seen[spec.process_id]} 重复")])
            seen[spec.process_id] = vf.path

    report = DeployReport()
    for vf in validated:
        used_forms = {key: forms[key] for key in sorted(vf.form_keys)}
        for spec in vf.processes:
            content_hash = _content_hash(vf.xml, used_forms, [d.xml for _, d in sorted(vf.decisions.items())])
            exists = session.execute(select(ProcessVersion.id).where(
                ProcessVersion.process_id == spec.process_id, ProcessVersion.content_hash == content_hash)).first()
            if exists:
                report.unchanged.append((spec.process_id, content_hash))
                continue
            tasks = {name: {"title": t.title, "lane": t.lane, "form_key": t.form_key, "properties": t.properties}
                     for name, t in spec.user_tasks.items()}
            tasks[START_KEY] = vf.start_forms.get(spec.process_id, {"form_key": None, "lane": None})
            tasks[ENDS_KEY] = vf.end_properties.get(spec.process_id, {})
            tasks[PROCESS_KEY] = vf.declarations.get(spec.process_id, {})
            session.add(ProcessVersion(
                process_id=spec.process_id, content_hash=content_hash, name=spec.name, source_path=vf.path,
                bpmn_xml=vf.xml.decode("utf-8"), spec_json=spec.spec_json, forms=used_forms, tasks=tasks,
                serializer_version=SERIALIZER_VERSION, deployed_at=now,
            ))
            report.deployed.append((spec.process_id, content_hash))
    session.flush()  # autoflush is off: later statements of the caller's unit of work see the versions
    return report


def _content_hash(xml: bytes, forms: dict, decisions: list[bytes]) -> str:
    digest = hashlib.sha256(xml)
    digest.update(json.dumps(forms, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    for decision in decisions:
        digest.update(hashlib.sha256(decision).digest())
    return digest.hexdigest()
