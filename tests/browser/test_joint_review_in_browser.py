"""The joint review (会审) in Chromium (issue 13, seed 004 三(六)): a liaison submits a project on the page, the
office passes the three departments' projects, records every member unit's opinion and the decisions on the one
meeting screen, and reads the report; the county's overview lists the approved projects. Screenshots at 1366
and 390 px (JIUZHU_SCREENSHOTS keeps them)."""
from __future__ import annotations

import pytest

from engine.window.joint_review import members_for, submit_project
from tests.browser.test_application_in_browser import browser_page, log_in, log_out
from tests.browser.test_window_in_browser import shoot, window_app

pytestmark = pytest.mark.browser


def test_the_office_holds_the_joint_review_on_one_screen(db, clock, who, tmp_path, new_user):
    app = window_app(db, clock, tmp_path)
    with db.unit_of_work(write=True) as uow:  # two departments' projects submitted before the meeting
        for username, name, budget in (("liaison_yb_xs", "重特大疾病医疗救助", 1500000),
                                       (new_user(("dept_housing", "320921")), "农村困难家庭危房改造", 800000)):
            submit_project(uow.session, who(username), clock, {"name": name, "budget": budget,
                                                              "description": f"{name}：对象和标准"})
        uow.commit()
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1366, "height": 900}) as (base, page):
        log_in(page, base, "liaison_hrss_xs")
        page.goto(f"{base}/window/projects")
        page.fill("input[name=name]", "困难人员就业援助")
        page.fill("textarea[name=description]", "公益性岗位和灵活就业社保补贴")
        page.fill("input[name=budget]", "360000")
        page.fill("input[name=beneficiaries]", "240")
        with page.expect_navigation():
            page.click("form.project-form button[type=submit]")
        assert "待初审" in page.content()
        log_out(page)

        log_in(page, base, "county_mz")
        page.goto(f"{base}/window/joint-review")
        for _ in range(3):
            with page.expect_navigation():
                page.locator("form.initial-review button[value=pass]").first.click()
        assert page.content().count("初审通过，待会审") == 3
        page.goto(f"{base}/window/joint-review/meeting")
        page.fill("input[name=attendees]", "副县长、民政局长及各成员单位分管负责人")
        projects = page.locator("fieldset.project")
        assert projects.count() == 3
        members = [m.code for m in members_for("320921")]
        for i in range(3):
            project = projects.nth(i)
            pid = project.get_attribute("data-project")
            for code in members:
                project.locator(f"select[name=opinion-{pid}-{code}]").select_option("agree")
            housing = "危房改造" in project.inner_text()
            project.locator(f"select[name=decision-{pid}]").select_option("rejected" if housing else "approved")
            if housing:
                project.locator(f"input[name=note-{pid}]").fill("与既有危改资金重复")
        shoot(page, tmp_path, "joint-review-meeting")
        with page.expect_navigation():
            page.click("form.joint-review > button[type=submit]")
        report = page.locator("article.document").inner_text()
        assert "社会救助项目及预算安排情况的报告" in report and "确定实施项目 2 个，预算合计 1860000.00 元" in report
        shoot(page, tmp_path, "joint-review-report")
        page.goto(f"{base}/window/overview")
        listed = page.locator("section.approved-projects").inner_text()
        assert "困难人员就业援助" in listed and "重特大疾病医疗救助" in listed and "危房改造" not in listed
