"""Every piece of designer text SpiffWorkflow will evaluate is found by walking the parsed spec, and the
walk cannot fall behind SpiffWorkflow: a new place that evaluates text, a new spec class or a new
expression-holding attribute fails these tests until engine/workflow_texts.py knows it."""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import SpiffWorkflow
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.specs.event_definitions.base import EventDefinition
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.specs import multiinstance_task as camunda_mi
from SpiffWorkflow.specs.base import TaskSpec

from engine.runtime.workflow import decision_texts, parse_processes
from engine.runtime.workflow_texts import (EVENT_TEXT_ATTRIBUTES, KNOWN_EVALUATIONS, REFUSED_CLASSES, REFUSED_EVENTS,
                                   TEXT_ATTRIBUTES)
from tests.unit.designer_bpmn import diagram, flow, properties, script, timer

LIBRARY = Path(SpiffWorkflow.__file__).parent
EVALUATING_CALLS = {"evaluate", "execute", "eval", "exec", "call_service"}


def evaluation_sites() -> dict[tuple[str, str, str], str]:
    """(file, Class.function, first text argument) → the called name, for every call in SpiffWorkflow
    that evaluates or executes text."""
    sites = {}
    for path in sorted(LIBRARY.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def visit(node, scope):
            for child in ast.iter_child_nodes(node):
                inner = scope + [child.name] if isinstance(child, (ast.ClassDef, ast.FunctionDef)) else scope
                if isinstance(child, ast.Call):
                    func = child.func
                    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                    if called in EVALUATING_CALLS:
                        sites[(str(path.relative_to(LIBRARY)), ".".join(scope), _text_argument(child))] = called
                visit(child, inner)
        visit(tree, [])
    return sites


def _text_argument(call: ast.Call) -> str:
    # The text is the argument after a task, or the first; keyword forms as SpiffWorkflow writes them.
    keywords = {k.arg: k.value for k in call.keywords}
    if "expression" in keywords:
        return ast.unparse(keywords["expression"])
    args = [ast.unparse(a) for a in call.args]
    if args and args[0] in ("task", "my_task", "last_child", "task=task") and len(args) > 1:
        return args[1]
    return args[0] if args else ""


def test_every_place_spiffworkflow_evaluates_text_is_known():
    found = set(evaluation_sites())
    unknown = sorted(found - KNOWN_EVALUATIONS.keys())
    assert not unknown, f"SpiffWorkflow evaluates text at {unknown}: teach engine/workflow_texts.py"
    assert not sorted(KNOWN_EVALUATIONS.keys() - found), "KNOWN_EVALUATIONS lists places that no longer exist"


def _spiff_classes(base: type) -> set[type]:
    classes = set()
    for module_info in pkgutil.walk_packages(SpiffWorkflow.__path__, "SpiffWorkflow."):
        if not module_info.name.startswith(("SpiffWorkflow.bpmn.", "SpiffWorkflow.camunda.", "SpiffWorkflow.dmn.")):
            continue  # the other flavours and the old serializers are never parsed into a spec here
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, base) and cls.__module__.startswith("SpiffWorkflow."):
                classes.add(cls)
    return classes


def parser_task_classes() -> set[type]:
    """Every task-spec class the Camunda parser can build: by tag, as loop/multi-instance wrappers,
    and its engine-internal control tasks."""
    from SpiffWorkflow.bpmn.specs import control
    classes = {cls for _, cls in {**CamundaParser.PARSER_CLASSES, **CamundaParser.OVERRIDE_PARSER_CLASSES}.values()}
    classes |= {TaskParser.STANDARD_LOOP_CLASS, TaskParser.PARALLEL_MI_CLASS, TaskParser.SEQUENTIAL_MI_CLASS,
                TaskParser.EVENT_SUBPROCESS_CLASS, camunda_mi.ParallelMultiInstanceTask,
                camunda_mi.SequentialMultiInstanceTask}
    classes |= {cls for _, cls in inspect.getmembers(control, inspect.isclass)
                if issubclass(cls, TaskSpec) and cls.__module__ == control.__name__}
    return classes


def test_every_task_spec_class_the_parser_builds_is_classified():
    unclassified = sorted(c.__qualname__ for c in parser_task_classes() - TEXT_ATTRIBUTES.keys() - REFUSED_CLASSES.keys()
                          if c.__name__ != "EventSplit")  # abstract base of the two splits
    assert not unclassified, f"no rule for task specs {unclassified}: add them to TEXT_ATTRIBUTES or REFUSED_CLASSES"


def test_every_bpmn_and_camunda_event_definition_is_classified():
    events = _spiff_classes(EventDefinition)
    abstract = {"EventDefinition", "TimerEventDefinition", "ItemAwareEventDefinition", "CodeEventDefinition"}
    unclassified = sorted(c.__qualname__ for c in events - EVENT_TEXT_ATTRIBUTES.keys() - REFUSED_EVENTS.keys()
                          if c.__name__ not in abstract)
    assert not unclassified, f"no rule for event definitions {unclassified}"


def test_every_attribute_spiffworkflow_evaluates_is_declared_for_its_classes():
    # From the scan: a method of class C evaluates self.<attribute>. Every classified class that
    # inherits that method must declare the attribute, or the walk would miss the text.
    evaluated: dict[str, set[str]] = {}
    for (_file, where, argument), _called in evaluation_sites().items():
        if argument.startswith("self.") and "." in where:
            evaluated.setdefault(where.split(".")[0], set()).add(argument.removeprefix("self.").split("[")[0])
    missing = []
    for table in (TEXT_ATTRIBUTES, EVENT_TEXT_ATTRIBUTES):
        for cls, attributes in table.items():
            for base in cls.__mro__:
                for attribute in evaluated.get(base.__name__, ()):
                    if attribute not in attributes and base.__name__ != "_BpmnCondition":
                        missing.append(f"{cls.__qualname__}.{attribute} (evaluated by {base.__name__})")
    assert not missing, f"expression-holding attributes not walked: {missing}"


EVERY_KIND = (
    '    <bpmn:startEvent id="start" />\n' + flow("f1", "start", "gw")
    + '    <bpmn:exclusiveGateway id="gw" default="f_default" />\n'
    + flow("f_yes", "gw", "compute", "decision == 'yes'") + flow("f_default", "gw", "wait")
    + script("compute", "total = len(members)") + flow("f2", "compute", "countersign")
    + '    <bpmn:userTask id="countersign"><bpmn:multiInstanceLoopCharacteristics>'
      '<bpmn:loopCardinality>len(panel)</bpmn:loopCardinality>'
      '<bpmn:completionCondition>votes &gt; 2</bpmn:completionCondition>'
      '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>\n'
    + flow("f3", "countersign", "wait")
    + f'    <bpmn:intermediateCatchEvent id="wait">{timer("timeDate", "2026-10-01")}</bpmn:intermediateCatchEvent>\n'
    + flow("f4", "wait", "until")
    + '    <bpmn:intermediateCatchEvent id="until"><bpmn:conditionalEventDefinition>'
      '<bpmn:condition xsi:type="bpmn:tFormalExpression">ready == True</bpmn:condition>'
      '</bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>\n'
    + flow("f5", "until", "review")
    + '    <bpmn:task id="review">' + properties({"document:acceptance_notice": "decision == 'yes'"})
    + '</bpmn:task>\n'
    + f'    <bpmn:boundaryEvent id="late" attachedToRef="review">{timer("timeDuration", "P7D")}</bpmn:boundaryEvent>\n'
    + f'    <bpmn:boundaryEvent id="nag" attachedToRef="review" cancelActivity="false">'
      f'{timer("timeCycle", "R3/PT1H")}</bpmn:boundaryEvent>\n'
    + flow("f6", "review", "again") + flow("f7", "late", "done") + flow("f8", "nag", "done")
    + '    <bpmn:manualTask id="again"><bpmn:standardLoopCharacteristics>'
      '<bpmn:loopCondition>rounds &lt; 3</bpmn:loopCondition></bpmn:standardLoopCharacteristics></bpmn:manualTask>\n'
    + flow("f9", "again", "done") + '    <bpmn:endEvent id="done" />\n'
)


def test_the_walk_finds_every_kind_of_text_in_a_parsed_spec():
    xml = diagram("every_kind", EVERY_KIND, {"township": ["countersign", "review", "again"]})
    [spec] = parse_processes(xml.encode(), "every_kind.bpmn")
    found = {(t.element_id, t.kind, t.source.strip(), t.detail) for t in spec.texts}
    assert found == {
        ("gw", "condition", "decision == 'yes'", "compute"),
        ("compute", "script", "total = len(members)", ""),
        ("countersign", "cardinality", "len(panel)", ""),
        ("countersign", "completion", "votes > 2", ""),
        ("wait", "timeDate", "'2026-10-01'", ""),          # the literal, quoted as a string
        ("until", "conditional_event", "ready == True", ""),
        ("review", "document", "decision == 'yes'", "document:acceptance_notice"),
        ("late", "timeDuration", "'P7D'", ""),
        ("nag", "timeCycle", "'R3/PT1H'", ""),
        ("again", "loop_condition", "rounds < 3", ""),
    }
    assert spec.problems == [] and set(spec.user_tasks) == {"countersign", "review", "again"}


def test_the_walk_finds_what_the_dmn_engine_will_build():
    _id, _name, texts = decision_texts(Path("processes/decisions/temporary_assistance_approver.dmn").read_bytes(),
                                       "approver.dmn")
    found = {(t.kind, t.source, t.detail) for t in texts}
    # A cell that parses alone is compared with ==, one that does not ('<= limit') is appended to the input.
    assert ("dmn_match", '(delegation_model) == ("siping")', "Rule_siping_model") in found
    assert ("dmn_match", "temporary_approval_basis<= small_temporary_limit", "Rule_national_small_amount") in found
    assert ("dmn_output", '"county"', "Rule_siping_approver") in found


def test_element_types_nobody_runs_are_refused_by_the_walk():
    elements = ('    <bpmn:startEvent id="start" />\n' + flow("f1", "start", "call")
                + '    <bpmn:serviceTask id="call" />\n' + flow("f2", "call", "sub")
                + '    <bpmn:subProcess id="sub"><bpmn:startEvent id="s2" /><bpmn:sequenceFlow id="fs" sourceRef="s2" targetRef="e2" /><bpmn:endEvent id="e2" /></bpmn:subProcess>\n'
                + flow("f3", "sub", "done") + '    <bpmn:endEvent id="done" />\n')
    [spec] = parse_processes(diagram("refused", elements, {}).encode(), "refused.bpmn")
    assert {p.element_id for p in spec.problems} == {"call", "sub"}
