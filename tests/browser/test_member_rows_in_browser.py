"""A household of seven lodged in a real browser: the 7th member row is added by static/form-rows.js
(under the app's Content-Security-Policy, no inline script), a row removed in the page, the rows
renumbered so that the server reads them all."""
from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import select

from engine.catalogue.forms import with_check_digit
from engine.catalogue.versions import get_version
from engine.runtime.workflow import Workflow
from engine.store.models import Case
from tests.browser.test_application_in_browser import CHROMIUM, browser_page, fill_application, log_in, submit
from tests.factories import signed_by

pytestmark = pytest.mark.browser

# Members 3 … 8 of the household (the applicant and the spouse are filled by fill_application).
MORE = [(f"李家成员{i}", with_check_digit(f"3209212000010{i}123"), "child") for i in range(3, 9)]


def fill_row(page, row: int, name: str, id_number: str, relation: str, income: str = "0") -> None:
    page.fill(f"input[name=members-{row}-name]", name)
    page.fill(f"input[name=members-{row}-id_number]", id_number)
    page.select_option(f"select[name=members-{row}-relation]", relation)
    page.fill(f"input[name=members-{row}-monthly_income]", income)
    page.select_option(f"select[name=members-{row}-authorisation]", signed_by(id_number))


def test_a_household_of_seven_rows_added_in_the_page_is_lodged(db, clock, tmp_path):
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")
    from webapp import create_app
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test"})

    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1280, "height": 900}) as (base, page):
        errors = []  # a script error, or anything the Content-Security-Policy refused
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        posts = []  # what the page sent: the rows are added and removed with no request
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        rows = page.locator("fieldset[data-rows=members] tbody tr")
        add = page.locator("fieldset[data-rows=members] button[data-row-add]")
        log_in(page, base, "village_sy")
        page.goto(f"{base}/cases/new?assistance_type=minimum_living")
        assert rows.count() == 6
        fill_application(page, applicant_name="李建国")
        for row, member in enumerate(MORE[:4], start=2):
            fill_row(page, row, *member)

        posts.clear()
        add.click()  # in the page: no request, a 7th blank row named members-6-…
        assert rows.count() == 7
        assert page.input_value("input[name=members-6-name]") == ""
        assert rows.nth(6).locator(".row-number").inner_text() == "7"
        fill_row(page, 6, *MORE[4])
        add.click()
        fill_row(page, 7, *MORE[5])

        # Removing the 3rd row moves the later ones up: members-2-… is now what was the 4th row.
        rows.nth(2).get_by_role("button", name="删除").click()
        assert rows.count() == 7
        assert page.input_value("input[name=members-2-name]") == MORE[1][0]
        assert page.input_value("input[name=members-6-name]") == MORE[5][0]
        assert page.locator("input[name=members-7-name]").count() == 0
        assert [rows.nth(i).locator(".row-number").inner_text() for i in range(7)] == list("1234567")
        page.select_option("select[name=members-6-disability_level]", "2")
        page.screenshot(path=str(tmp_path / "seven-rows.png"), full_page=True)
        assert posts == []

        response = submit(page)
        assert response.status == 200 and re.search(r"/cases/\d+$", page.url), page.url
        assert not errors, errors

    with db.unit_of_work() as uow:
        s = uow.session
        case = s.execute(select(Case)).scalar_one()
        members = Workflow.restore(get_version(s, case.process_version_id).spec, case.state).data["members"]
    expected = ["李建国", "王秀英"] + [name for name, _id, _rel in MORE[1:]]
    assert [m["name"] for m in members] == expected
    assert members[6]["disability_level"] == "2" and "disability_level" not in members[0]
