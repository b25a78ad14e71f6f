"""The data names the engine reads from a route are declared in its BPMN and checked at deploy: a missing
declaration, or a name that no form, script task, decision table or county rule provides, is refused with
file, line and element, and nothing is deployed."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.catalogue.declarations import ClockStart, OverallLimit, Outcome, RouteDeclarations
from engine.store.models import ProcessVersion
from engine.catalogue.rules import case_parameters, parameter_names
from engine.catalogue.versions import get_version, latest_version_id
from tests.unit.test_deploy_validation import refused, tree  # noqa: F401  (fixture)

MINIMUM_LIVING = "minimum_living/xiangshui.bpmn"
EMERGENCY = "temporary_assistance/emergency.bpmn"
CLOCK = """name="starts_clock" value="acceptance_decision == 'accepted'" />"""


def edit(tree: Path, route: str, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` once in a route of the copied tree; returns the line of the change."""
    path = tree / route
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def line_of(tree: Path, route: str, text: str) -> int:
    content = (tree / route).read_text(encoding="utf-8")
    return content[: content.index(text)].count("\n") + 1


def only(problems) -> object:
    assert len(problems) == 1, [(p.element_id, p.message_zh) for p in problems]
    return problems[0]


# --- the clock: every route says where its overall limit starts, or that it has none ---------------------
def test_a_route_that_does_not_declare_its_overall_limit_is_refused(db, tree):
    edit(tree, MINIMUM_LIVING, '<camunda:property name="overall_limit" value="time_limit_wd" />', "")
    problem = only(refused(db, tree))
    assert problem.file == MINIMUM_LIVING and problem.element_id == "minimum_living_xiangshui"
    assert problem.line == line_of(tree, MINIMUM_LIVING, '<bpmn:process id="minimum_living_xiangshui"')
    assert "缺少声明「overall_limit」" in problem.message_zh


def test_an_overall_limit_without_a_step_that_starts_the_clock_is_refused(db, tree):
    edit(tree, MINIMUM_LIVING, f"<camunda:property {CLOCK}", "")
    problem = only(refused(db, tree))
    assert problem.element_id == "minimum_living_xiangshui" and "starts_clock" in problem.message_zh
    assert problem.line == line_of(tree, MINIMUM_LIVING, 'name="overall_limit"')


def test_no_overall_limit_with_a_step_that_starts_the_clock_is_refused(db, tree):
    edit(tree, EMERGENCY, '<camunda:property name="overall_limit" value="20wd" />',
         '<camunda:property name="overall_limit" value="none" />')
    problem = only(refused(db, tree))
    assert problem.file == EMERGENCY and problem.element_id == "temporary_emergency"
    assert "emergency_relief" in problem.message_zh and problem.line == line_of(tree, EMERGENCY, 'name="overall_limit"')


# --- a declared value that names nothing the route holds, or is not a declaration at all -----------------
# (route, text replaced, its replacement, element reported, text in the Chinese message); the problem is
# reported at the line of the property.
BAD_VALUES = {
    "overall limit neither none, a period nor a name": (
        EMERGENCY, 'name="overall_limit" value="20wd"', 'name="overall_limit" value="20 个工作日"',
        "temporary_emergency", "办结时限"),
    "clock start compares with a value the form never gives": (
        MINIMUM_LIVING, CLOCK, """name="starts_clock" value="acceptance_decision == 'accept'" />""",
        "acceptance", "'accept' 不在表单选项中"),
    "clock start names a field of another step's form": (
        MINIMUM_LIVING, CLOCK, """name="starts_clock" value="confirmation_decision == 'confirmed'" />""",
        "acceptance", "confirmation_decision"),
    "clock start is matched, never evaluated": (
        MINIMUM_LIVING, CLOCK, """name="starts_clock" value="acceptance_decision.startswith('acc')" />""",
        "acceptance", "格式应为"),
    "privacy names a field of another step's form": (
        "minimum_living/siping.bpmn", 'name="privacy" value="privacy_case == True"',
        'name="privacy" value="near_relative == True"', "check_request", "privacy 引用的「near_relative」不是本步骤表单的字段"),
    "privacy is matched, never evaluated": (
        "minimum_living/siping.bpmn", 'name="privacy" value="privacy_case == True"',
        'name="privacy" value="privacy_case or True"', "check_request", "privacy「privacy_case or True」格式应为"),
    "summary field the route never holds": (
        MINIMUM_LIVING, 'value="household_size, per_capita_income,', 'value="household_size, per_capita_incom,',
        "minimum_living_xiangshui", "「per_capita_incom」在本流程的表单、脚本任务、决策表和县级规则中都不存在"),
    "applicant not from the start form": (
        MINIMUM_LIVING, 'name="applicant.id_number" value="applicant_id_number"',
        'name="applicant.id_number" value="confirmed_on"', "minimum_living_xiangshui", "开始事件表单"),
    "register column from data nothing provides": (
        MINIMUM_LIVING, 'name="register.monthly_amount" value="monthly_amount"',
        'name="register.monthly_amount" value="monthly_amout"', "end_confirmed", "monthly_amout"),
    "register column the outcome does not write": (
        MINIMUM_LIVING, '<camunda:property name="register.payment_from"',
        '<camunda:property name="register.stopped_from" value="payment_from" /><camunda:property '
        'name="register.payment_from"', "end_confirmed", "不登记「register.stopped_from」"),
}


@pytest.mark.parametrize("route, old, new, element, message", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_a_bad_declared_value_is_refused_at_its_line(db, tree, route, old, new, element, message):
    line = edit(tree, route, old, new)
    problem = only(refused(db, tree))
    assert (problem.file, problem.element_id, problem.line) == (route, element, line)
    assert message in problem.message_zh


# --- a missing declaration ------------------------------------------------------------------------------
def test_a_route_without_a_summary_is_refused(db, tree):
    old = ('<camunda:property name="summary" value="household_size, per_capita_income, monthly_amount, '
           'payment_from, near_relative, local_standard, address" />')
    edit(tree, MINIMUM_LIVING, old, "")
    assert "缺少声明「summary」" in only(refused(db, tree)).message_zh


def test_an_outcome_missing_a_register_column_is_refused(db, tree):
    edit(tree, MINIMUM_LIVING, '<camunda:property name="register.payment_from" value="payment_from" />', "")
    problem = only(refused(db, tree))
    assert problem.element_id == "end_confirmed" and "缺少声明「register.payment_from」" in problem.message_zh
    assert problem.line == line_of(tree, MINIMUM_LIVING, '<bpmn:endEvent id="end_confirmed"')


def test_a_register_column_on_an_end_without_a_recipient_effect_is_refused(db, tree):
    edit(tree, MINIMUM_LIVING, '<camunda:property name="recipient" value="register" />', "")
    problem = only(refused(db, tree))
    assert problem.element_id == "end_confirmed" and "没有 recipient 属性" in problem.message_zh


# --- what deploy stores and the engine reads ------------------------------------------------------------
def test_the_deployed_version_carries_its_declarations(db):
    with db.unit_of_work() as uow:
        s = uow.session
        declared = get_version(s, latest_version_id(s, "minimum_living_xiangshui")).declarations
        versions = s.execute(select(ProcessVersion.process_id, ProcessVersion.tasks)).all()
    assert declared.overall_limit == OverallLimit(field="time_limit_wd")
    assert declared.clock_starts == {"acceptance": ClockStart("acceptance_decision", ("accepted",))}
    assert declared.applicant == {"name": "applicant_name", "id_number": "applicant_id_number", "members": "members",
                                  "address": "address", "phone": "phone", "assets": "assets",
                                  "payment_account": "payment_account", "account_keeper": "account_keeper",
                                  "proxy_id_number": "proxy_id_number", "collector_name": "collector_name",
                                  "collector_id_number": "collector_id_number"}
    assert declared.summary[:3] == ("household_size", "per_capita_income", "monthly_amount")
    assert declared.outcomes == {"end_confirmed": Outcome("register", {
        "monthly_amount": "monthly_amount", "payment_from": "payment_from", "household_size": "household_size",
        "review_class": "review_class"})}
    assert all(tasks.get("@process") for _process, tasks in versions), "every shipped route declares its data"


def test_a_version_deployed_before_declarations_declares_nothing():
    assert RouteDeclarations.from_stored(None) == RouteDeclarations()


def test_rule_parameter_names_are_what_every_case_carries(db, unit_id):
    with db.unit_of_work() as uow:
        params = case_parameters(uow.session, unit_id("320921"), unit_id("320921100"), "minimum_living_xiangshui",
                                 date(2026, 9, 15))
    assert set(params) == parameter_names()
