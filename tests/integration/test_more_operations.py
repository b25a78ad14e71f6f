"""The clerk's further operations as use cases, on both stores: 委派 (delegate, return, recall), 代理 (standing
proxy), 加签/减签/会签 (co-signers), 退回申请人补正 (一次性告知), and the batch over a query — each allowed and
refused by role × place, with its audit event (values before and after) and its notification."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from engine.cases.batch import Query, run_batch, select_tasks
from engine.cases.cosigning import add_cosigner, check_cosigned, remove_cosigner, sign_off
from engine.cases.delegation import (cancel_proxy, covered_tasks, delegate_task, recall_delegation,
                                     return_delegation, returned_delegation, set_proxy)
from engine.cases.lifecycle import complete_task
from engine.cases.operations import claim_task, request_correction, resume_case, send_back
from engine.errors import Conflict, Forbidden, FormInvalid, NotFound
from engine.store.models import Document, SecurityEvent, StandingProxy
from tests.factories import FORM_DATA, start
from tests.integration.test_task_operations import colleague, events, notes, run, task_row  # noqa: F401

ACCEPT = FORM_DATA["acceptance"]


def test_delegate_fill_in_return_and_the_delegator_decides(db, clock, who, unit_id, colleague):
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    clerk, helper = who("township_xs"), who(colleague)
    with pytest.raises(FormInvalid):  # not someone of another township
        run(db, delegate_task, clerk, clock, task.id, who("township_cjg").user_id, "请协助填写")
    with pytest.raises(NotFound):  # another township's clerk does not see the task
        run(db, delegate_task, who("township_cjg"), clock, task.id, helper.user_id, "请协助填写")
    run(db, delegate_task, clerk, clock, task.id, helper.user_id, "请协助核对材料")
    row = task_row(db, task.id)
    assert (row.claimed_by_id, row.delegated_to_id, row.delegated_by_id) == (clerk.user_id, helper.user_id,
                                                                             clerk.user_id)
    [event] = events(db, walk.case_id, "task_delegated")
    assert event.data["before"] == {"claimed_by": None, "delegated_to": None}
    assert event.data["after"]["delegated_to"] == f"测试用户 {colleague}" and event.data["reason"] == "请协助核对材料"
    [note] = notes(db, "delegated")
    assert note.user_id == helper.user_id and "请协助核对材料" in note.message
    with pytest.raises(Conflict) as refused:  # only the delegate acts meanwhile: not even the delegator
        run(db, complete_task, clerk, clock, task.id, ACCEPT)
    assert "已委派给" in refused.value.message_zh
    with pytest.raises(Conflict):  # the delegate returns, not completes
        run(db, complete_task, helper, clock, task.id, ACCEPT)
    with pytest.raises(Forbidden):
        run(db, return_delegation, clerk, clock, task.id, ACCEPT)
    with pytest.raises(FormInvalid):  # validated as a completion would be
        run(db, return_delegation, helper, clock, task.id, {"acceptance_decision": "maybe"})
    run(db, return_delegation, helper, clock, task.id, ACCEPT)
    assert task_row(db, task.id).delegated_to_id is None and walk.open_names() == ["acceptance"]
    [back] = events(db, walk.case_id, "task_delegation_returned")
    assert back.data["data"]["accepted_on"] == ACCEPT["accepted_on"] and back.data["after"]["returned_to"] == "响水镇 张干事"
    assert notes(db, "delegation_returned")[0].user_id == clerk.user_id
    with db.unit_of_work() as uow:
        assert returned_delegation(uow.session, walk.case_id, task.id)["data"]["acceptance_decision"] == "accepted"
    with pytest.raises(Conflict):  # the task is the delegator's again
        run(db, complete_task, helper, clock, task.id, ACCEPT)
    run(db, complete_task, clerk, clock, task.id, ACCEPT)
    assert walk.open_names() == ["economic_check"]


def test_the_delegator_recalls_and_only_they_may(db, clock, who, unit_id, colleague, new_user):
    third = new_user(("township", "320921100"))
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    run(db, delegate_task, who("township_xs"), clock, task.id, who(colleague).user_id, "请协助填写")
    with pytest.raises(Forbidden):
        run(db, recall_delegation, who(third), clock, task.id)
    with pytest.raises(Conflict):  # nobody else may claim or send back meanwhile
        run(db, claim_task, who(third), clock, task.id)
    run(db, recall_delegation, who("township_xs"), clock, task.id)
    [event] = events(db, walk.case_id, "task_delegation_recalled")
    assert event.data["before"]["delegated_to"] == f"测试用户 {colleague}" and event.data["after"] == {
        "delegated_to": None}
    assert notes(db, "delegation_recalled")[0].user_id == who(colleague).user_id
    with pytest.raises(Forbidden):  # no longer the delegate
        run(db, return_delegation, who(colleague), clock, task.id, ACCEPT)
    run(db, complete_task, who("township_xs"), clock, task.id, ACCEPT)


def test_standing_proxy_acts_for_the_absent_only_between_the_dates(db, clock, who, unit_id, colleague, new_user):
    third = new_user(("township", "320921100"))
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    run(db, claim_task, who(colleague), clock, task.id)
    clerk, away = who("township_xs"), who(colleague)
    today = clock.today()
    with pytest.raises(FormInvalid):  # not someone of another township
        run(db, set_proxy, away, clock, who("township_cjg").user_id, today, today + timedelta(days=3), "休假")
    with pytest.raises(FormInvalid):  # the end before the start
        run(db, set_proxy, away, clock, clerk.user_id, today + timedelta(days=3), today, "休假")
    run(db, set_proxy, away, clock, clerk.user_id, today + timedelta(days=1), today + timedelta(days=5), "年休假")
    with pytest.raises(Conflict):  # not yet: the leave starts tomorrow
        run(db, complete_task, clerk, clock, task.id, ACCEPT)
    with pytest.raises(Conflict):  # one proxy at a time
        run(db, set_proxy, away, clock, clerk.user_id, today + timedelta(days=2), today + timedelta(days=9), "病假")
    assert notes(db, "proxy_named")[0].user_id == clerk.user_id
    with db.unit_of_work() as uow:
        audit = uow.session.execute(select(SecurityEvent).where(SecurityEvent.kind == "proxy_named")).scalar_one()
        assert audit.detail["before"] == {"proxy": None} and audit.detail["after"]["proxy"] == "响水镇 张干事"
    clock.advance(days=1)
    with db.unit_of_work() as uow:
        assert [t.id for t in covered_tasks(uow.session, clerk, clock.today())] == [task.id]
        assert covered_tasks(uow.session, who("township_cjg"), clock.today()) == []
    with pytest.raises(Conflict):  # someone else of the unit is not the proxy
        run(db, complete_task, who(third), clock, task.id, ACCEPT)
    run(db, complete_task, clerk, clock, task.id, ACCEPT)
    [acted] = events(db, walk.case_id, "task_acted_for")
    assert acted.data["on_behalf_of"] == f"测试用户 {colleague}" and acted.data["proxy"] == "响水镇 张干事"
    assert walk.open_names() == ["economic_check"]


def test_outside_the_dates_or_cancelled_nothing_changes(db, clock, who, unit_id, colleague):
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    run(db, claim_task, who(colleague), clock, task.id)
    clerk, away = who("township_xs"), who(colleague)
    today = clock.today()
    run(db, set_proxy, away, clock, clerk.user_id, today, today + timedelta(days=2), "外出培训")
    with db.unit_of_work() as uow:
        proxy_id = uow.session.execute(select(StandingProxy.id).where(
            StandingProxy.user_id == away.user_id)).scalar_one()
    with pytest.raises(NotFound):  # only one's own proxy is cancelled
        run(db, cancel_proxy, clerk, clock, proxy_id)
    run(db, cancel_proxy, away, clock, proxy_id)
    with pytest.raises(Conflict):
        run(db, complete_task, clerk, clock, task.id, ACCEPT)
    run(db, set_proxy, away, clock, clerk.user_id, today, today + timedelta(days=2), "外出培训")
    clock.advance(days=3)  # the leave is over
    with pytest.raises(Conflict):
        run(db, complete_task, clerk, clock, task.id, ACCEPT)
    assert events(db, walk.case_id, "task_acted_for") == []


def test_cosigners_must_sign_before_completion_and_unsigned_may_be_removed(db, clock, who, unit_id, colleague,
                                                                           new_user):
    second = new_user(("township", "320921100"))
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    clerk = who("township_xs")
    with pytest.raises(FormInvalid):
        run(db, add_cosigner, clerk, clock, task.id, who("township_cjg").user_id, "请会签")
    with pytest.raises(NotFound):
        run(db, add_cosigner, who("village_sy"), clock, task.id, who(colleague).user_id, "请会签")
    run(db, add_cosigner, clerk, clock, task.id, who(colleague).user_id, "请共同审核")
    run(db, add_cosigner, clerk, clock, task.id, who(second).user_id, "请共同审核")
    with pytest.raises(Conflict):
        run(db, add_cosigner, clerk, clock, task.id, who(second).user_id, "再次加签")
    added = events(db, walk.case_id, "task_cosigner_added")
    assert added[1].data["before"]["cosigners"] == [f"测试用户 {colleague}"]
    assert len(added[1].data["after"]["cosigners"]) == 2
    assert {n.user_id for n in notes(db, "cosign_requested")} == {who(colleague).user_id, who(second).user_id}
    with pytest.raises(Conflict) as refused:
        run(db, complete_task, clerk, clock, task.id, ACCEPT)
    assert "尚有加签人未签署意见" in refused.value.message_zh
    with pytest.raises(Forbidden):  # the holder is no co-signer
        run(db, sign_off, clerk, clock, task.id, "同意")
    with pytest.raises(FormInvalid):  # an opinion is required
        run(db, sign_off, who(colleague), clock, task.id, "")
    run(db, sign_off, who(colleague), clock, task.id, "材料齐全，同意受理")
    with pytest.raises(Conflict):  # signed: no longer removable
        run(db, remove_cosigner, clerk, clock, task.id, who(colleague).user_id)
    with pytest.raises(Conflict):
        run(db, sign_off, who(colleague), clock, task.id, "再次签署")
    run(db, remove_cosigner, clerk, clock, task.id, who(second).user_id)
    [removed] = events(db, walk.case_id, "task_cosigner_removed")
    assert len(removed.data["before"]["cosigners"]) == 2 and removed.data["after"]["cosigners"] == [
        f"测试用户 {colleague}"]
    [signed] = events(db, walk.case_id, "task_cosigned")
    assert signed.data["opinion"] == "材料齐全，同意受理" and signed.data["after"] == {"signed": True}
    run(db, complete_task, clerk, clock, task.id, ACCEPT)
    assert walk.open_names() == ["economic_check"]


def test_the_route_makes_cosigning_mandatory():
    """会签: a step with the property ``cosign`` = 1 needs one sign-off; the rule the completion checks."""
    with pytest.raises(Conflict) as refused:
        check_cosigned(None, "t", SimpleNamespace(cosign_unsigned=0, cosign_signed=0), {"cosign": "1"})
    assert "此步骤须会签：还需 1 位" in refused.value.message_zh
    check_cosigned(None, "t", SimpleNamespace(cosign_unsigned=0, cosign_signed=1), {"cosign": "1"})
    check_cosigned(None, "t", SimpleNamespace(cosign_unsigned=0, cosign_signed=0), {})


def test_send_back_to_the_applicant_with_the_notice_and_the_clock_stopped(db, clock, who, unit_id):
    walk = start(db, clock, who, unit_id)
    walk.do("acceptance")
    walk.do("economic_check")
    investigation = walk.open_tasks()[0]
    clerk = who("township_xs")
    with pytest.raises(NotFound):  # the village does not hold the township's step
        run(db, request_correction, who("village_sy"), clock, investigation.id, "缺少收入证明", "")
    with pytest.raises(FormInvalid):
        run(db, request_correction, clerk, clock, investigation.id, " ", "")
    due_before = walk.case().due_on
    assert run(db, request_correction, clerk, clock, investigation.id, "2025年收入证明原件；房产证复印件",
               "入户调查发现材料不全") == walk.case_id
    [event] = events(db, walk.case_id, "correction_requested")
    number = event.data["notice"]
    case = walk.case()
    assert case.suspended_at is not None and case.suspended_reason.startswith("待申请人补正")
    with db.unit_of_work() as uow:
        doc = uow.session.execute(select(Document).where(Document.case_id == walk.case_id,
                                                         Document.number == number)).scalar_one()
    assert doc.title == "一次性补正告知书" and "房产证复印件" in doc.body
    assert event.data["before"] == {"suspended": False} and event.data["after"]["suspended"] is True
    assert event.data["notice"] == number
    [note] = notes(db, "correction_requested")
    assert note.role == "village" and note.unit_id == unit_id("320921100201")
    with pytest.raises(Conflict):  # suspended while the applicant corrects
        run(db, complete_task, clerk, clock, investigation.id, FORM_DATA["home_investigation"])
    from engine.workdays import WorkingCalendar
    calendar, asked_on = WorkingCalendar.load(), clock.today()
    clock.advance(days=7)
    paused = run(db, resume_case, clerk, clock, walk.case_id, "申请人已补正材料")
    assert paused == calendar.workdays_between(asked_on, clock.today()) > 0
    assert walk.case().due_on == calendar.add_workdays(due_before, paused), "补正 does not count"
    walk.do("home_investigation")


def test_batch_over_a_query_dry_run_equals_run(db, clock, who, unit_id, colleague):
    walks = [start(db, clock, who, unit_id) for _ in range(3)]
    county, clerk = who("county_mz"), who("township_xs")
    query = Query(step="acceptance", unclaimed=True)
    with db.unit_of_work() as uow:
        elsewhere = select_tasks(uow.session, who("township_cjg"), "release", query)
        assert not {i.case_id for i in elsewhere} & {w.case_id for w in walks}, "another township's clerk"
        mine = [i for i in select_tasks(uow.session, clerk, "reassign", query) if i.case_id in {w.case_id for w in walks}]
        urged = select_tasks(uow.session, county, "urge", query)
        assert select_tasks(uow.session, clerk, "urge", query) == [], "the township does not urge"
    assert len(mine) == 3 and {i.task_id for i in mine} <= {i.task_id for i in urged}
    ids = [i.task_id for i in mine]
    with pytest.raises(FormInvalid):
        run(db, run_batch, county, clock, "urge", query, ids, {"message": ""})
    done = run(db, run_batch, county, clock, "urge", query, ids + ["elsewhere"], {"message": "请本周内办结"})
    assert [r.task_id for r in done if r.ok] == ids and done[-1].ok is False
    assert all(len(events(db, w.case_id, "task_urged")) == 1 for w in walks)
    done = run(db, run_batch, clerk, clock, "reassign", query, ids, {"to_user_id": who(colleague).user_id,
                                                                     "reason": "集中办理"})
    assert all(r.ok for r in done) and all(task_row(db, i).claimed_by_id == who(colleague).user_id for i in ids)
    held = Query(held_by=who(colleague).user_id)
    with db.unit_of_work() as uow:
        selection = [i.task_id for i in select_tasks(uow.session, who(colleague), "release", held)]
    assert set(ids) <= set(selection)
    done = run(db, run_batch, who(colleague), clock, "release", held, ids, {})
    assert all(r.ok for r in done) and all(task_row(db, i).claimed_by_id is None for i in ids)
    done = run(db, run_batch, clerk, clock, "suspend", query, ids[:2], {"reason": "等待县级政策调整"})
    suspended = {w.case_id: w.case().suspended_at is not None for w in walks}
    assert all(r.ok for r in done) and suspended == {i.case_id: n < 2 for n, i in enumerate(mine)}
    with pytest.raises(FormInvalid):
        Query.parse({"due_before": "tomorrow"})
    assert Query.parse({"held_by": "7", "unclaimed": "1"}) == Query(held_by=7, unclaimed=True)
