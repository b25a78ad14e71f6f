"""Writes a first draft of a route as Camunda-7 BPMN with a laid-out diagram.

Designers then own the file and edit it in a modeler; this tool only saves
hand-placing coordinates for the first version, and it refuses to overwrite an
existing file: once written, the .bpmn file is the only source of the route and
nothing regenerates it. Usage:
    python tools/bpmn_scaffold.py my_route_draft.py processes/<type>/<variant>.bpmn

The draft description is a Python file defining ROUTE = {"id", "name", "lanes": [(role, label)],
"nodes": [...], "flows": [...], "boundaries": [...]}; it is thrown away after the first write.

Node types: start, end, user (form, props), script (script), xor (exclusive gateway; a flow
with "default": True is its default), rule (business rule task; "decision" names a DMN
decision id in processes/decisions/). Boundaries: interrupting timers on a task
("duration" is a Python expression giving an ISO-8601 duration). Flows may set "via": y
to route a backward edge along that y coordinate.
"""
from __future__ import annotations

import runpy
import sys
from xml.sax.saxutils import escape, quoteattr

LANE_HEIGHT = 190
LANE_X = 160
COL_W = 140
SIZES = {"task": (100, 80), "event": (36, 36), "gateway": (50, 50)}
TAGS = {
    "start": ("startEvent", "event"), "end": ("endEvent", "event"), "user": ("userTask", "task"),
    "script": ("scriptTask", "task"), "xor": ("exclusiveGateway", "gateway"),
    "rule": ("businessRuleTask", "task"),
}


def build(route: dict) -> str:
    lanes = route["lanes"]
    lane_index = {key: i for i, (key, _label) in enumerate(lanes)}
    nodes = route["nodes"]
    flows = route["flows"]
    max_col = max(n["col"] for n in nodes)
    width = (max_col + 2) * COL_W + 60
    bounds = {}
    for n in nodes:
        kind = TAGS[n["type"]][1]
        w, h = SIZES[kind]
        cx = LANE_X + 60 + n["col"] * COL_W + 50
        cy = 60 + lane_index[n["lane"]] * LANE_HEIGHT + LANE_HEIGHT // 2 + n.get("row", 0) * 60
        bounds[n["id"]] = (cx - w // 2, cy - h // 2, w, h)
    for b in route.get("boundaries", []):
        x, y, w, h = bounds[b["attached_to"]]
        bounds[b["id"]] = (x + w - 30, y + h - 18, 36, 36)
    outgoing_default = {f["source"]: f["id"] for f in flows if f.get("default")}

    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
           'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           f'id="Definitions_{route["id"]}" targetNamespace="http://jiuzhu.example/bpmn" '
           'exporter="Jiuzhu bpmn_scaffold (first draft)" exporterVersion="1">',
           f'  <bpmn:collaboration id="Collaboration_{route["id"]}">',
           f'    <bpmn:participant id="Participant_{route["id"]}" name={quoteattr(route["name"])} processRef="{route["id"]}" />',
           '  </bpmn:collaboration>',
           f'  <bpmn:process id="{route["id"]}" name={quoteattr(route["name"])} isExecutable="true">']
    if route.get("documentation"):
        out.append(f'    <bpmn:documentation>{escape(route["documentation"])}</bpmn:documentation>')
    out.append(f'    <bpmn:laneSet id="LaneSet_{route["id"]}">')
    for key, label in lanes:
        out.append(f'      <bpmn:lane id="Lane_{key}" name="{key}">')
        out.append(f'        <bpmn:documentation>{escape(label)}</bpmn:documentation>')
        for n in nodes:
            if n["lane"] == key:
                out.append(f'        <bpmn:flowNodeRef>{n["id"]}</bpmn:flowNodeRef>')
        for b in route.get("boundaries", []):
            host = next(n for n in nodes if n["id"] == b["attached_to"])
            if host["lane"] == key:
                out.append(f'        <bpmn:flowNodeRef>{b["id"]}</bpmn:flowNodeRef>')
        out.append('      </bpmn:lane>')
    out.append('    </bpmn:laneSet>')

    def flow_refs(node_id):
        refs = [f'      <bpmn:incoming>{f["id"]}</bpmn:incoming>' for f in flows if f["target"] == node_id]
        refs += [f'      <bpmn:outgoing>{f["id"]}</bpmn:outgoing>' for f in flows if f["source"] == node_id]
        return refs

    for n in nodes:
        tag = TAGS[n["type"]][0]
        attrs = f'id="{n["id"]}" name={quoteattr(n["name"])}'
        if n.get("form"):
            attrs += f' camunda:formKey="{n["form"]}"'
        if n["id"] in outgoing_default:
            attrs += f' default="{outgoing_default[n["id"]]}"'
        if n["type"] == "script":
            attrs += ' scriptFormat="python"'
        if n["type"] == "rule":
            attrs += f' camunda:decisionRef="{n["decision"]}"'
        out.append(f'    <bpmn:{tag} {attrs}>')
        if n.get("doc"):
            out.append(f'      <bpmn:documentation>{escape(n["doc"])}</bpmn:documentation>')
        if n.get("props"):
            out.append('      <bpmn:extensionElements>')
            out.append('        <camunda:properties>')
            for k, v in n["props"].items():
                out.append(f'          <camunda:property name="{k}" value={quoteattr(v)} />')
            out.append('        </camunda:properties>')
            out.append('      </bpmn:extensionElements>')
        out.extend(flow_refs(n["id"]))
        if n["type"] == "script":
            out.append(f'      <bpmn:script>{escape(n["script"])}</bpmn:script>')
        out.append(f'    </bpmn:{tag}>')
    for b in route.get("boundaries", []):
        out.append(f'    <bpmn:boundaryEvent id="{b["id"]}" name={quoteattr(b["name"])} attachedToRef="{b["attached_to"]}">')
        out.extend(flow_refs(b["id"]))
        out.append(f'      <bpmn:timerEventDefinition id="{b["id"]}_def">')
        out.append(f'        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{escape(b["duration"])}</bpmn:timeDuration>')
        out.append('      </bpmn:timerEventDefinition>')
        out.append('    </bpmn:boundaryEvent>')
    for f in flows:
        name = f' name={quoteattr(f["name"])}' if f.get("name") else ""
        if f.get("condition"):
            out.append(f'    <bpmn:sequenceFlow id="{f["id"]}"{name} sourceRef="{f["source"]}" targetRef="{f["target"]}">')
            out.append(f'      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(f["condition"])}</bpmn:conditionExpression>')
            out.append('    </bpmn:sequenceFlow>')
        else:
            out.append(f'    <bpmn:sequenceFlow id="{f["id"]}"{name} sourceRef="{f["source"]}" targetRef="{f["target"]}" />')
    out.append('  </bpmn:process>')

    out.append(f'  <bpmndi:BPMNDiagram id="Diagram_{route["id"]}">')
    out.append(f'    <bpmndi:BPMNPlane id="Plane_{route["id"]}" bpmnElement="Collaboration_{route["id"]}">')
    total_h = LANE_HEIGHT * len(lanes)
    out.append(f'      <bpmndi:BPMNShape id="Participant_{route["id"]}_di" bpmnElement="Participant_{route["id"]}" isHorizontal="true">')
    out.append(f'        <dc:Bounds x="{LANE_X - 30}" y="60" width="{width + 30}" height="{total_h}" />')
    out.append('      </bpmndi:BPMNShape>')
    for i, (key, _label) in enumerate(lanes):
        out.append(f'      <bpmndi:BPMNShape id="Lane_{key}_di" bpmnElement="Lane_{key}" isHorizontal="true">')
        out.append(f'        <dc:Bounds x="{LANE_X}" y="{60 + i * LANE_HEIGHT}" width="{width}" height="{LANE_HEIGHT}" />')
        out.append('      </bpmndi:BPMNShape>')
    for node_id, (x, y, w, h) in bounds.items():
        marker = ' isMarkerVisible="true"' if node_id.startswith("gw_") else ""
        out.append(f'      <bpmndi:BPMNShape id="{node_id}_di" bpmnElement="{node_id}"{marker}>')
        out.append(f'        <dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}" />')
        out.append('      </bpmndi:BPMNShape>')
    for f in flows:
        out.append(f'      <bpmndi:BPMNEdge id="{f["id"]}_di" bpmnElement="{f["id"]}">')
        for px, py in _waypoints(bounds[f["source"]], bounds[f["target"]], f.get("via")):
            out.append(f'        <di:waypoint x="{px}" y="{py}" />')
        out.append('      </bpmndi:BPMNEdge>')
    out.append('    </bpmndi:BPMNPlane>')
    out.append('  </bpmndi:BPMNDiagram>')
    out.append('</bpmn:definitions>')
    return "\n".join(out) + "\n"


def _waypoints(src, tgt, via=None):
    sx, sy, sw, sh = src
    tx, ty, tw, th = tgt
    scx, scy, tcx, tcy = sx + sw // 2, sy + sh // 2, tx + tw // 2, ty + th // 2
    if via is not None:  # route around: leave downwards, travel at y=via, enter from below/above
        enter_y = ty + th if via > tcy else ty
        exit_y = sy + sh if via > scy else sy
        return [(scx, exit_y), (scx, via), (tcx, via), (tcx, enter_y)]
    if tx >= sx + sw:
        if scy == tcy:
            return [(sx + sw, scy), (tx, tcy)]
        return [(scx, sy + sh if tcy > scy else sy), (scx, tcy), (tx, tcy)]
    return [(scx, sy + sh if tcy > scy else sy), (scx, tcy), (tx + tw, tcy)]


def main(argv: list[str]) -> int:
    """Write the first draft of one route; refuse to overwrite a file a designer may have edited."""
    if len(argv) != 2:
        print("usage: python tools/bpmn_scaffold.py DRAFT.py OUTPUT.bpmn", file=sys.stderr)
        return 2
    source, target = argv
    route = runpy.run_path(source)["ROUTE"]
    try:
        # "x": fail if the file exists, atomically; the BPMN file is the designer's from now on.
        with open(target, "x", encoding="utf-8") as fh:
            fh.write(build(route))
    except FileExistsError:
        print(f"{target} exists: the BPMN file is the source of its route; edit it in a modeler", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
