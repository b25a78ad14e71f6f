"""A newcomer's tour in Chromium, in Chinese and in English, at a phone's width (390 px) and a desktop's: the
pages the tour found wanting are checked for what was fixed there.

- no page is wider than the window (the household file's window items were 720 px wide cards at 390 px, the
  designer's heading ran off the screen with its file path);
- in the English UI no English label is followed by Chinese punctuation (“Status：”, “In progress：”, “，due”),
  the route is named in English, the payment roll's columns are English, a phone card's labels end in “: ”;
- the attachments page's heading holds the case's (or household's) number, the printable window slips have a
  heading and a link back.

Screenshots are left in the test's temporary folder (JIUZHU_SCREENSHOTS=folder copies them there too).
"""
from __future__ import annotations

import re

import pytest

from engine import claim_task
from tests.browser.test_application_in_browser import browser_page, log_in, log_out, skip_unless_browser
from tests.browser.test_phone_width_in_browser import shot_overflow
from tests.conftest import WebUser
from tests.factories import LANE_USERS, start
from tests.webapp.test_window_pages import _register

pytestmark = pytest.mark.browser

# An English word directly followed by a Chinese colon, comma or bracket: a label written for the Chinese UI.
MIXED = r"""() => { const found = [];
  const walk = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  let previous = '';
  while (walk.nextNode()) { const n = walk.currentNode, el = n.parentElement;
    if (el.closest('script, style, svg, .printable, .djs-container, textarea, option')) continue;
    const text = previous + n.textContent; previous = n.textContent.slice(-20);
    const m = text.match(/[A-Za-z)\]][\s]*[：，（）]/); if (m) found.push(text.trim().slice(0, 60)); }
  return found.slice(0, 5); }"""
CJK = re.compile(r"[\u3400-\u9fff]")


def seed(db, clock, who, unit_id, app):
    """A 低保 case at its first township step (claimed), a window registration with a referral."""
    walk = start(db, clock, who, unit_id, applicant_name="欧阳明珠")
    [task] = walk.open_tasks()
    with db.unit_of_work(write=True) as uow:
        claim_task(uow.session, who(LANE_USERS[walk.township][task.role]), clock, task.id)
        uow.commit()
    _clerk, registration_id = _register(lambda username: WebUser(app.test_client(), username), unit_id)
    return walk, task, registration_id


def look(page, tmp_path, name: str, width: int, english: bool, problems: list) -> None:
    """Screenshot the page; note a page wider than the window and, in English, Chinese punctuation after an
    English word."""
    overflow = shot_overflow(page, tmp_path, f"tour-{name}-{'en' if english else 'zh'}-{width}.png")
    if overflow > 1:
        problems.append(f"{name} at {width}: {overflow}px wider than the window")
    if english:
        mixed = page.evaluate(MIXED)
        if mixed:
            problems.append(f"{name} in English: Chinese punctuation after English {mixed}")


def h1(page) -> str:
    return " ".join(page.locator("main h1").first.inner_text().split())


@pytest.mark.parametrize("width", [390, 1280])
def test_the_tour_of_the_fixed_pages(db, clock, who, unit_id, tmp_path, width):
    skip_unless_browser(db)
    from webapp import create_app
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test",
                      "ATTACHMENTS_DIR": str(tmp_path / "attachments")})
    walk, task, registration_id = seed(db, clock, who, unit_id, app)
    case = walk.case()
    problems: list[str] = []
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": width, "height": 844 if width < 600 else 900}) \
            as (base, page):
        log_in(page, base, "township_xs")
        for english in (False, True):
            if english:
                page.click("header form.lang button")
                page.wait_for_selector("html[lang=en]")
            page.goto(f"{base}/cases/{case.id}")
            look(page, tmp_path, "case", width, english, problems)
            status = page.locator("dd.status").inner_text()
            route = page.locator("dl dt", has_text="Route" if english else "办理流程").locator("xpath=following-sibling::dd[1]")
            if english:
                assert status.startswith("In progress: "), status
                assert route.inner_text().startswith("Minimum living allowance (") and not CJK.search(route.inner_text())
            else:
                assert status.startswith("办理中："), status

            page.goto(f"{base}/cases/{case.id}/attachments")
            look(page, tmp_path, "case-attachments", width, english, problems)
            assert h1(page) == ("Application materials Case " if english else "申请材料 案件 ") + case.number
            page.goto(f"{base}/households/{case.household_id}/attachments")
            look(page, tmp_path, "household-attachments", width, english, problems)
            owner = page.locator("main h1 small").inner_text()
            assert owner.startswith("Household number " if english else "户编号 "), owner
            with page.expect_navigation():
                page.locator(f"main a[href$='/households/{case.household_id}']").click()
            look(page, tmp_path, "household", width, english, problems)
            assert page.locator("main h1 .household-number").inner_text() == owner.split()[-1]

            page.goto(f"{base}/window/registrations/{registration_id}/receipt")
            look(page, tmp_path, "receipt", width, english, problems)
            assert h1(page).startswith("Acceptance slip " if english else "受理单 ")
            with page.expect_navigation():
                page.locator("main p.no-print a", has_text="Back" if english else "返回").click()
            assert page.url.endswith(f"/window/registrations/{registration_id}")
            with page.expect_navigation():  # the applicant's household file, with the window's items as cards
                page.locator("main a[href*='/households/']").first.click()
            look(page, tmp_path, "household-window-items", width, english, problems)
            if width < 640:  # on a phone each item is a card, its labels in the page's language
                label = page.evaluate("""getComputedStyle(document.querySelector(
                    'table.cards-on-phone td[data-label]'), '::before').content""")
                assert label.endswith(': "' if english else '："'), label

            page.goto(f"{base}/payment-roll")
            look(page, tmp_path, "payment-roll", width, english, problems)
            headers = page.locator("table.monthly-report th").all_inner_texts()
            assert ("Amount paid (yuan)" if english else "发放金额（元）") in headers
            if english:
                assert not [h for h in headers if CJK.search(h)], headers

            page.goto(f"{base}/tasks/{task.id}")
            look(page, tmp_path, "task", width, english, problems)
        log_out(page)

        log_in(page, base, "designer")  # the language chosen is kept across logging out: English here
        page.goto(f"{base}/designer/processes/self_care_review_township")
        for english in (True, False):
            page.wait_for_selector(f"html[lang={'en' if english else 'zh-CN'}] #workbench[data-ready=true]")
            look(page, tmp_path, "designer", width, english, problems)
            if english:
                assert h1(page).startswith("Extreme poverty: self-care ability reassessment"), h1(page)
                page.click("header form.lang button")
        log_out(page)

        log_in(page, base, "admin")
        page.goto(f"{base}/admin/places")
        with page.expect_navigation() as opened:
            page.locator("main a[href$='/admin/users?unit=32']").first.click()
        assert opened.value.status == 200
        look(page, tmp_path, "province-users", width, False, problems)
    assert problems == [], "\n".join(problems)
