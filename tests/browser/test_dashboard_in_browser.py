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
