"""The script engine that runs a route's designer text, and the caps on multi-instance and loop tasks.

Part of the workflow runtime (with engine.runtime.workflow and engine.runtime.workflow_texts, the only
SpiffWorkflow importers). SpiffWorkflow's engine would eval()/exec() designer text
directly; ours hands every text to engine.runtime.expressions (the whitelist again, no builtins,
the budget), checks what a timer text gives, and lets our refusals through unwrapped so
the element that raised them can be named.
"""
from __future__ import annotations

from functools import cache

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer.default.task_spec import MultiInstanceTaskConverter, StandardLoopTaskConverter
from SpiffWorkflow.bpmn.specs import defaults as bpmn_defaults
from SpiffWorkflow.camunda.specs import multiinstance_task as camunda_mi
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.runtime import expressions
from engine.runtime.budget import MAX_INSTANCES, OverBudget
from engine.runtime.expressions import UnsafeExpression
from engine.runtime.timer_rules import InvalidTimer, check_value
from engine.runtime.workflow_texts import event_definitions, timer_kind

# Raised by designer text itself; SpiffWorkflow must not wrap them into a generic error.
_DESIGNER_ERRORS = (UnsafeExpression, OverBudget, InvalidTimer)


class _GuardedEnvironment(BasePythonScriptEngineEnvironment):
    """Runs designer text only through engine.runtime.expressions: the whitelist, the budget, no builtins.

    Deploy already refused unsafe text; checking again here (the same cached check)
    means a spec that bypassed deploy still cannot reach the system.
    """

    def evaluate(self, expression, context, external_context=None):
        return expressions.evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        expressions.execute(script, context, external_context)
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service tasks are refused at deploy")


def _locate(exc: Exception, task) -> None:
    """Remember which element's text raised ``exc`` (the first one to see it knows best)."""
    if getattr(exc, "element_id", None) is None:
        exc.element_id = task.task_spec.bpmn_id or task.task_spec.name


class _GuardedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's engine, with timer values checked and our refusals passed through unwrapped."""

    def evaluate(self, task, expression, external_context=None):
        try:
            value = self.environment.evaluate(expression, task.data, external_context)
        except _DESIGNER_ERRORS as exc:
            _locate(exc, task)
            raise
        except SpiffWorkflowException as exc:
            exc.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as exc:
            raise WorkflowTaskException(f"Error evaluating expression '{expression}'", task=task, exception=exc)
        kind = _timer_of(task.task_spec, expression)
        if kind is None:
            return value
        try:
            return check_value(kind, value)
        except _DESIGNER_ERRORS as exc:
            _locate(exc, task)
            raise

    def execute(self, task, script, external_context=None):
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except _DESIGNER_ERRORS as exc:
            _locate(exc, task)
            raise
        except Exception as exc:
            raise self.create_task_exec_exception(task, script, exc)


def _timer_of(task_spec, expression: str) -> str | None:
    """The timer kind when ``expression`` is the text of one of ``task_spec``'s timers."""
    for definition in event_definitions(getattr(task_spec, "event_definition", None)):
        if getattr(definition, "expression", None) == expression:
            return timer_kind(definition)
    return None


@cache
def script_engine() -> "_GuardedScriptEngine":
    """The one script engine every workflow runs with, built on first use."""
    return _GuardedScriptEngine(environment=_GuardedEnvironment())


# --- instance caps: multi-instance and loop tasks --------------------------------
# A parallel multi-instance task costs quadratic time in its instances inside
# SpiffWorkflow (4,000 took 25 s), and nothing evaluates designer text between two
# of them, so the budget cannot see it: the number of instances is capped where
# each one is created, whether it comes from a cardinality or a collection.
class _InstanceCap:
    def create_child(self, my_task, *args, **kwargs):
        if len(my_task.children) >= MAX_INSTANCES:
            exc = OverBudget(f"more than {MAX_INSTANCES} instances of a multi-instance or loop task",
                             f"多实例或循环任务的实例超过 {MAX_INSTANCES} 个")
            _locate(exc, my_task)
            raise exc
        return super().create_child(my_task, *args, **kwargs)


class _CappedCamundaParallel(_InstanceCap, camunda_mi.ParallelMultiInstanceTask):
    pass


class _CappedCamundaSequential(_InstanceCap, camunda_mi.SequentialMultiInstanceTask):
    pass


class _CappedParallel(_InstanceCap, bpmn_defaults.ParallelMultiInstanceTask):
    pass


class _CappedSequential(_InstanceCap, bpmn_defaults.SequentialMultiInstanceTask):
    pass


class _CappedLoop(_InstanceCap, bpmn_defaults.StandardLoopTask):
    pass


def register_capped_tasks(registry) -> None:
    """Make stored specs restore into the capped classes (same typenames, so specs stored before keep loading).

    CAMUNDA_CONFIG drops the plain-BPMN multi-instance classes (a multi-instance script task), whose
    names clash with Camunda's: they get their own typenames instead of failing to serialize.
    """
    MultiInstanceTaskConverter(bpmn_defaults.ParallelMultiInstanceTask, registry, "BpmnParallelMultiInstanceTask")
    MultiInstanceTaskConverter(bpmn_defaults.SequentialMultiInstanceTask, registry,
                               "BpmnSequentialMultiInstanceTask")
    MultiInstanceTaskConverter(_CappedCamundaParallel, registry, "ParallelMultiInstanceTask")
    MultiInstanceTaskConverter(_CappedCamundaSequential, registry, "SequentialMultiInstanceTask")
    MultiInstanceTaskConverter(_CappedParallel, registry, "BpmnParallelMultiInstanceTask")
    MultiInstanceTaskConverter(_CappedSequential, registry, "BpmnSequentialMultiInstanceTask")
    StandardLoopTaskConverter(_CappedLoop, registry, "StandardLoopTask")
