"""Time budgets inside the law (audit X3, X4): the step deadlines of a route's longest ordinary path fit the
overall limit — and a step's own limit from 受理 — of every county, township and rule era that runs it, or
deploy refuses the route naming the path; county rules are per type and per township."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from engine.catalogue.budgets import NS, budgets_of
from engine.catalogue.rules import case_parameters, rules_in_force
from engine.store.models import Unit
from tests.unit.test_deploy_validation import refused, tree  # noqa: F401  (fixture)
from tests.unit.test_route_declarations import edit, only

MINIMUM_LIVING = "minimum_living/xiangshui.bpmn"
EXTREME_POVERTY = "extreme_poverty/xiangshui.bpmn"


def processes_of(path: Path):
    return etree.parse(str(path)).getroot().iterfind("bpmn:process", NS)


def rewrite(tree: Path, route: str, start: str, end: str, change) -> None:
    """Rewrite the text of a copied route from ``start`` up to the next ``end`` with ``change``."""
    path = tree / route
    text = path.read_text(encoding="utf-8")
    first = text.index(start)
    last = text.index(end, first)
    path.write_text(text[:first] + change(text[first:last]) + text[last:], encoding="utf-8")


def set_deadline(tree: Path, route: str, task: str, value: str) -> None:
    """Give one user task of a copied route another deadline."""
    rewrite(tree, route, f'<bpmn:userTask id="{task}"', "</bpmn:userTask>", lambda block: re.sub(
        r'name="deadline" value="[^"]*"', f'name="deadline" value="{value}"', block, count=1))


def test_every_shipped_route_fits_the_limits_of_every_place_that_runs_it():
    checked = 0
    for path in sorted(Path("processes").rglob("*.bpmn")):
        for process in processes_of(path):
            for era, budget, limit in budgets_of(process):
                assert limit is None or budget.total <= limit, (process.get("id"), era, budget.describe())
                checked += 1
    assert checked >= 20  # every route with a limit, in each county running it


def test_xiangshui_minimum_living_fits_its_20_working_days_and_lists_its_path():
    process = next(processes_of(Path("processes") / MINIMUM_LIVING))
    (era, budget, limit), *_ = budgets_of(process)
    assert limit == 20 and budget.total == 20  # delegated: the 2022 notice's 20 working days, used to the day
    steps = [step for step, _, days in budget.steps if days]
    # the near-relative path is the longest ordinary one: filed, checked, investigated, publicised, visited
    assert steps == ["near_relative_filing", "economic_check", "home_investigation", "preliminary_opinion",
                     "publicity", "county_home_visit", "confirmation"]
    assert "objection_handling" not in steps  # 公示异议 may run to 45 working days: marked on its flow


def test_a_route_over_its_limit_is_refused_naming_the_path_and_the_limit(db, tree):
    set_deadline(tree, MINIMUM_LIVING, "home_investigation", "10wd")
    problem = only(refused(db, tree))
    assert problem.file == MINIMUM_LIVING and problem.element_id == "minimum_living_xiangshui"
    assert "26 个工作日" in problem.message_zh and "办结时限 20 个工作日" in problem.message_zh
    assert "入户调查 10" in problem.message_zh and "响水县" in problem.message_zh


def test_a_flow_the_law_lets_run_longer_is_counted_once_its_mark_is_removed(db, tree):
    rewrite(tree, MINIMUM_LIVING, '<bpmn:sequenceFlow id="f_objection"', "</bpmn:sequenceFlow>", lambda block: re.sub(
        r"<bpmn:extensionElements>.*</bpmn:extensionElements>", "", block, flags=re.S))
    problem = only(refused(db, tree))
    assert "重新调查" in problem.message_zh and "extends_limit" in problem.message_zh


def test_an_extension_mark_without_its_legal_ground_is_refused(db, tree):
    rewrite(tree, MINIMUM_LIVING, '<camunda:property name="extends_limit" value="公示有异议', '" />',
            lambda _: '<camunda:property name="extends_limit" value=" ')
    problem = only(refused(db, tree))
    assert problem.element_id == "f_objection" and "法规依据" in problem.message_zh


def test_extreme_poverty_steps_to_the_preliminary_opinion_fit_15_working_days(db, tree):
    set_deadline(tree, EXTREME_POVERTY, "investigation", "8wd")
    problems = refused(db, tree)  # the route's 35 working days are over too
    problem = only([p for p in problems if p.element_id == "preliminary_opinion"])
    assert "18 个工作日" in problem.message_zh and "15 个工作日" in problem.message_zh  # 《特困人员认定办法》第十三条


@pytest.mark.parametrize("value", ["15d", "fifteen", "dom15"])
def test_a_step_limit_that_is_not_working_days_is_refused(db, tree, value):
    edit(tree, EXTREME_POVERTY, 'name="limit_from_acceptance" value="15wd"',
         f'name="limit_from_acceptance" value="{value}"')
    problem = only(refused(db, tree))
    assert problem.element_id == "preliminary_opinion" and "limit_from_acceptance" in problem.message_zh


def test_a_street_with_its_own_model_has_its_own_rules_and_each_type_its_own_limit(db):
    on = date(2026, 6, 1)
    # 三堤口街道 (delegated, Anhui 2018 practice) no longer shares 相山区's national-route settings
    street = rules_in_force("340603", on, "340603004")
    district = rules_in_force("340603", on, "340603001")
    assert (street["time_limit_wd"], street["democratic_appraisal"], street["publicity_excluded_from_limit"]) == (
        20, "always", True)
    assert (district["time_limit_wd"], district["democratic_appraisal"], district["publicity_excluded_from_limit"]) == (
        30, "on_objection", False)
    assert "57号" in district["sources"]["democratic_appraisal"] and "2020" in street["assumptions"]["democratic_appraisal"]
    with db.unit_of_work() as uow:
        ids = dict(uow.session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(("320921", "320921100")))).all())
        minimum = case_parameters(uow.session, ids["320921"], ids["320921100"], "minimum_living_xiangshui", on)
        poverty = case_parameters(uow.session, ids["320921"], ids["320921100"], "extreme_poverty_xiangshui", on)
    assert (minimum["time_limit_wd"], poverty["time_limit_wd"]) == (20, 35)
    assert "sources" not in minimum and "assumptions" not in minimum  # notes on the data, not case data


def test_a_sequence_flow_takes_no_other_property(db, tree):
    rewrite(tree, MINIMUM_LIVING, '<camunda:property name="extends_limit" value="公示有异议', "/>",
            lambda block: block.replace('name="extends_limit"', 'name="Extends_limit"'))
    problems = refused(db, tree)
    assert any(p.element_id == "f_objection" and "只能设置属性 extends_limit" in p.message_zh for p in problems)
