"""Moving a running case's workflow state onto another version of its route (Camunda Cockpit's migration).

A case is moved only when nothing of its state would be lost or misread: every step its state refers to
(done, under way or expected) is in the new version under the same id and of the same kind, and each step
it is at keeps its lane and its form. Otherwise the verdict names the step and why; the case stays where
it is. The state is the stored JSON without the spec, so moving a case is restoring it onto the new spec.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from SpiffWorkflow.util.task import TaskState

from engine.runtime.expressions import UnsafeExpression, data_names
from engine.runtime.workflow import Workflow, _facts_of
from engine.runtime.workflow_texts import walk

_AT = (TaskState.READY, TaskState.WAITING, TaskState.STARTED)


@dataclass(frozen=True)
class Verdict:
    """Whether a case's state can move to the new version; ``steps`` are the (id, name) it is at."""

    safe: bool
    steps: tuple[tuple[str, str], ...]
    reason: str = ""
    reason_zh: str = ""


def _name(task_spec) -> str:
    return task_spec.bpmn_name or task_spec.bpmn_id or task_spec.name


def check_migration(old_spec, new_spec, state: str) -> Verdict:
    """The verdict on moving a case in ``state`` (stored on ``old_spec``) onto ``new_spec``."""
    dct = json.loads(state)
    tasks = list(dct.get("tasks", {}).values())
    at = [t for t in tasks if t.get("state") in _AT and t.get("task_spec") in old_spec.task_specs
          and old_spec.task_specs[t["task_spec"]].bpmn_id]
    steps = tuple(dict.fromkeys((old_spec.task_specs[t["task_spec"]].bpmn_id, _name(old_spec.task_specs[t["task_spec"]]))
                                for t in at))

    def refuse(reason: str, reason_zh: str) -> Verdict:
        return Verdict(False, steps, reason, reason_zh)

    if dct.get("subprocesses"):
        return refuse("the case is inside a subprocess, which is not migrated", "案件正在子流程中，不迁移")
    for task in at:
        old = old_spec.task_specs[task["task_spec"]]
        new = new_spec.task_specs.get(task["task_spec"])
        if new is None:
            return refuse(f"its current step '{_name(old)}' was removed", f"当前步骤「{_name(old)}」在新版本中已删除")
        if type(new) is not type(old):
            return refuse(f"its current step '{_name(old)}' changed kind", f"当前步骤「{_name(old)}」在新版本中改变了类型")
        if getattr(old, "manual", False):
            before, after = _facts_of(old), _facts_of(new)
            if (before["lane"], before["form_key"]) != (after["lane"], after["form_key"]):
                return refuse(f"its current step '{_name(old)}' changed its lane or form",
                              f"当前步骤「{_name(old)}」在新版本中改变了泳道或表单")
    for task in tasks:
        name = task.get("task_spec")
        old, new = old_spec.task_specs.get(name), new_spec.task_specs.get(name)
        if new is None or (old is not None and type(new) is not type(old)):
            label = _name(old) if old is not None else name
            return refuse(f"the step '{label}' its state refers to is not in the new version as it was",
                          f"案件记录中的步骤「{label}」在新版本中已删除或改变了类型")
    return Verdict(True, steps)


@lru_cache(maxsize=64)
def names_read(spec) -> frozenset[str]:
    """Every task data name the designer texts of ``spec`` read (scripts, conditions, timers, decision tables)."""
    names: set[str] = set()
    for text in walk(spec)[0]:
        try:
            names |= data_names(text.source, text.mode)
        except UnsafeExpression:
            continue  # deploy refused it; nothing of it runs
    return frozenset(names)


def names_held(old_spec, state: str) -> frozenset[str]:
    """The data names a case in ``state`` holds now (the facts of its latest step)."""
    return frozenset(Workflow.restore(old_spec, state).data)


def migrated_state(new_spec, state: str, added: Mapping[str, Any] | None = None) -> str:
    """The state restored onto ``new_spec`` and stored again (call after a safe verdict); ``added`` values
    (rule values the new version reads and the case lacks) join the data of every step not yet done and of
    the latest one, never replacing a value the case has."""
    workflow = Workflow.restore(new_spec, state)
    if added:
        wf = workflow._wf
        for task in [*wf.get_tasks(state=TaskState.NOT_FINISHED_MASK), *([wf.last_task] if wf.last_task else [])]:
            task.data = {**added, **task.data}
    return workflow.dump()
