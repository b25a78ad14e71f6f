"""The pages a clerk opens on a phone (390 px) and at a desktop width (1366 px): none is wider than the window
(a wide table scrolls in its own box, the menu wraps, forms fit), and each page's main action is in view.

Screenshots of every page are left in the test's temporary folder (``--basetemp=/tmp/shots-ui`` keeps them
findable; JIUZHU_SCREENSHOTS=folder copies them there too).
"""
from __future__ import annotations

import pytest

from engine import claim_task, dashboard_sweep, save_filter
from tests.browser.test_application_in_browser import browser_page, log_in, log_out, skip_unless_browser
from tests.browser.test_household_file_in_browser import keep
from tests.factories import LANE_USERS, SHUANGYUAN, sample_scan, start

pytestmark = pytest.mark.browser

DAHE = "320921100202"  # 大河村, the other village of 响水镇
# What a page must not be wider than: the window, give or take a rounding pixel.
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def seed(db, clock, who, unit_id):
    """A 低保 case at the county's confirmation (history, documents, a scan), one terminated after acceptance,
    a few more in the township's queue, and the dashboard's figures."""
    from engine import terminate_case
    running = start(db, clock, who, unit_id, applicant_name="欧阳明珠")
    running.drive_to("confirmation")
    ended = start(db, clock, who, unit_id, applicant_name="司马长风")
    ended.do("acceptance")
    with db.unit_of_work(write=True) as uow:
        terminate_case(uow.session, who("county_mz"), clock, ended.case_id, "申请人已迁出本县，终止办理")
        uow.commit()
    for i in range(3):
        start(db, clock, who, unit_id, applicant_name=f"王小{i}")
    # A clerk's real inbox: tasks at several of the township's steps, in both villages, one of them claimed, and
    # saved filters — the filters' card is as tall as it is on a working day.
    for i, step in enumerate(("economic_check", "home_investigation", "preliminary_opinion")):
        start(db, clock, who, unit_id, village=DAHE if i % 2 else SHUANGYUAN, applicant_name=f"李大{i}",
              username=None if i % 2 == 0 else "township_xs").drive_to(step)  # 大河村 has no village user
    claimed = start(db, clock, who, unit_id, village=DAHE, username="township_xs", applicant_name="赵小雨")
    with db.unit_of_work(write=True) as uow:
        [task] = claimed.open_tasks()
        claim_task(uow.session, who(LANE_USERS[claimed.township][task.role]), clock, task.id)
        clerk = who(LANE_USERS[claimed.township][task.role])
        save_filter(uow.session, clerk, clock.now(), "大河村待办", {"village": str(unit_id(DAHE))}, False, "inbox")
        save_filter(uow.session, clerk, clock.now(), "我已认领", {"held": "mine"}, True, "inbox")
        uow.commit()
    dashboard_sweep(db, clock)
    return running, ended


def shot_overflow(page, tmp_path, file: str) -> float:
    """Once the page has settled, a full-page screenshot (kept, see ``keep``) and how many pixels the page is
    wider than the window."""
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(tmp_path / file), full_page=True)
    keep(tmp_path, file)
    return page.evaluate(OVERFLOW)


def check(page, tmp_path, name: str, width: int, action: str, problems: list) -> None:
    """Screenshot the page, then note whether it is wider than the window and whether ``action`` (a selector of
    its main action) is visible within the window's width."""
    overflow = shot_overflow(page, tmp_path, f"{name}-{width}.png")
    if overflow > 1:
        widest = page.evaluate("""() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 3).map(e => e.tagName + '.' + e.className)""")
        problems.append(f"{name}: {overflow}px wider than the window ({widest})")
    squeezed = page.evaluate("""() => [...document.querySelectorAll('main table th')].filter(th => {
            const r = th.getBoundingClientRect(), line = parseFloat(getComputedStyle(th).lineHeight) || 22;
            return r.height > 0 && r.height > 2.5 * line + 16; }).map(th => th.textContent.trim()).slice(0, 5)""")
    if squeezed:  # a column so narrow that its name breaks into three lines or more
        problems.append(f"{name}: squeezed columns {squeezed}")
    target = page.locator(action).first
    if not target.is_visible():
        problems.append(f"{name}: {action} not visible")
        return
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    if box is None or box["x"] < 0 or box["x"] + box["width"] > width + 1:
        problems.append(f"{name}: {action} outside the window ({box})")


def first_row_in_view(page, name: str, problems: list) -> None:
    """The first task of the list is on the first screen, as the page opens (not scrolled)."""
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator("table.inbox tbody tr").first.bounding_box()
    screen = page.evaluate("window.innerHeight")
    if box is None or box["y"] + box["height"] > screen:
        problems.append(f"{name}: the first task ends at {box and box['y'] + box['height']}px, below the first "
                        f"screen ({screen}px)")


def inbox_filters(page, tmp_path, base: str, width: int, problems: list) -> None:
    """On a phone the filters are folded under one line and the first task is on the first screen; unfolded,
    every filter and saved filter is there and works (the page it opens is folded again, naming the choice).
    At a desktop width the filters are unfolded from the start."""
    facet = page.locator(".facet-village a").first
    first_row_in_view(page, f"inbox-{width}", problems)
    if width >= 640:
        if not facet.is_visible() or page.locator(".filter-panel > summary").is_visible():
            problems.append("inbox: the filters are folded at a desktop width")
        return
    summary = page.locator(".filter-panel > summary")
    if facet.is_visible() or not summary.is_visible():
        problems.append(f"inbox-{width}: the filters are not folded on a phone")
        return
    assert summary.inner_text() == "筛选条件：全部（已保存 2 个）", summary.inner_text()
    summary.click()
    assert facet.is_visible() and page.locator(".due-range-details summary").is_visible()
    page.screenshot(path=str(tmp_path / f"inbox-filters-open-{width}.png"), full_page=True)
    keep(tmp_path, f"inbox-filters-open-{width}.png")
    with page.expect_navigation():
        page.locator(".facet-village a", has_text="大河村").click()
    assert "village=" in page.url and not page.locator(".facet-village a").first.is_visible()
    assert page.locator(".filter-panel > summary .filter-chosen").inner_text() == "村（社区）：大河村"
    assert {t.strip() for t in page.locator("table.inbox td[data-label='村（社区）']").all_inner_texts()} == {"大河村"}
    first_row_in_view(page, f"inbox-{width} (filtered)", problems)
    page.locator(".filter-panel > summary").click()
    with page.expect_navigation():
        page.locator(".saved-list a", has_text="我已认领").click()
    assert "held=mine" in page.url and page.locator("table.inbox tbody tr").count() == 1
    assert page.locator(".filter-panel > summary .filter-chosen").inner_text().startswith("认领人：")
    page.goto(f"{base}/inbox")


@pytest.mark.parametrize("width", [390, 1366])
def test_the_clerks_pages_fit_the_window(db, clock, who, unit_id, tmp_path, width):
    skip_unless_browser(db)
    from webapp import create_app
    running, ended = seed(db, clock, who, unit_id)
    (tmp_path / "attachments").mkdir()
    from engine import BlobStore, store_attachment
    with db.unit_of_work(write=True) as uow:
        store_attachment(uow.session, who("township_xs"), clock, BlobStore(tmp_path / "attachments"),
                         case_id=running.case_id, material="household_register", filename="户口簿（全家）扫描件.png",
                         content=sample_scan("png"))
        uow.commit()
    app = create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test",
                      "ATTACHMENTS_DIR": str(tmp_path / "attachments")})
    [task] = running.open_tasks()
    household_id = running.case().household_id
    problems: list[str] = []
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": width, "height": 844 if width < 600 else 900}) \
            as (base, page):
        page.goto(f"{base}/login")
        check(page, tmp_path, "login", width, "main button[type=submit]", problems)
        log_in(page, base, LANE_USERS[running.township][task.role])  # the clerk of the open step (响水镇)
        page.goto(f"{base}/inbox")
        check(page, tmp_path, "inbox", width, "table.inbox tbody tr a", problems)
        inbox_filters(page, tmp_path, base, width, problems)
        page.goto(f"{base}/tasks/{task.id}")
        check(page, tmp_path, "task", width, "form.task-form button[name=submit]", problems)
        page.goto(f"{base}/cases/{running.case_id}")
        page.wait_for_selector("#diagram[data-rendered]")
        check(page, tmp_path, "case-running", width, "form.upload-form button[type=submit]", problems)
        box = page.locator(".diagram-scroll").bounding_box()
        if box["x"] + box["width"] > width + 1:
            problems.append(f"case-running: the diagram's box is wider than the window ({box})")
        drawn = page.locator("#diagram").bounding_box()["width"]
        if width < 640 and drawn <= box["width"]:  # a phone: drawn readable, wider than its scrolling box
            problems.append(f"case-running: the diagram is squeezed into {drawn}px")
        if width >= 640 and drawn > box["width"] + 1:  # a desktop: the whole route fits its card
            problems.append(f"case-running: the diagram ({drawn}px) is wider than its card ({box['width']}px)")
        page.goto(f"{base}/cases/{ended.case_id}")
        check(page, tmp_path, "case-finished", width, "p.finished", problems)
        assert page.locator("form.upload-form").count() == 0
        assert "剩余" not in page.locator("p.case-due").inner_text()  # no days left on a finished case
        page.goto(f"{base}/households/{household_id}")
        check(page, tmp_path, "household", width, "form.death-report button[type=submit]", problems)
        log_out(page)
        log_in(page, base, "supervisor")
        page.goto(f"{base}/supervisor")
        check(page, tmp_path, "supervisor-cases", width, "form.filters:not(.reports) button[type=submit]", problems)
        page.goto(f"{base}/supervisor/dashboard")
        page.wait_for_selector(".chart canvas, .chart svg")
        check(page, tmp_path, "dashboard", width, "form.filters button[type=submit]", problems)
    assert problems == [], "\n".join(problems)
