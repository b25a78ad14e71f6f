"""The province supervisor's dashboard in a real browser: ECharts draws every chart per county, a county's
link drills down to that county's dashboard, and a county outside the province is refused."""
from __future__ import annotations

import os

import pytest

from engine import dashboard_sweep
from tests.browser.test_application_in_browser import CHROMIUM, browser_page, log_in
from tests.browser.test_dashboard_in_browser import shot
from tests.factories import start
from tests.webapp.test_province_supervision import _siping_case

pytestmark = pytest.mark.browser


def test_the_province_supervisor_sees_its_counties_and_drills_down(db, clock, who, unit_id, tmp_path):
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")
    for outcome in "ARW":
        walk = start(db, clock, who, unit_id)
        clock.advance(hours=3)
        if outcome == "R":
            walk.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="不符合申请条件")
        elif outcome == "A":
            walk.drive_to("confirmation")
            walk.do("confirmation")
    _siping_case(db, clock, who, unit_id)  # 吉林省: not the province's
    dashboard_sweep(db, clock)
    from webapp import create_app
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test"})
    for width in (1366, 390):
        with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": width, "height": 900}) as (base, page):
            log_in(page, base, "province_js")
            page.goto(f"{base}/supervisor/province")
            assert page.locator("h1").inner_text().startswith("省级监管看板")
            for chart in ("status", "types", "townships", "on-time", "trend", "backlog", "decisions"):
                page.wait_for_selector(f"#chart-{chart}[data-rendered=true] svg")
            assert page.locator("#chart-townships svg text", has_text="响水县").count() >= 1
            assert page.locator("table.counties tbody tr").count() == 1
            assert "四平市铁西区" not in page.content()
            shot(page, f"dashboard-province-{width}.png", tmp_path)
            with page.expect_navigation():
                page.locator("table.counties a.drill-down", has_text="响水县").click()
            assert "county=" in page.url and "县级监管看板" in page.locator("h1").inner_text()
            page.wait_for_selector("#chart-townships[data-rendered=true] svg")
            assert page.locator("table.townships tr[data-township=响水镇]").count() == 1
            assert page.goto(f"{base}/supervisor/dashboard?county={unit_id('220302')}").status == 404
            assert page.goto(f"{base}/supervisor/province").status == 200
