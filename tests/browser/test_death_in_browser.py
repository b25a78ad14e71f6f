"""Recording a recipient's death in Chromium: the township fills the form on the household file; the flash names
the review the death ended, the file's timeline shows it ended (终止办理), and the review's own page shows the
termination with the death as its reason and no task left to do."""
from __future__ import annotations

import pytest

from tests.browser.test_application_in_browser import browser_page, log_in, skip_unless_browser
from tests.browser.test_household_file_in_browser import keep
from tests.integration.test_death_ends_cases import _under_review
from tests.integration.test_death_review import household  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_a_death_recorded_on_the_household_file_ends_the_review(db, clock, who, household, tmp_path):
    skip_unless_browser(db)
    from webapp import create_app
    household_id, members = household(personal=("extreme_poverty",))
    _recipient, review = _under_review(db, clock, household_id)
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test",
                      "ATTACHMENTS_DIR": str(tmp_path / "attachments")})
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1280, "height": 900}) as (base, page):
        log_in(page, base, "township_xs")
        page.goto(f"{base}/households/{household_id}")
        form = page.locator("form.death-report")
        form.locator("select[name=person_id]").select_option(str(members[0]))
        form.locator("input[name=died_on]").fill("2026-09-10")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        body = page.locator("main").inner_text()
        assert f"因本人死亡，案件 {review.number} 已终止办理，待办事项已撤回。" in body
        assert f"办结 {review.number}：终止办理" in page.locator("section.timeline").inner_text()
        page.screenshot(path=str(tmp_path / "death-household-1280.png"), full_page=True)
        keep(tmp_path, "death-household-1280.png")
        page.goto(f"{base}/cases/{review.id}")
        history = page.locator("li.event-case_terminated").inner_text()
        assert "受助人于2026-09-10死亡（响水镇 张干事登记）" in history
        assert "终止办理" in page.locator("dd.status").inner_text()
        page.screenshot(path=str(tmp_path / "death-review-case-1280.png"), full_page=True)
        keep(tmp_path, "death-review-case-1280.png")


@pytest.mark.parametrize("width", [1366, 390])
def test_the_death_form_says_what_recording_a_death_does(db, clock, who, household, tmp_path, width):
    """The form's hint names the 低保 review within the county's months and the person's own benefits stopped
    from the next month, with their reviews and applications ended; it fits a phone's width."""
    skip_unless_browser(db)
    from webapp import create_app
    household_id, _members = household(personal=("extreme_poverty",))
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test",
                      "ATTACHMENTS_DIR": str(tmp_path / "attachments")})
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": width, "height": 900}) as (base, page):
        log_in(page, base, "township_xs")
        page.goto(f"{base}/households/{household_id}")
        form = page.locator("form.death-report")
        hint = form.locator("p.hint").all_inner_texts()
        assert any("低保复核" in h and "本县规定的月数" in h for h in hint)
        assert any("特困人员救助供养、残疾人两项补贴、尊老金" in h and "次月起停发" in h for h in hint)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        form.scroll_into_view_if_needed()
        name = f"death-form-{width}.png"
        form.screenshot(path=str(tmp_path / name))
        page.screenshot(path=str(tmp_path / f"death-household-file-{width}.png"), full_page=True)
        keep(tmp_path, name)
        keep(tmp_path, f"death-household-file-{width}.png")
