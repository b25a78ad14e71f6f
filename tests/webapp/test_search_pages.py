"""The search page, my cases and their API: the same rows as the engine finds, for staff of the place only."""
from __future__ import annotations

import pytest
from lxml import html as lxml_html

from tests.factories import start
from tests.integration.test_search import DAHE, LI, WANG, homes  # noqa: F401  (the fixture)


def rows(page: str, attribute: str) -> list[str]:
    return lxml_html.fromstring(page).xpath(f"//tr/@data-{attribute}")


def test_the_search_page_shows_households_and_cases_linked_to_their_pages(homes, login):
    user = login("village_sy")
    page = user.get("/search", query_string={"q": "王小明"})
    assert page.status_code == 200
    assert rows(page.text, "household") == [homes["wang_household"]]
    assert rows(page.text, "case") == [homes["wang"].number]
    tree = lxml_html.fromstring(page.text)
    household_id = homes["wang"].case().household_id
    assert tree.xpath(f'//a[@href="/households/{household_id}"]/text()') == [homes["wang_household"]]
    assert tree.xpath(f'//a[@href="/cases/{homes["wang"].case_id}"]/text()') == [homes["wang"].number]
    assert WANG not in page.text and WANG[:6] + "********" + WANG[-4:] in page.text  # masked everywhere
    assert "<h2>家庭" in page.text and "<h2>案件" in page.text and "最低生活保障" in page.text


@pytest.mark.parametrize("query", [WANG, WANG[-4:], "李四", "双园村5组"])
def test_the_api_returns_what_the_page_shows(homes, login, query):
    user = login("township_xs")
    page = user.get("/search", query_string={"q": query}).text
    api = user.get("/api/v1/search", query_string={"q": query}).json
    assert [h["number"] for h in api["households"]] == rows(page, "household")
    assert [c["number"] for c in api["cases"]] == rows(page, "case")
    assert api["cases"] and all("*" in c["applicant_id_number"] for c in api["cases"])
    assert all(WANG not in str(h) and LI not in str(h) for h in api["households"] + api["cases"])


@pytest.mark.parametrize("username", ["township_cjg", "other_village"])
def test_another_place_gets_nothing_on_the_page_or_the_api(homes, login, new_user, username):
    user = login(new_user(("village", DAHE)) if username == "other_village" else username)
    for query in (WANG, WANG[-4:], WANG[-6:], "王小", homes["wang"].number, "双园村"):
        page = user.get("/search", query_string={"q": query})
        assert page.status_code == 200 and rows(page.text, "household") == rows(page.text, "case") == []
        api = user.get("/api/v1/search", query_string={"q": query}).json
        assert api["households"] == api["cases"] == []


def test_a_village_finds_the_case_it_lodged_under_my_cases(homes, login, db, clock, who, unit_id):
    user = login("village_sy")
    page = user.get("/my-cases")
    assert page.status_code == 200
    assert rows(page.text, "case") == [homes["li"].number, homes["wang"].number]
    api = user.get("/api/v1/my-cases").json
    assert [c["number"] for c in api["cases"]] == rows(page.text, "case")
    assert api["total"] == 2 and api["by_status"] == {"running": 2} and api["view"] == "mine"
    assert [(t["type"], t["count"]) for t in api["by_type"]] == [("minimum_living", 2)]
    filtered = user.get("/my-cases", query_string={"status": "completed"})
    assert rows(filtered.text, "case") == []
    township = login("township_xs")
    assert rows(township.get("/my-cases").text, "case") == []  # the township lodged none of them
    assert rows(township.get("/my-cases?view=unit").text, "case") == [homes["li"].number, homes["wang"].number]


def test_the_header_has_the_search_box_and_my_cases_for_staff_only(login):
    staff = lxml_html.fromstring(login("village_sy").get("/inbox").text)
    assert staff.xpath('//header//form[@role="search"]/input[@name="q"]')
    assert staff.xpath('//header//a[@href="/my-cases"]')
    designer = login("designer").get("/processes").text
    assert 'name="q"' not in designer and "/my-cases" not in designer
    assert login("designer").get("/search?q=王").status_code == 403


@pytest.mark.parametrize("url, status, message", [
    ("/search?q=" + "王" * 51, 422, "不能超过 50 个字"),
    ("/search?q=12", 422, "末 4–6 位"),
    ("/search?q=王&kind=everything", 422, "查询类别"),
    ("/search?q=a%00b", 400, "控制字符"),
    ("/api/v1/search?q=", 422, "请输入姓名"),
    ("/api/v1/search?q=%E2%80%8B", 422, "控制字符"),
    ("/my-cases?status=lost", 422, "办理状态"),
    ("/my-cases?view=everyone", 400, "view"),
    ("/api/v1/my-cases?type=nothing", 422, "救助类别"),
])
def test_bad_input_gets_a_clear_message(login, url, status, message):
    response = login("township_xs").get(url)
    assert response.status_code == status
    assert message in (response.json["message_zh"] if response.is_json else response.text)


def test_the_search_page_in_english(homes, login):
    user = login("township_xs")
    user.post_form("/lang/en", {"next": "/search"})
    page = user.get("/search", query_string={"q": "王小明"}).text
    assert "Households" in page and "Cases" in page and "Minimum living allowance" in page
    refused = user.get("/search", query_string={"q": "12"})
    assert refused.status_code == 422 and "last 4–6 characters" in refused.text
