"""Every piece of designer text a parsed spec will ever evaluate, found by walking the spec.

Deploy checks what SpiffWorkflow will *run*, not what an XPath happens to find in
the XML: the walk goes over the task specs the Camunda parser built and, for each
class, the attributes that class evaluates (``TEXT_ATTRIBUTES``). A class the table
does not know is refused (fail closed), so a diagram cannot use an element type whose
expressions nobody checks; ``KNOWN_EVALUATIONS`` lists every place in SpiffWorkflow
that evaluates text, and tests/unit/test_designer_texts.py fails when an upgrade adds
one. Part of the workflow runtime (with engine.runtime.workflow and engine.runtime.workflow_guards, the only
SpiffWorkflow importers).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterator

from SpiffWorkflow.bpmn.specs import control
from SpiffWorkflow.bpmn.specs import defaults as bpmn_defaults
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import _BpmnCondition
from SpiffWorkflow.bpmn.specs.event_definitions import conditional, item_aware_event, message, multiple, simple, timer
from SpiffWorkflow.camunda.specs import event_definitions as camunda_events
from SpiffWorkflow.camunda.specs import multiinstance_task as camunda_mi
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.camunda.specs.user_task import UserTask

DOCUMENT_PREFIX = "document:"


@dataclass(frozen=True)
class DesignerText:
    """One piece of designer text a spec evaluates.

    ``kind`` says what it is (condition, script, timeDate, timeDuration, timeCycle,
    cardinality, completion, loop_condition, conditional_event, document, dmn_input,
    dmn_match, dmn_output); ``detail`` locates it inside the element (the target of a
    condition's flow, a property name, a DMN rule or entry id).
    """

    element_id: str
    kind: str
    source: str
    mode: str = "eval"
    detail: str = ""


@dataclass(frozen=True)
class SpecProblem:
    """An element the engine cannot run as drawn."""

    element_id: str
    message: str
    message_zh: str


# --- what each class evaluates -------------------------------------------------------
_EVENT = ("event_definition",)
_MI = ("cardinality", "condition")
# Task-spec class (exact) -> the attributes holding designer text. Human tasks hold
# document conditions in their camunda:properties (``extensions``).
TEXT_ATTRIBUTES: dict[type, tuple[str, ...]] = {
    control.BpmnStartTask: (), control.SimpleBpmnTask: (), control.BoundaryEventSplit: (),
    control.BoundaryEventJoin: (), control.StartEventSplit: (), control.StartEventJoin: (), control._EndJoin: (),
    bpmn_defaults.StartEvent: _EVENT, bpmn_defaults.EndEvent: _EVENT, bpmn_defaults.IntermediateCatchEvent: _EVENT,
    bpmn_defaults.IntermediateThrowEvent: _EVENT, bpmn_defaults.BoundaryEvent: _EVENT,
    bpmn_defaults.EventBasedGateway: _EVENT,
    UserTask: ("extensions",), bpmn_defaults.ManualTask: ("extensions",), bpmn_defaults.NoneTask: ("extensions",),
    bpmn_defaults.ScriptTask: ("script",),
    bpmn_defaults.ExclusiveGateway: ("cond_task_specs",), bpmn_defaults.InclusiveGateway: ("cond_task_specs",),
    bpmn_defaults.ParallelGateway: (),
    BusinessRuleTask: ("dmnEngine",),
    camunda_mi.ParallelMultiInstanceTask: _MI, camunda_mi.SequentialMultiInstanceTask: _MI,
    bpmn_defaults.ParallelMultiInstanceTask: _MI, bpmn_defaults.SequentialMultiInstanceTask: _MI,
    bpmn_defaults.StandardLoopTask: ("condition", "maximum"),
}
HUMAN_TASK_CLASSES = (UserTask, bpmn_defaults.ManualTask, bpmn_defaults.NoneTask)
_NOT_SUPPORTED = ("this engine runs one process per case: sub-processes, call activities and transactions are "
                  "not supported", "本系统每个案件运行一个流程，不支持子流程、调用活动和事务")
REFUSED_CLASSES: dict[type, tuple[str, str]] = {
    bpmn_defaults.SubWorkflowTask: _NOT_SUPPORTED, bpmn_defaults.CallActivity: _NOT_SUPPORTED,
    bpmn_defaults.TransactionSubprocess: _NOT_SUPPORTED, bpmn_defaults.EventSubprocess: _NOT_SUPPORTED,
    bpmn_defaults.AdHocSubprocess: _NOT_SUPPORTED,
    bpmn_defaults.ServiceTask: ("service tasks are not supported (nothing would call the service)",
                                "不支持服务任务（系统不会调用外部服务）"),
    bpmn_defaults.SendTask: ("send tasks are not supported: no message ever leaves a case",
                             "不支持发送任务：案件不会向外发送消息"),
    bpmn_defaults.ReceiveTask: ("receive tasks are not supported: no message ever reaches a case",
                                "不支持接收任务：案件不会收到外部消息"),
}
_TIMER_KINDS = {timer.TimeDateEventDefinition: "timeDate", timer.DurationTimerEventDefinition: "timeDuration",
                timer.CycleTimerEventDefinition: "timeCycle"}
# Event-definition class (exact) -> the attributes holding designer text.
EVENT_TEXT_ATTRIBUTES: dict[type, tuple[str, ...]] = {
    **{cls: ("expression",) for cls in _TIMER_KINDS},
    conditional.ConditionalEventDefinition: ("expression",),
    multiple.MultipleEventDefinition: ("event_definitions",),
    simple.NoneEventDefinition: (), simple.CancelEventDefinition: (), simple.TerminateEventDefinition: (),
    item_aware_event.SignalEventDefinition: (), item_aware_event.ErrorEventDefinition: (),
    item_aware_event.EscalationEventDefinition: (),
}
_NO_MESSAGES = ("message events are not supported: no message ever reaches or leaves a case",
                "不支持消息事件：案件不会收发外部消息")
REFUSED_EVENTS: dict[type, tuple[str, str]] = {
    message.MessageEventDefinition: _NO_MESSAGES, camunda_events.MessageEventDefinition: _NO_MESSAGES,
}

# Every place SpiffWorkflow 3.2 evaluates or executes text (file, function, argument), and what
# covers it. tests/unit/test_designer_texts.py scans the installed library for these calls.
KNOWN_EVALUATIONS: dict[tuple[str, str, str], str] = {
    ("bpmn/script_engine/python_engine.py", "PythonScriptEngine.evaluate", "expression"):
        "replaced: engine.runtime.workflow_guards._GuardedScriptEngine",
    ("bpmn/script_engine/python_engine.py", "PythonScriptEngine.execute", "script"):
        "replaced: engine.runtime.workflow_guards._GuardedScriptEngine",
    ("bpmn/script_engine/python_engine.py", "PythonScriptEngine.call_service", "task.data"):
        "refused: service tasks",
    ("bpmn/script_engine/python_environment.py", "TaskDataEnvironment.evaluate", "expression"):
        "replaced: engine.runtime.workflow_guards._GuardedEnvironment",
    ("bpmn/script_engine/python_environment.py", "TaskDataEnvironment.execute", "script"):
        "replaced: engine.runtime.workflow_guards._GuardedEnvironment",
    ("bpmn/serializer/migration/version_1_2.py", "convert_timer_expressions.convert_cycle", "expr"):
        "unreachable: states are restored by the registry, never migrated",
    ("bpmn/serializer/migration/version_1_2.py", "convert_timer_expressions.convert_timedate", "expr"):
        "unreachable: states are restored by the registry, never migrated",
    ("bpmn/specs/bpmn_process_spec.py", "AdHocSubprocessSpec.check_condition", "cond"): "refused: sub-processes",
    ("bpmn/specs/bpmn_process_spec.py", "AdHocSubprocessSpec.path_complete", "self.completion_condition"):
        "refused: sub-processes",
    ("bpmn/specs/bpmn_task_spec.py", "_BpmnCondition._matches", "self.args[0]"): "walked: condition",
    ("bpmn/specs/event_definitions/conditional.py", "ConditionalEventDefinition.has_fired", "self.expression"):
        "walked: conditional_event",
    ("bpmn/specs/event_definitions/message.py", "MessageEventDefinition.calculate_correlations",
     "prop.retrieval_expression"): "refused: message events",
    ("bpmn/specs/event_definitions/timer.py", "CycleTimerEventDefinition.cycle_complete", "self.expression"):
        "walked: timeCycle",
    ("bpmn/specs/event_definitions/timer.py", "DurationTimerEventDefinition.has_fired", "self.expression"):
        "walked: timeDuration",
    ("bpmn/specs/event_definitions/timer.py", "TimeDateEventDefinition.has_fired", "self.expression"):
        "walked: timeDate",
    ("bpmn/specs/mixins/multiinstance_task.py", "MultiInstanceTask.check_completion_condition", "self.condition"):
        "walked: completion",
    ("bpmn/specs/mixins/multiinstance_task.py", "ParallelMultiInstanceTask.create_children", "self.cardinality"):
        "walked: cardinality",
    ("bpmn/specs/mixins/multiinstance_task.py", "SequentialMultiInstanceTask._update_hook", "self.cardinality"):
        "walked: cardinality",
    ("bpmn/specs/mixins/multiinstance_task.py", "StandardLoopTask.loop_complete", "self.condition"):
        "walked: loop_condition",
    ("bpmn/specs/mixins/script_task.py", "ScriptTask._execute", "self.script"): "walked: script",
    ("camunda/specs/event_definitions.py", "MessageEventDefinition.throw", "self.expression"):
        "refused: message events",
    ("camunda/specs/multiinstance_task.py", "update_task_spec", "task_spec.cardinality"): "walked: cardinality",
    ("dmn/engine/DMNEngine.py", "DMNEngine.evaluate", "expr"): "walked: dmn_match",
    ("dmn/engine/DMNEngine.py", "DMNEngine.evaluate", "input_expr"): "walked: dmn_input",
    ("dmn/engine/DMNEngine.py", "DMNEngine.evaluate", "match_expr"): "walked: dmn_match",
    ("dmn/engine/DMNEngine.py", "DMNEngine.__check_rule", "input_val"): "walked: dmn_match (DMNEngine.evaluate)",
    ("dmn/specs/model.py", "Rule.output_as_dict", "outputEntry.text"): "walked: dmn_output",
    ("specs/Transform.py", "Transform._update_hook", "transform"): "unreachable: not a BPMN spec class",
    ("spiff/specs/event_definitions.py", "MessageEventDefinition.throw", "self.expression"):
        "unreachable: spiff dialect, not parsed",
    ("spiff/specs/event_definitions.py", "SpiffItemAwareEventDefinition.throw", "self.expression"):
        "unreachable: spiff dialect, not parsed",
    ("spiff/specs/mixins/service_task.py", "ServiceTask.evaluate_params", "param['value']"):
        "unreachable: spiff dialect, not parsed",
    ("spiff/specs/spiff_task.py", "SpiffBpmnTask.execute_script", "script"): "unreachable: spiff dialect, not parsed",
    ("spiff/specs/mixins/service_task.py", "ServiceTask._execute", "task"): "unreachable: spiff dialect, not parsed",
}


def timer_kind(definition) -> str | None:
    """'timeDate' | 'timeDuration' | 'timeCycle' for a timer event definition, else None."""
    return _TIMER_KINDS.get(type(definition))


def event_definitions(definition) -> Iterator:
    """An event definition and, for a multiple event, the ones inside it."""
    if definition is None:
        return
    yield definition
    for inner in getattr(definition, "event_definitions", None) or ():
        yield from event_definitions(inner)


# --- the walk --------------------------------------------------------------------------
def walk(spec) -> tuple[list[DesignerText], list[SpecProblem]]:
    """Every designer text of a process spec, and the elements it cannot run."""
    texts: list[DesignerText] = []
    problems: list[SpecProblem] = []
    for task_spec in spec.task_specs.values():
        element = task_spec.bpmn_id or task_spec.name
        cls = type(task_spec)
        if cls in REFUSED_CLASSES:
            problems.append(SpecProblem(element, *REFUSED_CLASSES[cls]))
            continue
        if cls not in TEXT_ATTRIBUTES:
            problems.append(SpecProblem(element, f"element type {cls.__name__} is not supported by this engine",
                                        f"本系统不支持 {cls.__name__} 类型的元素"))
            continue
        if getattr(task_spec, "extensions", None) and not isinstance(task_spec, HUMAN_TASK_CLASSES):
            problems.append(SpecProblem(element, "camunda:properties are read only on user tasks and end events",
                                        "camunda:properties 只在用户任务和结束事件上生效，此处的属性不会被读取"))
        for attribute in TEXT_ATTRIBUTES[cls]:
            _walk_attribute(spec, task_spec, element, attribute, texts, problems)
    return texts, problems


def _walk_attribute(spec, task_spec, element: str, attribute: str, texts: list, problems: list) -> None:
    value = getattr(task_spec, attribute)
    if attribute == "script":
        texts.append(DesignerText(element, "script", value or "", "exec"))
    elif attribute == "cond_task_specs":
        for condition, target in value:
            if condition is None:
                continue  # the default flow
            if not isinstance(condition, _BpmnCondition):
                problems.append(SpecProblem(element, f"unknown condition type {type(condition).__name__}",
                                            f"未知的条件类型 {type(condition).__name__}"))
                continue
            target_spec = spec.task_specs.get(target)
            target_id = getattr(target_spec, "bpmn_id", None) or target.removesuffix(".BoundaryEventSplit")
            texts.append(DesignerText(element, "condition", condition.args[0] or "", "eval", target_id))
    elif attribute == "event_definition":
        _walk_event(element, value, texts, problems)
    elif attribute == "extensions":
        for name, text in (value or {}).items():
            if name and name.startswith(DOCUMENT_PREFIX):
                texts.append(DesignerText(element, "document", text or "", "eval", name))
    elif attribute == "dmnEngine":
        texts.extend(decision_table_texts(element, value.decision_table))
    elif attribute == "cardinality" and value is not None:
        texts.append(DesignerText(element, "cardinality", value, "eval"))
    elif attribute == "condition" and value is not None:
        kind = "loop_condition" if isinstance(task_spec, bpmn_defaults.StandardLoopTask) else "completion"
        texts.append(DesignerText(element, kind, value, "eval"))
    elif attribute == "maximum" and value is not None:
        texts.append(DesignerText(element, "loop_maximum", str(value), "eval"))


def _walk_event(element: str, definition, texts: list, problems: list) -> None:
    for inner in event_definitions(definition):
        cls = type(inner)
        if cls in REFUSED_EVENTS:
            problems.append(SpecProblem(element, *REFUSED_EVENTS[cls]))
        elif cls not in EVENT_TEXT_ATTRIBUTES:
            problems.append(SpecProblem(element, f"event type {cls.__name__} is not supported by this engine",
                                        f"本系统不支持 {cls.__name__} 类型的事件"))
        elif cls in _TIMER_KINDS:
            texts.append(DesignerText(element, _TIMER_KINDS[cls], inner.expression or "", "eval"))
        elif cls is conditional.ConditionalEventDefinition:
            texts.append(DesignerText(element, "conditional_event", inner.expression or "", "eval"))


# DMNEngine.evaluate's own rule for a '?' outside quotes.
_QUESTION_MARK = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')


def decision_table_texts(element: str, table) -> list[DesignerText]:
    """The expressions DMNEngine will build and evaluate for a decision table, exactly as it builds them."""
    texts = []
    for rule in table.rules:
        for entry in rule.inputEntries:
            input_expr = entry.input.expression
            for lhs in entry.lhs:
                if lhs is None:
                    continue  # '-' or an empty cell: any value
                if not input_expr:
                    # DMNEngine would fall back to repr() of task data named by the label: data as code.
                    texts.append(DesignerText(element, "dmn_input", "", "eval", entry.id))
                    continue
                match = _QUESTION_MARK.sub("dmninputexpr", lhs)
                if "dmninputexpr" in match:
                    texts.append(DesignerText(element, "dmn_input", input_expr, "eval", entry.id))
                    texts.append(DesignerText(element, "dmn_match", match, "eval", entry.id))
                else:
                    combined = f"({input_expr}) == ({match})" if _parses(match) else input_expr + match
                    texts.append(DesignerText(element, "dmn_match", combined, "eval", entry.id))
        for entry in rule.outputEntries:
            if entry.text:
                texts.append(DesignerText(element, "dmn_output", entry.text, "eval", entry.id))
    return texts


def _parses(text: str) -> bool:
    # DMNEngine.needs_eq: a cell that parses alone is compared with ==, else it is appended.
    try:
        ast.parse(text)
        return True
    except SyntaxError:
        return False
