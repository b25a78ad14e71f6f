"""Designer text never reaches the system and never surprises at run time: what a diagram would evaluate
is found in the parsed spec and refused at deploy with file, line and element; a spec that bypasses
deploy is refused again at the evaluation itself."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.catalogue.deployment import deploy, validate_file
from engine.cases.documents import issue_documents
from engine.errors import DeployRefused, RouteFailed
from engine.catalogue.forms import load_form_files
from engine.store.models import ProcessVersion
from engine.runtime.workflow import Workflow, load_spec, parse_processes
from tests.conftest import START
from tests.unit.designer_bpmn import diagram, flow, properties, script, timer

FORMS = load_form_files()
ESCAPE = "().__class__.__base__.__subclasses__()"


def route(*middle: str, lane: tuple[str, ...] = ()) -> str:
    """start → the given elements in a chain (by id, in order) → end."""
    ids = [m.split('id="', 1)[1].split('"', 1)[0] for m in middle]
    chain = ["start", *ids, "done"]
    flows = "".join(flow(f"f_{a}_{b}", a, b) for a, b in zip(chain, chain[1:]))
    return diagram("probe", '    <bpmn:startEvent id="start" />\n' + "".join(middle) + flows
                   + '    <bpmn:endEvent id="done" />\n', {"township": list(lane)})


def problems(tmp_path: Path, xml: str) -> list:
    path = tmp_path / "probe.bpmn"
    path.write_text(xml, encoding="utf-8")
    validated, found = validate_file(path, FORMS, "designer/probe.bpmn", {})
    assert validated is None and found, "refused"
    return found


def line_of(xml: str, needle: str) -> int:
    return xml[: xml.index(needle)].count("\n") + 1


# A plain bpmn:task is a human task to SpiffWorkflow, and its parser reads camunda:properties at any depth.
NESTED_DOCUMENT = (
    '    <bpmn:task id="plain_step" name="告知"><bpmn:property id="p1" name="note">'
    + properties({"document:acceptance_notice": ESCAPE}) + "</bpmn:property></bpmn:task>\n")


def test_plain_task_with_a_nested_unsafe_document_condition_is_refused_at_deploy(db, tmp_path):
    tree = tmp_path / "processes"
    tree.mkdir()
    xml = route(NESTED_DOCUMENT, lane=("plain_step",))
    (tree / "probe.bpmn").write_text(xml, encoding="utf-8")
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        before = s.execute(select(func.count()).select_from(ProcessVersion)).scalar()
        with pytest.raises(DeployRefused) as info:
            deploy(s, START, tree)
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(func.count()).select_from(ProcessVersion)).scalar() == before
    found = {(p.element_id, p.line) for p in info.value.problems if "表达式不安全" in p.message_zh}
    assert found == {("plain_step", line_of(xml, "document:acceptance_notice"))}
    assert any("只在用户任务、结束事件或流程自身的 extensionElements" in p.message_zh for p in info.value.problems)


def test_a_spec_that_bypassed_deploy_is_refused_at_the_evaluation():
    # parse_processes only parses: nothing of deploy's checking runs here.
    [spec] = parse_processes(route(NESTED_DOCUMENT, lane=("plain_step",)).encode(), "probe.bpmn")
    workflow = Workflow.start(load_spec(spec.spec_json), {}, START)
    [task] = workflow.ready_user_tasks()
    assert task.properties == {"document:acceptance_notice": ESCAPE}
    with pytest.raises(RouteFailed) as info:  # refused before any row is written (no session needed)
        issue_documents(None, {}, None, "响水县", task.properties, workflow.data, START, task.name)
    assert (info.value.kind, info.value.element_id) == ("refused", "plain_step")

    [spec] = parse_processes(route(script("escape", f"x = {ESCAPE}")).encode(), "probe.bpmn")
    with pytest.raises(RouteFailed) as info:
        Workflow.start(load_spec(spec.spec_json), {}, START)
    assert (info.value.kind, info.value.element_id) == ("refused", "escape")
    assert "__subclasses__" in info.value.reason


def test_a_plain_task_gets_the_user_task_rules(tmp_path):
    outside = '    <bpmn:task id="plain_step" camunda:formKey="acceptance" />\n'
    found = problems(tmp_path, route(outside))
    assert {p.element_id for p in found} == {"plain_step"}
    assert any("泳道" in p.message_zh for p in found) and any("不能带表单" in p.message_zh for p in found)


def test_unknown_property_names_are_refused_with_the_known_names(tmp_path):
    xml = route('    <bpmn:userTask id="review">' + properties({"Deadline": "10wd"}) + "</bpmn:userTask>\n",
                lane=("review",))
    [problem] = problems(tmp_path, xml)
    assert (problem.element_id, problem.line) == ("review", line_of(xml, 'name="Deadline"'))
    assert "Deadline" in problem.message
    for known in ("deadline", "document:KIND", "publicity", "clock"):
        assert known in problem.message and known in problem.message_zh


def test_property_values_and_places_are_checked(tmp_path):
    xml = route('    <bpmn:userTask id="review">' + properties({"deadline": "10 days", "clock": "stopped"})
                + "</bpmn:userTask>\n", lane=("review",))
    assert {p.message.split(" ")[0] for p in problems(tmp_path, xml)} == {"deadline", "clock"}
    gateway = route('    <bpmn:parallelGateway id="fork">' + properties({"deadline": "10wd"})
                    + "</bpmn:parallelGateway>\n")
    [problem] = problems(tmp_path, gateway)
    assert problem.element_id == "fork" and "不会被读取" in problem.message_zh
    end = diagram("probe", '    <bpmn:startEvent id="start" />\n' + flow("f1", "start", "done")
                  + '    <bpmn:endEvent id="done">' + properties({"Recipient": "register"}) + "</bpmn:endEvent>\n", {})
    [problem] = problems(tmp_path, end)
    assert problem.element_id == "done" and "recipient" in problem.message


@pytest.mark.parametrize(("extension", "name"), [
    ('<bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="x">${{a}}</camunda:inputParameter>'
     '</camunda:inputOutput></bpmn:extensionElements>', "inputOutput"),
    ('<bpmn:extensionElements><camunda:executionListener event="start"><camunda:script scriptFormat="python">'
     'import os</camunda:script></camunda:executionListener></bpmn:extensionElements>', "executionListener"),
])
def test_camunda_constructs_that_would_be_ignored_are_refused(tmp_path, extension, name):
    xml = route(f'    <bpmn:userTask id="review">{extension}</bpmn:userTask>\n', lane=("review",))
    [problem] = problems(tmp_path, xml)
    assert problem.element_id == "review" and f"camunda:{name}" in problem.message


def test_camunda_assignee_is_refused(tmp_path):
    [problem] = problems(tmp_path, route('    <bpmn:userTask id="review" camunda:assignee="${initiator}" />\n',
                                         lane=("review",)))
    assert problem.element_id == "review" and "泳道" in problem.message_zh


# Each of these passed deploy and then hung or exhausted a worker when a case reached it.
CONSTANT_BUDGET_BUSTERS = {
    "printf_width_in_condition": (
        '    <bpmn:exclusiveGateway id="gw" default="f_gw_done" />\n',
        flow("f_gw_check", "gw", "done", "'%*d' % (4000000000, 0) != ''"), "f_gw_check"),
    "fstring_width_in_condition": (
        '    <bpmn:exclusiveGateway id="gw" default="f_gw_done" />\n',
        flow("f_gw_check", "gw", "done", "f'{0:>4000000000}' != ''"), "f_gw_check"),
    "nested_loops_in_script": (
        script("loops", "t = 0\nfor i in range(100000):\n    for j in range(100000):\n        t += 1"), "", "loops"),
    "cycle_of_5000": (
        f'    <bpmn:intermediateCatchEvent id="tick">{timer("timeCycle", "R5000/PT0S")}</bpmn:intermediateCatchEvent>\n',
        "", "tick"),
    "quoted_cycle_of_5000": (
        f'    <bpmn:intermediateCatchEvent id="tick">{timer("timeCycle", chr(34) + "R5000/PT0S" + chr(34))}'
        '</bpmn:intermediateCatchEvent>\n', "", "tick"),
    "endless_cycle": (
        f'    <bpmn:intermediateCatchEvent id="tick">{timer("timeCycle", "R/P1D")}</bpmn:intermediateCatchEvent>\n',
        "", "tick"),
    "cardinality_200000": (
        '    <bpmn:userTask id="countersign"><bpmn:multiInstanceLoopCharacteristics>'
        '<bpmn:loopCardinality>200000</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>\n',
        "", "countersign"),
    "loop_maximum_200000": (
        '    <bpmn:userTask id="countersign"><bpmn:standardLoopCharacteristics loopMaximum="200000" />'
        '</bpmn:userTask>\n', "", "countersign"),
}


@pytest.mark.parametrize(("element", "extra_flow", "named"), CONSTANT_BUDGET_BUSTERS.values(),
                         ids=CONSTANT_BUDGET_BUSTERS.keys())
def test_constant_text_over_the_budget_is_refused_at_deploy(tmp_path, element, extra_flow, named):
    xml = route(element, lane=("countersign",) if "countersign" in element else ())
    if extra_flow:
        xml = xml.replace('<bpmn:endEvent id="done" />', extra_flow + '    <bpmn:endEvent id="done" />')
    [problem] = problems(tmp_path, xml)
    assert problem.element_id == named and problem.line is not None
    assert "超出运行限制" in problem.message_zh or "最多" in problem.message_zh or "无限" in problem.message_zh


UNSAFE_PLACES = {
    "cardinality": ('    <bpmn:userTask id="countersign"><bpmn:multiInstanceLoopCharacteristics>'
                    f'<bpmn:loopCardinality>{ESCAPE}</bpmn:loopCardinality>'
                    '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>\n', "countersign", "loopCardinality"),
    "completion": ('    <bpmn:userTask id="countersign"><bpmn:multiInstanceLoopCharacteristics>'
                   '<bpmn:loopCardinality>3</bpmn:loopCardinality>'
                   f'<bpmn:completionCondition>{ESCAPE}</bpmn:completionCondition>'
                   '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>\n', "countersign", "completionCondition"),
    "loop_condition": ('    <bpmn:userTask id="countersign"><bpmn:standardLoopCharacteristics>'
                       f'<bpmn:loopCondition>{ESCAPE}</bpmn:loopCondition>'
                       '</bpmn:standardLoopCharacteristics></bpmn:userTask>\n', "countersign", "loopCondition"),
    "conditional_event": ('    <bpmn:intermediateCatchEvent id="until"><bpmn:conditionalEventDefinition>'
                          f'<bpmn:condition xsi:type="bpmn:tFormalExpression">{ESCAPE}</bpmn:condition>'
                          '</bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>\n', "until", "condition"),
    "timer_date": (f'    <bpmn:intermediateCatchEvent id="until">{timer("timeDate", ESCAPE)}'
                   '</bpmn:intermediateCatchEvent>\n', "until", "timeDate"),
}


@pytest.mark.parametrize(("element", "named", "tag"), UNSAFE_PLACES.values(), ids=UNSAFE_PLACES.keys())
def test_unsafe_multi_instance_loop_and_event_expressions_are_refused_at_deploy(tmp_path, element, named, tag):
    xml = route(element, lane=("countersign",))
    [problem] = problems(tmp_path, xml)
    assert (problem.element_id, problem.line) == (named, line_of(xml, f"<bpmn:{tag}"))
    assert "表达式不安全" in problem.message_zh and "__subclasses__" in problem.message


def test_a_timer_literal_of_the_wrong_kind_is_refused(tmp_path):
    xml = route(f'    <bpmn:intermediateCatchEvent id="until">{timer("timeDate", "P7D")}</bpmn:intermediateCatchEvent>\n')
    [problem] = problems(tmp_path, xml)
    assert problem.element_id == "until" and "ISO 8601" in problem.message


def test_elements_the_engine_cannot_run_are_refused_with_the_element_named(tmp_path):
    found = problems(tmp_path, route('    <bpmn:serviceTask id="call" />\n', '    <bpmn:receiveTask id="wait" />\n'))
    assert {p.element_id for p in found} == {"call", "wait"}


def test_a_multi_instance_script_task_deploys_and_runs(tmp_path):
    task = ('    <bpmn:scriptTask id="each" scriptFormat="python"><bpmn:multiInstanceLoopCharacteristics>'
            '<bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>'
            '<bpmn:script>done_one = True</bpmn:script></bpmn:scriptTask>\n')
    path = tmp_path / "probe.bpmn"
    path.write_text(route(task), encoding="utf-8")
    validated, found = validate_file(path, FORMS, "probe.bpmn", {})
    assert found == []
    workflow = Workflow.start(load_spec(validated.processes[0].spec_json), {}, datetime.now(timezone.utc))
    assert workflow.is_completed and workflow.data["done_one"] is True
