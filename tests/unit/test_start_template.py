"""A route's start replayed from its template (engine.runtime.workflow.StartTemplate) is the start SpiffWorkflow
gives: the same state (task ids and times aside), data and ready task, and it runs on the same; a route whose
start is of another shape has no template, and a case whose start scripts fail is left to the full run."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from engine.errors import RouteFailed
from engine.runtime.workflow import StartTemplate, Workflow, load_spec, parse_processes
from tests.unit.designer_bpmn import diagram, flow, script, timer

NOW = datetime(2026, 9, 1, 8, tzinfo=timezone.utc)
PREPARE = "previous_amount = amount\nlabel = name + '户'\nshares = [amount / 2, amount / 2]\nfacts = {'size': size}"


def normalised_state(state: str) -> dict:
    """A stored state with its task ids numbered in tree order and the times of state changes left out."""
    dct = json.loads(state)
    ids: dict[str, int] = {}

    def number(task_id: str) -> None:
        ids[task_id] = len(ids)
        for child in dct["tasks"][task_id]["children"]:
            number(child)
    number(dct["root"])
    tasks = {ids[k]: {**t, "id": ids[t["id"]], "parent": ids.get(t["parent"]), "last_state_change": None,
                      "children": [ids[c] for c in t["children"]]} for k, t in dct["tasks"].items()}
    return {**dct, "tasks": tasks, "root": 0, "last_task": ids.get(dct["last_task"])}


def _spec(elements: str):
    [parsed] = parse_processes(diagram("probe", elements, {"township": ["visit", "decide"]}).encode(), "probe.bpmn")
    assert not parsed.problems, parsed.problems
    return load_spec(parsed.spec_json)


USER_TASKS = ('    <bpmn:userTask id="visit" name="入户核查" camunda:formKey="visit_form" />\n'
              '    <bpmn:exclusiveGateway id="gw" default="f_done" />\n'
              '    <bpmn:userTask id="decide" name="决定" />\n'
              '    <bpmn:endEvent id="end" />\n'
              + flow("f_visit", "visit", "gw") + flow("f_again", "gw", "decide", "again == True")
              + flow("f_done", "gw", "end") + flow("f_back", "decide", "visit"))


def _chain(*scripts: tuple[str, str], first: str = "visit", start: str = '<bpmn:startEvent id="start" />') -> str:
    ids = ["start", *(task_id for task_id, _ in scripts), first]
    return ("    " + start + "\n" + "".join(script(task_id, body) for task_id, body in scripts) + USER_TASKS
            + "".join(flow(f"f_{a}_{b}", a, b) for a, b in zip(ids, ids[1:])))


def _same(a: Workflow, b: Workflow) -> None:
    assert normalised_state(b.dump()) == normalised_state(a.dump())
    assert b.data == a.data and not b.is_completed and b.next_timer_due() is None
    assert [(t.name, t.title, t.lane, t.form_key) for t in b.ready_user_tasks()] == \
        [(t.name, t.title, t.lane, t.form_key) for t in a.ready_user_tasks()]
    for workflow in (a, b):  # both run on the same from the stored state
        restored = Workflow.restore(workflow._wf.spec, workflow.dump())
        assert [t.id for t in restored.ready_user_tasks()] == [t.id for t in workflow.ready_user_tasks()]
        restored.complete(restored.ready_user_tasks()[0].id, {"again": True, "note": "已核查"}, NOW)
        workflow.done = (restored.data, [t.name for t in restored.ready_user_tasks()], normalised_state(restored.dump()))
    assert b.done == a.done and b.done[1] == ["decide"]


@pytest.mark.parametrize("scripts", [
    (("prepare", PREPARE),),
    (("prepare", PREPARE), ("more", "amount = amount + 1\nprevious_amount = None")),
    (),
], ids=["one script", "two scripts, an input changed", "no script"])
def test_a_templated_start_is_the_full_run(scripts):
    spec = _spec(_chain(*scripts))
    first = Workflow.start(spec, {"amount": 1840.0, "name": "张三", "size": 3}, NOW)
    template = StartTemplate.of(spec, first)
    assert template is not None
    for data in ({"amount": 900.5, "name": "李四", "size": 1}, {"amount": 0.0, "name": "王", "size": 7, "extra": [1]},
                 {"amount": 1840.0, "name": "张三", "size": 3, "nested": {"a": {"b": None}}}):
        templated = template.start(data, NOW)
        assert templated is not None
        _same(Workflow.start(spec, data, NOW), templated)
        assert {t.id for t in templated.ready_user_tasks()}.isdisjoint(t.id for t in first.ready_user_tasks())


def test_a_gateway_or_timer_before_the_first_task_means_no_template():
    gateway = _spec('    <bpmn:startEvent id="start" />\n' + script("prepare", PREPARE)
                    + '    <bpmn:exclusiveGateway id="gw0" default="f_visit0" />\n' + USER_TASKS
                    + flow("f_a", "start", "prepare") + flow("f_b", "prepare", "gw0")
                    + flow("f_visit0", "gw0", "visit") + flow("f_decide0", "gw0", "decide", "amount > 1000"))
    boundary = _spec(_chain(("prepare", PREPARE)) + '    <bpmn:boundaryEvent id="late" attachedToRef="visit">'
                     + timer("timeDuration", "P7D") + '</bpmn:boundaryEvent>\n' + flow("f_late", "late", "end"))
    waiting = _spec('    <bpmn:startEvent id="start" />\n'
                    + f'    <bpmn:intermediateCatchEvent id="wait">{timer("timeDuration", "P1D")}</bpmn:intermediateCatchEvent>\n'
                    + USER_TASKS + flow("f_a", "start", "wait") + flow("f_b", "wait", "visit"))
    for spec in (gateway, boundary, waiting):
        assert StartTemplate.of(spec, Workflow.start(spec, {"amount": 1.0, "name": "张", "size": 1}, NOW)) is None


def test_a_case_whose_start_scripts_fail_is_left_to_the_full_run():
    spec = _spec(_chain(("prepare", "share = amount / size")))
    template = StartTemplate.of(spec, Workflow.start(spec, {"amount": 1840.0, "size": 3}, NOW))
    assert template is not None
    assert template.start({"amount": 1840.0, "size": 0}, NOW) is None
    with pytest.raises(RouteFailed) as raised:
        Workflow.start(spec, {"amount": 1840.0, "size": 0}, NOW)
    assert raised.value.element_id == "prepare"
