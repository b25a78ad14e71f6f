"""A village clerk files scans from the case page in Chromium (the real file chooser and multipart form),
sees the checklist tick, and opens the scan, which the browser shows under its sandbox."""
from __future__ import annotations

import os

import pytest

from tests.browser.test_application_in_browser import CHROMIUM, browser_page, log_in, log_out
from tests.factories import sample_scan, start

pytestmark = pytest.mark.browser


def test_village_files_scans_and_opens_one(db, clock, who, unit_id, app, tmp_path):
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")
    walk = start(db, clock, who, unit_id)
    (tmp_path / "户口簿.png").write_bytes(sample_scan("png", (800, 560)))
    (tmp_path / "收入证明.pdf").write_bytes(sample_scan("pdf"))
    (tmp_path / "伪装.jpg").write_bytes(b"not an image, only text named .jpg\n")
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1280, "height": 900}) as (base, page):
        log_in(page, base, "village_sy")
        page.goto(f"{base}/cases/{walk.case_id}")
        assert page.locator("ul.checklist li.missing").count() == 4
        for name, material in (("户口簿.png", "household_register"), ("收入证明.pdf", "income_proof")):
            page.select_option("form.upload-form select[name=material]", material)
            page.set_input_files("form.upload-form input[name=file]", str(tmp_path / name))
            with page.expect_navigation():
                page.click("form.upload-form button[type=submit]")
            assert page.locator(f"ul.checklist li.present[data-material={material}]").count() == 1
        page.set_input_files("form.upload-form input[name=file]", str(tmp_path / "伪装.jpg"))
        with page.expect_navigation() as refused:
            page.click("form.upload-form button[type=submit]")
        assert refused.value.status == 422
        assert "只接受 PDF、JPG、PNG" in page.locator("[data-field=file]").inner_text()
        page.goto(f"{base}/cases/{walk.case_id}")
        assert page.locator("table.attachments-list tbody tr").count() == 2
        assert page.locator("ul.checklist li.missing").count() == 2
        page.locator("#attachments").screenshot(path=str(tmp_path / "case_attachments.png"))
        page.screenshot(path=str(tmp_path / "case_page.png"), full_page=True)
        href = page.locator("table.attachments-list a", has_text="户口簿.png").get_attribute("href")
        shown = page.goto(f"{base}{href}")
        assert shown.status == 200 and shown.headers["content-type"] == "image/png"
        assert page.evaluate("document.images.length && document.images[0].naturalWidth") == 800
        page.goto(f"{base}/cases/{walk.case_id}")
        log_out(page)
        log_in(page, base, "township_xs")  # the township's step page shows the scans and files on the step
        page.goto(f"{base}/tasks/{walk.open_tasks()[0].id}")
        assert page.locator("table.attachments-list tbody tr").count() == 2
        assert page.locator("form.upload-form input[name=task_id]").count() == 1
        page.screenshot(path=str(tmp_path / "task_page.png"), full_page=True)
