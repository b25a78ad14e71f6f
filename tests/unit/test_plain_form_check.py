"""The quick check of plain forms (engine.catalogue.forms.plain_object_check) says "valid" only for data jsonschema
finds valid — for every shipped form it applies to and many values of every kind — so the validator that trusts
it refuses and accepts what it did; any schema it does not understand gets no quick check."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.catalogue.forms import FormInvalid, FormValidator, plain_object_check, with_check_digit

FORMS = sorted((Path(__file__).resolve().parents[2] / "forms").glob("*.json"))
ODD = [None, True, False, 0, 1, -1, 1.0, 2.5, float("nan"), 10 ** 12, "", "a", "ab", "x" * 61, "x" * 2001,
       "320921197501010016", "32092119750101001X", "A", "periodic", "2026-09", "2026-09-15", [], {}, ["a"], {"a": 1}]


def _values(prop: dict) -> list:
    """Values of every kind for one property: its enum's members, its bounds and just past them, and the odd ones."""
    values = list(ODD) + list(prop.get("enum", []))
    for key in ("minimum", "maximum"):
        if key in prop:
            values += [prop[key], prop[key] - 1, prop[key] + 1, prop[key] + 0.5, float(prop[key])]
    for key in ("minLength", "maxLength"):
        if key in prop:
            values += ["字" * prop[key], "字" * max(0, prop[key] - 1), "字" * (prop[key] + 1)]
    return values


def _valid_example(schema: dict, check) -> dict | None:
    """Some data the quick check passes: for each property the first of its values that its own check passes."""
    data = {}
    for name, prop in schema.get("properties", {}).items():
        alone = plain_object_check({"type": "object", "properties": {name: prop}})
        data.update({name: value for value in _values(prop)[::-1] if alone({name: value})})
    return data if check(data) else None


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.stem)
def test_the_quick_check_passes_only_what_jsonschema_passes(path):
    validator = FormValidator(json.loads(path.read_text(encoding="utf-8")))
    check = validator._surely_valid
    if check is None:
        return
    schema = validator._validator.schema
    base = _valid_example(schema, check) or {}
    trials = [base, {}, {**base, "unknown_field": 1}, [], "text", None]
    for name, prop in schema.get("properties", {}).items():
        trials += [{**base, name: value} for value in _values(prop)]
        trials.append({k: v for k, v in base.items() if k != name})
    passed = 0
    for data in trials:
        if check(data):
            passed += 1
            assert list(validator._validator.iter_errors(data)) == [], (path.stem, data)
    assert base and passed > 1, "the check passes the valid example and some of its variants"


def test_the_review_start_form_gets_the_quick_check_and_refuses_as_before():
    validator = FormValidator(json.loads((FORMS[0].parent / "dynamic_management_start.json").read_text(encoding="utf-8")))
    assert validator._surely_valid is not None
    good = {"assistance_type": "minimum_living", "recipient_case_number": "320921-2026-000001",
            "applicant_name": "王小明", "applicant_id_number": with_check_digit("32092119750101001"), "household_size": 3,
            "current_monthly_amount": 1840.0, "review_class": "B", "start_reason": "periodic"}
    assert validator._surely_valid(good) and validator.validate(good) == good
    with pytest.raises(FormInvalid) as refused:
        validator.validate({**good, "household_size": 0, "review_class": "D"})
    assert set(refused.value.errors) == {"household_size", "review_class"}


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"a": {"type": "string", "format": "date"}}},
    {"type": "object", "properties": {"a": {"type": ["string", "null"]}}},
    {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}}}},
    {"type": "object", "properties": {"a": {"type": "integer", "enum": [1, 2]}}},
    {"type": "object", "properties": {"a": {"type": "number", "exclusiveMinimum": 0}}},
    {"type": "object", "allOf": [{"required": ["a"]}], "properties": {"a": {"type": "string"}}},
    {"type": "object", "additionalProperties": {"type": "string"}},
    {"type": "array"},
])
def test_a_schema_the_check_does_not_understand_gets_none(schema):
    assert plain_object_check(schema) is None
