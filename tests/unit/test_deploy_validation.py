"""A malformed or unsafe BPMN is refused at deploy with file, line and element; nothing is deployed."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.catalogue.deployment import deploy
from engine.errors import DeployRefused
from engine.store.models import ProcessVersion
from tests.conftest import START

ROUTE = Path("processes/minimum_living/xiangshui.bpmn")


@pytest.fixture
def tree(tmp_path):
    """A copy of processes/ to break."""
    target = tmp_path / "processes"
    shutil.copytree("processes", target)
    return target


def break_route(tree: Path, old: str, new: str) -> int:
    path = tree / "minimum_living" / "xiangshui.bpmn"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text[: text.index(new)].count("\n") + 1  # line of the change


def refused(db, tree: Path) -> list:
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        before = s.execute(select(func.count()).select_from(ProcessVersion)).scalar()
        with pytest.raises(DeployRefused) as info:
            deploy(s, START, tree)
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(func.count()).select_from(ProcessVersion)).scalar() == before, "nothing deployed"
    return info.value.problems


def test_unchanged_processes_are_not_redeployed(db, tree):
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        report = deploy(s, START, tree)
    from tests.flow_coverage import flows_by_process
    assert report.deployed == [] and sorted(p for p, _ in report.unchanged) == sorted(flows_by_process())


def test_a_changed_diagram_becomes_a_new_version(db, tree):
    break_route(tree, 'name="受理审查"', 'name="受理审查（新）"')
    with db.unit_of_work(write=True) as uow:
        report = deploy(uow.session, START, tree)
        uow.commit()
    assert [p for p, _ in report.deployed] == ["minimum_living_xiangshui"]
    with db.unit_of_work(write=True) as uow:  # leave the store as the other tests expect
        s = uow.session
        s.execute(ProcessVersion.__table__.delete().where(ProcessVersion.content_hash == report.deployed[0][1]))
        uow.commit()


def test_xml_syntax_error(db, tree):
    line = break_route(tree, "<bpmn:laneSet", "<bpmn:laneSet <<")
    [problem] = refused(db, tree)
    assert problem.file.endswith("xiangshui.bpmn") and problem.line == line
    assert "XML" in problem.message_zh


def test_schema_error(db, tree):
    break_route(tree, "<bpmn:laneSet", "<bpmn:notAnElement id=\"bogus\" /><bpmn:laneSet")
    [problem] = refused(db, tree)
    assert problem.line is not None and "BPMN" in problem.message_zh


def test_user_task_outside_any_lane(db, tree):
    break_route(tree, "<bpmn:flowNodeRef>acceptance</bpmn:flowNodeRef>", "")
    problems = refused(db, tree)
    assert [(p.element_id, "泳道" in p.message_zh) for p in problems] == [("acceptance", True)]
    assert problems[0].line is not None


def test_lane_naming_an_unknown_role(db, tree):
    line = break_route(tree, '<bpmn:lane id="Lane_county" name="县民政局">', '<bpmn:lane id="Lane_county" name="mayor">')
    [problem] = refused(db, tree)
    assert (problem.element_id, problem.line) == ("Lane_county", line) and "mayor" in problem.message


def test_form_key_without_a_form_file(db, tree):
    line = break_route(tree, 'camunda:formKey="acceptance"', 'camunda:formKey="no_such_form"')
    [problem] = refused(db, tree)
    assert (problem.element_id, problem.line) == ("acceptance", line) and "no_such_form" in problem.message


def test_gateway_branch_with_neither_condition_nor_default(db, tree):
    break_route(tree, 'default="f_not_accepted"', "")
    [problem] = refused(db, tree)
    assert problem.element_id == "f_not_accepted" and "gw_acceptance" in problem.message


@pytest.mark.parametrize("expression", [
    "().__class__.__base__.__subclasses__()",
    "__import__('os').system('id')",
    "eval('1')",
    "open('/etc/passwd').read()",
    "(lambda: 1)()",
    "getattr(acceptance_decision, '__class__')",
    "'{0.__class__}'.format(acceptance_decision)",
])
def test_unsafe_gateway_condition(db, tree, expression):
    from xml.sax.saxutils import escape
    line = break_route(tree, ">acceptance_decision == 'incomplete'<", ">" + escape(expression) + "<")
    [problem] = refused(db, tree)
    assert problem.element_id == "f_incomplete" and problem.line == line
    assert "表达式不安全" in problem.message_zh


def test_unsafe_document_condition_and_unknown_document_kind(db, tree):
    line = break_route(tree, '"acceptance_decision == \'accepted\'"', '"__import__(\'os\')"')
    [problem] = refused(db, tree)
    assert problem.element_id == "acceptance" and problem.line == line and "表达式不安全" in problem.message_zh
    break_route(tree, "document:supplement_notice", "document:no_such_notice")
    problems = refused(db, tree)
    assert any("no_such_notice" in p.message and p.element_id == "acceptance" for p in problems)


def test_a_window_document_cannot_be_issued_by_a_route_step(db, tree):
    """The 受理单 is rendered with the window's registration, not a case: no step may issue it."""
    break_route(tree, "document:supplement_notice", "document:window_receipt")
    problems = refused(db, tree)
    assert any("window_receipt" in p.message and p.element_id == "acceptance" for p in problems)


def test_unsafe_script_reports_the_line_inside_the_script(db, tree):
    line = break_route(tree, "household_size = len(members)\n", "household_size = len(members)\nimport os\n")
    [problem] = refused(db, tree)
    assert problem.element_id == "compute_household" and problem.line == line + 1


def test_unsafe_timer_expression(db, tree):
    break_route(tree, ">publicity_period(publicity_duration, publicity_days, publicity_unit, publicity_min_workdays)<", ">().__class__<")
    [problem] = refused(db, tree)
    assert problem.element_id == "publicity_ends" and "表达式" in problem.message_zh


def test_one_bad_file_refuses_the_good_ones_too(db, tree):
    (tree / "other").mkdir()
    (tree / "other" / "broken.bpmn").write_text("<not-bpmn/>", encoding="utf-8")
    break_route(tree, 'name="受理审查"', 'name="受理审查（改）"')  # a real change that must not land
    problems = refused(db, tree)
    assert [p.file for p in problems] == ["other/broken.bpmn"]


def test_cli_deploy_prints_file_line_and_element(db_url, tree):
    import os
    import subprocess
    import sys
    break_route(tree, 'camunda:formKey="acceptance"', 'camunda:formKey="no_such_form"')
    result = subprocess.run([sys.executable, "-m", "webapp.cli", "deploy", str(tree)], capture_output=True,
                            text=True, env={**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": os.getcwd()})
    assert result.returncode == 1
    assert "minimum_living/xiangshui.bpmn:" in result.stderr and "[acceptance]" in result.stderr
    assert "未部署任何版本" in result.stderr


@pytest.mark.parametrize("value", ["0", "two", "10", ""])
def test_a_cosign_count_that_is_not_1_to_9_is_refused(db, tree, value):
    """会签: the 入户调查 step's ``cosign`` must be a number of co-signers the engine can wait for."""
    line = break_route(tree, '<camunda:property name="cosign" value="1" />',
                       f'<camunda:property name="cosign" value="{value}" />')
    [problem] = refused(db, tree)
    assert problem.element_id == "home_investigation" and problem.line == line and "会签" in problem.message_zh
