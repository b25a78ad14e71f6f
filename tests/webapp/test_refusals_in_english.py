"""A refusal in the English UI says in English what is wrong, as specifically as the Chinese one (never the
"details in Chinese" fallback, never a generic line where the engine is specific), with the 4xx status and
nothing changed; the Chinese UI is unchanged. English is chosen with the language switch (POST /lang/en)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.store.models import Case, CaseEvent, HumanTask, Unit
from tests.factories import fresh_id_number, sample_application, start
from tests.webapp.test_bad_input import _flatten

CJK_FALLBACK = "details in Chinese"


@pytest.fixture
def walk(db, clock, who, unit_id):
    return start(db, clock, who, unit_id)


def english(login, username):
    user = login(username)
    assert user.post_form("/lang/en", {"next": "/inbox"}).status_code in (302, 303)
    return user


def snapshot(db, case_id):
    with db.unit_of_work() as uow:
        s = uow.session
        case = s.get(Case, case_id)
        events = s.execute(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)).scalar()
        tasks = s.execute(select(HumanTask.id, HumanTask.status, HumanTask.claimed_by_id)
                          .where(HumanTask.case_id == case_id).order_by(HumanTask.id)).all()
        return case.revision, case.due_on, events, tasks


def unit_count(db) -> int:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(func.count()).select_from(Unit)).scalar_one()


def test_an_extension_without_a_reason_is_refused_in_english_and_in_chinese(walk, login, db):
    walk.do("acceptance")
    before = snapshot(db, walk.case_id)
    form = {"extra_workdays": "5", "reason": "短"}
    in_english = english(login, "township_xs").post_form(f"/cases/{walk.case_id}/extend", form)
    assert in_english.status_code == 422
    assert "An extension needs a reason (at least 4 characters)" in in_english.text
    assert CJK_FALLBACK not in in_english.text and "延期必须说明理由" not in in_english.text
    in_chinese = login("township_xs").post_form(f"/cases/{walk.case_id}/extend", form)
    assert in_chinese.status_code == 422 and "延期必须说明理由（至少 4 个字）" in in_chinese.text
    assert "An extension needs a reason" not in in_chinese.text
    too_many = english(login, "township_xs").post_form(f"/cases/{walk.case_id}/extend",
                                                       {"extra_workdays": "999", "reason": "公示期间收到异议"})
    assert too_many.status_code == 422 and "The extra working days must be a whole number from 1 to 45" in too_many.text
    assert snapshot(db, walk.case_id) == before


def test_a_place_refused_on_its_field_in_english(login, db, unit_id):
    before = unit_count(db)
    form = {"parent_id": unit_id("320921100201"), "code": "320921100201001", "name": "组"}
    in_english = english(login, "admin").post_form("/admin/places/add", form)
    assert in_english.status_code == 422 and 'data-field="code"' in in_english.text
    assert "No place can be set up below a village (community)" in in_english.text
    assert "村（社区）之下不能再设区划" not in in_english.text
    short = english(login, "admin").post_form("/admin/places/add", {"parent_id": unit_id("320921"), "code": "32092",
                                                                    "name": ""})
    assert short.status_code == 422 and "32092 is not a code of 9 digits" in short.text and "Enter a name" in short.text
    in_chinese = login("admin").post_form("/admin/places/add", form)
    assert in_chinese.status_code == 422 and "村（社区）之下不能再设区划" in in_chinese.text
    assert unit_count(db) == before


def test_a_conflict_and_a_not_found_say_what_stands_in_the_way_in_english(walk, login, db):
    task = walk.open_tasks()[0]
    before = snapshot(db, walk.case_id)
    released = english(login, "township_xs").post_form(f"/tasks/{task.id}/release", {})
    assert released.status_code == 409 and "This step is not claimed" in released.text
    assert "此事项未被认领" not in released.text
    in_chinese = login("township_xs").post_form(f"/tasks/{task.id}/release", {})
    assert in_chinese.status_code == 409 and "此事项未被认领" in in_chinese.text
    renamed = english(login, "admin").post_form("/admin/places/999999999/rename", {"name": "无"})
    assert renamed.status_code == 404 and "No such place" in renamed.text
    assert "Not found, or outside your area" not in renamed.text
    assert "该区划不存在" in login("admin").post_form("/admin/places/999999999/rename", {"name": "无"}).text
    assert snapshot(db, walk.case_id) == before


def test_the_api_gives_the_fields_in_the_page_language_and_in_chinese(walk, login, db):
    task = walk.open_tasks()[0]
    before = snapshot(db, walk.case_id)
    user = english(login, "township_xs")
    response = user.client.post(f"/api/v1/tasks/{task.id}/reassign", json={"to_user_id": 1, "reason": "x"},
                                headers={"X-CSRFToken": user.csrf})
    assert response.status_code == 422
    body = response.json
    assert body["errors"] == {"reason": "Give a reason (2 to 500 characters)"}
    assert body["errors_zh"] == {"reason": "请填写理由（2 至 500 字）"} and body["message"] == "Give a reason (2 to 500 characters)"
    chinese = login("township_xs")
    body = chinese.client.post(f"/api/v1/tasks/{task.id}/reassign", json={"to_user_id": 1, "reason": "x"},
                               headers={"X-CSRFToken": chinese.csrf}).json
    assert body["errors"] == body["errors_zh"] == {"reason": "请填写理由（2 至 500 字）"}
    assert snapshot(db, walk.case_id) == before


def test_a_second_application_names_the_open_case_in_english(login, db, clock, who, unit_id):
    number = fresh_id_number()
    walk = start(db, clock, who, unit_id, applicant_name="王小明", applicant_id_number=number)
    with db.unit_of_work() as uow:
        case_number = uow.session.get(Case, walk.case_id).number
        cases = uow.session.execute(select(func.count()).select_from(Case)).scalar_one()
    form = {"assistance_type": "minimum_living", "village_id": str(unit_id("320921100201")),
            **_flatten(sample_application("王小明", number, [300, 0]))}
    in_english = english(login, "village_sy").post_form("/cases/new", form)
    assert in_english.status_code == 409
    assert (f"This household already has an open application of this type (case {case_number}): it cannot be "
            "applied for again") in in_english.text
    assert "已有一件办理中的同类申请" not in in_english.text
    in_chinese = login("village_sy").post_form("/cases/new", form)
    assert in_chinese.status_code == 409 and f"已有一件办理中的同类申请（案件 {case_number}）" in in_chinese.text
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(func.count()).select_from(Case)).scalar_one() == cases
