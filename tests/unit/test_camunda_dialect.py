"""The Camunda dialect: lanes read as the bodies that do the work (镇人民政府) and route to their role;
every Camunda field a modeler offers is honoured or refused with the element named; timer literals work as
written on a shipped route."""
from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from engine.catalogue import versions
from engine.catalogue.deployment import deploy, validate_file
from engine.catalogue.designer_checks import AT_MOST, HUMAN_TASK_PROPERTIES, RUNTIME_TASK_PROPERTIES
from engine.catalogue.documents import PREFIX as DOCUMENT_PREFIX
from engine.catalogue.forms import load_form_files
from engine.cases.lifecycle import start_case
from engine.catalogue.lanes import LANE_NAMES, lane_role
from engine.people.accounts import ROLE_NAMES_ZH, STAFF_ROLES
from engine.store.models import HumanTask, ProcessVersion, Unit
from tests.conftest import START, wipe_case_data
from tests.factories import SHUANGYUAN, XIANGSHUI, Walk, start
from tests.unit.designer_bpmn import diagram, flow, properties, timer

FORMS = load_form_files()
PROCESS = "lane_probe"
FORM = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "泳道探针", "type": "object",
        "properties": {"note": {"type": "string", "title": "备注"}}, "additionalProperties": False}


def lane_route(village_lane: str, township_lane: str) -> str:
    """start (village) → 镇审核 (township) → end, with the lanes named as given."""
    elements = ('    <bpmn:startEvent id="start" />\n' + flow("f1", "start", "check")
                + '    <bpmn:userTask id="check" name="镇审核" camunda:formKey="lane_probe" />\n'
                + flow("f2", "check", "done") + '    <bpmn:endEvent id="done" />\n')
    xml = diagram(PROCESS, elements, {"village": ["start", "done"], "township": ["check"]})
    return (xml.replace('id="Lane_village" name="village"', f'id="Lane_village" name="{village_lane}"')
            .replace('id="Lane_township" name="township"', f'id="Lane_township" name="{township_lane}"'))


def problems(tmp_path: Path, xml: str) -> list:
    path = tmp_path / "probe.bpmn"
    path.write_text(xml, encoding="utf-8")
    validated, found = validate_file(path, {**FORMS, "lane_probe": FORM}, "designer/probe.bpmn", {})
    assert validated is None and found, "refused"
    return found


@pytest.fixture
def deployed(db, tmp_path):
    """Deploys a lane probe into the test store; removes it and its cases afterwards."""
    def put(xml: str) -> list:
        tree, forms = tmp_path / "processes", tmp_path / "forms"
        tree.mkdir(exist_ok=True)
        forms.mkdir(exist_ok=True)
        (tree / "probe.bpmn").write_text(xml, encoding="utf-8")
        (forms / "lane_probe.json").write_text(json.dumps(FORM, ensure_ascii=False), encoding="utf-8")
        with db.unit_of_work(write=True) as uow:
            report = deploy(uow.session, START, tree, forms)
            uow.commit()
        return report.deployed
    yield put
    wipe_case_data(db)
    forget_versions(db, ProcessVersion.process_id == PROCESS)


def forget_versions(db, which) -> None:
    """Delete the versions a test deployed (their cases are gone) and drop them from the version cache."""
    with db.unit_of_work(write=True) as uow:
        for (version_id,) in uow.session.execute(select(ProcessVersion.id).where(which)).all():
            versions._cache.pop(version_id, None)
        uow.session.execute(delete(ProcessVersion).where(which))
        uow.commit()

def test_a_lane_named_zhen_renmin_zhengfu_deploys_and_routes_to_the_township(db, clock, who, unit_id, deployed):
    assert [p for p, _ in deployed(lane_route("村（居）委会", "镇人民政府"))] == [PROCESS]
    with db.unit_of_work(write=True) as uow:
        started = start_case(uow.session, who("village_sy"), clock, PROCESS, unit_id(SHUANGYUAN), {})
        uow.commit()
    with db.unit_of_work() as uow:
        [task] = uow.session.execute(select(HumanTask).where(HumanTask.case_id == started.id)).scalars().all()
        township = uow.session.get(Unit, task.unit_id)
    assert (task.task_name, task.role, township.level, township.code) == ("check", "township", "township", SHUANGYUAN[:9])
    walk = Walk(db, clock, who, started.id, started.number, form_data={"lane_probe": {}})
    assert walk.do("check") == "township_xs"   # the township's user has it in their inbox and does it
    assert walk.case().status == "completed"


def test_every_name_of_the_role_table_names_its_role():
    for role, names in LANE_NAMES.items():
        assert role in STAFF_ROLES and ROLE_NAMES_ZH[role] in names   # the name the app shows for the role
        assert lane_role(role) == role
        assert {lane_role(name) for name in names} == {role}
    # Brackets and spaces as a keyboard without a Chinese input method types them.
    assert lane_role("村(居)委会") == lane_role(" 村（居）委会 ") == "village"
    assert lane_role("街道办事处") == lane_role("乡镇人民政府") == lane_role("镇人民政府") == "township"


def test_an_unknown_lane_name_is_refused_with_the_accepted_names(tmp_path):
    [problem] = problems(tmp_path, lane_route("村（居）委会", "镇政府"))
    assert problem.element_id == "Lane_township" and "镇政府" in problem.message_zh
    for accepted in ("township", "镇人民政府", "街道办事处", "village", "村（居）委会", "评审小组", "区社会救助中心"):
        assert accepted in problem.message and accepted in problem.message_zh


def test_the_known_task_properties_are_the_ones_the_engine_reads():
    read = set()
    for path in Path("engine/cases").rglob("*.py"):
        read |= set(re.findall(r'properties[^\n]*?\.get\("([^"]+)"\)', path.read_text(encoding="utf-8")))
    assert read and read <= set(HUMAN_TASK_PROPERTIES)
    # documents and amount caps go by their prefix
    assert read == set(RUNTIME_TASK_PROPERTIES) - {"clock", f"{DOCUMENT_PREFIX}KIND", f"{AT_MOST}FIELD"}


@pytest.mark.parametrize(("element", "named", "hint"), [
    ('<bpmn:userTask id="review" camunda:dueDate="${now()}" />', "camunda:dueDate", "deadline"),
    ('<bpmn:userTask id="review" camunda:followUpDate="P1D" />', "camunda:followUpDate", "deadline"),
    ('<bpmn:userTask id="review" camunda:candidateGroups="township" />', "camunda:candidateGroups", "泳道"),
    ('<bpmn:userTask id="review" camunda:candidateUsers="zhang" />', "camunda:candidateUsers", "泳道"),
    ('<bpmn:userTask id="review" camunda:priority="80" />', "camunda:priority", "deadline"),
    ('<bpmn:userTask id="review" camunda:asyncBefore="true" />', "camunda:asyncBefore", "事务"),
    ('<bpmn:userTask id="review" camunda:formRef="x" camunda:formRefBinding="latest" />', "camunda:formRef",
     "formKey"),
    ('<bpmn:userTask id="review" camunda:someFutureField="1" />', "camunda:someFutureField", "不读取"),
    ('<bpmn:userTask id="review"><bpmn:extensionElements><camunda:taskListener event="create" class="x.Y" />'
     '</bpmn:extensionElements></bpmn:userTask>', "camunda:taskListener", "Python"),
    ('<bpmn:userTask id="review"><bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R3/PT5M'
     '</camunda:failedJobRetryTimeCycle></bpmn:extensionElements></bpmn:userTask>', "camunda:failedJobRetryTimeCycle",
     "异常"),
    ('<bpmn:userTask id="review"><bpmn:extensionElements><zeebe:taskDefinition xmlns:zeebe="http://camunda.org/'
     'schema/zeebe/1.0" type="x" /></bpmn:extensionElements></bpmn:userTask>', "zeebe", "camunda:properties"),
    ('<bpmn:userTask id="review"><bpmn:multiInstanceLoopCharacteristics camunda:collection="members" '
     'camunda:elementVariable="member" /></bpmn:userTask>', "camunda:collection", "loopCardinality"),
    ('<bpmn:userTask id="review" camunda:decisionRef="x" />', "camunda:decisionRef", "businessRuleTask"),
])
def test_camunda_fields_the_engine_does_not_honour_are_refused_with_what_to_use(tmp_path, element, named, hint):
    found = problems(tmp_path, lane_route("village", "township").replace(
        '<bpmn:userTask id="check" name="镇审核" camunda:formKey="lane_probe" />', element.replace('"review"', '"check"')))
    mine = [p for p in found if named in p.message]
    assert mine and all(p.element_id == "check" and p.line == 8 for p in mine)
    assert any(hint in p.message + p.message_zh for p in mine)


def test_a_mistyped_property_name_is_refused_with_the_known_names(tmp_path):
    xml = lane_route("village", "township").replace(
        'camunda:formKey="lane_probe" />', 'camunda:formKey="lane_probe">' + properties({"Deadline": "10wd"})
        + "</bpmn:userTask>")
    [problem] = problems(tmp_path, xml)
    assert problem.element_id == "check" and "Deadline" in problem.message
    for known in HUMAN_TASK_PROPERTIES:
        assert known in problem.message and known in problem.message_zh


@pytest.mark.parametrize(("kind", "text", "says"), [
    ("timeDuration", "P7DT", "ISO 8601"), ("timeDuration", "p7d", "ISO 8601"), ("timeDuration", "7 days", "ISO 8601"),
    ("timeDuration", "P1.5D", "ISO 8601"), ("timeDate", "2027-1-5", "ISO 8601"), ("timeDate", "P7D", "ISO 8601"),
    ("timeCycle", "R/PT1H", "重复次数"), ("timeDuration", "review_days", "review_days"),
])
def test_a_timer_text_that_is_neither_a_literal_nor_an_expression_over_the_route_data_is_refused(
        tmp_path, kind, text, says):
    event = f'<bpmn:intermediateCatchEvent id="wait">{timer(kind, text)}</bpmn:intermediateCatchEvent>'
    xml = lane_route("village", "township").replace(
        flow("f2", "check", "done"), flow("f2", "check", "wait") + event + flow("f3", "wait", "done"))
    [problem] = problems(tmp_path, xml)
    assert problem.element_id == "wait" and (says in problem.message or says in problem.message_zh)


@pytest.mark.parametrize(("kind", "text"), [
    ("timeDuration", "P7D"), ("timeDuration", "PT36H"), ("timeDuration", "P1DT12H"), ("timeDuration", "P2W"),
    ("timeDate", "2027-01-05T00:00:00+08:00"), ("timeDate", "2027-01-05"), ("timeCycle", "R3/PT1H"),
    ("timeCycle", "R3/2027-01-05T09:00+08:00/P1D"), ("timeDuration", "days_duration(7)"),
])
def test_iso_literals_and_expressions_over_known_data_deploy(tmp_path, kind, text):
    event = f'<bpmn:intermediateCatchEvent id="wait">{timer(kind, text)}</bpmn:intermediateCatchEvent>'
    xml = lane_route("village", "township").replace(
        flow("f2", "check", "done"), flow("f2", "check", "wait") + event + flow("f3", "wait", "done"))
    path = tmp_path / "probe.bpmn"
    path.write_text(xml, encoding="utf-8")
    validated, found = validate_file(path, {**FORMS, "lane_probe": FORM}, "designer/probe.bpmn", {})
    assert found == [] and validated is not None


def test_a_p7d_publicity_timer_on_a_shipped_route_fires_after_seven_days(db, clock, who, unit_id, tmp_path):
    # The 公示 of the Xiangshui 低保 route as Camunda Modeler writes a 7-day timer.
    tree = tmp_path / "processes"
    shutil.copytree("processes", tree)
    route = tree / "minimum_living" / "xiangshui.bpmn"
    text = route.read_text(encoding="utf-8")
    county_rule = "publicity_period(publicity_duration, publicity_days, publicity_unit, publicity_min_workdays)"
    assert text.count(county_rule) == 1
    route.write_text(text.replace(county_rule, "P7D"), encoding="utf-8")
    with db.unit_of_work(write=True) as uow:
        report = deploy(uow.session, START, tree)
        uow.commit()
    try:
        assert [p for p, _ in report.deployed] == [XIANGSHUI]
        w = start(db, clock, who, unit_id)
        w.do("acceptance")
        w.drive_to("publicity")
        opened = clock.now()
        assert w.case().next_due_at == opened + timedelta(days=7)
        clock.advance(days=6, hours=23)
        assert not w.fire_timers() and w.open_names() == ["publicity"]
        clock.advance(hours=1, minutes=1)
        assert w.fire_timers() and w.open_names() == ["confirmation"]
        assert [e.title for e in w.events() if e.kind == "timer_fired"] == ["公示期满"]
    finally:
        wipe_case_data(db)
        forget_versions(db, ProcessVersion.content_hash.in_([digest for _, digest in report.deployed]))


def test_a_foreign_attribute_on_a_step_is_refused_and_the_modelers_stamp_is_not(tmp_path):
    xml = lane_route("village", "township").replace(
        'camunda:formKey="lane_probe"', 'camunda:formKey="lane_probe" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
        ' zeebe:modelerTemplate="x"')
    [problem] = problems(tmp_path, xml)
    assert problem.element_id == "check" and "zeebe" in problem.message
    stamped = lane_route("village", "township").replace(
        'targetNamespace=', 'xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
        'modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.22.0" targetNamespace=')
    path = tmp_path / "stamped.bpmn"
    path.write_text(stamped, encoding="utf-8")
    assert validate_file(path, {**FORMS, "lane_probe": FORM}, "designer/stamped.bpmn", {})[1] == []


def test_a_form_on_a_plain_task_is_refused_once_saying_what_to_do(tmp_path):
    xml = lane_route("village", "township").replace('<bpmn:userTask id="check" name="镇审核" camunda:formKey="lane_probe" />',
                                                    '<bpmn:task id="check" name="镇审核" camunda:formKey="lane_probe" />')
    [problem] = problems(tmp_path, xml)
    assert problem.element_id == "check" and "用户任务" in problem.message_zh
