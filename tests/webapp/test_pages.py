"""Pages people use: supervisor list with filters and counts, case page, language switch."""
from __future__ import annotations

import json
import re

import pytest

from tests.factories import start


@pytest.fixture
def two_cases(db, clock, who, unit_id):
    first = start(db, clock, who, unit_id)
    first.do("acceptance")
    second = start(db, clock, who, unit_id, village="320921101201", username="village_cg",
                   applicant_name="陈大山", applicant_id_number="320921196805051239")
    return first, second


def test_supervisor_filters_and_counts(two_cases, login, clock, unit_id):
    first, second = two_cases
    supervisor = login("supervisor")
    page = supervisor.get("/supervisor").text
    assert first.number in page and second.number in page
    assert re.search(r'count-running">2<', page)
    only_cjg = supervisor.get(f"/supervisor?township={unit_id('320921101')}").text
    assert second.number in only_cjg and first.number not in only_cjg
    by_step = supervisor.get("/supervisor?step=信息核对").text
    assert first.number in by_step and second.number not in by_step
    assert first.number not in supervisor.get("/supervisor?overdue=1").text
    clock.advance(days=30)
    supervisor = login("supervisor")  # a month later the session has long ended
    overdue = supervisor.get("/supervisor?overdue=1").text
    assert first.number in overdue and second.number in overdue
    assert re.search(r'count-overdue">2<', overdue)
    full = first.case().applicant_id_number
    assert full not in page and f"{full[:6]}********{full[-4:]}" in page


def test_case_page_shows_history_open_steps_and_diagram_state(two_cases, login):
    first, _second = two_cases
    page = login("township_xs").get(f"/cases/{first.case_id}").text
    assert "受理审查" in page and "响水镇 张干事" in page
    assert "家庭经济状况信息核对" in page and "县民政局" in page
    states = json.loads(re.search(r'data-states="([^"]+)"', page).group(1).replace("&#34;", '"'))
    assert states["acceptance"] == "completed" and states["economic_check"] == "active"
    assert 'id="diagram-xml"' in page and "bpmn-navigated-viewer" in page
    assert "320921197001011236" not in page


def test_language_switch(login):
    user = login("township_xs")
    assert "待办事项" in user.get("/inbox").text
    user.post_form("/lang/en", {"next": "/inbox"})
    assert "Inbox" in user.get("/inbox").text
    user.post_form("/lang/zh_CN", {"next": "/inbox"})
    assert "待办事项" in user.get("/inbox").text


def test_openapi_document_describes_the_api(login):
    from openapi_spec_validator import validate
    doc = login("township_xs").get("/api/v1/openapi.json").json
    validate(doc)  # raises on any departure from the OpenAPI 3.0 schema
    assert "/api/v1/tasks/{task_id}/complete" in doc["paths"]
    assert {"409", "422", "404"} <= set(doc["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]["responses"])


def test_supervisor_list_shows_limits_and_sorts_by_urgency(db, clock, who, unit_id, login):
    older = start(db, clock, who, unit_id)
    older.do("acceptance")
    clock.advance(days=1)
    newer = start(db, clock, who, unit_id)
    newer.do("acceptance")
    from sqlalchemy import update
    from engine.store.models import Case
    with db.unit_of_work(write=True) as uow:  # a recorded extension pushes the newer case's limit back
        s = uow.session
        s.execute(update(Case).where(Case.id == newer.case_id).values(due_on=newer.case().due_on.replace(month=12)))
        uow.commit()
    page = login("supervisor").get("/supervisor").text
    assert page.index(older.number) < page.index(newer.number), "the earlier limit comes first"
    assert "剩余" in page and "个工作日" in page
    clock.advance(days=40)
    page = login("supervisor").get("/supervisor").text
    assert "已逾期" in page
    newest = login("supervisor").get("/supervisor?sort=newest").text
    assert newest.index(newer.number) < newest.index(older.number)
