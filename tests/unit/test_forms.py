"""Form schemas are designer text: checked at deploy (RE2 patterns, bounded hints), and every submission
meets the generic rules (storable text, finite bounded numbers, plausible dates, valid ID numbers)."""
from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.catalogue.deployment import deploy
from engine.errors import DeployRefused, FormInvalid
from engine.catalogue.forms import (DEFAULT_MAX_LENGTH, FORMS_DIR, MAX_ROWS, FormValidator, check_form_schema, load_form_files,
                          with_check_digit)
from engine.store.models import ProcessVersion
from tests.conftest import START

TODAY = date(2026, 9, 15)


def field(**prop) -> dict:
    return {"type": "object", "properties": {"f": {"title": "字段", **prop}}}


def test_every_shipped_form_passes_the_deploy_checks():
    for path in sorted(FORMS_DIR.glob("*.json")):
        assert check_form_schema(json.loads(path.read_text(encoding="utf-8")), path.name) == [], path.name


@pytest.mark.parametrize("prop, message", [
    ({"type": "string", "pattern": r"^(a)\1$"}, "not RE2 syntax"),
    ({"type": "string", "pattern": r"^(?=a)a$"}, "not RE2 syntax"),
    ({"type": "array", "x-rows": 1_000_000, "items": {"type": "object"}}, f"from 1 to {MAX_ROWS}"),
    ({"type": "array", "x-rows": 9, "maxItems": 8, "items": {"type": "object"}}, "from 1 to 8"),
    ({"type": "string", "enum": ["a", "b"], "x-enum-titles": ["甲"]}, "one short text per enum value"),
    ({"type": "string", "x-widget": "iframe"}, "x-widget must be one of"),
    ({"type": "string", "x-colour": "red"}, "unknown rendering hint 'x-colour'"),
    ({"type": "string", "maxLength": 10_000_000}, "maxLength is 10000000"),
    ({"type": "string", "x-date": "past"}, "x-date applies to a field with format: date"),
    ({"type": "object", "patternProperties": {"^(a+)+$": {}}}, "patternProperties is not supported"),
])
def test_deploy_refuses_what_could_starve_the_server_or_break_the_page(prop, message):
    [problem] = check_form_schema(field(**prop), "bad.json")
    assert problem.file == "bad.json" and problem.element_id == "f"
    assert message in problem.message and problem.message_zh


def test_nested_fields_are_named_by_their_path():
    schema = {"type": "object", "properties": {"members": {"type": "array", "items": {
        "type": "object", "properties": {"name": {"type": "string", "pattern": "(x)\\1"}}}}}}
    [problem] = check_form_schema(schema, "application.json")
    assert problem.element_id == "members.name"


def test_deploy_is_refused_naming_the_form_file_and_field(db, tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS_DIR, forms)
    schema = json.loads((forms / "acceptance.json").read_text(encoding="utf-8"))
    schema["properties"]["accepted_on"]["x-rows"] = 1_000_000
    (forms / "acceptance.json").write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    (forms / "broken.json").write_text("{not json", encoding="utf-8")
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        before = s.execute(select(func.count()).select_from(ProcessVersion)).scalar()
        with pytest.raises(DeployRefused) as info:
            deploy(s, START, Path("processes"), forms)
    where = {(p.file, p.element_id) for p in info.value.problems}
    assert where == {("acceptance.json", "accepted_on"), ("broken.json", None)}
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(func.count()).select_from(ProcessVersion)).scalar() == before


def test_patterns_are_evaluated_by_re2():
    validator = FormValidator(field(type="string", pattern=r"^\d+$"))
    validator.validate({"f": "123"}, TODAY)
    with pytest.raises(FormInvalid):  # Python's re takes full-width digits for \d; RE2 (ASCII) does not
        validator.validate({"f": "１２３"}, TODAY)
    # So ^(a+)+$ on "aaaa…!" is linear (it is exponential under Python's backtracking re, which would
    # never return here; the \d case above is the check that fails on a re-based validator).
    with pytest.raises(FormInvalid):
        FormValidator(field(type="string", pattern=r"^(a+)+$")).validate({"f": "a" * 5000 + "!"}, TODAY)


@pytest.mark.parametrize("prop, value, message", [
    ({"type": "string"}, "x" * (DEFAULT_MAX_LENGTH + 1), f"不能超过 {DEFAULT_MAX_LENGTH} 个字"),
    ({"type": "string"}, "a\x00b", "控制字符"),
    ({"type": "string"}, "a\ud800b", "控制字符"),
    ({"type": "number"}, float("nan"), "应为有效的数字"),
    ({"type": "number", "minimum": 0}, float("inf"), "应为有效的数字"),
    ({"type": "number"}, 10 ** 13, "不能大于 1000000000000"),
    ({"type": "integer"}, 2 ** 40, "不能大于 2147483647"),
    ({"type": "array", "items": {"type": "string"}}, ["x"] * 101, "最多 100 项"),
    ({"type": "string", "format": "date"}, "9999-12-31", "应在今天前后一年以内"),
    ({"type": "string", "format": "date"}, "1900-01-01", "应在今天前后一年以内"),
    ({"type": "string", "format": "date", "x-date": "past"}, "2026-09-16", "不能晚于今天"),
    ({"type": "string", "format": "date", "x-date": "birth"}, "2027-01-01", "不能晚于今天"),
    ({"type": "string", "x-id-number": True}, with_check_digit("32092120300101123"), "出生日期不合理"),
    ({"type": "string", "x-id-number": True}, with_check_digit("32092119700231123"), "不是有效日期"),
    ({"type": "string", "x-id-number": True}, with_check_digit("99092119700101123"), "地区代码不存在"),
    ({"type": "string", "x-id-number": True}, "320921197001011235", "校验位不正确"),
])
def test_generic_rules_no_schema_can_forget(prop, value, message):
    with pytest.raises(FormInvalid) as info:
        FormValidator(field(**prop)).validate({"f": value}, TODAY)
    assert message in info.value.errors["f"]


def test_plausible_values_pass():
    FormValidator(field(type="string", format="date")).validate({"f": "2027-09-15"}, TODAY)
    FormValidator(field(type="string", format="date", **{"x-date": "past"})).validate({"f": "2026-09-15"}, TODAY)
    FormValidator(field(type="string", **{"x-id-number": True})).validate({"f": "320921197001011236"}, TODAY)


def test_applicant_fields_are_never_longer_than_their_columns():
    schema = load_form_files()["application"]
    loose = {**schema, "properties": {**schema["properties"], "applicant_name": {"type": "string", "title": "姓名"}}}
    with pytest.raises(FormInvalid) as info:
        FormValidator(loose).validate({"applicant_name": "名" * 101}, TODAY)
    assert "不能超过 100 个字" in info.value.errors["applicant_name"]
