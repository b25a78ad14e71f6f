"""The county supervisor's dashboard in a real browser: ECharts draws every chart from the scheduler's
figures, a township that approves far more than its peers is marked, and the route's diagram is coloured
by where cases wait."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine import dashboard_sweep
from tests.browser.test_application_in_browser import CHROMIUM, browser_page, log_in
from tests.factories import LANE_USERS, start

pytestmark = pytest.mark.browser
# Where the screenshots go: a test's temporary folder, or docs/screenshots with SCREENSHOTS=docs/screenshots.
SHOTS = os.environ.get("SCREENSHOTS")
TOWNSHIPS = {"320921100": "320921100201", "320921101": "320921101201", "320921102": "320921102201"}


def seed_county(db, clock, who, unit_id, new_user, monkeypatch) -> None:
    """Three townships of 响水县: 响水镇 and 陈家港镇 refuse about half, 小尖镇 approves everything."""
    xiaojian_village = new_user(("village", TOWNSHIPS["320921102"]))
    monkeypatch.setitem(LANE_USERS, "320921101", {**LANE_USERS["320921100"], "village": "village_cg",
                                                  "township": "township_cjg"})
    monkeypatch.setitem(LANE_USERS, "320921102", {**LANE_USERS["320921100"], "village": xiaojian_village,
                                                  "township": "township_xj"})
    starters = {"320921100": "village_sy", "320921101": "village_cg", "320921102": xiaojian_village}
    plan = {"320921100": "AARRAW", "320921101": "ARRAWW", "320921102": "AAAAAW"}  # approve, refuse, waiting
    for township, outcomes in plan.items():
        for i, outcome in enumerate(outcomes):
            walk = start(db, clock, who, unit_id, village=TOWNSHIPS[township], username=starters[township])
            clock.advance(hours=2 + 3 * i)
            if outcome == "R":
                walk.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="不符合申请条件")
            elif outcome == "A":
                walk.drive_to("confirmation")
                walk.do("confirmation")
    dashboard_sweep(db, clock)


def shot(page, name: str, tmp_path: Path) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def test_the_supervisor_sees_the_charts_the_outlier_and_the_heatmap(db, clock, who, unit_id, new_user, monkeypatch,
                                                                    tmp_path):
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")
    seed_county(db, clock, who, unit_id, new_user, monkeypatch)
    from webapp import create_app
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test"})
    for width in (1366, 390):
        with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": width, "height": 900}) as (base, page):
            log_in(page, base, "supervisor")
            page.goto(f"{base}/supervisor/dashboard")
            for chart in ("status", "types", "townships", "on-time", "trend", "backlog", "decisions"):
                page.wait_for_selector(f"#chart-{chart}[data-rendered=true] svg")
            assert page.locator("#chart-townships svg text", has_text="小尖镇").count() >= 1
            outlier = page.locator("table.townships tr.outlier")
            assert outlier.count() == 1 and "小尖镇" in outlier.inner_text() and "批准率明显偏高" in outlier.inner_text()
            shot(page, f"dashboard-{width}.png", tmp_path)
            page.locator("a.heatmap-link").first.click()
            page.wait_for_selector("#diagram[data-rendered=true]")
            acceptance = page.locator("g[data-element-id=acceptance]")
            assert "heat-" in acceptance.get_attribute("class")
            assert page.locator(".heat-badge").count() >= 3
            shot(page, f"dashboard-heatmap-{width}.png", tmp_path)


def test_a_filter_saved_by_one_supervisor_is_used_by_another(db, clock, who, unit_id, new_user, tmp_path):
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")
    for _ in range(3):
        start(db, clock, who, unit_id)
    refused = start(db, clock, who, unit_id)
    refused.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="不符合申请条件")
    colleague = new_user(("county_supervisor", "320921"))
    from webapp import create_app
    from tests.browser.test_application_in_browser import log_out
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test"})
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1366, "height": 900}) as (base, page):
        log_in(page, base, "supervisor")
        page.goto(f"{base}/supervisor")
        page.locator("form.filters select[name=status]").first.select_option("running")
        with page.expect_navigation():
            page.locator("form.filters button[type=submit]", has_text="筛选").click()
        page.click("details.save-filter-details summary")
        page.fill("form.save-filter input[name=name]", "办理中的案件")
        page.check("form.save-filter input[name=shared]")
        with page.expect_navigation():
            page.click("form.save-filter button[type=submit]")
        assert page.locator("li[data-filter=办理中的案件] .live-count").inner_text() == "3"
        log_out(page)
        log_in(page, base, colleague)
        page.goto(f"{base}/supervisor")
        shared = page.locator("li[data-filter=办理中的案件]")
        assert shared.locator(".live-count").inner_text() == "3" and "吴科长" in shared.inner_text()
        with page.expect_navigation():
            shared.locator("a").click()
        assert "status=running" in page.url and page.locator("table.cases tbody tr").count() == 3
        shot(page, "dashboard-saved-filters-1366.png", tmp_path)
        page.set_viewport_size({"width": 390, "height": 900})
        shot(page, "dashboard-saved-filters-390.png", tmp_path)


def test_a_county_with_no_cases_yet_sees_no_data_not_empty_charts(db, clock, tmp_path):
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")
    dashboard_sweep(db, clock)  # figures computed, none above zero
    from webapp import create_app
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test"})
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1366, "height": 900}) as (base, page):
        log_in(page, base, "supervisor")
        page.goto(f"{base}/supervisor/dashboard")
        for chart in ("status", "types", "townships", "on-time", "trend", "backlog", "decisions"):
            page.wait_for_selector(f"#chart-{chart}[data-rendered=true][data-empty=true] svg")
            assert page.locator(f"#chart-{chart} svg text", has_text="当前筛选条件下暂无可显示的数据").count() == 1
        # No pie split evenly between two zeros (its sectors were labelled "办理中: 0" and "已办结: 0").
        assert page.locator("#chart-status svg text", has_text=": 0").count() == 0
        shot(page, "dashboard-empty-1366.png", tmp_path)
