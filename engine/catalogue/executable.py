"""The executable content of a route, and the version hash computed from it.

A version is the hash of what runs (engine docs: docs/designer-guide.md, "The Camunda dialect"), not of
the file's bytes: a modeler that moves shapes, re-indents, reorders attributes, renames namespace prefixes
or stamps its own name and version on the file has not changed the route. So the hash covers the BPMN
(or DMN) semantics in C14N 2.0 form, with the diagram interchange (DI: shapes, edges, waypoints, colours)
and the tool stamps removed, plus the forms and decisions the route uses. Everything else counts: ids,
names shown to users, properties, expressions, flows, lanes and their names, documentation.
"""
from __future__ import annotations

import hashlib
import json

from lxml import etree

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
# The layout namespaces of BPMN and DMN (and bpmn-js's colour extensions): a diagram's picture only.
_LAYOUT_NAMESPACES = frozenset({
    "http://www.omg.org/spec/BPMN/20100524/DI", "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI", "https://www.omg.org/spec/DMN/20191111/DMNDI/",
    "http://www.omg.org/spec/DMN/20180521/DI/", "http://www.omg.org/spec/DMN/20180521/DC/",
    "http://bpmn.io/schema/bpmn/biocolor/1.0", "http://www.omg.org/spec/BPMN/non-normative/color/1.0",
    # Camunda Modeler's stamp of the platform it targets (modeler:executionPlatform[Version]).
    "http://camunda.org/schema/modeler/1.0",
})
# Attributes naming the tool that wrote the file, on the definitions element.
_TOOL_STAMPS = ("exporter", "exporterVersion")
# Text whose whitespace is meaning (Python indentation); every other text is compared stripped.
_VERBATIM_TEXT = frozenset({"{http://www.omg.org/spec/BPMN/20100524/MODEL}script"})
_PARSER = dict(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True, remove_pis=True)


def executable_content(xml: bytes) -> str:
    """The canonical (C14N 2.0) text of a BPMN or DMN document without its layout and tool stamps."""
    root = etree.fromstring(xml, etree.XMLParser(**_PARSER))
    for attribute in _TOOL_STAMPS:
        root.attrib.pop(attribute, None)
    for node in list(root.iter()):
        if not isinstance(node.tag, str):
            continue
        if etree.QName(node).namespace in _LAYOUT_NAMESPACES:
            _drop(node)
            continue
        for attribute in [a for a in node.attrib if etree.QName(a).namespace in _LAYOUT_NAMESPACES]:
            del node.attrib[attribute]
        if node.tag not in _VERBATIM_TEXT:
            node.text = (node.text or "").strip() or None
        node.tail = None
    # rewrite_prefixes: bpmn:task and <task xmlns="..."> are the same element; xsi:type holds a QName.
    return etree.canonicalize(root, rewrite_prefixes=True, qname_aware_attrs=[XSI_TYPE])


def _drop(node) -> None:
    parent = node.getparent()
    if parent is not None:
        parent.remove(node)


def content_hash(bpmn_xml: bytes, forms: dict, decisions: list[bytes]) -> str:
    """The version hash of a route: its executable BPMN, the forms it uses and the decisions it calls."""
    digest = hashlib.sha256(executable_content(bpmn_xml).encode("utf-8"))
    digest.update(json.dumps(forms, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    for decision in decisions:
        digest.update(hashlib.sha256(executable_content(decision).encode("utf-8")).digest())
    return digest.hexdigest()
