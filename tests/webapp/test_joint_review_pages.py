"""The joint review's pages (issue 13, seed 004 三(六)): a liaison submits, the office reviews and holds the
meeting on one screen, the report is printable, the county's overview lists the approved projects; CSRF,
role × place and bad input (4xx, nothing written)."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from engine.store.models import JointReviewMeeting, JointReviewProject
from engine.window.joint_review import members_for


def _submit(client, name, budget):
    response = client.post_form("/window/projects", {"year": "2026", "name": name, "budget": str(budget),
                                                     "description": f"{name}的对象和标准"})
    assert response.status_code == 303, response.text


def test_submit_review_meet_and_report(login, db):
    _submit(login("liaison_hrss_xs"), "就业援助专项", 250000)
    _submit(login("liaison_yb_xs"), "大病医疗再救助", 600000)
    office = login("county_mz")
    page = office.get("/window/joint-review?year=2026").text
    assert "就业援助专项" in page and "待初审" in page
    with db.unit_of_work() as uow:
        ids = uow.session.execute(select(JointReviewProject.id).order_by(JointReviewProject.id)).scalars().all()
    refused = office.post_form(f"/window/joint-review/projects/{ids[0]}", {"decision": "return", "note": ""})
    assert refused.status_code == 422 and "退回须写明需修改之处" in refused.text
    for pid in ids:
        assert office.post_form(f"/window/joint-review/projects/{pid}", {"decision": "pass"}).status_code == 303
    assert office.post_form(f"/window/joint-review/projects/{ids[0]}", {"decision": "pass"}).status_code == 409
    meeting = office.get("/window/joint-review/meeting?year=2026").text
    members = [m.code for m in members_for("320921")]
    assert all(m.name_zh in meeting for m in members_for("320921")) and "大病医疗再救助" in meeting
    form = {"year": "2026", "attendees": "王局长等13家成员单位负责人", "present": members}
    for pid in ids:
        form.update({f"include-{pid}": "1", f"decision-{pid}": "approved",
                     **{f"opinion-{pid}-{code}": "agree" for code in members}})
    form[f"opinion-{ids[1]}-audit"] = ""  # one opinion missing: the whole meeting is refused
    refused = office.post_form("/window/joint-review/meeting", form)
    assert refused.status_code == 422 and "请记录审计局对该项目的意见" in refused.text
    form[f"opinion-{ids[1]}-audit"] = "abstain"
    for code in members[:10]:  # the units left blank take the one choice for the rest
        del form[f"opinion-{ids[0]}-{code}"]
    form[f"opinion_rest-{ids[0]}"] = "agree"
    done = office.post_form("/window/joint-review/meeting", form)
    assert done.status_code == 303
    report = office.get(done.location).text
    assert report.count("同意：13家") == 1 and "同意：12家；弃权：审计局" in report
    assert "社会救助项目及预算安排情况的报告" in report and "响水县人民政府" in report and "850000.00" in report
    overview = login("supervisor").get("/window/overview?year=2026").text
    assert "就业援助专项" in overview and "响救会〔2026〕1号" in overview
    assert login("supervisor").get(done.location).status_code == 200  # the supervisor reads the report
    assert login("district_tx").get(done.location).status_code == 404  # another county does not


def test_roles_csrf_and_bad_input_change_nothing(login, db):
    liaison = login("liaison_hrss_xs")
    assert liaison.get("/window/joint-review/meeting").status_code == 403
    assert login("township_xs").get("/window/projects").status_code == 403
    bad = liaison.post_form("/window/projects", {"name": "", "budget": "abc", "description": "", "year": "2026"})
    assert bad.status_code == 422 and "预算应为金额" in bad.text
    assert liaison.client.post("/window/projects", data={"name": "项目名称", "budget": "100",
                                                         "description": "说明"}).status_code == 400  # no CSRF token
    assert liaison.post_form("/window/projects", {"name": "项目", "budget": "1", "description": "说明",
                                                  "department": "housing"}).status_code == 422  # not theirs
    assert login("county_mz").post_form("/window/joint-review/projects/1", {"decision": "maybe"}).status_code == 400
    assert login("county_mz").post_form("/window/joint-review/projects/999999",
                                        {"decision": "pass"}).status_code == 404
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(func.count()).select_from(JointReviewProject)).scalar_one() == 0
        assert uow.session.execute(select(func.count()).select_from(JointReviewMeeting)).scalar_one() == 0
    assert re.search("没有待会审的项目|No project awaits", login("county_mz").get("/window/joint-review/meeting").text)


def test_the_joint_review_pages_read_in_english(login):
    _submit(login("liaison_hrss_xs"), "就业援助专项", 250000)
    office = login("county_mz")
    office.post_form("/lang/en", {"next": "/window/joint-review"})
    page = office.get("/window/joint-review").text
    assert "Joint review of projects" in page and "Pass to the meeting" in page and "Submitted by" in page
    assert "Member units present" not in office.get("/window/joint-review/meeting").text  # nothing passed yet
    assert "No project awaits the joint review" in office.get("/window/joint-review/meeting").text
