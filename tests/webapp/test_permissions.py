"""Who may see and complete a task: list, page and POST, enforced in SQL."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from engine.oversight import inbox, queries
from engine.errors import NotFound
from engine.store.models import CaseEvent
from tests.factories import FORM_DATA, start

OUTSIDERS = ["township_cjg", "village_sy", "supervisor", "village_cg", "designer"]


@pytest.fixture
def walk(db, clock, who, unit_id):
    return start(db, clock, who, unit_id)


def test_owner_sees_the_task_in_inbox_page_and_api(walk, login):
    task = walk.open_tasks()[0]
    owner = login("township_xs")
    assert walk.number in owner.get("/inbox").text
    assert owner.get(f"/tasks/{task.id}").status_code == 200
    assert any(t["id"] == task.id for t in owner.get("/api/v1/tasks").json["tasks"])


@pytest.mark.parametrize("username", OUTSIDERS)
def test_outsiders_cannot_list_open_or_complete_the_task(walk, login, username, db):
    task = walk.open_tasks()[0]
    user = login(username)
    assert walk.number not in user.get("/inbox").text
    assert all(t["id"] != task.id for t in user.get("/api/v1/tasks").json.get("tasks", []))
    assert user.get(f"/tasks/{task.id}").status_code == 404
    response = user.post_form(f"/tasks/{task.id}", FORM_DATA["acceptance"])
    assert response.status_code == 404
    assert "不在您的办理范围内" in response.text
    api = user.client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": FORM_DATA["acceptance"]},
                           headers={"X-CSRFToken": user.csrf})
    assert api.status_code == 404
    assert walk.open_names() == ["acceptance"]
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(func.count()).select_from(CaseEvent)
                         .where(CaseEvent.case_id == walk.case_id)).scalar_one() == 1


def test_the_scope_is_in_the_sql_itself(walk, who, db):
    """The query for another township's user returns no row: nothing is filtered after loading."""
    task = walk.open_tasks()[0]
    with db.unit_of_work() as uow:
        s = uow.session
        with pytest.raises(NotFound):
            queries.task_for(s, who("township_cjg"), task.id)
        rows, total = inbox.inbox(s, who("township_cjg"), date(2026, 9, 15))
        assert total == 0 and rows == []
        counts = inbox.inbox_counts(s, who("township_cjg"), date(2026, 9, 15))
        assert counts["total"] == 0 and all(counts[d] == [] for d in ("held", "due", "type", "step", "village"))
        compiled = str(inbox.select_inbox_statement(who("township_cjg"), date(2026, 9, 15)).compile(
            compile_kwargs={"literal_binds": True}))
        assert "human_task.role = 'township'" in compiled and "human_task.unit_id IN" in compiled


def test_supervisor_sees_the_case_read_only(walk, login):
    supervisor = login("supervisor")
    listing = supervisor.get("/supervisor")
    assert listing.status_code == 200 and walk.number in listing.text
    assert supervisor.get(f"/cases/{walk.case_id}").status_code == 200
    assert supervisor.get(f"/tasks/{walk.open_tasks()[0].id}").status_code == 404


def test_village_user_of_another_village_cannot_see_the_case(walk, login):
    assert login("village_cg").get(f"/cases/{walk.case_id}").status_code == 404
    assert login("township_cjg").get(f"/cases/{walk.case_id}").status_code == 404
    assert login("village_sy").get(f"/cases/{walk.case_id}").status_code == 200


def test_village_user_cannot_lodge_for_another_village(login, unit_id, db):
    from tests.factories import sample_application
    user = login("village_cg")
    data = sample_application("王小明", "320921197001011236", [100])
    form = {k: v for k, v in data.items() if k != "members"}
    form.update({"members-0-name": "王小明", "members-0-id_number": "320921197001011236",
                 "members-0-relation": "self", "members-0-monthly_income": "100",
                 "near_relative": "false", "authorises_check": "true",
                 "village_id": str(unit_id("320921100201")), "assistance_type": "minimum_living"})
    response = user.post_form("/cases/new", form)
    assert response.status_code == 422
    assert "请选择您辖区内的村（社区）" in response.text or "Choose a village" in response.text


def test_pages_require_login(app):
    client = app.test_client()
    for url in ("/inbox", "/supervisor", "/cases/1", "/tasks/x", "/cases/new", "/processes"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location
    assert client.get("/api/v1/tasks").status_code == 401
