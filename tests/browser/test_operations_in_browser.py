"""The clerk's operations in a real browser: a township clerk sends a case back to the village with a
reason, the village sees why and resubmits, the clerk goes on; a clerk hands a task to a colleague who
completes it; a supervisor urges a late task and the clerk sees it in the notification centre, with the
header's unread count. Chromium through Playwright against the live app (SQLite store only)."""
from __future__ import annotations

import os

import pytest

from tests.browser.test_application_in_browser import CHROMIUM, browser_page, log_in, log_out
from tests.factories import start

pytestmark = pytest.mark.browser
REASON = "收入证明复印件不清晰，请重新提供"


@pytest.fixture
def live(db, clock):
    if db.is_postgres:
        pytest.skip("the browser test runs on the SQLite store only")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing")
    from webapp import create_app
    return create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test"})


def submit_in(page, form_selector):
    with page.expect_navigation() as nav:
        page.click(f"{form_selector} button[type=submit]")
    return nav.value


def hand_to_colleague(page, task_url, operation, form_selector, colleague, reason):
    """On the task page, open an operation that hands the task to a colleague (转办, 委派), choose them, give the
    reason and submit."""
    page.goto(task_url)
    page.click(f"#operations summary:has-text('{operation}')")
    page.select_option(f"{form_selector} select[name=to_user_id]", label=f"测试用户 {colleague}")
    page.fill(f"{form_selector} textarea[name=reason]", reason)
    assert submit_in(page, form_selector).status == 200


def test_township_sends_back_to_the_village_who_resubmits(live, db, clock, who, unit_id, tmp_path):
    walk = start(db, clock, who, unit_id)
    walk.do("acceptance", acceptance_decision="incomplete", missing_materials="缺少收入证明")
    walk.do("supplement", supplied_materials="户口簿复印件")
    acceptance = walk.open_tasks()[0]
    with browser_page(live, tmp_path) as (base, page):
        log_in(page, base, "township_xs")
        page.goto(f"{base}/tasks/{acceptance.id}")
        page.click("#operations summary:has-text('退回')")
        page.select_option("form.send-back select[name=target_task_id]", label="补正材料（村（居）委会）")
        page.fill("form.send-back textarea[name=reason]", REASON)
        assert submit_in(page, "form.send-back").status == 200
        assert "/inbox" in page.url and "已退回" in page.inner_text(".flash")
        log_out(page)

        log_in(page, base, "village_sy")
        page.goto(f"{base}/inbox")
        assert REASON in page.inner_text("ul.notes")
        with page.expect_navigation():
            page.locator("table.inbox tbody tr", has_text=walk.number).get_by_role("link", name="补正材料").click()
        note = page.inner_text(".sent-back")
        assert REASON in note and "响水镇 张干事" in note and "受理审查" in note
        assert page.input_value("textarea[name=supplied_materials]") == "户口簿复印件"
        page.fill("textarea[name=supplied_materials]", "户口簿复印件、清晰的收入证明")
        with page.expect_navigation():
            page.click("button[name=submit]")
        log_out(page)

        log_in(page, base, "township_xs")
        page.goto(f"{base}/inbox")
        with page.expect_navigation():
            page.locator("table.inbox tbody tr", has_text=walk.number).get_by_role("link", name="受理审查").click()
        assert "清晰的收入证明" in page.inner_text("#steps")
        page.select_option("select[name=acceptance_decision]", "accepted")
        with page.expect_navigation():
            page.click("button[name=submit]")
        with page.expect_navigation():
            page.click(".from-case a")
        history = page.inner_text("ol.history")
        assert REASON in history and "受理审查 → 补正材料" in history
    assert walk.open_names() == ["economic_check"]


def test_a_clerk_transfers_a_task_to_a_colleague_who_completes_it(live, db, clock, who, unit_id, new_user, tmp_path):
    colleague = new_user(("township", "320921100"))
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    with browser_page(live, tmp_path) as (base, page):
        log_in(page, base, "township_xs")
        hand_to_colleague(page, f"{base}/tasks/{task.id}", "转办", "form.reassign", colleague, "本人下周休假，请代为办理")
        log_out(page)

        log_in(page, base, colleague)
        page.goto(f"{base}/inbox")
        assert "本人下周休假" in page.inner_text("ul.notes")
        row = page.locator("table.inbox tbody tr", has_text=walk.number)
        assert row.locator("td.holder").inner_text().strip() == "我"
        with page.expect_navigation():
            row.get_by_role("link", name="受理审查").click()
        assert f"认领人：测试用户 {colleague}" in page.inner_text("#operations")
        page.select_option("select[name=acceptance_decision]", "accepted")
        with page.expect_navigation():
            page.click("button[name=submit]")
    assert walk.open_names() == ["economic_check"]


def test_a_supervisor_urges_a_late_task_and_the_clerk_sees_it(live, db, clock, who, unit_id, tmp_path):
    from sqlalchemy import update
    from engine.store.models import User
    with db.unit_of_work(write=True) as uow:  # the clerk has not opened the notification centre yet: an earlier
        uow.session.execute(update(User).where(User.username == "township_xs")  # test's visit, at a later
                            .values(notifications_seen_at=None))             # clock, would hide the badge
        uow.commit()
    walk = start(db, clock, who, unit_id)
    clock.advance(days=10)  # the acceptance is overdue
    with browser_page(live, tmp_path) as (base, page):
        log_in(page, base, "supervisor")
        page.goto(f"{base}/cases/{walk.case_id}")
        page.click("ul.open-steps summary:has-text('催办')")
        page.fill("form.urge textarea[name=message]", "受理审查已超期，请今日办结")
        assert submit_in(page, "form.urge").status == 200
        assert "催办" in page.inner_text("ol.history") and "请今日办结" in page.inner_text("ol.history")
        assert page.locator("#operations").count() == 0 and page.locator("form.suspend").count() == 0
        log_out(page)
        log_in(page, base, "township_xs")
        page.goto(f"{base}/inbox")
        assert "受理审查已超期，请今日办结" in page.inner_text("ul.notes")
        unread = int(page.inner_text("header .header-notifications .badge.unread"))
        assert unread >= 1  # the urging (and the new task it is about, unless read before)
        with page.expect_navigation():
            page.click("header .header-notifications")
        urged = page.locator("ul.notification-list li.note-urged")
        assert "unread" in urged.get_attribute("class") and "请今日办结" in urged.inner_text()
        assert "1 条新" in page.inner_text(".notification-kinds a.kind-urged")
        page.goto(f"{base}/inbox")  # the visit read them: the header's count is gone
        assert page.locator("header .header-notifications .badge.unread").count() == 0


def test_a_clerk_delegates_a_task_the_colleague_fills_it_in_and_returns_it(live, db, clock, who, unit_id, new_user,
                                                                          tmp_path):
    colleague = new_user(("township", "320921100"))
    walk = start(db, clock, who, unit_id)
    task = walk.open_tasks()[0]
    with browser_page(live, tmp_path) as (base, page):
        log_in(page, base, "township_xs")
        hand_to_colleague(page, f"{base}/tasks/{task.id}", "委派给同事", "form.delegate", colleague, "请协助核对受理材料")
        assert "已委派" in page.inner_text(".flash")
        page.goto(f"{base}/tasks/{task.id}")
        assert "已委派给" in page.inner_text(".held") and page.locator("form.task-form").count() == 0
        log_out(page)

        log_in(page, base, colleague)
        page.goto(f"{base}/inbox")
        assert "请协助核对受理材料" in page.inner_text("ul.notes")
        page.goto(f"{base}/tasks/{task.id}")
        assert "委派您填写此步骤" in page.inner_text(".delegation[role=status]")
        page.select_option("select[name=acceptance_decision]", "accepted")
        with page.expect_navigation():
            page.click("button.return-delegation")
        assert "已交回委派人" in page.inner_text(".flash")
        log_out(page)

        log_in(page, base, "township_xs")
        page.goto(f"{base}/tasks/{task.id}")
        assert f"测试用户 {colleague}" in page.inner_text(".returned-delegation")
        assert page.input_value("select[name=acceptance_decision]") == "accepted", "what the delegate entered"
        with page.expect_navigation():
            page.click("button[name=submit]")
        assert "已办理完毕" in page.inner_text(".flash")
    assert walk.open_names() == ["economic_check"]
    with db.unit_of_work() as uow:
        from sqlalchemy import select
        from engine.store.models import CaseEvent
        kinds = uow.session.execute(select(CaseEvent.kind).where(CaseEvent.case_id == walk.case_id)
                                    .order_by(CaseEvent.id)).scalars().all()
    assert kinds[-3:] == ["task_delegated", "task_delegation_returned", "task_completed"]


def test_the_second_investigator_co_signs_the_home_visit_before_it_is_completed(live, db, clock, who, unit_id,
                                                                               tmp_path):
    """会签 on 入户调查 (the route's property cosign): the clerk adds the second investigator, who signs off from
    the task page; only then does the step complete."""
    walk = start(db, clock, who, unit_id)
    walk.drive_to("home_investigation")
    task = next(t for t in walk.open_tasks() if t.task_name == "home_investigation")
    with browser_page(live, tmp_path) as (base, page):
        log_in(page, base, "township_xs")
        page.goto(f"{base}/tasks/{task.id}")
        assert "本步骤须会签" in page.inner_text("#operations .cosigners")
        page.click("#operations summary:has-text('加签')")
        page.select_option("form.add-cosigner select[name=user_id]", label="响水镇 李干事")
        page.fill("form.add-cosigner textarea[name=reason]", "共同入户调查")
        assert submit_in(page, "form.add-cosigner").status == 200
        assert "响水镇 李干事" in page.inner_text("#operations .cosigners")
        log_out(page)

        log_in(page, base, "township_xs2")
        page.goto(f"{base}/notifications")
        assert "请您会签" in page.inner_text("ul.notification-list")
        page.goto(f"{base}/tasks/{task.id}")
        page.fill("form.sign-off textarea[name=opinion]", "同意调查结论，情况属实")
        assert submit_in(page, "form.sign-off").status == 200
        log_out(page)
    walk.do("home_investigation")  # signed: the clerk completes it (no co-signer is added again)
    assert "home_investigation" not in walk.open_names()
    signed = [e for e in walk.events() if e.kind == "task_cosigned"]
    assert len(signed) == 1 and signed[0].data["opinion"] == "同意调查结论，情况属实"
