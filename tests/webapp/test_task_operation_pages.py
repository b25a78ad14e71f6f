"""The clerk's operations through the pages and the API: allowed and refused (403/404/409/422, nothing
changed), the task page's buttons, the timeline's values, and where a clerk goes after a step."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.store.models import CaseEvent, HumanTask
from tests.factories import FORM_DATA, start


@pytest.fixture
def walk(db, clock, who, unit_id):
    return start(db, clock, who, unit_id)


@pytest.fixture
def colleague(new_user):
    return new_user(("township", "320921100"))


def api(user, url, body=None):
    return user.client.post(url, json=body or {}, headers={"X-CSRFToken": user.csrf})


def count_events(db, case_id, kind=None):
    with db.unit_of_work() as uow:
        clause = [CaseEvent.case_id == case_id] + ([CaseEvent.kind == kind] if kind else [])
        return uow.session.execute(select(func.count()).select_from(CaseEvent).where(*clause)).scalar()


def holder(db, task_id):
    with db.unit_of_work() as uow:
        return uow.session.get(HumanTask, task_id).claimed_by_id


def test_claim_and_release_on_the_page(walk, login, db, who, colleague):
    task = walk.open_tasks()[0]
    clerk = login("township_xs")
    page = clerk.get(f"/tasks/{task.id}").text
    assert "认领" in page and 'name="csrf_token"' in page and "共享待办" in page
    assert clerk.post_form(f"/tasks/{task.id}/claim", {}).status_code == 303
    assert holder(db, task.id) == who("township_xs").user_id
    assert "认领人：响水镇 张干事" in login(colleague).get(f"/tasks/{task.id}").text
    inbox = login(colleague).get("/inbox").text
    assert "响水镇 张干事" in inbox
    refused = login(colleague).post_form(f"/tasks/{task.id}", FORM_DATA["acceptance"])
    assert refused.status_code == 409 and "已由 响水镇 张干事 认领" in refused.text
    english = login(colleague)
    english.post_form("/lang/en", {"next": "/inbox"})
    in_english = english.post_form(f"/tasks/{task.id}", FORM_DATA["acceptance"])
    assert in_english.status_code == 409 and "claimed" in in_english.text.lower()
    assert "Already completed" not in in_english.text  # says what stands in the way, not a lost race
    assert login(colleague).post_form(f"/tasks/{task.id}/release", {}).status_code == 403
    assert login("township_cjg").post_form(f"/tasks/{task.id}/claim", {}).status_code == 404
    assert clerk.post_form(f"/tasks/{task.id}/release", {}).status_code == 303
    assert holder(db, task.id) is None
    assert count_events(db, walk.case_id, "task_claimed") == 1 and count_events(db, walk.case_id, "task_released") == 1


def test_reassign_on_the_page_and_refusals(walk, login, db, who, colleague):
    task = walk.open_tasks()[0]
    clerk = login("township_xs")
    target = who(colleague).user_id
    before = count_events(db, walk.case_id)
    missing = clerk.post_form(f"/tasks/{task.id}/reassign", {"to_user_id": str(target), "reason": ""})
    assert missing.status_code == 422 and "请填写理由" in missing.text
    bad = clerk.post_form(f"/tasks/{task.id}/reassign", {"to_user_id": "abc", "reason": "休假"})
    assert bad.status_code == 400
    assert count_events(db, walk.case_id) == before and holder(db, task.id) is None
    done = clerk.post_form(f"/tasks/{task.id}/reassign", {"to_user_id": str(target), "reason": "本人休假"})
    assert done.status_code == 303 and holder(db, task.id) == target
    other = login(colleague)
    assert "转交您办理：本人休假" in other.get("/inbox").text
    assert "转交您办理" not in clerk.get("/inbox").text, "the notification is the colleague's alone"
    assert other.post_form(f"/tasks/{task.id}", FORM_DATA["acceptance"]).status_code == 302


def test_send_back_on_the_page_shows_why_and_keeps_entries(db, clock, who, unit_id, login):
    walk = start(db, clock, who, unit_id)
    walk.do("acceptance", acceptance_decision="incomplete", missing_materials="缺少收入证明")
    walk.do("supplement", supplied_materials="户口簿复印件")
    acceptance = walk.open_tasks()[0]
    clerk = login("township_xs")
    page = clerk.get(f"/tasks/{acceptance.id}").text
    assert "退回" in page and "补正材料" in page
    supplement_id = next(t.id for t in _targets(db, who, acceptance.id) if t.name == "supplement")
    refused = clerk.post_form(f"/tasks/{acceptance.id}/send-back", {"target_task_id": supplement_id, "reason": ""})
    assert refused.status_code == 422 and walk.open_names() == ["acceptance"]
    assert login("village_sy").post_form(f"/tasks/{acceptance.id}/send-back",
                                          {"target_task_id": supplement_id, "reason": "不清晰"}).status_code == 404
    sent = clerk.post_form(f"/tasks/{acceptance.id}/send-back",
                           {"target_task_id": supplement_id, "reason": "收入证明复印件不清晰"})
    assert sent.status_code == 303 and walk.open_names() == ["supplement"]
    village = login("village_sy")
    assert "收入证明复印件不清晰" in village.get("/inbox").text
    task_page = village.get(f"/tasks/{supplement_id}").text
    assert "退回" in task_page and "收入证明复印件不清晰" in task_page and "响水镇 张干事" in task_page
    assert ">户口簿复印件</textarea>" in task_page, "what was entered before is filled in"
    timeline = clerk.get(f"/cases/{walk.case_id}").text
    assert "收入证明复印件不清晰" in timeline and "受理审查 → 补正材料" in timeline


def _targets(db, who, task_id):
    from engine.cases.operations import send_back_targets
    with db.unit_of_work() as uow:
        return send_back_targets(uow.session, who("township_xs"), task_id)


def test_after_a_step_the_clerk_goes_to_the_next_task(db, clock, who, unit_id, login):
    first, second = start(db, clock, who, unit_id), start(db, clock, who, unit_id)
    clerk = login("township_xs")
    done = clerk.post_form(f"/tasks/{first.open_tasks()[0].id}", FORM_DATA["acceptance"])
    assert done.status_code == 302
    assert f"/tasks/{second.open_tasks()[0].id}" in done.location and f"from_case={first.case_id}" in done.location
    page = clerk.get(done.location).text
    assert f'href="/cases/{first.case_id}"' in page
    last = clerk.post_form(f"/tasks/{second.open_tasks()[0].id}", FORM_DATA["acceptance"])
    assert "/inbox?from_case=" in last.location


def test_withdraw_on_the_page_and_too_late(walk, login, db, who):
    task = walk.open_tasks()[0]
    clerk = login("township_xs")
    clerk.post_form(f"/tasks/{task.id}", FORM_DATA["acceptance"])
    assert "撤回" in clerk.get(f"/cases/{walk.case_id}").text
    assert login("county_mz").post_form(f"/tasks/{task.id}/withdraw", {}).status_code == 404
    assert clerk.post_form(f"/tasks/{task.id}/withdraw", {}).status_code == 303
    assert walk.open_names() == ["acceptance"]
    clerk.post_form(f"/tasks/{task.id}", FORM_DATA["acceptance"])
    check = walk.open_tasks()[0]
    login("county_mz").post_form(f"/tasks/{check.id}/claim", {})
    late = clerk.post_form(f"/tasks/{task.id}/withdraw", {})
    assert late.status_code == 409 and "不能撤回" in late.text
    assert walk.open_names() == ["economic_check"]


def test_suspend_resume_terminate_and_urge_pages(walk, login, db, clock):
    task = walk.open_tasks()[0]
    assert login("village_sy").post_form(f"/cases/{walk.case_id}/suspend", {"reason": "住院"}).status_code == 403
    assert login("township_cjg").post_form(f"/cases/{walk.case_id}/suspend", {"reason": "住院"}).status_code == 404
    clerk = login("township_xs")
    assert clerk.post_form(f"/cases/{walk.case_id}/suspend", {"reason": ""}).status_code == 422
    assert clerk.post_form(f"/cases/{walk.case_id}/suspend", {"reason": "申请人住院"}).status_code == 303
    assert "申请人住院" in clerk.get(f"/cases/{walk.case_id}").text
    assert clerk.post_form(f"/tasks/{task.id}", FORM_DATA["acceptance"]).status_code == 409
    assert clerk.post_form(f"/cases/{walk.case_id}/resume", {"reason": "已出院"}).status_code == 303
    assert login("supervisor").post_form(f"/cases/{walk.case_id}/suspend", {"reason": "看看"}).status_code == 403
    urged = login("supervisor").post_form(f"/cases/{walk.case_id}/urge", {"task_id": task.id, "message": "请加快"})
    assert urged.status_code == 303 and "催办" in clerk.get("/inbox").text
    assert clerk.post_form(f"/cases/{walk.case_id}/urge", {"task_id": task.id, "message": "请加快"}).status_code == 403
    assert login("supervisor").post_form(f"/cases/{walk.case_id}/urge",
                                         {"task_id": "nope", "message": "请加快"}).status_code == 404
    assert clerk.post_form(f"/cases/{walk.case_id}/terminate", {"reason": "迁出"}).status_code == 403
    ended = login("county_mz").post_form(f"/cases/{walk.case_id}/terminate", {"reason": "申请人已迁出本县"})
    assert ended.status_code == 303
    page = clerk.get(f"/cases/{walk.case_id}").text
    assert "终止办理通知书" in page and "申请人已迁出本县" in page
    # The history names the status and outcome in the page's language, never the stored codes.
    assert "<del>办理中</del> → <ins>已办结</ins>" in page and "<ins>终止办理</ins>" in page
    assert "<del>running</del>" not in page and "<ins>terminated</ins>" not in page


def test_api_operations_allowed_and_refused(walk, login, db, who, colleague):
    task = walk.open_tasks()[0]
    clerk = login("township_xs")
    assert api(clerk, f"/api/v1/tasks/{task.id}/claim").status_code == 200
    refused = api(login(colleague), f"/api/v1/tasks/{task.id}/claim")
    assert refused.status_code == 409 and "认领" in refused.json["message_zh"]
    assert api(login("township_cjg"), f"/api/v1/tasks/{task.id}/release").status_code == 404
    bad = api(clerk, f"/api/v1/tasks/{task.id}/reassign", {"to_user_id": "x", "reason": "休假"})
    assert bad.status_code == 422
    moved = api(clerk, f"/api/v1/tasks/{task.id}/reassign", {"to_user_id": who(colleague).user_id, "reason": "休假"})
    assert moved.status_code == 200 and holder(db, task.id) == who(colleague).user_id
    assert api(login(colleague), f"/api/v1/tasks/{task.id}/send-back",
               {"target_task_id": "nope", "reason": "退回"}).status_code == 422
    assert api(login(colleague), f"/api/v1/tasks/{task.id}/operations").status_code == 405
    ops = login(colleague).get(f"/api/v1/tasks/{task.id}/operations").json
    assert ops["release"] is True and ops["claim"] is False
    assert api(login("supervisor"), f"/api/v1/cases/{walk.case_id}/suspend", {"reason": "看看"}).status_code == 403
    assert api(clerk, f"/api/v1/cases/{walk.case_id}/suspend", {"reason": "住院"}).status_code == 200
    assert api(clerk, f"/api/v1/cases/{walk.case_id}/resume", {"reason": "出院"}).json["paused_workdays"] == 0
    assert api(login("supervisor"), f"/api/v1/tasks/{task.id}/urge", {"message": "请加快"}).status_code == 200
    assert api(clerk, f"/api/v1/cases/{walk.case_id}/terminate", {"reason": "迁出"}).status_code == 403
    ended = api(login("county_mz"), f"/api/v1/cases/{walk.case_id}/terminate", {"reason": "申请人已迁出"})
    assert ended.status_code == 200 and "民终" in ended.json["notice"]
    doc = clerk.get("/api/v1/openapi.json").json
    for path in ("/api/v1/tasks/{task_id}/claim", "/api/v1/tasks/{task_id}/send-back",
                 "/api/v1/tasks/{task_id}/withdraw", "/api/v1/cases/{case_id}/terminate"):
        assert {"403", "404", "409"} <= set(next(iter(doc["paths"][path].values()))["responses"])


def test_hand_over_page_lists_then_hands_over(db, clock, who, unit_id, login, new_user, colleague):
    from engine.cases.operations import claim_task
    from engine.people.users import deactivate_user
    leaver = new_user(("township", "320921100"))
    walks = [start(db, clock, who, unit_id) for _ in range(2)]
    for walk in walks:
        with db.unit_of_work(write=True) as uow:
            claim_task(uow.session, who(leaver), clock, walk.open_tasks()[0].id)
            uow.commit()
    leaver_id = who(leaver).user_id
    with db.unit_of_work(write=True) as uow:
        deactivate_user(uow.session, None, clock.now(), leaver)
        uow.commit()
    clerk = login("township_xs")
    listed = clerk.get(f"/handover?from_user={leaver_id}").text
    assert all(w.number in listed for w in walks) and "2 项" in listed
    task_ids = [w.open_tasks()[0].id for w in walks]
    body = {"from_user": str(leaver_id), "to_user_id": str(who(colleague).user_id), "reason": ""}
    missing = clerk.client.post("/handover", data={"csrf_token": clerk.csrf, **body, "task_id": task_ids})
    assert missing.status_code == 422 and all(holder(db, t) == leaver_id for t in task_ids)
    done = clerk.client.post("/handover", data={"csrf_token": clerk.csrf, **body, "reason": "调离本镇",
                                                "task_id": task_ids})
    assert done.status_code == 200 and "2 项中 2 项已转办" in done.text
    assert all(holder(db, t) == who(colleague).user_id for t in task_ids)
    assert "调离本镇" in login(colleague).get("/inbox").text
    outsider = login("township_cjg").get(f"/handover?from_user={leaver_id}").text
    assert walks[0].number not in outsider


def test_hand_over_through_the_api(db, clock, who, unit_id, login, new_user, colleague):
    from engine.cases.operations import claim_task
    from engine.people.users import deactivate_user
    leaver = new_user(("township", "320921100"))
    walk = start(db, clock, who, unit_id)
    task_id = walk.open_tasks()[0].id
    with db.unit_of_work(write=True) as uow:
        claim_task(uow.session, who(leaver), clock, task_id)
        deactivate_user(uow.session, None, clock.now(), leaver)
        uow.commit()
    clerk = login("township_xs")
    leaver_id = who(leaver).user_id
    listed = clerk.get(f"/api/v1/handover?from_user={leaver_id}").json["items"]
    assert [i["task_id"] for i in listed] == [task_id]
    assert login("township_cjg").get(f"/api/v1/handover?from_user={leaver_id}").json["items"] == []
    body = {"from_user": leaver_id, "to_user_id": who(colleague).user_id, "reason": "调离", "task_ids": [task_id]}
    assert api(clerk, "/api/v1/handover", {**body, "reason": ""}).status_code == 422
    done = api(clerk, "/api/v1/handover", body).json["items"]
    assert done[0]["ok"] is True and holder(db, task_id) == who(colleague).user_id


def test_inbox_filters_by_holder_with_counts(db, clock, who, unit_id, login, colleague):
    from engine.cases.operations import claim_task
    mine, theirs, shared = (start(db, clock, who, unit_id) for _ in range(3))
    with db.unit_of_work(write=True) as uow:
        claim_task(uow.session, who("township_xs"), clock, mine.open_tasks()[0].id)
        claim_task(uow.session, who(colleague), clock, theirs.open_tasks()[0].id)
        uow.commit()
    clerk = login("township_xs")
    page = clerk.get("/inbox").text
    assert all(w.number in page for w in (mine, theirs, shared))
    for held, shown in (("mine", mine), ("queue", shared), ("others", theirs)):
        listed = clerk.get(f"/inbox?held={held}").text.split('<table class="list inbox')[1]
        assert shown.number in listed and sum(w.number in listed for w in (mine, theirs, shared)) == 1, held
    import re
    counts = {m[0]: int(m[1]) for m in re.findall(r'class="held-(\w+)"[^>]*>[^<]*<span class="count">(\d+)<', page)}
    assert counts == {"all": 3, "mine": 1, "queue": 1, "others": 1}
    refused = clerk.get("/inbox?held=bogus")
    assert refused.status_code == 422 and "办理人应为" in refused.text


def test_notification_centre_counts_unread_and_marks_read(walk, login, db, clock, who, colleague, new_user):
    from engine.cases.operations import urge_task
    clerk = login(new_user(("township", "320921100")))  # fresh: users (and what they have read) outlive a test
    clerk.get("/notifications"), login(colleague).get("/notifications")  # the new task's notification read
    assert "未读" not in clerk.get("/inbox").text
    clock.advance(minutes=1)
    with db.unit_of_work(write=True) as uow:
        urge_task(uow.session, who("supervisor"), clock, walk.open_tasks()[0].id, "请尽快受理")
        uow.commit()
    assert "1 条未读" in clerk.get("/inbox").text
    assert "1 条未读" in login(colleague).get("/inbox").text, "the whole unit was urged"
    centre = clerk.get("/notifications").text
    assert "请尽快受理" in centre and 'class="note-urged unread"' in centre
    clock.advance(minutes=1)
    assert "未读" not in clerk.get("/inbox").text and 'unread"' not in clerk.get("/notifications").text
    assert "1 条未读" in login(colleague).get("/inbox").text, "read by one person, unread for the other"
    assert "请尽快受理" not in login("township_cjg").get("/notifications").text


def test_notifications_through_the_api(walk, login, db, clock, who, colleague):
    from engine.cases.operations import urge_task
    clerk = login(colleague)
    clerk.get("/notifications")  # the new task's notification read
    clock.advance(minutes=1)
    with db.unit_of_work(write=True) as uow:
        urge_task(uow.session, who("county_mz"), clock, walk.open_tasks()[0].id, "请尽快受理")
        uow.commit()
    listed = clerk.get("/api/v1/notifications").json
    assert listed["unread"] == 1 and listed["items"][0]["kind"] == "urged"
    assert clerk.get("/api/v1/notifications").json["unread"] == 1, "a plain read marks nothing"
    assert clerk.get("/api/v1/notifications?seen=1").json["unread"] == 1
    clock.advance(minutes=1)
    assert clerk.get("/api/v1/notifications").json["unread"] == 0
