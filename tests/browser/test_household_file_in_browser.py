"""The household file (一户一档) end to end in Chromium: a village lodges a household of seven with its
scans; the township sees the members, incomes and scans on its step and accepts; the county checker
sees the members' full ID numbers (the view recorded); the confirming official sees the investigation
and the objection; the dossier shows it all, and search finds the household."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.store.models import Case, IdReveal
from tests.browser.test_application_in_browser import (APPLICANT_ID, CHROMIUM, browser_page, fill_application, log_in,
                                                       log_out, submit)
from tests.browser.test_member_rows_in_browser import MORE, fill_row
from tests.factories import Walk, sample_scan

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("JIUZHU_SCREENSHOTS")  # a directory to keep the screenshots in (docs/screenshots)


def keep(tmp_path: Path, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / name, Path(SHOTS) / name)


def open_task(page, base, title: str) -> None:
    page.goto(f"{base}/inbox")
    with page.expect_navigation():
        page.locator("table.inbox tbody tr").first.get_by_role("link", name=title).click()


def test_the_household_file_from_lodging_to_the_dossier(db, clock, who, unit_id, tmp_path):
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")
    from webapp import create_app
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test",
                      "ATTACHMENTS_DIR": str(tmp_path / "attachments")})
    (tmp_path / "户口簿.png").write_bytes(sample_scan("png", (800, 560)))
    (tmp_path / "收入证明.pdf").write_bytes(sample_scan("pdf"))
    others = [member[1] for member in MORE[:5]]

    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1280, "height": 900}) as (base, page):
        # --- the village lodges a household of seven and files two scans ------------------------------
        log_in(page, base, "village_sy")
        page.goto(f"{base}/cases/new?assistance_type=minimum_living")
        fill_application(page, applicant_name="李建国")
        for row, member in enumerate(MORE[:4], start=2):
            fill_row(page, row, *member, income="100")
        page.locator("fieldset[data-rows=members] button[data-row-add]").click()
        fill_row(page, 6, *MORE[4], income="50")
        assert submit(page).status == 200 and re.search(r"/cases/\d+$", page.url), page.url
        case_id = int(page.url.rsplit("/", 1)[1])
        for name, material in (("户口簿.png", "household_register"), ("收入证明.pdf", "income_proof")):
            page.select_option("form.upload-form select[name=material]", material)
            page.set_input_files("form.upload-form input[name=file]", str(tmp_path / name))
            with page.expect_navigation():
                page.click("form.upload-form button[type=submit]")
        log_out(page)

        # --- the township's acceptance shows the household, its incomes and the scans ----------------
        log_in(page, base, "township_xs")
        open_task(page, base, "受理审查")
        members = page.locator("table.members tbody tr")
        assert members.count() == 7
        assert APPLICANT_ID not in page.content() and APPLICANT_ID[-4:] in members.first.inner_text()
        assert "合计 750.00" in page.locator("table.economic").inner_text()  # declared: 300 + 0 + 4×100 + 50
        assert page.locator("table.attachments-list tbody tr").count() == 2
        page.screenshot(path=str(tmp_path / "task-acceptance.png"), full_page=True)
        keep(tmp_path, "task-acceptance.png")
        page.select_option("select[name=acceptance_decision]", "accepted")
        assert submit(page).status == 200
        log_out(page)

        # --- the county checker sees every member's full ID number; the view is recorded --------------
        log_in(page, base, "county_mz")
        open_task(page, base, "家庭经济状况信息核对")
        table = page.locator("table.members").inner_text()
        assert APPLICANT_ID in table and all(number in table for number in others)
        assert page.locator(".reveal-note").count() == 1
        page.screenshot(path=str(tmp_path / "task-check.png"), full_page=True)
        keep(tmp_path, "task-check.png")
        page.select_option("select[name=check_result]", "eligible")
        page.fill("input[name=check_report_number]", "HD-2026-0912")
        assert submit(page).status == 200
        log_out(page)

    with db.unit_of_work() as uow:
        reveal = uow.session.execute(select(IdReveal).where(IdReveal.kind == "check_task")).scalar_one()
        number = uow.session.execute(select(Case.number).where(Case.id == case_id)).scalar_one()
    assert reveal.row_count == 7 and reveal.user_id == who("county_mz").user_id

    # The steps in between (investigation, opinion, 公示 with an objection) are walked through the engine.
    walk = Walk(db, clock, who, case_id, number)
    walk.drive_to("publicity")
    walk.do("publicity")  # the village registers an objection during 公示
    walk.drive_to("confirmation")

    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1280, "height": 900}) as (base, page):
        log_in(page, base, "township_xs")
        page.goto(f"{base}/tasks/{next(t.id for t in walk.open_tasks() if t.task_name == 'confirmation')}")
        steps = page.locator("#steps").inner_text()
        assert "入户调查" in steps and "家庭情况属实" in steps  # the investigation's findings
        assert "邻居反映其子女有稳定收入" in steps  # the objection lodged during 公示
        assert "HD-2026-0912" in page.locator("table.economic").inner_text()  # the check, in the record
        page.screenshot(path=str(tmp_path / "task-confirmation.png"), full_page=True)
        keep(tmp_path, "task-confirmation.png")
        page.select_option("select[name=confirmation_decision]", "confirmed")
        assert submit(page).status == 200

        # --- the dossier shows it all; search finds the household ---------------------------------------
        page.goto(f"{base}/search?q={APPLICANT_ID[-6:]}")
        page.screenshot(path=str(tmp_path / "search.png"), full_page=True)
        keep(tmp_path, "search.png")
        with page.expect_navigation():
            page.locator("a", has_text="-H").first.click()
        assert re.search(r"/households/\d+$", page.url), page.url
        assert page.locator("table.members tbody tr").count() == 7
        assert number in page.locator(".applications").inner_text()
        assert "最低生活保障" in page.locator(".benefits").inner_text()
        assert "受理通知书" in page.locator("section.documents").inner_text()
        assert page.locator("#attachments li").count() == 2
        assert "HD-2026-0912" in page.locator("table.economic").inner_text()
        page.screenshot(path=str(tmp_path / "dossier.png"), full_page=True)
        keep(tmp_path, "dossier.png")
