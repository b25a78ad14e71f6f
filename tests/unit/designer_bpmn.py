"""Small BPMN diagrams for the designer-text tests, written as Camunda Modeler would (minus layout)."""
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


# What every route declares (engine/declarations.py): these probes have no overall limit, and their case
# list shows a value every case carries.
DECLARATIONS = {"overall_limit": "none", "summary": "local_standard"}


def diagram(process_id: str, elements: str, lanes: dict[str, list[str]]) -> str:
    """A definitions document with one executable process; ``lanes`` maps a role to its element ids."""
    lane_xml = "".join(
        f'<bpmn:lane id="Lane_{role}" name="{role}">'
        + "".join(f"<bpmn:flowNodeRef>{element}</bpmn:flowNodeRef>" for element in ids) + "</bpmn:lane>"
        for role, ids in lanes.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<bpmn:definitions xmlns:bpmn="{BPMN}" xmlns:camunda="{CAMUNDA}" xmlns:xsi="{XSI}" '
            f'id="defs_{process_id}" targetNamespace="http://jiuzhu.example/bpmn">\n'
            f'  <bpmn:process id="{process_id}" name="{process_id}" isExecutable="true">\n'
            f'    {properties(DECLARATIONS)}\n'
            f'    <bpmn:laneSet id="LaneSet_{process_id}">{lane_xml}</bpmn:laneSet>\n'
            f'{elements}\n  </bpmn:process>\n</bpmn:definitions>\n')


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    """A sequence flow, with a Python condition if given."""
    if condition is None:
        return f'    <bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />\n'
    return (f'    <bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
            f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
            f'</bpmn:conditionExpression></bpmn:sequenceFlow>\n')


def properties(props: dict[str, str]) -> str:
    """camunda:properties in an element's own extensionElements."""
    inner = "".join(f"<camunda:property name={quoteattr(k)} value={quoteattr(v)} />" for k, v in props.items())
    return f"<bpmn:extensionElements><camunda:properties>{inner}</camunda:properties></bpmn:extensionElements>"


def script(task_id: str, body: str) -> str:
    """A Python script task."""
    return (f'    <bpmn:scriptTask id="{task_id}" scriptFormat="python">'
            f'<bpmn:script>{escape(body)}</bpmn:script></bpmn:scriptTask>\n')


def timer(kind: str, text: str) -> str:
    """A timer event definition of kind timeDate, timeDuration or timeCycle."""
    return (f'<bpmn:timerEventDefinition><bpmn:{kind} xsi:type="bpmn:tFormalExpression">{escape(text)}'
            f'</bpmn:{kind}></bpmn:timerEventDefinition>')
