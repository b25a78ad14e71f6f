"""Voided documents (文书作废): 退回 and 撤回 void what the undone step issued, a 公示 objection that sends the case
back over steps already done voids what they issued (derived from the route's flows), each with who, when and
why, audited; the redone step issues a new document with a new number (文号); the pages mark it 已作废."""
from __future__ import annotations

from sqlalchemy import select

from engine.cases.operations import send_back, send_back_targets, withdraw
from engine.store.models import CaseEvent, Document
from tests.factories import start
from tests.integration.test_task_operations import run
from tests.processes.test_minimum_living_models import documents, lodge  # noqa: F401 (lodge: a fixture)


def _voided_events(db, case_id):
    with db.unit_of_work() as uow:
        return uow.session.execute(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                           CaseEvent.kind == "documents_voided")).scalars().all()


def test_withdraw_voids_the_step_s_notice_and_the_redone_step_numbers_a_new_one(db, clock, who, unit_id):
    walk = start(db, clock, who, unit_id)
    acceptance = walk.open_tasks()[0]
    walk.do("acceptance")
    (notice,) = documents(db, walk.case_id)
    assert notice.voided_at is None and notice.task_id == acceptance.id
    run(db, withdraw, who("township_xs"), clock, acceptance.id)
    (voided,) = documents(db, walk.case_id)
    assert voided.voided_at is not None and voided.voided_by_id == who("township_xs").user_id
    assert "撤回" in voided.voided_reason
    (event,) = _voided_events(db, walk.case_id)
    assert event.data["numbers"] == [notice.number] and event.actor_id == who("township_xs").user_id
    walk.do("acceptance")
    first, second = documents(db, walk.case_id)
    assert second.kind == first.kind and second.number != first.number and second.voided_at is None
    assert first.voided_at is not None


def test_send_back_voids_what_the_undone_steps_issued_only(db, clock, who, unit_id, login):
    walk = start(db, clock, who, unit_id)
    walk.do("acceptance")
    (notice,) = documents(db, walk.case_id)
    check = walk.open_tasks()[0]
    with db.unit_of_work() as uow:
        (target,) = [t for t in send_back_targets(uow.session, who("county_mz"), check.id) if t.name == "acceptance"]
    run(db, send_back, who("county_mz"), clock, check.id, target.id, "受理材料中户口簿页缺失")
    (voided,) = documents(db, walk.case_id)
    assert voided.voided_at is not None and "受理材料中户口簿页缺失" in voided.voided_reason
    page = login("township_xs").get(f"/cases/{walk.case_id}").text
    assert "已作废" in page and "受理材料中户口簿页缺失" in page
    printed = login("township_xs").get(f"/cases/{walk.case_id}/documents/{voided.id}").text
    assert "void-banner" in printed and "已作废" in printed
    with db.unit_of_work() as uow:  # the household file's timeline says so too, not only its document list
        from engine import household_file
        from engine.store.models import Case
        dossier = household_file(uow.session, who("township_xs"), uow.session.get(Case, walk.case_id).household_id)
    assert [(e["event"], e["params"]) for e in dossier.timeline if e["kind"] == "document"] == [
        ("voided", {"title": voided.title, "number": voided.number})]
    page = login("township_xs").get(f"/households/{dossier.household.id}").text  # and writes it as it always did
    assert f"文书 {voided.title} {voided.number}（已作废）" in page


def test_an_objection_to_the_approval_voids_the_approval_publicity_and_the_redo_issues_a_new_one(lodge, db):
    t = lodge("santidikou", near_relative=True)
    for step in ("acceptance", "near_relative_filing", "economic_check", "home_investigation",
                 "democratic_appraisal"):
        t.do(step)
    t.do("appraisal_publicity")  # objection to the 评议结果 (the first 公示): what this round issued is superseded
    assert [d.kind for d in documents(db, t.walk.case_id) if d.voided_at is not None] == [
        "minimum_living_appraisal_publicity"]
    for step in ("reinvestigation", "county_home_visit", "panel_review", "street_approval"):
        t.do(step)
    (first,) = [d for d in documents(db, t.walk.case_id) if d.kind == "minimum_living_approval_publicity"]
    t.do("approval_publicity")  # objection to the 审批结果: the investigation is reopened
    by_kind = {d.kind: d for d in documents(db, t.walk.case_id)}
    assert by_kind["minimum_living_approval_publicity"].voided_at is not None
    assert "异议" in by_kind["minimum_living_approval_publicity"].voided_reason
    assert by_kind["minimum_living_acceptance_notice"].voided_at is None, "acceptance is not redone"
    assert [e.data["numbers"] for e in _voided_events(db, t.walk.case_id)][-1] == [first.number]
    for step in ("reinvestigation", "county_home_visit", "panel_review", "street_approval"):
        t.do(step)
    publicities = [d for d in documents(db, t.walk.case_id) if d.kind == "minimum_living_approval_publicity"]
    assert len(publicities) == 2 and publicities[1].voided_at is None and publicities[1].number != first.number
