"""The workflow runtime: with engine.runtime.workflow_guards and engine.runtime.workflow_texts, the only code that
imports SpiffWorkflow.

Everything leaving it is a plain value or dataclass: the rest of Jiuzhu never
touches SpiffWorkflow objects. Four things here are ours rather than the
library's defaults, each for a reason written beside it: the clock seen by
timers, the script engine and instance caps (engine.runtime.workflow_guards: designer
text runs only through engine.runtime.expressions, under a budget), one budget per
engine call, and a serializer that leaves the spec out of the stored state.
"""
from __future__ import annotations

from functools import cache

import copy
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterator
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_MODULE_VERSION
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine.clock import ClockedDatetime, clock_context
from engine.runtime.budget import MAX_STATE_CHARS, OverBudget, budget
from engine.runtime.expressions import route_failure
from engine.runtime.timer_rules import as_expression
from engine.runtime.workflow_guards import register_capped_tasks, script_engine
from engine.runtime.workflow_texts import DesignerText, SpecProblem, decision_table_texts, event_definitions, timer_kind, walk

# --- serialization without the spec -----------------------------------------
class _StateConverter(BpmnWorkflowConverter):
    """Stores a workflow's state without its spec; restores it onto a cached spec.

    The spec is stored once per process version, so each case row holds only
    its task tree and data, and loading a case never re-parses the spec.
    """

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec = dct.pop("spec")
        subprocess_specs = dct.pop("subprocess_specs", {})
        if isinstance(spec, dict):
            spec = self.registry.restore(spec)
            subprocess_specs = self.mapping_from_dict(subprocess_specs)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True, script_engine=script_engine())
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


@cache
def _registry():
    """SpiffWorkflow's parts, assembled once on first use (nothing is built at import): the timer module
    reads our clock, the serializer registry restores states without their spec and tasks into the
    capped multi-instance classes."""
    timer_module.datetime = ClockedDatetime
    config = dict(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = _StateConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]))
    register_capped_tasks(registry)
    return registry


SERIALIZER_VERSION = SERIALIZER_MODULE_VERSION


# --- plain values crossing the boundary --------------------------------------
@dataclass(frozen=True)
class UserTaskFacts:
    """What the engine needs to know about a user task in a spec."""

    name: str
    title: str
    lane: str | None
    form_key: str | None
    properties: dict[str, str]


@dataclass(frozen=True)
class ReadyTask(UserTaskFacts):
    """A READY user task of a running workflow: its spec's facts and the task's id."""

    id: str


@dataclass(frozen=True)
class DoneTask(UserTaskFacts):
    """A COMPLETED user task of a running workflow (a step the case may be sent back to)."""

    id: str


@dataclass(frozen=True)
class ProcessSpec:
    """A parsed, executable process: its id, name, spec JSON, user tasks, and for deploy
    every designer text it will evaluate and the elements it cannot run."""

    process_id: str
    name: str
    spec_json: str
    user_tasks: dict[str, UserTaskFacts]
    texts: list[DesignerText]
    problems: list[SpecProblem]


class WorkflowError(Exception):
    """A workflow was asked for something it cannot do (a task that is not ready)."""

    def __init__(self, message: str, element_id: str | None = None) -> None:
        super().__init__(message)
        self.element_id = element_id


class ParseError(Exception):
    """SpiffWorkflow refused a diagram; carries file, line and element id."""

    def __init__(self, message: str, file_name: str, line: int | None, element_id: str | None) -> None:
        super().__init__(message)
        self.file_name, self.line, self.element_id = file_name, line, element_id


# --- parsing -----------------------------------------------------------------
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_BPMN_DI = "http://www.omg.org/spec/BPMN/20100524/DI"


def parse_processes(bpmn_xml: bytes, file_name: str, decisions: dict[str, bytes] | None = None,
                    lane_roles: dict[str, str] | None = None) -> list[ProcessSpec]:
    """Parse every executable process in one BPMN file (Camunda 7 dialect).

    ``decisions`` maps DMN file names to their XML, for business rule tasks
    (``camunda:decisionRef``). Timer literals (``P7D``) become quoted strings in the
    spec, so SpiffWorkflow's Python evaluation gives them back as written. ``lane_roles``
    maps lane names as written (镇人民政府) to the role codes the spec's tasks get (township).
    """
    parser = CamundaParser()
    try:
        for dmn_name, dmn_xml in (decisions or {}).items():
            parser.add_dmn_xml(etree.fromstring(dmn_xml, _XML_PARSER), filename=dmn_name)
        parser.add_bpmn_xml(_without_layout(etree.fromstring(bpmn_xml, _XML_PARSER)), filename=file_name)
        result = []
        for process_id in parser.get_process_ids():
            spec = parser.get_spec(process_id)
            _quote_timer_literals(spec)
            _name_lane_roles(spec, lane_roles or {})
            texts, problems = walk(spec)
            # A spec with elements the engine cannot run is never deployed (nor always serializable).
            spec_json = "" if problems else json.dumps(_registry().convert(spec), ensure_ascii=False, sort_keys=True)
            result.append(ProcessSpec(process_id, spec.description or process_id, spec_json, _user_tasks(spec),
                                      texts, problems))
        return result
    except ValidationException as exc:
        line = exc.line_number if isinstance(exc.line_number, int) else None
        raise ParseError(str(exc), exc.file_name or file_name, line, exc.id or None) from exc


def decision_texts(dmn_xml: bytes, file_name: str) -> tuple[str, str, list[DesignerText]]:
    """(decision id, name, designer texts) of a DMN file, from SpiffWorkflow's parsed decision table."""
    parser = BpmnDmnParser()
    try:
        parser.add_dmn_xml(etree.fromstring(dmn_xml, _XML_PARSER), filename=file_name)
        [(decision_id, dmn_parser)] = parser.dmn_parsers.items()
        engine = parser.get_engine(decision_id, None)
    except ValidationException as exc:
        line = exc.line_number if isinstance(exc.line_number, int) else None
        raise ParseError(str(exc), exc.file_name or file_name, line, exc.id or None) from exc
    return decision_id, dmn_parser.get_name(), decision_table_texts(decision_id, engine.decision_table)


def _quote_timer_literals(spec) -> None:
    # The rule (docs/designer-guide.md): a timer text that is a whole ISO 8601 literal is used as written.
    for task_spec in spec.task_specs.values():
        for definition in event_definitions(getattr(task_spec, "event_definition", None)):
            if timer_kind(definition) and definition.expression:
                definition.expression = as_expression(definition.expression)


def _without_layout(root):
    # SpiffWorkflow orders a gateway's outgoing flows by their targets' height on the drawing, and takes the
    # first true condition: without the diagram they keep their order in the file, so moving a shape never
    # changes what a route does (a version is the hash of the content without the layout).
    for diagram in root.findall(f"{{{_BPMN_DI}}}BPMNDiagram"):
        root.remove(diagram)
    return root


def _name_lane_roles(spec, lane_roles: dict[str, str]) -> None:
    # The stored spec says which role does each task, whatever the designer called the lane.
    for task_spec in spec.task_specs.values():
        if getattr(task_spec, "lane", None) in lane_roles:
            task_spec.lane = lane_roles[task_spec.lane]


def schema_error(root, file_name: str) -> tuple[str, int | None, str | None] | None:
    """(message, line, element id) where an lxml BPMN document breaks the BPMN 2.0 XSD, or None."""
    try:
        BpmnValidator().validate(root, file_name)
    except ValidationException as exc:
        line = exc.line_number if isinstance(exc.line_number, int) else None
        return str(exc), line, exc.id or None
    return None


def _user_tasks(spec) -> dict[str, UserTaskFacts]:
    facts = {}
    for task_spec in spec.task_specs.values():
        if getattr(task_spec, "manual", False) and task_spec.bpmn_id:
            facts[task_spec.bpmn_id] = UserTaskFacts(**_facts_of(task_spec))
    return facts


def _facts_of(task_spec) -> dict[str, Any]:
    """What the engine needs of a user task's spec (the fields of UserTaskFacts)."""
    return {"name": task_spec.bpmn_id, "title": task_spec.bpmn_name or task_spec.bpmn_id, "lane": task_spec.lane,
            "form_key": getattr(getattr(task_spec, "form", None), "key", None),
            "properties": dict(task_spec.extensions or {})}


def user_tasks_after(spec, bpmn_id: str) -> frozenset[str]:
    """The user tasks (BPMN ids) a case may reach after the element ``bpmn_id``, on any path (loops included)."""
    starts = [t for t in spec.task_specs.values() if t.bpmn_id == bpmn_id]
    seen, found, todo = set(), set(), [o for t in starts for o in t.outputs]
    while todo:
        task_spec = todo.pop()
        if task_spec.name in seen:
            continue
        seen.add(task_spec.name)
        if getattr(task_spec, "manual", False) and task_spec.bpmn_id:
            found.add(task_spec.bpmn_id)
        todo.extend(task_spec.outputs)
    return frozenset(found)


def load_spec(spec_json: str):
    """Restore a spec object from its stored JSON (callers cache the result per version).

    Versions deployed before timer literals were honoured get them quoted here too.
    """
    spec = _registry().restore(json.loads(spec_json))
    _quote_timer_literals(spec)
    return spec


# --- running -----------------------------------------------------------------
class Workflow:
    """A running case's workflow; methods return plain values."""

    def __init__(self, wf: BpmnWorkflow | None, spec=None, state: str | None = None) -> None:
        self._bpmn = wf  # None: restored from ``state`` on ``spec`` when first needed (a templated start)
        self._spec, self._state = spec, state
        self._memo: dict[str, Any] = {}  # derived views, dropped whenever the workflow runs

    @property
    def _wf(self) -> BpmnWorkflow:
        if self._bpmn is None:
            dct = json.loads(self._state)
            dct["spec"], dct["subprocess_specs"] = self._spec, {}
            self._bpmn = _registry().restore(dct)
        return self._bpmn

    def _memoised(self, key: str, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @classmethod
    def start(cls, spec, data: dict[str, Any], now: datetime) -> "Workflow":
        """Instantiate the spec, seed the start data and run to the first wait."""
        wf = BpmnWorkflow(spec, {}, script_engine=script_engine())
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(data)
        workflow = cls(wf)
        workflow._run_engine(now)
        return workflow

    @classmethod
    def restore(cls, spec, state: str) -> "Workflow":
        """Rebuild a workflow from its stored state on the cached spec."""
        dct = json.loads(state)
        dct["spec"] = spec
        dct["subprocess_specs"] = {}
        return cls(_registry().restore(dct))

    def dump(self) -> str:
        """The workflow state (no spec) as compact JSON, Chinese kept readable."""
        return self._memoised("dump", lambda: json.dumps(_registry().convert(self._wf), ensure_ascii=False,
                                                          separators=(",", ":")))

    def copy(self) -> "Workflow":
        """An independent copy (through the stored form, so nothing is shared)."""
        return Workflow.restore(self._wf.spec, self.dump())

    def _run_engine(self, now: datetime) -> None:
        with self._engine_call(now):
            self._wf.refresh_timers()
            self._wf.do_engine_steps()

    @contextmanager
    def _engine_call(self, now: datetime) -> Iterator[None]:
        """One engine call: timers see ``now``, designer text runs under one budget, and any failure
        of the route (refused or over-budget text, an expression that raises) becomes RouteFailed.

        The new state is serialized inside the call, so an oversized state is over budget too.
        """
        self._memo.clear()
        with clock_context(now), budget():
            try:
                yield
                if len(self.dump()) > MAX_STATE_CHARS:
                    raise OverBudget(f"a case state of more than {MAX_STATE_CHARS:,} characters",
                                     f"案件数据超过 {MAX_STATE_CHARS:,} 个字符")
            except Exception as exc:
                raise route_failure(exc) from exc

    def ready_user_tasks(self) -> list[ReadyTask]:
        """The READY user tasks, in tree order."""
        return list(self._memoised("ready", self._ready_user_tasks))

    def _ready_user_tasks(self) -> list[ReadyTask]:
        out = []
        for task in self._wf.get_tasks(state=TaskState.READY, manual=True):
            out.append(ReadyTask(id=str(task.id), **_facts_of(task.task_spec)))
        return out

    def complete(self, task_id: str, data: dict[str, Any], now: datetime) -> None:
        """Complete a READY user task with the submitted data and run on."""
        task = self._wf.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise WorkflowError("task is not ready", None)
        task.set_data(**data)
        with self._engine_call(now):
            task.run()
            self._wf.refresh_timers()
            self._wf.do_engine_steps()

    def steps_before(self, task_id: str) -> list[DoneTask]:
        """The completed user tasks on the way to READY user task ``task_id``, nearest first, one per step
        (the latest run of a step a loop repeated): the steps it may be sent back to (退回)."""
        task = self._wf.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise WorkflowError("task is not ready", None)
        out, seen = [], set()
        parent = task.parent
        while parent is not None:
            spec = parent.task_spec
            if spec.manual and parent.state == TaskState.COMPLETED and spec.bpmn_id not in seen:
                seen.add(spec.bpmn_id)
                out.append(DoneTask(id=str(parent.id), **_facts_of(spec)))
            parent = parent.parent
        return out

    def follows(self, task_id: str) -> bool:
        """True when COMPLETED user task ``task_id`` exists and every waiting or READY task came after it
        (nothing else moved since it was completed): it may be taken back (撤回)."""
        task = self._wf.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.COMPLETED or not task.task_spec.manual:
            return False
        pending = self._wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
        return all(t.is_descendant_of(task) for t in pending) and not any(
            t.state == TaskState.COMPLETED and t.task_spec.manual for t in task if t is not task)

    def completed_from(self, task_id: str) -> list[str]:
        """Ids of COMPLETED user task ``task_id`` and of every completed user task after it: the completions
        that ``reset_to(task_id)`` undoes (their documents are void)."""
        task = self._wf.get_task_from_id(UUID(task_id))
        if task is None:
            return []
        return [str(t.id) for t in task if t.task_spec.manual and t.state == TaskState.COMPLETED]

    def reachable_steps(self, boundary: frozenset[str] = frozenset()) -> set[str]:
        """Element ids of the user tasks the route can still reach from where the case waits (its READY and
        WAITING tasks, themselves included), read from the spec's flows, never passing a step of
        ``boundary`` (steps of an earlier round: going there would be a further send-back, not this redo). A
        step done before and reachable again is being redone (a loop back, e.g. a 公示 objection reopening
        the investigation)."""
        pending = self._wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
        seen, stack, found = set(), [t.task_spec for t in pending], set()
        while stack:
            spec = stack.pop()
            if spec.name in seen or (spec.manual and spec.bpmn_id in boundary):
                continue
            seen.add(spec.name)
            if spec.manual:
                found.add(spec.bpmn_id)
            stack.extend(spec.outputs)
        return found

    def reset_to(self, task_id: str, now: datetime) -> None:
        """Open COMPLETED user task ``task_id`` again (退回, 撤回) and drop everything after it.

        SpiffWorkflow would restart it from its parent's data, losing what later steps entered; it starts
        from the case's current data instead, so nothing entered so far is lost.
        """
        task = self._wf.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.COMPLETED or not task.task_spec.manual:
            raise WorkflowError("task is not completed", None)
        data = copy.deepcopy(self.data)
        with self._engine_call(now):
            self._wf.reset_from_task_id(task.id, data=data)
            self._forget_dropped_events()
            self._wf.last_task = task  # ``data`` reads the last task: the reopened one holds the current facts
            self._wf.refresh_timers()
            self._wf.do_engine_steps()
        if task.state != TaskState.READY:
            raise WorkflowError("the reopened task is not ready", task.task_spec.bpmn_id)

    def _forget_dropped_events(self) -> None:
        # SpiffWorkflow's reset drops the tasks after the reopened one from the tree but leaves a waiting
        # event among them (a 公示 timer) in the event manager, whose next refresh_timers then fails on the
        # orphan (its parent is gone): 撤回 or 退回 past a running timer raised. Forget what the tree lost.
        manager = self._wf.event_manager  # the top workflow's holds the events of its sub-workflows too
        for waiting in list(manager.tasks.values()):
            if waiting.id not in waiting.workflow.tasks:
                manager.remove_task(waiting)

    def cancel(self) -> None:
        """Cancel every unfinished task (the case was terminated, 终止): no step is waiting any more."""
        self._memo.clear()
        self._wf.cancel()

    def fire_due_timers(self, now: datetime) -> None:
        """Fire every timer due at ``now`` and run on (refresh, then engine steps)."""
        self._run_engine(now)

    def due_timer_names(self, now: datetime) -> list[str]:
        """Names of the waiting timers that are due at ``now`` (for the audit trail)."""
        names = []
        for event in self._wf.waiting_events():
            when = _as_utc(event.value) if event.event_type in _TIMER_EVENT_TYPES else None
            if when is not None and when < now:  # strictly after, as SpiffWorkflow's own check
                names.append(event.name)
        return names

    def next_timer_due(self) -> datetime | None:
        """The earliest due time of a waiting timer, for the indexed next_due_at column."""
        return self._memoised("next_due", self._next_timer_due)

    def _next_timer_due(self) -> datetime | None:
        due = []
        for event in self._wf.waiting_events():
            when = _as_utc(event.value) if event.event_type in _TIMER_EVENT_TYPES else None
            if when is not None:
                due.append(when)
        return min(due) if due else None

    @property
    def is_completed(self) -> bool:
        """True once the process reached an end."""
        return self._memoised("completed", lambda: self._wf.is_completed())

    @property
    def data(self) -> dict[str, Any]:
        """The data as of the latest completed task (the case's current facts); do not modify."""
        return self._memoised("data", self._current_data)

    def _current_data(self) -> dict[str, Any]:
        if self.is_completed:
            return dict(self._wf.data)
        last = self._wf.last_task
        return dict(last.data) if last is not None else {}

    def end_event(self) -> tuple[str, str] | None:
        """The (id, name) of the end event reached, once completed."""
        for task in self._wf.get_tasks(state=TaskState.COMPLETED):
            spec = task.task_spec
            if isinstance(spec, EndEvent) and spec.bpmn_id:
                return spec.bpmn_id, spec.bpmn_name or spec.bpmn_id
        return None

    def transitions(self) -> set[tuple[str, str]]:
        """(source id, target id) of every step-to-step move taken so far (for flow coverage).

        SpiffWorkflow records no sequence flows, so they are inferred from each
        completed task's nearest ancestor that is a diagram element.
        """
        pairs = set()
        for task in self._wf.get_tasks(state=TaskState.COMPLETED | TaskState.READY | TaskState.WAITING):
            if not task.task_spec.bpmn_id:
                continue
            parent = task.parent
            while parent is not None and not parent.task_spec.bpmn_id:
                parent = parent.parent
            if parent is not None:
                pairs.add((parent.task_spec.bpmn_id, task.task_spec.bpmn_id))
        return pairs

    def element_states(self) -> dict[str, str]:
        """bpmn id → 'completed' | 'active' for diagram highlighting."""
        states: dict[str, str] = {}
        for task in self._wf.get_tasks(state=TaskState.ANY_MASK):
            bpmn_id = task.task_spec.bpmn_id
            if not bpmn_id:
                continue
            if task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
                states[bpmn_id] = "active"
            elif task.state == TaskState.COMPLETED and states.get(bpmn_id) != "active":
                states[bpmn_id] = "completed"
        return states


class StartTemplate:
    """A route's start, run once to its first user task and replayed per case from the stored state.

    Only for a route whose start is of a known shape: the process's one none start event, then script tasks
    one after the other (no gateway, no timer, no boundary event, no data associations: nothing reads the
    data to choose a way), then a user task. A case's state then differs from the template's only by its
    data: the start data on the root task, what each script leaves (``prepare``: previous_monthly_amount …),
    the deltas that follow from them, and fresh task ids. So per case the scripts are run again — the same
    designer text through the same sandboxed script engine, under a budget of its own, seeing the case's
    clock — and those parts are patched into a copy of the template's serialized state; SpiffWorkflow is
    not run. ``of`` returns None for any other shape, and ``start`` returns None when a case's replay fails
    or could differ (the caller then runs ``Workflow.start``, which raises the route's own error).
    """

    def __init__(self, spec, scripts: list, user_task, state: dict, kinds: dict[str, int | None]) -> None:
        self._spec, self._scripts, self._state, self._kinds = spec, scripts, state, kinds
        self._facts = _facts_of(user_task)
        self._ready_id = next(tid for tid, place in kinds.items() if place == len(scripts) + 2)

    @classmethod
    def of(cls, spec, workflow: "Workflow") -> "StartTemplate | None":
        """The template of ``spec`` from ``workflow``, a case of it just started (``Workflow.start``), or None
        when the route's start is not of the known shape."""
        chain = _start_chain(spec)
        if chain is None:
            return None
        scripts, user_task = chain
        wf = workflow._wf
        ready = wf.get_tasks(state=TaskState.READY)
        if (workflow.is_completed or len(ready) != 1 or ready[0].task_spec is not user_task or wf.bpmn_events
                or wf.waiting_events() or wf.subprocesses or wf.get_tasks(state=TaskState.WAITING | TaskState.STARTED)):
            return None
        # Which step of the chain's data each task holds (its place on the chain: the root, the start event,
        # the scripts, the user task), or none (a task predicted beyond the user task, holding no data).
        # Anything else is a shape not understood: no template.
        chain_specs = [spec.start, spec.start.outputs[0], *scripts, user_task]
        kinds: dict[str, int | None] = {}
        task = wf.task_tree
        for place, task_spec in enumerate(chain_specs):
            if task is None or task.task_spec is not task_spec:
                return None
            kinds[str(task.id)] = place
            task = task.children[0] if len(task.children) == 1 else None
        for task in wf.get_tasks(state=TaskState.ANY_MASK):
            if str(task.id) not in kinds:
                if task.data:
                    return None
                kinds[str(task.id)] = None
        return cls(spec, scripts, user_task, json.loads(workflow.dump()), kinds)

    def start(self, data: dict[str, Any], now: datetime) -> "Workflow | None":
        """The case's workflow as ``Workflow.start(spec, data, now)`` would leave it, or None (run it then)."""
        # the data at each step of the chain: the start data seeded on the root, then after each script
        steps = [dict(data)]
        try:
            with clock_context(now), budget():
                for script_spec in self._scripts:
                    context = _plain_copy(steps[-1])  # as SpiffWorkflow gives a task its parent's data
                    script_engine().environment.execute(script_spec.script, context, {})
                    steps.append(context)
        except Exception:  # the full run raises the route's own error, naming the element
            return None
        # by place in the chain: the start event holds the root's data, the user task the last script's
        steps = [steps[0], steps[0], *steps[1:], steps[-1]]
        # fresh random (version 4) task ids, as SpiffWorkflow's uuid4(), from one read of the system's source
        noise = os.urandom(16 * len(self._state["tasks"]))
        new_ids = {old: str(UUID(bytes=noise[16 * i:16 * i + 16], version=4))
                   for i, old in enumerate(self._state["tasks"])}
        stamp = datetime.now().timestamp()
        tasks = {}
        for old, task in self._state["tasks"].items():
            kind = self._kinds[old]
            own = steps[kind] if kind is not None else {}
            parent = task["parent"]
            out = {**task, "id": new_ids[old], "parent": new_ids[parent] if parent else None,
                   "children": [new_ids[c] for c in task["children"]], "last_state_change": stamp}
            if parent is None:
                out["data"] = steps[0]
            else:
                above = steps[self._kinds[parent]] if self._kinds[parent] is not None else {}
                if own is above or not own:  # SpiffWorkflow's delta of the same data, or of none at all
                    out["delta"] = {"updates": {}, "deletions": [] if own is above else list(above)}
                else:
                    out["delta"] = {"updates": DeepMerge.get_updated_keys(above, own),
                                    "deletions": DeepMerge.get_deleted_keys(above, own)}
            tasks[new_ids[old]] = out
        state = {**self._state, "tasks": tasks, "root": new_ids[self._state["root"]],
                 "last_task": new_ids[self._state["last_task"]] if self._state["last_task"] else None}
        try:
            dump = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):  # a value JSON cannot hold: the full run fails as it always did
            return None
        if len(dump) > MAX_STATE_CHARS:
            return None
        workflow = Workflow(None, self._spec, dump)
        workflow._memo.update(dump=dump, completed=False, data=dict(steps[-1]), next_due=None,
                              ready=[ReadyTask(id=new_ids[self._ready_id], **self._facts)])
        return workflow


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain_copy(value):
    """A deep copy of JSON-like data (dicts, lists, scalars), as ``copy.deepcopy`` but a few times faster;
    anything else is deep-copied as usual."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _SCALARS else _plain_copy(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SCALARS else _plain_copy(v) for v in value]
    return value if kind in _SCALARS else copy.deepcopy(value)


def _start_chain(spec):
    """(script task specs, first user task spec) when the process starts with its one none start event, then
    script tasks only, then a user task, nothing on the way choosing by the data; else None."""
    start = spec.start
    if len(start.outputs) != 1 or not isinstance(start.outputs[0], StartEvent):
        return None
    event = start.outputs[0]
    if not isinstance(event.event_definition, NoneEventDefinition):
        return None
    scripts, node = [], event
    while True:
        if len(node.outputs) != 1 or node.inputs and len(node.inputs) != 1 or _has_extras(node):
            return None
        node = node.outputs[0]
        if isinstance(node, ScriptTask):
            scripts.append(node)
        elif isinstance(node, UserTask) and getattr(node, "manual", False) and not _has_extras(node):
            return scripts, node  # a step a loop may come back to later: the first arrival is the chain's
        else:
            return None


def _has_extras(task_spec) -> bool:
    # Anything that would read or change the data beyond the element's own script: data associations,
    # input/output specifications, pre- and post-scripts (Spiff's dialect), multi-instance or loop settings.
    return bool(getattr(task_spec, "data_input_associations", None) or getattr(task_spec, "data_output_associations", None)
                or getattr(task_spec, "io_specification", None) or getattr(task_spec, "prescript", None)
                or getattr(task_spec, "postscript", None) or getattr(task_spec, "loop_characteristics", None))


# PendingBpmnEvent.event_type is the class name: TimeDateEventDefinition does not end in "TimerEventDefinition".
_TIMER_EVENT_TYPES = frozenset(cls.__name__ for cls in (timer_module.TimeDateEventDefinition,
                                                        timer_module.DurationTimerEventDefinition,
                                                        timer_module.CycleTimerEventDefinition))


def _as_utc(value) -> datetime | None:
    if isinstance(value, dict):  # cycle timers report {'next': ...}
        value = value.get("next")
    if not value:
        return None
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)
