"""The flow-coverage gate reads BPMN as XML by namespace: a file another modeler wrote (default namespace,
other prefixes, attributes in another order) is counted like ours."""
from __future__ import annotations

from tests.flow_coverage import PROCESSES, flows_by_process, flows_in_file

OTHER_MODELER = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:c="http://camunda.org/schema/1.0/bpmn"
             id="d" targetNamespace="x" exporter="bpmn.io" exporterVersion="18">
  <process id="p_one" isExecutable="true">
    <startEvent id="s" />
    <sequenceFlow targetRef="t" sourceRef="s" id="f1" />
    <userTask id="t" c:formKey="k" />
    <sequenceFlow
        id="f2" sourceRef="t"
        targetRef="e" />
    <endEvent id="e" />
  </process>
  <process id="p_two" isExecutable="true">
    <startEvent id="s2" /><sequenceFlow id="g1" sourceRef="s2" targetRef="e2" /><endEvent id="e2" />
  </process>
</definitions>
"""


def test_a_file_in_another_dialect_of_prefixes_is_counted(tmp_path):
    path = tmp_path / "other.bpmn"
    path.write_text(OTHER_MODELER, encoding="utf-8")
    assert flows_in_file(path) == {"p_one": {"f1": ("s", "t"), "f2": ("t", "e")}, "p_two": {"g1": ("s2", "e2")}}


def test_every_shipped_process_is_in_the_gate():
    shipped = {pid for path in PROCESSES.rglob("*.bpmn") for pid in flows_in_file(path)}
    gated = flows_by_process()
    assert shipped == set(gated) and len(shipped) >= 23
    assert all(gated[pid] for pid in shipped), "a process without flows would pass the gate unseen"
