"""Form schemas are designer text: checked at deploy (RE2 patterns, bounded hints), and every submission
meets the generic rules (storable text, finite bounded numbers, plausible dates, valid ID numbers)."""
from __future__ import annotations

import json
import re
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


# --- household member lists (x-members) ----------------------------------------------------------
APPLICANT_ID = "320921197001011236"


def members_form(form: str = "application"):
    return FormValidator(load_form_files()[form])


def household(size: int) -> dict:
    from tests.factories import sample_application
    return sample_application("王小明", APPLICANT_ID, [300] + [0] * (size - 1))


def refused(data: dict, form: str = "application") -> dict[str, str]:
    with pytest.raises(FormInvalid) as info:
        members_form(form).validate(data, TODAY)
    return info.value.errors


@pytest.mark.parametrize("form", ["application", "low_income_application"])
def test_a_household_of_thirty_is_accepted_and_of_thirty_one_refused(form):
    data = household(30)
    if form == "low_income_application":
        data = {k: v for k, v in data.items() if k in load_form_files()[form]["properties"]} | {
            "applied_on": TODAY.isoformat(), "household_financial_assets": 0, "household_vehicles": 0,
            "household_extra_housing": False}
    data["members"][6]["disability_level"] = "2"
    assert members_form(form).validate(data, TODAY)["members"][6]["disability_level"] == "2"
    assert len({m["id_number"] for m in data["members"]}) == 30
    data["members"].append({**data["members"][1], "id_number": with_check_digit("32092119800101771")})
    assert refused(data, form) == {"members": "「共同生活家庭成员（含申请人）」最多 30 项"}


def test_the_same_id_number_on_two_members_is_refused_on_the_second():
    data = household(4)
    data["members"][3]["id_number"] = data["members"][1]["id_number"]
    assert refused(data) == {"members.3.id_number": "公民身份号码与前面一名成员相同：每人只能登记一次"}
    data["members"][3]["id_number"] = APPLICANT_ID  # the applicant's own number on another member
    assert refused(data) == {"members.3.id_number": "公民身份号码与前面一名成员相同：每人只能登记一次"}


def test_two_members_who_are_the_applicant_are_refused():
    data = household(3)
    data["members"][2]["relation"] = "self"
    assert refused(data) == {"members.2.relation": "只能有一名成员的与申请人关系为「本人」"}


def test_a_household_without_the_applicant_is_refused():
    data = household(3)
    data["members"][0]["relation"] = "spouse"
    assert refused(data) == {"members": "家庭成员中须有申请人本人：请将申请人列为成员，与申请人关系选「本人」"}
    data = household(3)
    del data["members"][0]  # the applicant left out
    data["members"][0]["relation"] = "self"
    assert refused(data) == {"members.0.id_number": "「本人」的公民身份号码应与申请人公民身份号码一致",
                             "members.0.name": "「本人」的姓名应与申请人姓名一致"}


def test_the_applicant_rule_is_not_added_to_a_field_already_wrong():
    data = household(2)
    data["applicant_id_number"] = "320921197001011235"  # wrong check digit: that is the one message
    assert refused(data) == {"applicant_id_number": "公民身份号码校验位不正确"}
    data = household(2)
    data["members"][0]["relation"] = "aunt"
    assert refused(data) == {"members.0.relation": "「与申请人关系」的取值不在可选范围内"}


@pytest.mark.parametrize("hint, message", [
    ({"applicant_name": "applicant_name"}, "x-members must name the form's fields"),
    ({"applicant_name": "applicant_name", "applicant_id_number": 7}, "x-members must name the form's fields"),
    ({"applicant_name": "applicant_name", "applicant_id_number": "head_id"}, "'head_id', which is not a field"),
])
def test_deploy_refuses_a_member_hint_naming_what_the_form_does_not_have(hint, message):
    schema = json.loads(json.dumps(load_form_files()["application"]))
    schema["properties"]["members"]["x-members"] = hint
    [problem] = check_form_schema(schema, "application.json")
    assert problem.element_id == "members" and message in problem.message and problem.message_zh


def test_deploy_refuses_a_member_hint_on_a_list_that_is_not_of_members():
    schema = json.loads(json.dumps(load_form_files()["application"]))
    del schema["properties"]["members"]["items"]["properties"]["relation"]
    [problem] = check_form_schema(schema, "application.json")
    assert "items have name, id_number and relation" in problem.message


# --- the HTML table of a list: rows shown, rows added and removed without JavaScript ---------------
def test_the_table_shows_x_rows_then_as_many_rows_as_were_posted_within_max_items():
    from engine.catalogue.forms import html_row_layout
    schema = load_form_files()["application"]
    assert html_row_layout(schema, {}) == {"members": (6, 30)}
    assert html_row_layout(schema, {"members-8-name": "", "members-0-name": "王小明"})["members"].shown == 9
    assert html_row_layout(schema, {"members-9999-name": "x"})["members"].shown == 30
    assert html_row_layout(schema, {"members-99999-name": "x"})["members"].shown == 6  # not a row of any page


def test_rows_are_added_and_removed_with_the_values_kept():
    from engine.catalogue.forms import change_html_rows
    schema = load_form_files()["application"]
    form = {"applicant_name": "王小明", "members-0-name": "王小明", "members-1-name": "李秀兰",
            "members-1-relation": "spouse", "members-2-name": "王佳怡"}
    added = change_html_rows(schema, form, "add:members")
    assert added["applicant_name"] == "王小明" and added["members-1-relation"] == "spouse"
    assert added["members-3-name"] == "" and "members-4-name" not in added
    removed = change_html_rows(schema, form, "remove:members:1")
    assert (removed["members-0-name"], removed["members-1-name"], removed["members-1-relation"]) == ("王小明", "王佳怡", "")
    assert "members-2-name" not in removed
    last = change_html_rows(schema, {"members-0-name": "王小明"}, "remove:members:0")
    assert last["members-0-name"] == "" and "members-1-name" not in last  # one blank row stays


@pytest.mark.parametrize("action, field, message", [
    ("add:members", "members", "最多 30 项"),
    ("remove:members:30", "_form", "表单已损坏"),
    ("remove:members:" + "9" * 5000, "_form", "表单已损坏"),
    ("add:assets", "_form", "表单已损坏"),
    ("drop:members:1", "_form", "表单已损坏"),
])
def test_a_full_list_or_a_forged_row_button_is_a_clear_message(action, field, message):
    from engine.catalogue.forms import change_html_rows
    full = {f"members-{i}-name": f"成员{i}" for i in range(30)}
    with pytest.raises(FormInvalid) as info:
        change_html_rows(load_form_files()["application"], full, action)
    assert message in info.value.errors[field]


def test_no_form_label_states_a_review_interval_the_county_data_sets():
    """Audit X13: 'C类…每季度复核' contradicted 铁西's six months; the interval is county data
    (review_interval_months_a/_b/_c), so a label never names one."""
    interval = re.compile(r"每年复核|每半年|每季度|yearly|half-yearly|quarterly")
    for path in sorted(FORMS_DIR.glob("*.json")):
        assert not interval.search(path.read_text(encoding="utf-8")), path.name
