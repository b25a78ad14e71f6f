"""docs/rules.md cannot drift: every reference of its table of encoded rules still holds — the route
element (with the property value it names), the county-data or form field, the document, the code and the
test."""
from __future__ import annotations

import importlib
import json
import re
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from engine.catalogue.budgets import NS
from engine.catalogue.rules import catalog, counties

RULES = Path("docs/rules.md")
REFERENCE = re.compile(r"`([^`]+)`")


def rows() -> list[tuple[str, list[str], list[str]]]:
    """(rule id, references in 'encoded by', tests) of each row of the encoded table."""
    found = []
    for line in RULES.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"R\d\d", cells[0]):
            found.append((cells[0], REFERENCE.findall(cells[3]), REFERENCE.findall(cells[4])))
    return found


@cache
def elements() -> dict[str, dict[str, dict[str, str]]]:
    """process id → element id (and the process itself) → its camunda:properties."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for path in Path("processes").rglob("*.bpmn"):
        for process in etree.parse(str(path)).getroot().iterfind("bpmn:process", NS):
            found[process.get("id")] = {
                el.get("id"): {p.get("name"): p.get("value") for p in
                               el.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS)}
                for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
    return found


def holds(reference: str) -> bool:
    kind, _, rest = reference.partition(":")
    if kind == "bpmn":
        where, _, expected = rest.partition("@")
        process, _, element = where.partition("#")
        props = elements().get(process, {}).get(element)
        if props is None:
            return False
        name, _, value = expected.partition("=")
        return not expected or props.get(name) == value
    if kind == "data":
        head, _, key = rest.partition(".")
        every = list(counties().values())
        if head == "appeal":
            return all(key in c["appeal"] for c in every)
        if head == "township":
            return any(r.get("township") for c in every for r in c["rules"])
        return all(head in r for c in every for r in c["rules"])
    if kind == "catalog":
        kind_key, _, field = rest.partition(".")
        return field in catalog().get(kind_key, {})
    if kind == "form":
        key, _, field = rest.partition("#")
        path = Path("forms") / f"{key}.json"
        return path.exists() and field in json.loads(path.read_text(encoding="utf-8"))["properties"]
    if kind == "doc":
        return (Path("documents") / f"{rest}.html").exists()
    if kind == "code":
        module, _, name = rest.partition(":")
        return hasattr(importlib.import_module(module), name)
    return False


def test_the_table_lists_the_rules():
    assert len(rows()) >= 30
    assert all(refs and tests for _, refs, tests in rows())


@pytest.mark.parametrize("rule, references, tests", rows(), ids=[r[0] for r in rows()])
def test_each_rules_references_and_tests_exist(rule, references, tests):
    broken = [r for r in references if not holds(r)]
    assert not broken, f"{rule}: {broken}"
    for test in tests:
        path, _, name = test.partition("::")
        assert Path(path).exists() and re.search(rf"^def {name}\(", Path(path).read_text(encoding="utf-8"), re.M), \
            f"{rule}: {test}"


def test_every_value_an_admin_may_change_has_a_name_in_both_languages():
    """The rules page and its edit form name each value; a field the county data gains needs its names."""
    from engine.rule_changes import FIELD_NAMES, value_fields
    for kind in ("models", "rules"):
        for name in value_fields(kind):
            assert name in FIELD_NAMES and all(FIELD_NAMES[name]), f"no name for {kind} value {name!r}"
