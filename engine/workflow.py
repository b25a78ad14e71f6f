"""The only module that imports SpiffWorkflow.

Everything leaving it is a plain value or dataclass: the rest of Jiuzhu never
touches SpiffWorkflow objects. Three things here are ours rather than the
library's defaults, each for a reason written beside it: the clock seen by
timers, the script environment, and a serializer that leaves the spec out of
the stored state.
"""
from __future__ import annotations

import contextvars
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any, Iterator
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from .expressions import UnsafeExpression, check_expression, safe_globals

# --- the clock seen by timers ------------------------------------------------
# SpiffWorkflow 3.2 calls datetime.now(timezone.utc) inside its timer module and
# offers no injection point; timers must follow our injected clock (tests move
# time, the scheduler fires what is due by *our* clock). We swap the module's
# `datetime` name for a subclass that asks a context variable first.
_current_now: contextvars.ContextVar[Any] = contextvars.ContextVar("jiuzhu_now", default=None)


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # noqa: D401 - mirrors datetime.now
        clock_now = _current_now.get()
        if clock_now is None:
            return datetime.now(tz)
        return clock_now.astimezone(tz) if tz else clock_now.replace(tzinfo=None)


timer_module.datetime = _ClockedDatetime


def engine_now() -> datetime:
    """The instant the engine is running at: the injected clock inside an engine call, else real time."""
    return _current_now.get() or datetime.now(timezone.utc)


@contextmanager
def clock_context(now: datetime) -> Iterator[None]:
    """Make SpiffWorkflow's timers see ``now`` for the duration of the block."""
    token = _current_now.set(now)
    try:
        yield
    finally:
        _current_now.reset(token)


# --- the script environment --------------------------------------------------
class SafeEnvironment(TaskDataEnvironment):
    """Evaluates only expressions that pass the whitelist, with no builtins.

    Deploy already refused unsafe expressions; checking again here (cached per
    source text) means a spec that bypassed deploy still cannot reach the system.
    """

    def __init__(self) -> None:
        super().__init__(safe_globals())

    def evaluate(self, expression, context, external_context=None):
        _checked(expression, "eval")
        return super().evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        _checked(script, "exec")
        return super().execute(script, context, external_context)


@lru_cache(maxsize=4096)
def _checked(source: str, mode: str) -> None:
    check_expression(source, mode)


SCRIPT_ENGINE = PythonScriptEngine(environment=SafeEnvironment())


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
        workflow = self.target_class(spec, subprocess_specs, deserializing=True, script_engine=SCRIPT_ENGINE)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_registry():
    config = dict(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = _StateConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]))
    return registry


_REGISTRY = _make_registry()
_SERIALIZER = BpmnWorkflowSerializer(_REGISTRY)
SERIALIZER_VERSION = _SERIALIZER.VERSION


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
class ReadyTask:
    """A READY user task of a running workflow."""

    id: str
    name: str
    title: str
    lane: str | None
    form_key: str | None
    properties: dict[str, str]


@dataclass(frozen=True)
class ProcessSpec:
    """A parsed, executable process: its id, name, spec JSON and user tasks."""

    process_id: str
    name: str
    spec_json: str
    user_tasks: dict[str, UserTaskFacts]


class WorkflowError(Exception):
    """A workflow could not run (a bad expression or data at run time)."""

    def __init__(self, message: str, element_id: str | None = None) -> None:
        super().__init__(message)
        self.element_id = element_id


class ParseError(Exception):
    """SpiffWorkflow refused a diagram; carries file, line and element id."""

    def __init__(self, message: str, file_name: str, line: int | None, element_id: str | None) -> None:
        super().__init__(message)
        self.file_name, self.line, self.element_id = file_name, line, element_id


# --- parsing -----------------------------------------------------------------
def parse_processes(bpmn_xml: bytes, file_name: str, decisions: dict[str, bytes] | None = None) -> list[ProcessSpec]:
    """Parse every executable process in one BPMN file (Camunda 7 dialect).

    ``decisions`` maps DMN file names to their XML, for business rule tasks
    (``camunda:decisionRef``).
    """
    parser = CamundaParser()
    try:
        for dmn_name, dmn_xml in (decisions or {}).items():
            parser.add_dmn_str(dmn_xml, filename=dmn_name)
        parser.add_bpmn_str(bpmn_xml, filename=file_name)
        result = []
        for process_id in parser.get_process_ids():
            spec = parser.get_spec(process_id)
            spec_json = json.dumps(_REGISTRY.convert(spec), ensure_ascii=False, sort_keys=True)
            result.append(ProcessSpec(process_id, spec.description or process_id, spec_json, _user_tasks(spec)))
        return result
    except ValidationException as exc:
        line = exc.line_number if isinstance(exc.line_number, int) else None
        raise ParseError(str(exc), exc.file_name or file_name, line, exc.id or None) from exc


def _user_tasks(spec) -> dict[str, UserTaskFacts]:
    facts = {}
    for task_spec in spec.task_specs.values():
        if getattr(task_spec, "manual", False) and task_spec.bpmn_id:
            facts[task_spec.bpmn_id] = UserTaskFacts(
                name=task_spec.bpmn_id,
                title=task_spec.bpmn_name or task_spec.bpmn_id,
                lane=task_spec.lane,
                form_key=getattr(getattr(task_spec, "form", None), "key", None),
                properties=dict(task_spec.extensions or {}),
            )
    return facts


def load_spec(spec_json: str):
    """Restore a spec object from its stored JSON (callers cache the result per version)."""
    return _REGISTRY.restore(json.loads(spec_json))


# --- running -----------------------------------------------------------------
class Workflow:
    """A running case's workflow; methods return plain values."""

    def __init__(self, wf: BpmnWorkflow) -> None:
        self._wf = wf
        self._memo: dict[str, Any] = {}  # derived views, dropped whenever the workflow runs

    def _memoised(self, key: str, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @classmethod
    def start(cls, spec, data: dict[str, Any], now: datetime) -> "Workflow":
        """Instantiate the spec, seed the start data and run to the first wait."""
        wf = BpmnWorkflow(spec, {}, script_engine=SCRIPT_ENGINE)
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
        return cls(_REGISTRY.restore(dct))

    def dump(self) -> str:
        """The workflow state (no spec) as compact JSON, Chinese kept readable."""
        return self._memoised("dump", lambda: json.dumps(_REGISTRY.convert(self._wf), ensure_ascii=False,
                                                          separators=(",", ":")))

    def copy(self) -> "Workflow":
        """An independent copy (through the stored form, so nothing is shared)."""
        return Workflow.restore(self._wf.spec, self.dump())

    def _run_engine(self, now: datetime) -> None:
        self._memo.clear()
        with clock_context(now):
            try:
                self._wf.refresh_timers()
                self._wf.do_engine_steps()
            except UnsafeExpression:
                raise
            except SpiffWorkflowException as exc:
                task = getattr(exc, "task", None)
                element = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
                raise WorkflowError(str(exc), element) from exc

    def ready_user_tasks(self) -> list[ReadyTask]:
        """The READY user tasks, in tree order."""
        return list(self._memoised("ready", self._ready_user_tasks))

    def _ready_user_tasks(self) -> list[ReadyTask]:
        out = []
        for task in self._wf.get_tasks(state=TaskState.READY, manual=True):
            spec = task.task_spec
            out.append(ReadyTask(
                id=str(task.id), name=spec.bpmn_id, title=spec.bpmn_name or spec.bpmn_id, lane=spec.lane,
                form_key=getattr(getattr(spec, "form", None), "key", None),
                properties=dict(spec.extensions or {}),
            ))
        return out

    def complete(self, task_id: str, data: dict[str, Any], now: datetime) -> None:
        """Complete a READY user task with the submitted data and run on."""
        task = self._wf.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise WorkflowError("task is not ready", None)
        task.set_data(**data)
        self._memo.clear()
        with clock_context(now):
            task.run()
        self._run_engine(now)

    def fire_due_timers(self, now: datetime) -> None:
        """Fire every timer due at ``now`` and run on (refresh, then engine steps)."""
        self._run_engine(now)

    def due_timer_names(self, now: datetime) -> list[str]:
        """Names of the waiting timers that are due at ``now`` (for the audit trail)."""
        names = []
        for event in self._wf.waiting_events():
            when = _as_utc(event.value) if event.event_type.endswith("TimerEventDefinition") else None
            if when is not None and when < now:  # strictly after, as SpiffWorkflow's own check
                names.append(event.name)
        return names

    def next_timer_due(self) -> datetime | None:
        """The earliest due time of a waiting timer, for the indexed next_due_at column."""
        due = []
        for event in self._wf.waiting_events():
            when = _as_utc(event.value) if event.event_type.endswith("TimerEventDefinition") else None
            if when is not None:
                due.append(when)
        return min(due) if due else None

    @property
    def is_completed(self) -> bool:
        """True once the process reached an end."""
        return self._memoised("completed", self._wf.is_completed)

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


def _as_utc(value) -> datetime | None:
    if isinstance(value, dict):  # cycle timers report {'next': ...}
        value = value.get("next")
    if not value:
        return None
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)
