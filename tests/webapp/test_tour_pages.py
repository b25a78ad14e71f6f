"""What a newcomer's tour of the pages found, fixed and kept fixed: odd months in a query are a 400 with the
parameter named (year 0000 was a 500 on the dashboard), the places page's links to a province's users work,
the attachments and printable window pages say whose they are and lead back, the township's payment roll
reads in English in the English UI, and the punctuation between a label and its value follows the language."""
from __future__ import annotations

import re

import pytest
from lxml import html as lxml_html
from sqlalchemy import select

from engine.store.models import Household, WindowItem
from tests.factories import start
from tests.webapp.test_window_pages import _register

CJK = re.compile(r"[\u3400-\u9fff]")


def english(user, path="/"):
    assert user.post_form("/lang/en", {"next": path}).status_code in (302, 303)
    return user


def heading(response) -> str:
    return " ".join(lxml_html.fromstring(response.text).xpath("string(//h1)").split())


@pytest.mark.parametrize("user, url, name", [
    ("supervisor", "/supervisor/dashboard?from=0000-01", "from"),
    ("supervisor", "/supervisor/dashboard?to=0000-12", "to"),
    ("supervisor", "/supervisor/dashboard?from=2026-13", "from"),
    ("supervisor", "/supervision/reviews?month=0000-01", "month"),
    ("supervisor", "/reports/monthly?month=abc", "month"),
    ("supervisor", "/reports/payment-roll?month=2026-1", "month"),
    ("township_xs", "/payment-roll?month=" + "9" * 300, "month"),
    ("township_xs", "/payment-roll?month=2026-12-05", "month"),
])
def test_a_month_that_is_not_one_is_refused_with_its_name(login, user, url, name):
    response = login(user).get(url)
    assert response.status_code == 400
    assert f"参数「{name}」应为年月，如 2026-09" in response.text


def test_a_good_month_is_still_read(login):
    assert login("township_xs").get("/payment-roll?month=2026-11").status_code == 200
    assert login("supervisor").get("/supervisor/dashboard?from=2026-01&to=2026-12").status_code == 200


def test_the_places_page_links_to_a_provinces_users_and_to_a_new_user_there(login):
    admin = login("admin")
    places = admin.get("/admin/places").text
    assert 'href="/admin/users?unit=32"' in places  # 江苏省, with its province supervisor
    listed = admin.get("/admin/users?unit=32")
    assert listed.status_code == 200 and "province_js" in listed.text and "county_mz" in listed.text
    assert "district_tx" not in listed.text  # 四平市铁西区 is in 吉林省
    new = lxml_html.fromstring(admin.get("/admin/users/new?unit=32").text)
    assert new.xpath("string(//select[@name='role']/option[@selected]/@value)") == "province_supervisor"
    refused = admin.get("/admin/users?unit=3")
    assert refused.status_code == 400 and "单位代码应为 2、6、9 或 12 位数字" in refused.text


def test_the_attachments_pages_name_the_case_or_household_and_lead_back(login, db, clock, who, unit_id):
    walk = start(db, clock, who, unit_id)
    with db.unit_of_work() as uow:
        number = uow.session.execute(select(Household.number).where(Household.id == walk.case().household_id)).scalar()
    clerk = login("township_xs")
    case_page = clerk.get(f"/cases/{walk.case_id}/attachments")
    assert case_page.status_code == 200
    assert heading(case_page) == f"申请材料 案件 {walk.case().number}"
    assert f'href="/cases/{walk.case_id}"' in case_page.text
    household_page = clerk.get(f"/households/{walk.case().household_id}/attachments")
    assert heading(household_page) == f"申请材料 户编号 {number}"
    assert f'href="/households/{walk.case().household_id}"' in household_page.text
    assert f"<title>申请材料 · 户编号 {number}" in household_page.text
    english(clerk)
    assert heading(clerk.get(f"/cases/{walk.case_id}/attachments")) == \
        f"Application materials Case {walk.case().number}"


def test_the_printable_window_documents_have_a_heading_and_a_way_back(login, unit_id, db):
    clerk, rid = _register(login, unit_id)
    receipt = clerk.get(f"/window/registrations/{rid}/receipt")
    assert heading(receipt).startswith("受理单 ") and f'href="/window/registrations/{rid}"' in receipt.text
    with db.unit_of_work() as uow:
        item_id = uow.session.execute(select(WindowItem.id).where(WindowItem.registration_id == rid,
                                                                  WindowItem.item_code == "employment_aid")).scalar_one()
    liaison = login("liaison_hrss_xs")
    transfer = liaison.get(f"/window/referrals/{item_id}/transfer")
    assert heading(transfer).startswith("转办单 ") and f'href="/window/referrals/{item_id}"' in transfer.text
    window = clerk.get(f"/window/referrals/{item_id}/transfer")  # the window goes back to its registration
    assert f'href="/window/registrations/{rid}"' in window.text


def test_the_township_payment_roll_reads_in_english(login, db, clock, who, unit_id):
    clerk = english(login("township_xs"))
    page = clerk.get("/payment-roll")
    assert page.status_code == 200
    tree = lxml_html.fromstring(page.text)
    header = [" ".join(th.text_content().split()) for th in tree.xpath("//table[contains(@class,'monthly-report')]//th")]
    assert header == ["County (district)", "Township (street)", "Assistance type", "Households (persons)", "Persons",
                      "Amount paid (yuan)"]
    assert "Social assistance payment roll, " in tree.xpath("string(//section[contains(@class,'roll-files')]/h2)")
    assert not CJK.search(tree.xpath("string(//table[contains(@class,'monthly-report')]//tbody//td[1])"))
    chinese = login("township_xs").get("/payment-roll").text
    assert "发放金额（元）" in chinese and "社会救助发放名册" in chinese


def test_a_labels_punctuation_follows_the_language(login, db, clock, who, unit_id):
    walk = start(db, clock, who, unit_id)
    clerk = login("township_xs")
    status = lambda r: " ".join(lxml_html.fromstring(r.text).xpath("string(//dd[@class='status'])").split())
    assert status(clerk.get(f"/cases/{walk.case_id}")).startswith("办理中：")
    english(clerk)
    page = clerk.get(f"/cases/{walk.case_id}")
    assert status(page).startswith("In progress: ")
    tree = lxml_html.fromstring(page.text)
    assert not re.search("[：，（）]", tree.xpath("string(//p[@class='case-due'])"))
    route = tree.xpath("string(//dt[.='Route']/following-sibling::dd[1])")
    assert route.startswith("Minimum living allowance (") and not CJK.search(route)


def test_a_refused_proxy_says_what_is_wrong_beside_the_field(login):
    clerk = login("township_xs")
    refused = clerk.post_form("/proxy", {"proxy_id": "", "starts_on": "2026-09-15", "ends_on": "2026-09-20",
                                         "reason": ""})
    assert refused.status_code == 422
    tree = lxml_html.fromstring(refused.text)
    [error] = tree.xpath("//form[contains(@class,'set-proxy')]//div[@class='field-error'][@data-field='reason']")
    assert "理由" in error.text_content()
    assert tree.xpath("string(//textarea[@name='reason']/ancestor::label/following-sibling::*[1]/@data-field)") == "reason"
    late = clerk.post_form("/proxy", {"proxy_id": "", "starts_on": "2026-09-15", "ends_on": "2026-09-01",
                                      "reason": "休假"})
    assert lxml_html.fromstring(late.text).xpath("//div[@class='field-error'][@data-field='ends_on']")


def error_message(response) -> str:
    return " ".join(lxml_html.fromstring(response.text).xpath("string(//p[@class='error-message'])").split())


def test_a_wrong_file_format_is_named_and_the_english_errors_say_what_is_wrong(login):
    supervisor = login("supervisor")
    for url in ("/supervisor/export?format=pdf", "/reports/monthly?format=bank", "/supervisor/dashboard?format=pdf"):
        refused = supervisor.get(url)
        assert refused.status_code == 400 and "参数「format」应为 csv、xlsx 之一" in error_message(refused), url
    assert supervisor.get("/reports/payment-roll?format=bank").status_code in (200, 403)  # the roll has a bank copy
    english(supervisor)
    assert error_message(supervisor.get("/supervisor/export?format=pdf")) == "format must be one of csv, xlsx"
    missing = supervisor.get("/reports/nothing")
    assert missing.status_code == 404 and error_message(missing) == "Page not found."
    filters = supervisor.get("/operation-log?kind=nothing")
    assert filters.status_code == 422 and error_message(filters) != "The form has errors."
