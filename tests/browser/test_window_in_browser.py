"""The one-window intake in Chromium (issue 13): the window registers a household's request for 低保 and
医疗救助; the 医保 liaison answers; the window sees the answer and the dossier shows the registration and both
items. Screenshots at 1366 and 390 px (JIUZHU_SCREENSHOTS keeps them)."""
from __future__ import annotations

import os
import re

import pytest

from tests.browser.test_application_in_browser import CHROMIUM, browser_page, log_in, log_out
from tests.browser.test_household_file_in_browser import keep
from tests.factories import fresh_id_number

pytestmark = pytest.mark.browser


def shoot(page, tmp_path, name: str) -> None:
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
        keep(tmp_path, f"{name}-{width}.png")
    page.set_viewport_size({"width": 1366, "height": 900})


def window_app(db, clock, tmp_path):
    """The app of the window's browser tests (skipped on PostgreSQL and without Chromium)."""
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing")
    from webapp import create_app
    return create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test",
                       "ATTACHMENTS_DIR": str(tmp_path / "attachments")})


def test_window_registers_the_liaison_answers_the_dossier_shows_it(db, clock, tmp_path):
    app = window_app(db, clock, tmp_path)
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1366, "height": 900}) as (base, page):
        log_in(page, base, "township_xs")
        page.goto(f"{base}/window/new")
        page.fill("input[name=applicant_name]", "孙秀英")
        page.fill("input[name=applicant_id_number]", fresh_id_number())
        page.fill("input[name=address]", "响水县响水镇双园村4组")
        page.fill("input[name=phone]", "13700000000")
        page.fill("input[name=monthly_income]", "150")
        page.fill("textarea[name=difficulty]", "独居老人，患慢性病，医疗费负担重")
        page.check("input[name=authorises_check]")
        page.check("input[name=items][value=minimum_living]")
        page.check("input[name=items][value=medical_aid]")
        shoot(page, tmp_path, "window-registration-form")
        with page.expect_navigation():
            page.click("form.window-register > button[type=submit]")
        assert re.search(r"/window/registrations/\d+$", page.url), page.url
        registration_url = page.url
        assert "已启动审批" in page.content() and "已转办，待部门答复" in page.content()
        log_out(page)

        log_in(page, base, "liaison_yb_xs")
        assert page.url.endswith("/window/referrals")
        assert "孙秀英" in page.content()
        shoot(page, tmp_path, "window-department-inbox")
        with page.expect_navigation():
            page.locator("table.referrals tbody tr").first.locator("a").click()
        page.check("input[name=answer][value=eligible]")
        page.fill("textarea[name=note]", "已受理，初步核查符合医疗救助条件")
        with page.expect_navigation():
            page.click("form.task-form button[type=submit]")
        log_out(page)

        log_in(page, base, "township_xs")
        page.goto(registration_url)
        assert "已受理，初步核查符合医疗救助条件" in page.content() and "部门办理中" in page.content()
        shoot(page, tmp_path, "window-registration")
        with page.expect_navigation():
            page.click("a:has-text('一户一档')")
        dossier = page.locator("section.window-registrations")
        assert "最低生活保障" in dossier.inner_text() and "医疗救助" in dossier.inner_text()
        page.goto(f"{base}/window/ledger")
        assert "孙秀英" in page.content()
        for width in (1366, 390):  # every column in view at a desktop width, cards on a phone: no sideways scroll
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            right = page.evaluate("Math.max(...[...document.querySelectorAll('table.ledger-table tr > *')]"
                                  ".map(c => c.getBoundingClientRect().right))")
            assert right <= width, (width, right)
        shoot(page, tmp_path, "window-ledger")
        log_out(page)
        log_in(page, base, "county_mz")
        page.goto(f"{base}/window/overview")
        assert "医保" in page.content()
        shoot(page, tmp_path, "window-overview")
