"""The supervisor picks a month and a benefit type and downloads the payment roll, in a real browser
(the report buttons of one form, without JavaScript)."""
from __future__ import annotations

import os
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import insert

from engine.store.models import Recipient
from tests.browser.test_application_in_browser import CHROMIUM, browser_page, log_in
from tests.factories import start

pytestmark = pytest.mark.browser


def test_the_supervisor_downloads_the_roll_of_a_type_for_a_month(db, clock, who, unit_id, tmp_path):
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (or `make chromium`)")
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(insert(Recipient), [{
            "assistance_type": "extreme_poverty", "case_id": start(db, clock, who, unit_id).case_id,
            "county_id": unit_id("320921"), "township_id": unit_id("320921100"), "village_id": unit_id("320921100201"),
            "applicant_name": "王德福", "applicant_id_number": "320921195403051234", "household_size": 1,
            "monthly_amount": 1482.0, "payment_from": date(2026, 9, 1), "stopped_from": None, "review_class": "B",
            "next_review_on": date(2027, 9, 1), "review_case_id": None, "status": "active", "care_level": "全护理",
            "updated_at": datetime.now(timezone.utc)}])
        uow.commit()
    from webapp import create_app
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test"})
    with browser_page(app, tmp_path, locale="zh-CN", accept_downloads=True) as (base, page):
        log_in(page, base, "supervisor")
        page.goto(f"{base}/supervisor")
        form = page.locator("form.reports")
        assert form.locator("input[name=month]").input_value() == "2026-09"
        form.locator("select[name=type]").select_option("extreme_poverty")
        page.screenshot(path=str(tmp_path / "supervisor-reports.png"), full_page=False)
        with page.expect_download() as download:
            form.locator("button[formaction$='/reports/payment-roll'][value=csv]").click()
        text = open(download.value.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0] == "2026年09月特困人员救助供养发放名册"
    assert "王德福" in text and "320921********1234" in text and "1482.0" in text and "320921195403051234" not in text
