"""委派, 代理, 加签/减签/会签, 退回申请人补正 and 批量 through the pages and the API: allowed and refused by role
× place (403/404/409/422, nothing changed), the task page's forms, and the OpenAPI document."""
from __future__ import annotations

from datetime import timedelta

from engine.store.models import HumanTask
from tests.factories import FORM_DATA, start
from tests.webapp.test_task_operation_pages import api, colleague, count_events, walk  # noqa: F401

ACCEPT = FORM_DATA["acceptance"]


def task_row(db, task_id):
    with db.unit_of_work() as uow:
        return uow.session.get(HumanTask, task_id)


def test_delegate_on_the_page_the_delegate_returns_the_delegator_completes(walk, login, db, who, colleague):
    task = walk.open_tasks()[0]
    clerk, helper = login("township_xs"), login(colleague)
    page = clerk.get(f"/tasks/{task.id}").text
    assert "委派给同事" in page and "加签" in page and "退回申请人补正" in page
    target = str(who(colleague).user_id)
    assert login("township_cjg").post_form(f"/tasks/{task.id}/delegate",
                                           {"to_user_id": target, "reason": "请协助"}).status_code == 404
    assert login("supervisor").post_form(f"/tasks/{task.id}/delegate",
                                         {"to_user_id": target, "reason": "请协助"}).status_code == 404
    missing = clerk.post_form(f"/tasks/{task.id}/delegate", {"to_user_id": target, "reason": ""})
    assert missing.status_code == 422 and count_events(db, walk.case_id, "task_delegated") == 0
    assert clerk.post_form(f"/tasks/{task.id}/delegate", {"to_user_id": target, "reason": "请协助核对"}).status_code == 303
    assert "已委派给" in clerk.get(f"/tasks/{task.id}").text
    assert clerk.post_form(f"/tasks/{task.id}", ACCEPT).status_code == 409, "only the delegate acts meanwhile"
    english = login("township_xs")
    english.post_form("/lang/en", {"next": "/inbox"})
    in_english = english.post_form(f"/tasks/{task.id}", ACCEPT)
    assert in_english.status_code == 409 and "it can be worked on once the delegation is returned or recalled" in in_english.text
    assert "This step is delegated to" in in_english.text
    assert "Delegated to" in english.get(f"/tasks/{task.id}").text
    mine = helper.get(f"/tasks/{task.id}").text
    assert "交回 响水镇 张干事" in mine and "委派您填写此步骤" in mine
    assert helper.post_form(f"/tasks/{task.id}", ACCEPT).status_code == 409
    bad = helper.post_form(f"/tasks/{task.id}/return-delegation", {"acceptance_decision": "maybe"})
    assert bad.status_code == 422 and task_row(db, task.id).delegated_to_id is not None
    assert helper.post_form(f"/tasks/{task.id}/return-delegation", ACCEPT).status_code == 303
    back = clerk.get(f"/tasks/{task.id}").text
    assert "填写并交回" in back and f'value="{ACCEPT["accepted_on"]}"' in back, "what the delegate entered"
    assert "委派您填写案件" in helper.get("/notifications").text
    assert clerk.post_form(f"/tasks/{task.id}", ACCEPT).status_code == 302
    assert walk.open_names() == ["economic_check"]
    history = clerk.get(f"/cases/{walk.case_id}").text  # the timeline shows the values before and after
    assert "委派" in history and "受委派人" in history and f"测试用户 {colleague}" in history and "请协助核对" in history


def test_delegation_and_cosigning_through_the_api(walk, login, db, who, colleague, new_user):
    second = new_user(("township", "320921100"))
    task = walk.open_tasks()[0]
    clerk, helper, other = login("township_xs"), login(colleague), login(second)
    target = who(colleague).user_id
    ops = clerk.get(f"/api/v1/tasks/{task.id}/operations").json
    assert ops["delegate"] and ops["cosign"] and ops["correction"] and not ops["sign"]
    assert api(login("county_mz"), f"/api/v1/tasks/{task.id}/delegate",
               {"to_user_id": target, "reason": "请协助"}).status_code == 404
    assert api(clerk, f"/api/v1/tasks/{task.id}/delegate", {"to_user_id": "x", "reason": "请协助"}).status_code == 422
    assert api(clerk, f"/api/v1/tasks/{task.id}/delegate", {"to_user_id": target, "reason": "请协助"}).status_code == 200
    assert helper.get(f"/api/v1/tasks/{task.id}/operations").json["return_delegation"] is True
    assert api(other, f"/api/v1/tasks/{task.id}/recall-delegation").status_code == 403
    assert api(clerk, f"/api/v1/tasks/{task.id}/return-delegation", {"data": ACCEPT}).status_code == 403
    assert api(helper, f"/api/v1/tasks/{task.id}/return-delegation", {"data": ACCEPT}).status_code == 200
    assert api(clerk, f"/api/v1/tasks/{task.id}/add-cosigner",
               {"user_id": who(second).user_id, "reason": "请会签"}).status_code == 200
    assert other.get(f"/api/v1/tasks/{task.id}/operations").json["sign"] is True
    refused = clerk.post_form(f"/tasks/{task.id}", ACCEPT)
    assert refused.status_code == 409 and "尚有加签人未签署意见" in refused.text
    assert api(helper, f"/api/v1/tasks/{task.id}/sign-off", {"opinion": "同意"}).status_code == 403
    assert api(other, f"/api/v1/tasks/{task.id}/sign-off", {"opinion": ""}).status_code == 422
    assert api(other, f"/api/v1/tasks/{task.id}/sign-off", {"opinion": "同意受理"}).status_code == 200
    assert api(clerk, f"/api/v1/tasks/{task.id}/remove-cosigner",
               {"user_id": who(second).user_id}).status_code == 409, "signed: no longer removable"
    ops = clerk.get(f"/api/v1/tasks/{task.id}/operations").json
    assert ops["cosigners"][0]["opinion"] == "同意受理"
    history = clerk.get(f"/cases/{walk.case_id}").text
    assert "加签人" in history and "同意受理" in history and "交回给" in history
    assert count_events(db, walk.case_id, "task_cosigned") == 1
    assert clerk.post_form(f"/tasks/{task.id}", ACCEPT).status_code == 302


def test_remove_cosigner_and_sign_off_on_the_page(walk, login, db, who, colleague):
    task = walk.open_tasks()[0]
    clerk, helper = login("township_xs"), login(colleague)
    uid = str(who(colleague).user_id)
    assert clerk.post_form(f"/tasks/{task.id}/add-cosigner", {"user_id": uid, "reason": "请会签"}).status_code == 303
    assert "签署意见" in helper.get(f"/tasks/{task.id}").text
    assert helper.post_form(f"/tasks/{task.id}/remove-cosigner", {"user_id": uid}).status_code == 409, \
        "adding a co-signer claimed the task: only its holder removes"
    assert clerk.post_form(f"/tasks/{task.id}/remove-cosigner", {"user_id": "x"}).status_code == 400
    assert clerk.post_form(f"/tasks/{task.id}/remove-cosigner", {"user_id": uid}).status_code == 303
    assert count_events(db, walk.case_id, "task_cosigner_removed") == 1
    assert helper.post_form(f"/tasks/{task.id}/sign-off", {"opinion": "同意"}).status_code == 403


def test_request_correction_on_the_page_and_the_api(db, clock, who, unit_id, login):
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    assert login("village_sy").post_form(f"/tasks/{task.id}/request-correction",
                                         {"missing_materials": "收入证明"}).status_code == 404
    clerk = login("township_xs")
    assert clerk.post_form(f"/tasks/{task.id}/request-correction", {"missing_materials": ""}).status_code == 422
    assert clerk.post_form(f"/tasks/{task.id}/request-correction",
                           {"missing_materials": "收入证明原件", "reason": ""}).status_code == 303
    assert walk.case().suspended_at is not None and count_events(db, walk.case_id, "correction_requested") == 1
    assert "待申请人补正" in clerk.get(f"/tasks/{task.id}").text
    assert "一次性告知申请人补正" in login("village_sy").get("/notifications").text
    again = api(clerk, f"/api/v1/tasks/{task.id}/request-correction", {"missing_materials": "户口簿"})
    assert again.status_code == 409, "already waiting for the applicant"


def test_proxy_page_and_api(db, clock, who, unit_id, login, colleague):
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    away, clerk = login(colleague), login("township_xs")
    assert away.post_form(f"/tasks/{task.id}/claim", {}).status_code == 303
    today = clock.today()
    page = away.get("/proxy").text
    assert "我的代理人" in page and "响水镇 张干事" in page
    bad = away.post_form("/proxy", {"proxy_id": str(who("township_cjg").user_id), "starts_on": today.isoformat(),
                                    "ends_on": (today + timedelta(days=2)).isoformat(), "reason": "休假"})
    assert bad.status_code == 422
    assert away.post_form("/proxy", {"proxy_id": str(who("township_xs").user_id), "starts_on": today.isoformat(),
                                     "ends_on": "not-a-date", "reason": "休假"}).status_code == 422
    done = away.post_form("/proxy", {"proxy_id": str(who("township_xs").user_id), "starts_on": today.isoformat(),
                                     "ends_on": (today + timedelta(days=2)).isoformat(), "reason": "年休假"})
    assert done.status_code == 303
    covered = clerk.get("/proxy").text
    assert task.id in covered and f"测试用户 {colleague}" in covered
    assert "代理人办理" in clerk.get(f"/tasks/{task.id}").text
    listed = clerk.get("/api/v1/proxies").json
    assert [t["id"] for t in listed["covered"]] == [task.id] and listed["for_others"][0]["reason"] == "年休假"
    proxy_id = away.get("/api/v1/proxies").json["mine"][0]["id"]
    assert api(clerk, f"/api/v1/proxies/{proxy_id}/cancel").status_code == 404, "only one's own"
    assert api(away, f"/api/v1/proxies/{proxy_id}/cancel").status_code == 200
    assert clerk.get("/api/v1/proxies").json["covered"] == []
    again = api(away, "/api/v1/proxies", {"proxy_id": who("township_xs").user_id, "starts_on": today.isoformat(),
                                          "ends_on": (today + timedelta(days=1)).isoformat(), "reason": "出差"})
    assert again.status_code == 200 and len(again.json["mine"]) == 1
    assert clerk.post_form(f"/tasks/{task.id}", ACCEPT).status_code == 302
    assert count_events(db, walk.case_id, "task_acted_for") == 1


def test_batch_page_and_api_dry_run_equals_run(db, clock, who, unit_id, login):
    walks = [start(db, clock, who, unit_id) for _ in range(2)]
    county = login("county_mz")
    listed = county.get("/batch?operation=urge&step=acceptance&unclaimed=1").text
    assert all(w.number in listed for w in walks)
    assert login("township_xs").get("/batch?operation=urge&step=acceptance").text.count("320921-") == 0
    assert county.get("/batch?operation=urge&due_before=soon").status_code == 422
    dry = county.get("/api/v1/batch?operation=urge&step=acceptance&unclaimed=1").json["items"]
    ids = [i["task_id"] for i in dry]
    assert {w.open_tasks()[0].id for w in walks} <= set(ids)
    assert api(county, "/api/v1/batch", {"operation": "urge", "query": {"step": "acceptance", "unclaimed": True},
                                         "task_ids": ids, "message": ""}).status_code == 422
    run = api(county, "/api/v1/batch", {"operation": "urge", "query": {"step": "acceptance", "unclaimed": True},
                                        "task_ids": ids, "message": "请本周办结"}).json["items"]
    assert [r["task_id"] for r in run if r["ok"]] == ids, "the dry run's selection is the run's"
    page = county.post_form("/batch", {"operation": "urge", "step": "acceptance", "unclaimed": "1",
                                       "task_id": ids[:1], "message": "再次催办"})
    assert page.status_code == 200 and "1 项中已完成 1 项" in page.text
    assert count_events(db, walks[0].case_id, "task_urged") >= 1


def test_the_openapi_document_lists_the_new_operations(login):
    from openapi_spec_validator import validate
    doc = login("township_xs").get("/api/v1/openapi.json").json
    validate(doc)
    for path in ("/api/v1/tasks/{task_id}/delegate", "/api/v1/tasks/{task_id}/return-delegation",
                 "/api/v1/tasks/{task_id}/add-cosigner", "/api/v1/tasks/{task_id}/sign-off",
                 "/api/v1/tasks/{task_id}/request-correction", "/api/v1/proxies", "/api/v1/batch"):
        assert path in doc["paths"]
