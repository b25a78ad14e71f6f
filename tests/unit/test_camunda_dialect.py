"""The Camunda dialect: lanes read as the bodies that do the work (镇人民政府) and route to their role;
every Camunda field a modeler offers is honoured or refused with the element named; timer literals work as
written on a shipped route."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from engine.catalogue import versions
from engine.catalogue.deployment import deploy, validate_file
from engine.catalogue.forms import load_form_files
from engine.cases.lifecycle import start_case
from engine.people.accounts import LANE_NAMES, lane_role
from engine.store.models import Case, CaseEvent, HumanTask, ProcessVersion, Unit
from tests.conftest import START
from tests.factories import SHUANGYUAN, Walk
from tests.unit.designer_bpmn import diagram, flow

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
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        cases = select(Case.id).where(Case.process_id == PROCESS)
        for model in (HumanTask, CaseEvent):
            s.execute(delete(model).where(model.case_id.in_(cases)))
        s.execute(delete(Case).where(Case.process_id == PROCESS))
        for (version_id,) in s.execute(select(ProcessVersion.id).where(ProcessVersion.process_id == PROCESS)):
            versions._cache.pop(version_id, None)
        s.execute(delete(ProcessVersion).where(ProcessVersion.process_id == PROCESS))
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
