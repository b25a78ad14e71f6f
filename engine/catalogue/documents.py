"""Documents (文书) a route may issue: the kinds and their sandboxed templates in documents/.
Issuing them for a case (condition, number, row) is engine.cases.documents.

A user task issues document KIND when its ``camunda:properties`` has
``document:KIND`` whose value is a condition on the case data. It is designer text
like every other expression: checked at deploy, and evaluated only through
engine.runtime.expressions (the same whitelist again, no builtins, under a budget).
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, meta, nodes
from jinja2.sandbox import SandboxedEnvironment
from engine.catalogue.forms import mask_account, mask_id_number

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "documents"
PREFIX = "document:"
# Each template's first line names its title and 文号 code: {# title: 受理通知书; code: 低受 #}.
# The number is the county's first character + 民 + code: 响民低受〔2026〕3号. A document the engine issues
# outside any route (the window's 受理单 and 转办单, the 会审 report) says so: `; scope: window` — a route step
# cannot issue it (it is rendered with the window's context, not a case's).
_HEADER = re.compile(r"\{#\s*title:\s*(?P<title>[^;]+?)\s*;\s*code:\s*(?P<code>[^;\s]+?)\s*"
                     r"(?:;\s*scope:\s*(?P<scope>[a-z_]+)\s*)?#\}")


def _read_kinds(directory: Path = TEMPLATES_DIR) -> tuple[dict[str, tuple[str, str]], frozenset[str]]:
    kinds, outside_routes = {}, set()
    for path in sorted(directory.glob("[!_]*.html")):
        match = _HEADER.match(path.read_text(encoding="utf-8"))
        if match is None:
            raise ValueError(f"{path}: first line must be {{# title: …; code: … #}}")
        kinds[path.stem] = (match["title"], match["code"])
        if match["scope"]:
            outside_routes.add(path.stem)
    return kinds, frozenset(outside_routes)


KINDS, NOT_FOR_ROUTES = _read_kinds()
# What a route step may issue (the workbench offers these; deploy refuses any other).
ROUTE_KINDS = {kind: names for kind, names in KINDS.items() if kind not in NOT_FOR_ROUTES}
# Designers edit templates: a sandbox keeps them to data, like expressions.
_env = SandboxedEnvironment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True, undefined=StrictUndefined)
_env.filters["mask_id"] = mask_id_number
_env.filters["mask_account"] = mask_account


def kinds_for(properties: dict[str, str]) -> dict[str, str]:
    """kind → condition of the documents a task may issue."""
    return {k[len(PREFIX):]: v for k, v in properties.items() if k.startswith(PREFIX)}


def render(kind: str, **context: Any) -> tuple[str, str, str]:
    """(title, 文号 code, HTML body) of a document of ``kind`` rendered with ``context`` (sandboxed)."""
    title, code = KINDS[kind]
    return title, code, _env.get_template(f"{kind}.html").render(title=title, **context)


@cache
def case_facts_used(kind: str) -> frozenset[str]:
    """The ``case.NAME`` attributes the template of ``kind`` (with what it includes) reads, so the facts
    that cost a query (the missing materials) are looked up only for documents that print them."""
    return frozenset(_case_attributes(f"{kind}.html"))


def _case_attributes(template: str) -> set[str]:
    source = _env.loader.get_source(_env, template)[0]
    tree = _env.parse(source)
    used = {node.attr for node in tree.find_all(nodes.Getattr)
            if isinstance(node.node, nodes.Name) and node.node.name == "case"}
    for included in meta.find_referenced_templates(tree):
        if included:
            used |= _case_attributes(included)
    return used
