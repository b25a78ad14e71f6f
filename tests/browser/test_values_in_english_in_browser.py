"""The English UI in Chromium: switched to English with the header's language button, the case page's history
shows the application's and the acceptance's values in English (choices by their English titles, Yes/No), and
the household file's timeline is in English, names and numbers as written."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.store.models import Case
from tests.browser.test_application_in_browser import browser_page, log_in, skip_unless_browser
from tests.browser.test_household_file_in_browser import keep
from tests.factories import fresh_id_number, sample_application, start

pytestmark = pytest.mark.browser


def test_the_case_page_and_the_household_file_in_english(db, clock, who, unit_id, tmp_path):
    skip_unless_browser(db)
    from webapp import create_app
    walk = start(db, clock, who, unit_id, data=sample_application("王小明", fresh_id_number(), [300, 0]))
    walk.do("acceptance")
    with db.unit_of_work() as uow:
        household_id = uow.session.execute(select(Case.household_id).where(Case.id == walk.case_id)).scalar_one()
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test",
                      "ATTACHMENTS_DIR": str(tmp_path / "attachments")})
    with browser_page(app, tmp_path, locale="en-GB", viewport={"width": 1280, "height": 900}) as (base, page):
        log_in(page, base, "township_xs")
        with page.expect_navigation():
            page.locator("header form.lang button").click()
        assert page.locator("html").get_attribute("lang") == "en"
        page.goto(f"{base}/cases/{walk.case_id}")
        page.evaluate("document.querySelectorAll('details.step-values').forEach(d => d.open = true)")  # the application's
        values = page.locator("dl.event-values").all_inner_texts()
        text = "\n".join(values)
        assert "By the village committee on the household's behalf" in text and "Complete: accept" in text
        assert "Yes" in text and "No" in text and "委托村" not in text and "材料齐全" not in text
        page.screenshot(path=str(tmp_path / "case-values-en-1280.png"), full_page=True)
        keep(tmp_path, "case-values-en-1280.png")
        page.goto(f"{base}/households/{household_id}")
        timeline = page.locator("section.timeline").inner_text()
        assert "File opened" in timeline and "Member joined 王小明" in timeline
        assert f"Application {walk.number} (" in timeline and "Document Notice of acceptance" in timeline
        assert "建档" not in timeline and "申请" not in timeline
        page.screenshot(path=str(tmp_path / "household-timeline-en-1280.png"), full_page=True)
        keep(tmp_path, "household-timeline-en-1280.png")
