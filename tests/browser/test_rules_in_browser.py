"""County rules changed in Chromium against the live app and the real store: the admin opens 三堤口街道's
parameters from a date, changes the publicity length with its source and a change note, and the rules page
shows the new entry in force from that date (and not before it), beside the file's entries.

Set JIUZHU_SCREENSHOTS=docs/screenshots to keep the screenshots (the rules page and the edit form, 1366 and
390 px)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.store.models import CountyRuleEntry
from tests.browser.test_admin_in_browser import shoot as admin_shoot
from tests.browser.test_application_in_browser import CHROMIUM, browser_page, log_in

pytestmark = pytest.mark.browser
FROM = "2026-10-08"


def shoot(page, tmp_path: Path, name: str) -> None:
    """The page at 1366 and 390 px (``test_admin_in_browser.shoot``), nothing wider than the phone's screen."""
    page.set_viewport_size({"width": 390, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    admin_shoot(page, tmp_path, name)


def test_an_admin_changes_a_townships_publicity_length_from_a_date(db, clock, tmp_path):
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")
    from webapp import create_app
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test"})
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1366, "height": 900}) as (base, page):
        log_in(page, base, "admin")
        page.goto(f"{base}/admin/rules")
        county = page.locator("section[data-county='340603']")
        county.locator("select[name=township]").select_option(label="三堤口街道")
        county.locator("input[name=from]").fill(FROM)
        with page.expect_navigation():
            county.locator("form.rule-add button").click()
        assert page.input_value("#f-publicity_days") == "7" and page.input_value("#f-effective_from") == FROM
        page.fill("#f-publicity_days", "10")
        page.fill("input[name='source.publicity_days']", "淮相民〔2026〕12号：街道公示期延长至10天")
        page.fill("#f-note", "三堤口街道延长公示期")
        shoot(page, tmp_path, "rule-edit")
        with page.expect_navigation():
            page.click("form.rule-edit button[type=submit]")
        assert "已保存" in page.inner_text(".flash")
        with db.unit_of_work() as uow:
            entry = uow.session.execute(select(CountyRuleEntry)).scalar_one()
        header = page.locator(f"th[data-entry='{entry.id}']")
        assert "三堤口街道" in header.inner_text() and FROM in header.inner_text() and "现行" in header.inner_text()
        column = page.evaluate("""(id) => {
          const th = document.querySelector(`th[data-entry='${id}']`);
          const index = [...th.parentElement.children].indexOf(th);
          const row = [...th.closest('table').querySelectorAll('tbody tr')]
            .find((tr) => tr.querySelector('th').textContent.trim() === '公示期');
          return row.children[index].textContent.trim();
        }""", entry.id)
        assert column == "10"
        notes = page.locator(f"details[data-entry='{entry.id}']")
        notes.locator("summary").click()
        assert "淮相民〔2026〕12号：街道公示期延长至10天" in notes.inner_text() and "三堤口街道延长公示期" in notes.inner_text()
        shoot(page, tmp_path, "rules")
        page.goto(f"{base}/admin/rules")   # today, before its date: the file's entry is still in force
        assert "现行" not in page.locator(f"th[data-entry='{entry.id}']").inner_text()
