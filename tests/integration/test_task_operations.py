"""The clerk's operations as use cases, on both stores: claim/release, reassign, send back, withdraw,
suspend/resume, terminate, urge — each allowed and refused by role × place, with its audit event."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.cases.lifecycle import complete_task
from engine.cases.operations import (claim_task, colleagues, reassign_task, release_task, resume_case, send_back,
                                     send_back_targets, suspend_case, terminate_case, urge_task, withdraw,
                                     withdrawable)
from engine.errors import Conflict, Forbidden, FormInvalid, NotFound
from engine.store.models import Case, CaseEvent, Document, HumanTask, Notification
from tests.factories import FORM_DATA, start


def run(db, fn, *args):
    with db.unit_of_work(write=True) as uow:
        result = fn(uow.session, *args)
        uow.commit()
    return result


def events(db, case_id, kind):
    with db.unit_of_work() as uow:
        return uow.session.execute(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
                                   .order_by(CaseEvent.id)).scalars().all()


def task_row(db, task_id):
    with db.unit_of_work() as uow:
        return uow.session.get(HumanTask, task_id)


def notes(db, kind):
    with db.unit_of_work() as uow:
        return uow.session.execute(select(Notification).where(Notification.kind == kind)).scalars().all()


@pytest.fixture
def colleague(new_user):
    """A second clerk of 响水镇 (township role, same unit as township_xs)."""
    return new_user(("township", "320921100"))


def test_claim_release_and_only_the_holder_completes(db, clock, who, unit_id, colleague):
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    run(db, claim_task, who("township_xs"), clock, task.id)
    assert task_row(db, task.id).claimed_by_id == who("township_xs").user_id
    with pytest.raises(Conflict) as refused:
        run(db, complete_task, who(colleague), clock, task.id, FORM_DATA["acceptance"])
    assert "已由 响水镇 张干事 认领" in refused.value.message_zh
    with pytest.raises(Forbidden):
        run(db, release_task, who(colleague), clock, task.id)
    with pytest.raises(NotFound):  # another township's clerk does not even see it
        run(db, claim_task, who("township_cjg"), clock, task.id)
    run(db, release_task, who("township_xs"), clock, task.id)
    assert task_row(db, task.id).claimed_by_id is None
    [claimed] = events(db, walk.case_id, "task_claimed")
    [released] = events(db, walk.case_id, "task_released")
    assert claimed.data["after"]["claimed_by"] == "响水镇 张干事"
    assert released.data["before"]["claimed_by"] == "响水镇 张干事" and released.data["after"]["claimed_by"] is None
    run(db, complete_task, who(colleague), clock, task.id, FORM_DATA["acceptance"])


def test_a_colleague_releases_the_task_of_a_holder_who_left(db, clock, who, unit_id, colleague, new_user):
    from engine.people.users import deactivate_user
    leaver = new_user(("township", "320921100"))
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    run(db, claim_task, who(leaver), clock, task.id)
    leaver_id = who(leaver).user_id
    with db.unit_of_work(write=True) as uow:
        deactivate_user(uow.session, None, clock.now(), leaver)
        uow.commit()
    run(db, release_task, who(colleague), clock, task.id)
    assert task_row(db, task.id).claimed_by_id is None and leaver_id


def test_reassign_to_a_colleague_with_reason_event_and_notification(db, clock, who, unit_id, colleague):
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    clerk = who("township_xs")
    assert who(colleague).user_id in {c.id for c in run(db, colleagues, clerk, task.id)}
    with pytest.raises(FormInvalid):  # a reason is required
        run(db, reassign_task, clerk, clock, task.id, who(colleague).user_id, " ")
    with pytest.raises(FormInvalid):  # not someone of another unit
        run(db, reassign_task, clerk, clock, task.id, who("township_cjg").user_id, "休假")
    run(db, reassign_task, clerk, clock, task.id, who(colleague).user_id, "本人休假，请代为办理")
    assert task_row(db, task.id).claimed_by_id == who(colleague).user_id
    [event] = events(db, walk.case_id, "task_reassigned")
    assert event.data["before"] == {"claimed_by": None}
    assert event.data["after"]["claimed_by"].startswith("测试用户") and event.data["reason"] == "本人休假，请代为办理"
    [note] = notes(db, "reassigned")
    assert note.user_id == who(colleague).user_id and "本人休假" in note.message
    with pytest.raises(Conflict):  # now the colleague's: the first clerk cannot complete it
        run(db, complete_task, clerk, clock, task.id, FORM_DATA["acceptance"])
    run(db, complete_task, who(colleague), clock, task.id, FORM_DATA["acceptance"])


def _at_second_acceptance(db, clock, who, unit_id):
    walk = start(db, clock, who, unit_id)
    walk.do("acceptance", acceptance_decision="incomplete", missing_materials="缺少收入证明")
    walk.do("supplement")
    return walk


def test_send_back_across_lanes_keeps_data_and_says_why(db, clock, who, unit_id):
    walk = _at_second_acceptance(db, clock, who, unit_id)
    acceptance = walk.open_tasks()[0]
    clerk = who("township_xs")
    targets = run(db, send_back_targets, clerk, acceptance.id)
    assert [t.name for t in targets][:2] == ["supplement", "acceptance"]
    supplement = targets[0]
    with pytest.raises(FormInvalid):
        run(db, send_back, clerk, clock, acceptance.id, supplement.id, "")
    with pytest.raises(FormInvalid):  # not a step of this case's path
        run(db, send_back, clerk, clock, acceptance.id, "not-a-task", "收入证明不清晰")
    with pytest.raises(NotFound):  # the village cannot send the township's task back
        run(db, send_back, who("village_sy"), clock, acceptance.id, supplement.id, "收入证明不清晰")
    run(db, send_back, clerk, clock, acceptance.id, supplement.id, "收入证明不清晰，请重新上传")
    [reopened] = walk.open_tasks()
    assert reopened.task_name == "supplement" and reopened.id == supplement.id and reopened.role == "village"
    assert task_row(db, acceptance.id).status == "withdrawn"
    [event] = events(db, walk.case_id, "task_sent_back")
    assert event.data["reason"] == "收入证明不清晰，请重新上传" and event.data["to_step"] == "补正材料"
    [note] = notes(db, "sent_back")
    assert note.role == "village" and note.unit_id == unit_id("320921100201") and "收入证明不清晰" in note.message
    with db.unit_of_work() as uow:  # the data entered so far is kept
        from engine.catalogue.versions import get_version
        from engine.runtime.workflow import Workflow
        case = uow.session.get(Case, walk.case_id)
        data = Workflow.restore(get_version(uow.session, case.process_version_id).spec, case.state).data
    assert data["supplied_materials"] == FORM_DATA["supplement"]["supplied_materials"]
    assert data["missing_materials"] == "缺少收入证明" and data["applicant_name"] == "王小明"
    walk.do("supplement", supplied_materials="清晰的收入证明")
    walk.do("acceptance")
    assert walk.open_names() == ["economic_check"]


def test_withdraw_own_completion_until_the_next_step_starts(db, clock, who, unit_id, colleague):
    walk = start(db, clock, who, unit_id)
    acceptance = walk.open_tasks()[0]
    walk.do("acceptance")
    clerk = who("township_xs")
    with pytest.raises(Forbidden):  # only one's own completion, not a colleague's
        run(db, withdraw, who(colleague), clock, acceptance.id)
    with pytest.raises(NotFound):  # the county does not hold the township's step
        run(db, withdraw, who("county_mz"), clock, acceptance.id)
    with db.unit_of_work() as uow:
        assert withdrawable(uow.session, clerk, walk.case_id).id == acceptance.id
    run(db, withdraw, clerk, clock, acceptance.id)
    assert walk.open_names() == ["acceptance"] and walk.open_tasks()[0].id == acceptance.id
    assert len(events(db, walk.case_id, "task_withdrawn")) == 1
    walk.do("acceptance")
    check = walk.open_tasks()[0]
    run(db, claim_task, who("county_mz"), clock, check.id)
    with pytest.raises(Conflict) as late:  # the county has started: too late
        run(db, withdraw, clerk, clock, acceptance.id)
    assert "不能撤回" in late.value.message_zh


def test_suspend_stops_the_clock_and_resume_moves_due_dates(db, clock, who, unit_id):
    walk = start(db, clock, who, unit_id)
    walk.do("acceptance")
    check = walk.open_tasks()[0]
    due_before, case_due_before = check.due_on, walk.case().due_on
    with pytest.raises(Forbidden):
        run(db, suspend_case, who("village_sy"), clock, walk.case_id, "家中有事")
    with pytest.raises(NotFound):  # another township's clerk
        run(db, suspend_case, who("township_cjg"), clock, walk.case_id, "家中有事")
    run(db, suspend_case, who("township_xs"), clock, walk.case_id, "申请人住院，暂停办理")
    with pytest.raises(Conflict):
        run(db, complete_task, who("county_mz"), clock, check.id, FORM_DATA["economic_check"])
    from engine.oversight.supervision import escalate
    clock.advance(days=14)  # 10 working days (no holiday 2026-09-15 … 29)
    with db.unit_of_work(write=True) as uow:
        assert escalate(uow.session, clock)["escalated"] == 0, "the scheduler does not press a suspended case"
        uow.commit()
    paused = run(db, resume_case, who("county_mz"), clock, walk.case_id, "申请人出院")
    assert paused == 10
    from engine.workdays import WorkingCalendar
    calendar = WorkingCalendar.load()
    assert walk.open_tasks()[0].due_on == calendar.add_workdays(due_before, 10)
    assert walk.case().due_on == calendar.add_workdays(case_due_before, 10)
    [resumed] = events(db, walk.case_id, "case_resumed")
    assert resumed.data["paused_workdays"] == 10 and resumed.data["suspension_reason"] == "申请人住院，暂停办理"
    # a holiday notice loaded later recomputes every open date from its start: the suspension's shift stays
    from engine.cases.due_dates import recompute
    with db.unit_of_work(write=True) as uow:
        recompute(uow.session, clock)
        uow.commit()
    assert walk.open_tasks()[0].due_on == calendar.add_workdays(due_before, 10)
    assert walk.case().due_on == calendar.add_workdays(case_due_before, 10)
    walk.do("economic_check")
    assert walk.open_tasks()[0].due_on is None or walk.open_tasks()[0].due_on > clock.today()


def test_terminate_by_the_county_with_its_notice(db, clock, who, unit_id):
    walk = start(db, clock, who, unit_id)
    with pytest.raises(Forbidden):
        run(db, terminate_case, who("township_xs"), clock, walk.case_id, "申请人死亡")
    with pytest.raises(FormInvalid):
        run(db, terminate_case, who("county_mz"), clock, walk.case_id, "")
    number = run(db, terminate_case, who("county_mz"), clock, walk.case_id, "申请人已迁出本县")
    case = walk.case()
    assert case.status == "completed" and case.outcome == "terminated" and case.open_key is None
    assert walk.open_tasks() == []
    with db.unit_of_work() as uow:
        doc = uow.session.execute(select(Document).where(Document.case_id == walk.case_id)).scalar_one()
    assert doc.number == number and doc.title == "终止办理通知书" and "申请人已迁出本县" in doc.body
    with pytest.raises(Conflict):
        run(db, terminate_case, who("county_mz"), clock, walk.case_id, "再次终止")


def test_urge_by_county_or_supervisor_only(db, clock, who, unit_id):
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    with pytest.raises(Forbidden):
        run(db, urge_task, who("township_xs"), clock, task.id, "请尽快办理")
    with pytest.raises(NotFound):  # another county's supervisor
        run(db, urge_task, who("district_tx"), clock, task.id, "请尽快办理")
    run(db, urge_task, who("supervisor"), clock, task.id, "已超期，请尽快办理")
    [event] = events(db, walk.case_id, "task_urged")
    assert event.data["message"] == "已超期，请尽快办理"
    [note] = notes(db, "urged")
    assert note.role == "township" and "已超期" in note.message


def test_hand_over_a_leavers_tasks_dry_run_equals_run(db, clock, who, unit_id, colleague, new_user):
    from engine.cases.batch import hand_over, held_by, holders
    from engine.people.users import deactivate_user
    leaver = new_user(("township", "320921100"))
    walks = [start(db, clock, who, unit_id) for _ in range(3)]
    for walk in walks:
        run(db, claim_task, who(leaver), clock, walk.open_tasks()[0].id)
    clerk, leaver_id = who("township_xs"), who(leaver).user_id
    with db.unit_of_work() as uow:
        assert [(h.id, h.held) for h in holders(uow.session, clerk)] == [(leaver_id, 3)]
        selection = held_by(uow.session, clerk, leaver_id)
    assert {i.case_id for i in selection} == {w.case_id for w in walks}
    with pytest.raises(FormInvalid):  # a reason for the whole run
        run(db, hand_over, clerk, clock, leaver_id, who(colleague).user_id, "", [i.task_id for i in selection])
    refused = run(db, hand_over, clerk, clock, leaver_id, who(colleague).user_id, "调离", [i.task_id for i in selection])
    assert [r.ok for r in refused] == [False] * 3 and "认领" in refused[0].message, "the leaver is still here"
    with db.unit_of_work(write=True) as uow:
        deactivate_user(uow.session, None, clock.now(), leaver)
        uow.commit()
    done = run(db, hand_over, clerk, clock, leaver_id, who(colleague).user_id, "调离本镇",
               [i.task_id for i in selection] + ["not-in-selection"])
    assert [r.task_id for r in done if r.ok] == [i.task_id for i in selection], "the dry run's list is the run's"
    assert done[-1].ok is False and "不在所选范围" in done[-1].message
    assert all(task_row(db, i.task_id).claimed_by_id == who(colleague).user_id for i in selection)
    assert len(events(db, walks[0].case_id, "task_reassigned")) == 1


@pytest.mark.parametrize("village", ["340603004001", "220302001001"])  # 三堤口 (with its review panel), 仁兴 (Siping)
def test_send_back_on_other_routes_reaches_every_earlier_step(db, clock, who, unit_id, village):
    """Every step a case went through can be reopened on the other models' routes too, and the case goes on."""
    from tests.factories import LANE_USERS
    walk = start(db, clock, who, unit_id, village=village, process_id=_route_of(village))
    walk.drive_to("home_investigation")
    current = walk.open_tasks()[0]
    actor = who(LANE_USERS[village[:9]][current.role])
    targets = run(db, send_back_targets, actor, current.id)
    assert targets, "completed steps to go back to"
    for target in targets[::-1][:1]:  # the first step of the route: the longest way back
        run(db, send_back, actor, clock, current.id, target.id, "重新核实")
        assert walk.open_tasks()[0].id == target.id
    walk.drive_to("home_investigation")


def _route_of(village):
    from engine.catalogue.rules import process_for
    return process_for("minimum_living", {"340603": "340603", "220302": "220302"}[village[:6]], village[:9],
                       __import__("datetime").date(2026, 9, 15))


def test_withdraw_and_send_back_past_a_running_publicity_timer(db, clock, who, unit_id):
    """撤回 the 初审意见 while its 公示 (a step with a 7-day timer) waits, and 退回 from the 公示 itself:
    SpiffWorkflow's reset left the dropped timer among the waiting events, and refreshing the timers then failed
    on it (a route incident and HTTP 422 for a plain withdraw, found by probing the demo). The step reopens, the
    timer is set again when the 公示 starts again, and fires once."""
    walk = start(db, clock, who, unit_id)
    walk.drive_to("preliminary_opinion")
    opinion = walk.open_tasks()[0]
    walk.do("preliminary_opinion")
    assert walk.open_names() == ["publicity"]
    run(db, withdraw, who("township_xs"), clock, opinion.id)
    assert walk.open_names() == ["preliminary_opinion"] and walk.open_tasks()[0].id == opinion.id
    walk.do("preliminary_opinion")
    publicity = walk.open_tasks()[0]
    with db.unit_of_work() as uow:
        targets = send_back_targets(uow.session, who("village_sy"), publicity.id)
    assert opinion.id in [t.id for t in targets]
    run(db, send_back, who("village_sy"), clock, publicity.id, opinion.id, "公示材料有误，请重新出具初审意见")
    assert walk.open_names() == ["preliminary_opinion"]
    walk.do("preliminary_opinion")
    assert walk.open_names() == ["publicity"]
    clock.advance(days=7, seconds=1)
    walk.fire_timers()
    assert "publicity" not in walk.open_names()
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(Case.status).where(Case.id == walk.case_id)).scalar_one() != "failed"
