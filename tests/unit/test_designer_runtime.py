"""Designer text at run time: what would hang or exhaust a worker stops within its budget, the case is
unchanged, an incident names the element and the person gets a 422 that says so; a step without a form
takes no data; Camunda timer literals work when a case reaches them. Driven through the real use cases,
the real Flask app and a route deployed into the test store."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from engine.catalogue import versions
from engine.cases.lifecycle import complete_task, record_route_incident, start_case
from engine.catalogue.deployment import deploy
from engine.errors import FormInvalid, RouteFailed
from engine.store.models import Case, CaseEvent, Document, HumanTask, Incident, ProcessVersion
from tests.conftest import START
from tests.factories import SHUANGYUAN, Walk
from tests.unit.designer_bpmn import diagram, flow, properties, script, timer

PROCESS = "designer_probe"
PROBES = ("loops", "printf", "fstring", "cardinality", "cycle", "timers", "document", "plain")
FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "设计探针", "type": "object",
    "properties": {"probe": {"type": "string", "title": "探针", "enum": list(PROBES)},
                   # Bounds a careless designer might allow: the budget, not the form, must hold then.
                   "n": {"type": "integer", "title": "次数", "minimum": 0, "maximum": 10**12},
                   "width": {"type": "integer", "title": "宽度", "minimum": 0, "maximum": 10**12}},
    "required": ["probe"], "additionalProperties": False,
}


CYCLE_FROM_DATA = 'f"R{n}/PT1H"'


def _route() -> str:
    def branch(probe: str, target: str, extra: str = "") -> str:
        return flow(f"f_to_{probe}", "gw", target, f"probe == '{probe}'" + (f" and {extra}" if extra else ""))

    elements = (
        '    <bpmn:startEvent id="start" />\n' + flow("f_start", "start", "gw_start")
        + '    <bpmn:exclusiveGateway id="gw_start" default="f_to_enter" />\n'
        + flow("f_to_start_loops", "gw_start", "start_loops", "start_n > 0") + flow("f_to_enter", "gw_start", "enter")
        + script("start_loops", "for i in range(start_n):\n    for j in range(start_n):\n        pass")
        + flow("f_start_loops", "start_loops", "enter")
        + '    <bpmn:userTask id="enter" name="填写探针" camunda:formKey="designer_probe" />\n'
        + flow("f_enter", "enter", "gw") + '    <bpmn:exclusiveGateway id="gw" default="f_to_plain" />\n'
        + branch("loops", "loops") + branch("printf", "done", "'%*d' % (width, 0) != ''")
        + branch("fstring", "done", "f'{0:>{width}}' != ''") + branch("cardinality", "countersign")
        + branch("cycle", "nagged") + branch("timers", "until") + branch("document", "issuing")
        + flow("f_to_plain", "gw", "plain")
        + script("loops", "total = 0\nfor i in range(n):\n    for j in range(n):\n        total += 1")
        + flow("f_loops", "loops", "done")
        + '    <bpmn:userTask id="countersign" name="会签"><bpmn:multiInstanceLoopCharacteristics>'
          '<bpmn:loopCardinality>n</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>\n'
        + flow("f_countersign", "countersign", "done")
        + '    <bpmn:userTask id="nagged" name="催办" />\n' + flow("f_nagged", "nagged", "done")
        + '    <bpmn:boundaryEvent id="nag" attachedToRef="nagged" cancelActivity="false">'
        + timer("timeCycle", CYCLE_FROM_DATA) + "</bpmn:boundaryEvent>\n" + flow("f_nag", "nag", "nag_end")
        + f'    <bpmn:intermediateCatchEvent id="until" name="到期日">{timer("timeDate", "2026-09-20T09:00:00")}'
          '</bpmn:intermediateCatchEvent>\n' + flow("f_until", "until", "review")
        + '    <bpmn:userTask id="review" name="审核" />\n' + flow("f_review", "review", "done")
        + f'    <bpmn:boundaryEvent id="late" name="逾期" attachedToRef="review">{timer("timeDuration", "P7D")}'
          '</bpmn:boundaryEvent>\n' + flow("f_late", "late", "overdue")
        + '    <bpmn:task id="overdue" name="逾期处理" />\n' + flow("f_overdue", "overdue", "done")
        + f'    <bpmn:boundaryEvent id="remind" name="提醒" attachedToRef="review" cancelActivity="false">'
          f'{timer("timeCycle", "R3/PT1H")}</bpmn:boundaryEvent>\n' + flow("f_remind", "remind", "reminder")
        + script("reminder", "reminded = True") + flow("f_reminder", "reminder", "reminded_end")
        + '    <bpmn:userTask id="issuing" name="出具文书">'
        + properties({"document:acceptance_notice": "('x' * n) != ''"}) + "</bpmn:userTask>\n"
        + flow("f_issuing", "issuing", "done")
        + '    <bpmn:task id="plain" name="无表单步骤" />\n' + flow("f_plain_done", "plain", "done")
        + '    <bpmn:endEvent id="done" />\n    <bpmn:endEvent id="nag_end" />\n'
          '    <bpmn:endEvent id="reminded_end" />\n')
    return diagram(PROCESS, elements, {
        "village": ["enter"], "township": ["countersign", "nagged", "review", "overdue", "issuing", "plain"]})


def _forget_route(s) -> None:
    cases = select(Case.id).where(Case.process_id == PROCESS)
    for model in (HumanTask, CaseEvent, Document, Incident):
        s.execute(delete(model).where(model.case_id.in_(cases)))
    s.execute(delete(Incident).where(Incident.case_id.is_(None)))
    s.execute(delete(Case).where(Case.process_id == PROCESS))
    for (version_id,) in s.execute(select(ProcessVersion.id).where(ProcessVersion.process_id == PROCESS)).all():
        versions._cache.pop(version_id, None)
    s.execute(delete(ProcessVersion).where(ProcessVersion.process_id == PROCESS))


@pytest.fixture
def probe_route(db, tmp_path):
    """The probe route deployed into the test store, with its form; removed again afterwards."""
    (tmp_path / "processes").mkdir()
    (tmp_path / "forms").mkdir()
    (tmp_path / "processes" / "probe.bpmn").write_text(_route(), encoding="utf-8")
    (tmp_path / "forms" / "designer_probe.json").write_text(json.dumps(FORM, ensure_ascii=False), encoding="utf-8")
    with db.unit_of_work(write=True) as uow:
        report = deploy(uow.session, START, tmp_path / "processes", tmp_path / "forms")
        uow.commit()
    assert [p for p, _ in report.deployed] == [PROCESS]
    yield PROCESS
    with db.unit_of_work(write=True) as uow:
        _forget_route(uow.session)
        uow.commit()


def _start(db, clock, who, unit_id) -> Walk:
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        started = start_case(s, who("village_sy"), clock, PROCESS, unit_id(SHUANGYUAN), {"start_n": 0})
        uow.commit()
    return Walk(db, clock, who, started.id, started.number, form_data={})


def _snapshot(db, case_id: int) -> tuple:
    with db.unit_of_work() as uow:
        s = uow.session
        case = s.get(Case, case_id)
        tasks = s.execute(select(HumanTask.id, HumanTask.status).where(HumanTask.case_id == case_id)
                          .order_by(HumanTask.id)).all()
        events = s.execute(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)).scalar()
        documents = s.execute(select(func.count()).select_from(Document).where(Document.case_id == case_id)).scalar()
        return case.state, case.revision, case.updated_at, tuple(tasks), events, documents


def _incidents(db, case_id: int) -> list[Incident]:
    with db.unit_of_work() as uow:
        s = uow.session
        return s.execute(select(Incident).where(Incident.case_id == case_id)).scalars().all()


def as_the_caller_does(db, clock, failure: RouteFailed) -> None:
    """What the web app and the scheduler do after a step failed because of its route: its unit of work
    is already undone (which let go of the case's locks and SQLite's write lock: this write does not wait),
    and the incident for administrators is recorded in a unit of work of its own."""
    with db.unit_of_work(write=True) as uow:
        record_route_incident(uow.session, failure, clock.now())
        uow.commit()


# probe → (submitted data, the element the incident names)
OVER_BUDGET = {
    "nested_loops": ({"probe": "loops", "n": 100_000}, "loops"),
    "printf_width": ({"probe": "printf", "width": 4_000_000_000}, "gw"),
    "fstring_width": ({"probe": "fstring", "width": 4_000_000_000}, "gw"),
    "cardinality_200000": ({"probe": "cardinality", "n": 200_000}, "countersign"),
    "cycle_of_5000": ({"probe": "cycle", "n": 5_000}, "nag"),
}


@pytest.mark.parametrize(("data", "element"), OVER_BUDGET.values(), ids=OVER_BUDGET.keys())
def test_over_budget_leaves_the_case_unchanged_with_an_incident(db, clock, who, unit_id, probe_route, data, element):
    w = _start(db, clock, who, unit_id)
    [task] = w.open_tasks()
    before = _snapshot(db, w.case_id)
    with pytest.raises(RouteFailed) as info:
        with db.unit_of_work(write=True) as uow:
            complete_task(uow.session, who("village_sy"), clock, task.id, data)
    as_the_caller_does(db, clock, info.value)
    assert (info.value.kind, info.value.element_id) == ("over_budget", element)
    assert _snapshot(db, w.case_id) == before, "the case is unchanged"
    [incident] = _incidents(db, w.case_id)
    assert incident.kind == "route_over_budget" and element in incident.message and incident.resolved_at is None


def test_over_budget_through_the_web_app_is_a_422_in_chinese(db, clock, who, unit_id, probe_route, login):
    w = _start(db, clock, who, unit_id)
    [task] = w.open_tasks()
    before = _snapshot(db, w.case_id)
    village = login("village_sy")
    page = village.post_form(f"/tasks/{task.id}", {"probe": "loops", "n": "100000"})
    assert page.status_code == 422
    assert "超出运行限制" in page.text and "loops" in page.text and "本次办理未保存" in page.text
    api = village.client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"probe": "printf", "width": 10**9}},
                              headers={"X-CSRFToken": village.csrf})
    assert api.status_code == 422
    assert (api.json["error"], api.json["element"]) == ("route_over_budget", "gw") and "格式化宽度" in api.json["message"]
    assert _snapshot(db, w.case_id) == before
    assert sorted(i.kind for i in _incidents(db, w.case_id)) == ["route_over_budget", "route_over_budget"]
    # The case still works: the same step with sane data goes through.
    assert village.post_form(f"/tasks/{task.id}", {"probe": "loops", "n": "30"}).status_code == 302
    assert w.case().status == "completed"


def test_a_document_condition_over_budget_is_caught_like_any_other(db, clock, who, unit_id, probe_route):
    w = _start(db, clock, who, unit_id)
    w.do("enter", probe="document", n=10**10)
    [task] = w.open_tasks()
    before = _snapshot(db, w.case_id)
    with pytest.raises(RouteFailed) as info, db.unit_of_work(write=True) as uow:
        complete_task(uow.session, who("township_xs"), clock, task.id, {})
    as_the_caller_does(db, clock, info.value)
    assert (info.value.kind, info.value.element_id) == ("over_budget", "issuing")
    assert _snapshot(db, w.case_id) == before and [i.kind for i in _incidents(db, w.case_id)] == ["route_over_budget"]


def test_a_step_without_a_form_takes_no_data(db, clock, who, unit_id, probe_route, login):
    w = _start(db, clock, who, unit_id)
    w.do("enter", probe="plain")
    [task] = w.open_tasks()
    assert task.task_name == "plain" and task.form_key is None
    standard = w.case().summary["local_standard"]
    before = _snapshot(db, w.case_id)
    township = login("township_xs")
    api = township.client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"local_standard": 99999}},
                               headers={"X-CSRFToken": township.csrf})
    assert api.status_code == 422 and api.json["errors"] == {"local_standard": "此步骤没有表单，不接受提交的数据"}
    page = township.post_form(f"/tasks/{task.id}", {"local_standard": "99999"})
    assert page.status_code == 422 and "此步骤没有表单" in page.text
    assert _snapshot(db, w.case_id) == before
    with pytest.raises(FormInvalid), db.unit_of_work(write=True) as uow:
        complete_task(uow.session, who("township_xs"), clock, task.id, {"local_standard": 99999})
    assert township.post_form(f"/tasks/{task.id}", {}).status_code == 302  # the HTML controls alone are fine
    case = w.case()
    assert case.status == "completed" and case.summary["local_standard"] == standard


def test_camunda_timer_literals_work_when_a_case_reaches_them(db, clock, who, unit_id, probe_route):
    w = _start(db, clock, who, unit_id)
    w.do("enter", probe="timers")
    # timeDate 2026-09-20T09:00:00 (no zone: China time) holds the case until then.
    assert w.open_names() == [] and w.case().next_due_at.isoformat() == "2026-09-20T01:00:00+00:00"
    clock.set(START.replace(day=20, hour=1, minute=1))
    assert w.fire_timers() and w.open_names() == ["review"]
    # R3/PT1H reminds three times, an hour apart, then stops.
    for _ in range(5):
        clock.advance(hours=1)
        w.fire_timers()
    reminders = [e for e in w.events() if e.kind == "timer_fired" and e.title == "提醒"]
    assert len(reminders) == 3 and w.open_names() == ["review"]
    # P7D after the review opened, it is overdue: the review is withdrawn and the overdue step opens.
    clock.set(START.replace(day=20, hour=1, minute=1) + timedelta(days=7, minutes=1))
    w.fire_timers()
    assert w.open_names() == ["overdue"]
    assert [e.title for e in w.events() if e.kind == "timer_fired"][-1] == "逾期"


def test_a_route_over_budget_at_the_start_lodges_no_case(db, clock, who, unit_id, probe_route):
    with db.unit_of_work() as uow:
        s = uow.session
        cases_before = s.execute(select(func.count()).select_from(Case)).scalar()
    with pytest.raises(RouteFailed) as info, db.unit_of_work(write=True) as uow:
        start_case(uow.session, who("village_sy"), clock, PROCESS, unit_id(SHUANGYUAN), {"start_n": 100_000})
    as_the_caller_does(db, clock, info.value)
    assert (info.value.kind, info.value.element_id) == ("over_budget", "start_loops")
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(func.count()).select_from(Case)).scalar() == cases_before
        [incident] = s.execute(select(Incident).where(Incident.case_id.is_(None))).scalars().all()
    assert incident.kind == "route_over_budget" and PROCESS in incident.message and "start_loops" in incident.message
