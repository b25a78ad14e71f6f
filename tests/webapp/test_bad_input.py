"""Bad input of any kind gets a clear message and changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.models import Case, CaseEvent, HumanTask
from tests.factories import start


@pytest.fixture
def walk(db, clock, who, unit_id):
    return start(db, clock, who, unit_id)


def snapshot(db, case_id):
    with db.unit_of_work() as s:
        case = s.get(Case, case_id)
        events = s.execute(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)).scalar()
        tasks = s.execute(select(HumanTask.id, HumanTask.status).where(HumanTask.case_id == case_id)
                          .order_by(HumanTask.id)).all()
        return case.revision, case.state, events, tasks


@pytest.mark.parametrize("form, field, message", [
    ({}, "acceptance_decision", "「受理结论」为必填项"),
    ({"acceptance_decision": "accepted"}, "accepted_on", "「受理日期」为必填项"),
    ({"acceptance_decision": "maybe", "accepted_on": "2026-09-15"}, "acceptance_decision", "取值不在可选范围内"),
    ({"acceptance_decision": "accepted", "accepted_on": "15/09/2026"}, "accepted_on", "格式不正确"),
    ({"acceptance_decision": "accepted", "accepted_on": "2026-09-15", "is_admin": "1"}, "_form", "不允许的字段：is_admin"),
    ({"acceptance_decision": "incomplete", "accepted_on": "2026-09-15"}, "missing_materials", "为必填项"),
])
def test_invalid_task_form_is_refused_with_chinese_field_messages(walk, login, db, form, field, message):
    before = snapshot(db, walk.case_id)
    task = walk.open_tasks()[0]
    response = login("township_xs").post_form(f"/tasks/{task.id}", form)
    assert response.status_code == 422
    assert f'data-field="{field}"' in response.text and message in response.text
    assert snapshot(db, walk.case_id) == before


def test_mistyped_json_fields_are_refused_by_the_api(walk, login, db):
    before = snapshot(db, walk.case_id)
    user = login("township_xs")
    task = walk.open_tasks()[0]
    response = user.client.post(f"/api/v1/tasks/{task.id}/complete", headers={"X-CSRFToken": user.csrf},
                                json={"data": {"acceptance_decision": 7, "accepted_on": True, "extra": 1}})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert errors["acceptance_decision"] == "「受理结论」应为文字"
    assert "不允许的字段" in errors["_form"]
    assert user.client.post(f"/api/v1/tasks/{task.id}/complete", headers={"X-CSRFToken": user.csrf},
                            json={"nodata": 1}).status_code == 422
    assert snapshot(db, walk.case_id) == before


def test_mistyped_number_in_application_is_refused(login, unit_id, db):
    user = login("village_sy")
    form = {"assistance_type": "minimum_living", "village_id": str(unit_id("320921100201")),
            "applicant_name": "王小明", "applicant_id_number": "320921197001011236", "address": "双园村3组",
            "channel": "village_proxy", "near_relative": "false", "authorises_check": "true",
            "members-0-name": "王小明", "members-0-id_number": "320921197001011235",
            "members-0-relation": "self", "members-0-monthly_income": "三百"}
    response = user.post_form("/cases/new", form)
    assert response.status_code == 422
    assert "「月收入（元）」应为数字" in response.text
    assert "公民身份号码校验位不正确" in response.text
    with db.unit_of_work() as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar() == 0


def test_forged_request_without_csrf_token_changes_nothing(walk, login, db):
    before = snapshot(db, walk.case_id)
    user = login("township_xs")
    task = walk.open_tasks()[0]
    response = user.client.post(f"/tasks/{task.id}", data={"acceptance_decision": "accepted",
                                                           "accepted_on": "2026-09-15"})
    assert response.status_code == 400
    assert "表单已过期或来源不明" in response.text
    response = user.client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {}})
    assert response.status_code == 400
    assert snapshot(db, walk.case_id) == before


def test_expired_session_is_sent_to_login_with_a_message(app, login, walk, clock):
    user = login("township_xs")
    clock.advance(hours=9)  # past the session's lifetime
    response = user.get("/inbox")
    assert response.status_code == 302 and "/login" in response.location
    assert "登录已过期" in user.get(response.location).text or "session has expired" in user.get("/login").text


def test_wrong_password_is_refused(app):
    from tests.conftest import CSRF_RE
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"username": "township_xs", "password": "wrong", "csrf_token": token})
    assert response.status_code == 401
    assert client.get("/inbox").status_code == 302


def test_open_redirect_after_login_is_refused(app):
    from tests.factories import DEMO_PASSWORD
    from tests.conftest import CSRF_RE
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").text).group(1)
    response = client.post("/login?next=//evil.example/x", data={"username": "township_xs",
                                                                 "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and "evil" not in response.location
