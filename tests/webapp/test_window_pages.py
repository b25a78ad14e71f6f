"""The window's pages (issue 13): registration form, liaison inbox and answer, ledger and CSV, scope."""
from __future__ import annotations

import re

from sqlalchemy import select

from engine.store.models import WindowItem, WindowRegistration
from tests.factories import SHUANGYUAN, fresh_id_number


def _register(login, unit_id, id_number=None, items=("minimum_living", "employment_aid", "medical_aid")):
    clerk = login("township_xs")
    form = {"village_id": str(unit_id(SHUANGYUAN)), "applicant_name": "钱小花",
            "applicant_id_number": id_number or fresh_id_number(), "address": "响水县响水镇双园村2组",
            "phone": "13900000000", "monthly_income": "200", "difficulty": "丈夫重病住院，无力承担医疗费",
            "authorises_check": "on", "items": list(items)}
    response = clerk.post_form("/window/new", form)
    assert response.status_code == 303, response.text
    return clerk, int(re.search(r"/window/registrations/(\d+)", response.location).group(1))


def test_the_form_registers_and_the_liaison_answers(login, unit_id, db):
    assert "遭遇困难情况" in login("township_xs").get("/window/new").text
    clerk, rid = _register(login, unit_id)
    page = clerk.get(f"/window/registrations/{rid}").text
    assert "已启动审批" in page and page.count("已转办，待部门答复") == 2
    assert "社会救助申请受理单" in clerk.get(f"/window/registrations/{rid}/receipt").text
    with db.unit_of_work() as uow:
        item_id = uow.session.execute(select(WindowItem.id).where(WindowItem.registration_id == rid,
                                                                  WindowItem.item_code == "employment_aid")).scalar_one()
    liaison = login("liaison_hrss_xs")
    inbox = liaison.get("/window/referrals").text
    assert "就业援助和社保帮扶" in inbox and "医疗救助" not in inbox
    assert "社会救助申请转办单" in liaison.get(f"/window/referrals/{item_id}/transfer").text
    assert liaison.post_form(f"/window/referrals/{item_id}", {"answer": "eligible", "note": ""}).status_code == 422
    assert liaison.post_form(f"/window/referrals/{item_id}",
                             {"answer": "not_eligible", "note": "未办理失业登记，已书面告知"}).status_code == 303
    assert "未办理失业登记，已书面告知" in clerk.get(f"/window/registrations/{rid}").text
    assert "承办部门答复不符合条件" in clerk.get("/inbox").text  # the notification reaches the clerk's window
    ledger = clerk.get("/window/ledger").text
    assert "就业援助和社保帮扶" in ledger and "未办理失业登记" in ledger
    csv = clerk.get("/window/ledger.csv?department=hrss")
    assert csv.status_code == 200 and "未办理失业登记" in csv.text and "医疗救助" not in csv.text
    xlsx = clerk.get("/window/ledger.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    from io import BytesIO
    from openpyxl import load_workbook
    cells = [c.value for row in load_workbook(BytesIO(xlsx.data)).active.iter_rows() for c in row]
    assert "未办理失业登记，已书面告知" in cells
    assert "人社" in login("county_mz").get("/window/overview").text


def test_another_countys_liaison_sees_and_answers_nothing(login, unit_id, db):
    _clerk, rid = _register(login, unit_id)
    with db.unit_of_work() as uow:
        item_id = uow.session.execute(select(WindowItem.id).where(WindowItem.registration_id == rid,
                                                                  WindowItem.item_code == "employment_aid")).scalar_one()
    other = login("liaison_hrss_tx")
    assert "钱小花" not in other.get("/window/referrals?all=1").text
    assert other.get(f"/window/referrals/{item_id}").status_code == 404
    assert other.get(f"/window/referrals/{item_id}/transfer").status_code == 404
    assert other.post_form(f"/window/referrals/{item_id}", {"answer": "eligible", "note": "x"}).status_code == 404
    assert other.get(f"/window/registrations/{rid}").status_code == 403
    assert login("township_cjg").get(f"/window/registrations/{rid}").status_code == 404
    with db.unit_of_work() as uow:
        assert uow.session.get(WindowItem, item_id).status == "referred"


def test_a_bad_registration_is_refused_and_writes_nothing(login, unit_id, db):
    clerk = login("township_xs")
    response = clerk.post_form("/window/new", {"village_id": str(unit_id(SHUANGYUAN)), "applicant_name": "",
                                               "applicant_id_number": "12", "address": "", "difficulty": "",
                                               "items": ["legal_aid"], "outcome-legal_aid": "materials_missing"})
    assert response.status_code == 422 and "请记录一次性告知的缺少材料" in response.text
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(WindowRegistration.id)).first() is None


def test_the_window_refers_to_a_charity_and_records_its_feedback(login, unit_id, db):
    from engine.store.models import WindowCharityReferral
    clerk, rid = _register(login, unit_id, items=("legal_aid",))
    assert "响水县慈善总会 · 大病救助慈善项目" in clerk.get(f"/window/registrations/{rid}").text
    assert clerk.post_form(f"/window/registrations/{rid}/charity", {"project": "nowhere:x"}).status_code == 422
    assert clerk.post_form(f"/window/registrations/{rid}/charity",
                           {"project": "social_work_centre:elderly_care", "note": "独居"}).status_code == 303
    with db.unit_of_work() as uow:
        referral_id = uow.session.execute(select(WindowCharityReferral.id)).scalar_one()
    other = login("township_cjg")
    assert other.post_form(f"/window/registrations/{rid}/charity/{referral_id}",
                           {"feedback": "x"}).status_code == 404
    assert clerk.post_form(f"/window/registrations/{rid}/charity/{referral_id}",
                           {"feedback": "已安排社工每周上门"}).status_code == 303
    page = clerk.get(f"/window/registrations/{rid}").text
    assert "困难老人社工关爱服务" in page and "已安排社工每周上门" in page


def test_an_items_own_part_starts_its_route_and_its_rows_work_without_javascript(login, unit_id, db):
    clerk = login("township_xs")
    page = clerk.get("/window/new").text
    assert 'name="extreme_poverty__age"' in page and 'name="temporary_assistance__requested_amount"' in page
    form = {"village_id": str(unit_id(SHUANGYUAN)), "applicant_name": "郑老伯", "applicant_id_number": fresh_id_number(),
            "address": "响水县响水镇双园村8组", "monthly_income": "0", "difficulty": "无劳动能力，无生活来源",
            "authorises_check": "on", "items": ["extreme_poverty"], "extreme_poverty__age": "81",
            "extreme_poverty__hukou_type": "rural", "extreme_poverty__disability_category": "none",
            "extreme_poverty__disability_grade": "0", "extreme_poverty__savings": "0",
            "extreme_poverty__assets": "旧平房一间", "extreme_poverty__preferred_care_mode": "centralised",
            "extreme_poverty__orphan": "false",
            "extreme_poverty__supporters-0-name": ""}
    more = clerk.post_form("/window/new", {**form, "_rows": "add:extreme_poverty__supporters"})
    assert more.status_code == 200 and 'name="extreme_poverty__supporters-1-name"' in more.text
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(WindowRegistration.id)).first() is None  # a row button registers nothing
    wrong = clerk.post_form("/window/new", {**form, "extreme_poverty__age": "-3"})
    assert wrong.status_code == 422 and 'data-field="extreme_poverty__age"' in wrong.text
    done = clerk.post_form("/window/new", form)
    assert done.status_code == 303
    assert "已启动审批" in clerk.get(done.location).text
