"""Validate BPMN files and deploy changed processes as new immutable versions.

Every problem is reported with file, line and element id; a deploy with any
problem deploys nothing. The structure (lanes, forms, flows, Camunda extensions)
is checked in the XML; every piece of designer text that will be evaluated is
found in the *parsed* spec and checked by engine.catalogue.designer_checks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.catalogue.budgets import check_budget
from engine.catalogue.rules import rule_book
from engine.catalogue.dialect import BPMN, CAMUNDA, HUMAN_TAGS, check_camunda_dialect
from engine.catalogue.declarations import PROCESS_KEY, check_process as check_declarations, route_data_names
from engine.catalogue.designer_checks import (TextProblem, check_end_properties, check_process_properties,
                                              check_task_properties, check_texts, check_timer_data)
from engine.errors import DeployRefused, Problem
from engine.catalogue.executable import content_hash as version_hash
from engine.catalogue.lanes import LANE_NAMES, lane_role
from engine.catalogue.forms import FORMS_DIR, load_form_files
from engine.store.models import ProcessVersion
from engine.runtime.workflow import SERIALIZER_VERSION, ParseError, decision_texts, parse_processes, schema_error

PROCESSES_DIR = Path(__file__).resolve().parents[2] / "processes"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}
# What a lane may be called: a role code or one of its Chinese names (engine.catalogue.lanes).
ACCEPTED_LANE_NAMES = "; ".join(f"{role}: {'、'.join(names)}" for role, names in LANE_NAMES.items())
BRANCHING_GATEWAYS = ("exclusiveGateway", "inclusiveGateway")
START_KEY = "@start"
ENDS_KEY = "@ends"   # end event id → camunda:properties (e.g. recipient=register)


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
    declarations: dict[str, dict] = field(default_factory=dict)  # process id → engine.catalogue.declarations' stored form
    lane_roles: dict[str, str] = field(default_factory=dict)  # lane name as written → role code


@dataclass
class Decision:
    """A validated DMN file and the decision id it defines."""

    decision_id: str
    name: str
    xml: bytes


DMN_NS = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}
_XML_PARSER = dict(resolve_entities=False, no_network=True, huge_tree=False)


def validate_decision(path: Path, display_name: str) -> tuple[Decision | None, list[Problem]]:
    """Check one DMN file: well-formed, one decision, every expression SpiffWorkflow will build safe."""
    xml = path.read_bytes()
    try:
        root = etree.fromstring(xml, etree.XMLParser(**_XML_PARSER))
    except etree.XMLSyntaxError as exc:
        return None, [Problem(display_name, exc.lineno, None, f"XML syntax error: {exc.msg}", f"XML 格式错误：{exc.msg}")]
    ns = {"dmn": root.nsmap.get(None) or root.nsmap.get("dmn") or DMN_NS["dmn"]}
    decisions = root.findall("dmn:decision", ns)
    if len(decisions) != 1:
        return None, [Problem(display_name, root.sourceline, root.get("id"), "a DMN file must hold exactly one decision",
                              "每个 DMN 文件只能包含一个决策")]
    try:
        decision_id, _name, texts = decision_texts(xml, display_name)
    except ParseError as exc:
        return None, [Problem(display_name, exc.line, exc.element_id, str(exc), f"决策表解析失败：{exc}")]
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    problems = []
    for found in check_texts(texts):
        node = by_id.get(found.detail)
        text_node = node.find("dmn:text", ns) if node is not None else None
        line = _line_in(text_node if text_node is not None else node, found.line_in_text)
        problems.append(Problem(display_name, line, found.detail or found.element_id,
                                found.message, f"决策表{found.message_zh}"))
    if problems:
        return None, problems
    return Decision(decision_id, display_name, xml), []


def validate_file(path: Path, forms: dict[str, dict], display_name: str | None = None,
                  decisions: dict[str, "Decision"] | None = None,
                  book: dict[str, dict] | None = None) -> tuple[ValidatedFile | None, list[Problem]]:
    """Check one BPMN file; returns the parsed file or the problems found.

    ``decisions`` maps decision ids to the validated DMN files that define them; ``book`` is the county
    data the time budget is checked against (``rules.rule_book``; the file alone when None).
    """
    decisions = decisions or {}
    name = display_name or str(path)
    xml = path.read_bytes()
    problems: list[Problem] = []

    def problem(node, message, message_zh, line=None):
        problems.append(Problem(name, line or (node.sourceline if node is not None else None),
                                node.get("id") if node is not None else None, message, message_zh))

    try:
        root = etree.fromstring(xml, etree.XMLParser(**_XML_PARSER))
    except etree.XMLSyntaxError as exc:
        return None, [Problem(name, exc.lineno, None, f"XML syntax error: {exc.msg}", f"XML 格式错误：{exc.msg}")]
    if root.tag != f"{{{BPMN}}}definitions":
        return None, [Problem(name, root.sourceline, root.get("id"), "not a BPMN 2.0 definitions document",
                              "不是 BPMN 2.0 文件（根元素应为 bpmn:definitions）")]
    schema_problem = _schema_problem(root, name)
    if schema_problem:
        return None, [schema_problem]

    result = ValidatedFile(path=name, xml=xml)
    known_data = {}
    for process in root.iterfind("bpmn:process", NS):
        _check_process(process, forms, problem, result)
        check_budget(process, problem, book)
        known_data[process.get("id")] = route_data_names(process, forms, decisions)
        result.declarations[process.get("id")] = check_declarations(process, forms, decisions, problem)
    check_camunda_dialect(root, problem)
    for task in root.iter(f"{{{BPMN}}}businessRuleTask"):
        ref = task.get(f"{{{CAMUNDA}}}decisionRef")
        if ref not in decisions:
            problem(task, f"camunda:decisionRef '{ref}' names no decision in processes/decisions",
                    f"业务规则任务引用的决策表「{ref}」不存在")
        else:
            result.decisions[ref] = decisions[ref]
    try:
        result.processes = parse_processes(xml, name, {d.name: d.xml for d in result.decisions.values()},
                                           result.lane_roles)
    except ParseError as exc:
        # Often a consequence of a problem already found: report those alone.
        return None, problems or [Problem(exc.file_name, exc.line, exc.element_id, str(exc), f"流程解析失败：{exc}")]
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for spec in result.processes:
        for found in spec.problems:
            problem(by_id.get(found.element_id), found.message, found.message_zh)
        spec_problems = list(check_texts(spec.texts))
        spec_problems.extend(check_timer_data(spec.texts, known_data.get(spec.process_id, frozenset())))
        for task in spec.user_tasks.values():
            spec_problems.extend(check_task_properties(task.name, task.properties))
        for found in spec_problems:
            node, owner = _text_node(by_id, found)
            problem(owner, found.message, found.message_zh, _line_in(node, found.line_in_text))
    if problems:
        return None, problems
    return result, []


def _line_in(node, line_in_text: int | None) -> int | None:
    """The file line of a text's ``line_in_text``-th line (the text starts on its element's line)."""
    if node is None:
        return None
    return (node.sourceline or 0) + (line_in_text or 1) - 1


_TEXT_PATHS = {
    "script": "bpmn:script", "cardinality": "bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality",
    "completion": "bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition",
    "loop_condition": "bpmn:standardLoopCharacteristics/bpmn:loopCondition",
    "loop_maximum": "bpmn:standardLoopCharacteristics",
    "conditional_event": ".//bpmn:conditionalEventDefinition/bpmn:condition",
    "timeDate": ".//bpmn:timeDate", "timeDuration": ".//bpmn:timeDuration", "timeCycle": ".//bpmn:timeCycle",
}


def _text_node(by_id: dict, found: TextProblem):
    """(node holding the text, element to name) for a problem found in the parsed spec.

    Only used to put a line number and an id on a problem: what is checked came from the spec.
    """
    element = by_id.get(found.element_id)
    if element is None:
        return None, None
    if found.kind == "condition":
        for flow in element.getparent().iterfind("bpmn:sequenceFlow", NS):
            condition = flow.find("bpmn:conditionExpression", NS)
            if (flow.get("sourceRef"), flow.get("targetRef")) == (found.element_id, found.detail) and (
                    condition is not None and (condition.text or "").strip() == found.source.strip()):
                return condition, flow
    if found.kind in ("document", "property"):
        for prop in element.iterfind(".//camunda:property", NS):
            if prop.get("name") == found.detail:
                return prop, element
    path = _TEXT_PATHS.get(found.kind)
    node = element.find(path, NS) if path else None
    return (node if node is not None else element), element


def _schema_problem(root, name: str) -> Problem | None:
    error = schema_error(root, name)
    if error is None:
        return None
    message, line, element_id = error
    return Problem(name, line, element_id, f"BPMN schema error: {message}", f"不符合 BPMN 2.0 规范：{message}")


def _check_process(process, forms, problem, result: ValidatedFile) -> None:
    lanes = {}
    for lane in process.iterfind(".//bpmn:lane", NS):
        name = lane.get("name") or ""
        role = lane_role(name)
        if role is None:
            problem(lane, f"lane name '{name.strip()}' names no role (accepted: {ACCEPTED_LANE_NAMES})",
                    f"泳道名称「{name.strip()}」不是已知角色（可用的名称：{ACCEPTED_LANE_NAMES}）")
        else:
            result.lane_roles[name] = role
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            lanes[(ref.text or "").strip()] = role
    by_id = {el.get("id"): el for el in process.iter() if el.get("id")}

    for tag in HUMAN_TAGS:
        for task in process.iter(f"{{{BPMN}}}{tag}"):
            if task.get("id") not in lanes:
                problem(task, "user task is not inside any lane (its lane names the role that does it)",
                        "用户任务不在任何泳道内（泳道决定由哪个角色办理）")
            if tag == "userTask":
                _check_form_key(task, forms, problem, result)
            elif task.get(f"{{{CAMUNDA}}}formKey") is not None:
                problem(task, f"a bpmn:{tag} has no form: make it a user task to give it camunda:formKey",
                        f"bpmn:{tag} 不能带表单，请改为用户任务后再设置 camunda:formKey")
    own = {p.get("name"): p.get("value") for p in process.iterfind(
        "bpmn:extensionElements/camunda:properties/camunda:property", NS)}
    for found in check_process_properties(process.get("id"), own):
        problem(process, found.message, found.message_zh)
    for end in process.iter(f"{{{BPMN}}}endEvent"):
        props = {p.get("name"): p.get("value") for p in
                 end.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS)}
        for found in check_end_properties(end.get("id"), props):
            problem(end, found.message, found.message_zh)
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


def _check_form_key(node, forms, problem, result: ValidatedFile) -> str | None:
    key = node.get(f"{{{CAMUNDA}}}formKey")
    if key is None:
        return None
    if key not in forms:
        problem(node, f"camunda:formKey '{key}' has no file forms/{key}.json", f"表单「{key}」在 forms/ 目录中不存在")
        return None
    result.form_keys.add(key)
    return key


@dataclass
class DeployReport:
    """What a deploy did."""

    deployed: list[tuple[str, str]] = field(default_factory=list)   # (process id, hash)
    unchanged: list[tuple[str, str]] = field(default_factory=list)


def validate_tree(processes_dir: Path, forms_dir: Path, book: dict[str, dict] | None = None,
                  only: tuple[Path, str] | None = None) -> tuple[list[ValidatedFile], dict[str, dict], list[Problem]]:
    """(the valid BPMN files, the forms, every problem) of an installation's tree: each decision table and
    each BPMN file under ``processes_dir`` (or only the file ``only``, given with its display name) checked
    as ``jiuzhu deploy`` checks them, the time budgets against ``book``. The one validation of deploy and
    of the designer's drafts. Raises DeployRefused for a form that is not valid."""
    forms = load_form_files(forms_dir)
    problems: list[Problem] = []
    decisions: dict[str, Decision] = {}
    for path in sorted(processes_dir.rglob("*.dmn")):
        decision, found = validate_decision(path, str(path.relative_to(processes_dir)))
        problems.extend(found)
        if decision:
            decisions[decision.decision_id] = decision
    files = [only] if only else [(path, str(path.relative_to(processes_dir)) if path.is_relative_to(processes_dir)
                                  else str(path)) for path in sorted(processes_dir.rglob("*.bpmn"))]
    validated = []
    for path, display in files:
        ok, found = validate_file(path, forms, display, decisions, book)
        problems.extend(found)
        if ok:
            validated.append(ok)
    if not files:
        problems.append(Problem(str(processes_dir), None, None, "no .bpmn files found", "未找到任何 .bpmn 文件"))
    return validated, forms, problems


def deploy(session: Session, now: datetime, processes_dir: Path = PROCESSES_DIR, forms_dir: Path = FORMS_DIR) -> DeployReport:
    """Validate every BPMN file under ``processes_dir`` and deploy changed processes.

    All files are validated before anything is written, the time budgets under the county rules in force
    with the entries admins added (``rules.rule_book``); one problem anywhere refuses the whole deploy.
    """
    validated, forms, problems = validate_tree(processes_dir, forms_dir, rule_book(session))
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
        content_hash = version_hash(vf.xml, used_forms, [d.xml for _, d in sorted(vf.decisions.items())])
        for spec in vf.processes:
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
                decisions={d_id: d.xml.decode("utf-8") for d_id, d in sorted(vf.decisions.items())},
                serializer_version=SERIALIZER_VERSION, deployed_at=now,
            ))
            report.deployed.append((spec.process_id, content_hash))
    session.flush()  # autoflush is off: later statements of the caller's unit of work see the versions
    return report

