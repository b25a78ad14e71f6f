"""Migration of running cases to a new version of their route: the preview lists the cases with the step each
is at and a verdict, writes nothing; the batch moves the safe ones (audited, and they go on running on the
new version) and leaves a refused one exactly as it was."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.catalogue.drafts import deploy_draft
from engine.catalogue.versions import get_version
from engine.runtime.migration import check_migration
from engine.runtime.workflow import load_spec, parse_processes
from engine.store.models import Case, CaseEvent
from tests.factories import start
from tests.webapp.test_designer_workbench import BASE, ROUTE, XML, with_deadline

# The new version: acceptance gets 6 working days (a change the cases at it may take), and the economic
# check moves from the county's lane to the township's (a case at it would be done by someone else).
MOVED = with_deadline("6wd").replace("        <bpmn:flowNodeRef>economic_check</bpmn:flowNodeRef>\n", "", 1).replace(
    "        <bpmn:flowNodeRef>inform_check_result</bpmn:flowNodeRef>\n",
    "        <bpmn:flowNodeRef>inform_check_result</bpmn:flowNodeRef>\n        <bpmn:flowNodeRef>economic_check</bpmn:flowNodeRef>\n",
    1)
assert MOVED.count("<bpmn:flowNodeRef>economic_check</bpmn:flowNodeRef>") == 1 and MOVED != XML


def snapshot(db, case_id):
    with db.unit_of_work() as uow:
        case = uow.session.get(Case, case_id)
        return case.process_version_id, case.revision, case.state


@pytest.fixture
def cases(db, clock, who, unit_id, forget_new_versions):
    """Three running cases on the shipped route, at 受理审查, at 家庭经济状况信息核对 and past it (提出初审意见); then v2."""
    at_acceptance = start(db, clock, who, unit_id)
    at_check = start(db, clock, who, unit_id)
    at_check.drive_to("economic_check")
    past_check = start(db, clock, who, unit_id)
    past_check.drive_to("preliminary_opinion")
    with db.unit_of_work(write=True) as uow:
        designer_id = who("designer").user_id
        outcome = deploy_draft(uow.session, clock.now(), designer_id, ROUTE, MOVED, "核对改由乡镇办理")
        uow.commit()
    assert outcome.created
    return at_acceptance, at_check, past_check, outcome.version_id


def test_preview_gives_a_verdict_per_case_and_the_batch_moves_the_safe_ones(cases, login, db, who):
    at_acceptance, at_check, past_check, v2 = cases
    before = {w.case_id: snapshot(db, w.case_id) for w in cases[:3]}
    designer = login("designer")
    page = designer.get(f"{BASE}/migrate?to={v2}")
    assert page.status_code == 200
    rows = dict(re.findall(r'<tr data-case="([^"]+)" class="(safe|refused)"', page.text))
    assert rows == {at_acceptance.number: "safe", at_check.number: "refused", past_check.number: "safe"}
    assert "当前步骤「家庭经济状况信息核对」在新版本中改变了泳道或表单" in page.text
    assert "受理审查" in page.text and "提出初审意见" in page.text
    assert {w.case_id: snapshot(db, w.case_id) for w in cases[:3]} == before  # the preview writes nothing

    # The batch: the refused case is sent too (a forged form): it is judged again and left alone.
    ids = [at_acceptance.case_id, at_check.case_id, past_check.case_id]
    response = designer.post_form(f"{BASE}/migrate", {"to": str(v2), "case_id": [str(i) for i in ids]})
    assert response.status_code == 200
    assert "已迁移 2 件（共 3 件）" in response.text and "未迁移，保持原样" in response.text
    assert snapshot(db, at_check.case_id) == before[at_check.case_id]
    for walk in (at_acceptance, past_check):
        version, revision, _state = snapshot(db, walk.case_id)
        assert (version, revision) == (v2, before[walk.case_id][1] + 1)
        with db.unit_of_work() as uow:
            event = uow.session.execute(select(CaseEvent).where(CaseEvent.case_id == walk.case_id,
                                                                CaseEvent.kind == "migrated")).scalar_one()
        assert event.data == {"from_version": before[walk.case_id][0], "to_version": v2}
        assert event.actor_id == who("designer").user_id
    # The migrated cases run on: the next steps come from the new version.
    at_acceptance.do("acceptance")
    assert at_acceptance.case().process_version_id == v2
    past_check.do("preliminary_opinion")
    again = designer.get(f"{BASE}/migrate?to={v2}")
    assert dict(re.findall(r'<tr data-case="([^"]+)" class="(safe|refused)"', again.text)) == {
        at_check.number: "refused"}


def test_migration_is_for_designers_and_refuses_bad_input(cases, login, db):
    at_acceptance, at_check, past_check, v2 = cases
    before = snapshot(db, at_acceptance.case_id)
    for username in ("admin", "township_xs", "supervisor"):
        user = login(username)
        assert user.get(f"{BASE}/migrate").status_code == 403
        assert user.post_form(f"{BASE}/migrate", {"to": str(v2), "case_id": str(at_acceptance.case_id)}).status_code == 403
    designer = login("designer")
    assert designer.client.post(f"{BASE}/migrate", data={"to": str(v2), "case_id": str(at_acceptance.case_id)}
                                ).status_code == 400  # no CSRF token
    for form in ({"to": str(v2)}, {"to": "x", "case_id": "1"}, {"to": str(v2), "case_id": "abc"},
                 {"to": "999999", "case_id": str(at_acceptance.case_id)}, {"to": str(v2), "case_id": "999999"}):
        response = designer.post_form(f"{BASE}/migrate", form)
        assert 400 <= response.status_code < 500, form
    assert designer.get(f"{BASE}/migrate?to=-1").status_code == 400
    assert snapshot(db, at_acceptance.case_id) == before


def _renamed(xml: str, step: str, to: str) -> str:
    """The route with a step's id changed everywhere it is referred to (as if removed and another added)."""
    for before, after in ((f'id="{step}"', f'id="{to}"'), (f'Ref="{step}"', f'Ref="{to}"'),
                          (f">{step}<", f">{to}<"), (f'bpmnElement="{step}"', f'bpmnElement="{to}"')):
        xml = xml.replace(before, after)
    return xml


def _kind_changed(xml: str, step: str) -> str:
    """The route with a user task turned into a manual task (a step of another kind under the same id)."""
    start = xml.index(f'<bpmn:userTask id="{step}"')
    end = xml.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    element = xml[start:end].replace("<bpmn:userTask", "<bpmn:manualTask").replace("</bpmn:userTask>", "</bpmn:manualTask>")
    return xml[:start] + element + xml[end:]


@pytest.mark.parametrize("changed, reason", [
    (_renamed(XML, "acceptance", "acceptance_review"), "当前步骤「受理审查」在新版本中已删除"),
    (_kind_changed(XML, "acceptance"), "当前步骤「受理审查」在新版本中改变了类型"),
])
def test_a_case_whose_current_step_was_removed_or_changed_kind_is_refused(db, clock, who, unit_id, changed, reason):
    walk = start(db, clock, who, unit_id)
    [spec] = parse_processes(changed.encode(), "changed.bpmn")
    with db.unit_of_work() as uow:
        case = uow.session.get(Case, walk.case_id)
        verdict = check_migration(get_version(uow.session, case.process_version_id).spec, load_spec(spec.spec_json),
                                  case.state)
    assert (verdict.safe, verdict.reason_zh, verdict.steps) == (False, reason, (("acceptance", "受理审查"),))
