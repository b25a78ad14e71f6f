"""A township clerk registers a 举报 on a case in its 公示 from the case page, in a real browser; the page then
says the decision waits for the county's home visit, and the county sees it on its supervision list, on a
phone-wide screen without sideways scrolling."""
from __future__ import annotations

import pytest

from tests.browser.test_application_in_browser import browser_page, log_in, log_out, skip_unless_browser
from tests.factories import start

pytestmark = pytest.mark.browser


def test_a_township_registers_a_report_and_the_county_sees_it(db, clock, who, unit_id, tmp_path):
    skip_unless_browser(db)
    w = start(db, clock, who, unit_id)
    w.drive_to("publicity")
    from webapp import create_app
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test"})
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 390, "height": 800}) as (base, page):
        log_in(page, base, "township_xs")
        page.goto(f"{base}/cases/{w.case_id}")
        page.locator("details.complaint summary").click()
        form = page.locator("form.complaint-form")
        form.locator("select[name=kind]").select_option("report")
        form.locator("textarea[name=complaint]").fill("举报申请人子女在县城有稳定工作")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert page.locator(".case-supervision .awaiting-visit").is_visible()
        assert "举报申请人子女在县城有稳定工作" in page.locator(".case-supervision").inner_text()
        log_out(page)
        log_in(page, base, "county_mz")
        page.goto(f"{base}/supervision/reviews?month=2026-09")
        assert "举报申请人子女在县城有稳定工作" in page.locator("table.complaints").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(tmp_path / "county-reviews-390.png"), full_page=True)
