"""The joint review's API entries (issue 13, seed 004 三(六)): a liaison submits and changes its projects, the
office reviews them and records the meeting, projects, meetings and the report are read; role × place (another
county's liaison and office see and change nothing), bad bodies (4xx with a message, nothing written), CSRF."""
from __future__ import annotations

from sqlalchemy import func, select

from engine.store.models import JointReviewEvent, JointReviewMeeting, JointReviewProject
from engine.window.joint_review import members_for

BASE = "/api/v1/joint-review"
PROJECT = {"year": 2026, "name": "大病医疗再救助", "description": "对象和标准", "budget": 600000}


def _send(user, url, body, method="post"):
    return getattr(user.client, method)(url, json=body, headers={"X-CSRFToken": user.csrf})


def _counts(db) -> tuple[int, int, int]:
    with db.unit_of_work() as uow:
        s = uow.session
        return tuple(s.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (JointReviewProject, JointReviewMeeting, JointReviewEvent))


def test_submit_change_review_meet_and_read(login):
    liaison, office = login("liaison_yb_xs"), login("county_mz")
    made = _send(liaison, f"{BASE}/projects", PROJECT)
    assert made.status_code == 201, made.json
    project = made.json
    assert project["department"] == "medical_insurance" and project["status"] == "submitted"
    assert project["status_en"] == "Awaiting initial review" and project["department_en"] != project["department_zh"]
    changed = _send(liaison, f"{BASE}/projects/{project['id']}", {**PROJECT, "budget": 500000}, "put")
    assert changed.status_code == 200 and changed.json["budget"] == 500000
    assert [p["id"] for p in liaison.client.get(f"{BASE}/projects?year=2026").json["items"]] == [project["id"]]
    assert office.client.get(f"{BASE}/projects?status=submitted").json["items"][0]["id"] == project["id"]
    passed = _send(office, f"{BASE}/projects/{project['id']}/initial-review", {"decision": "pass"})
    assert passed.status_code == 200 and passed.json["status"] == "passed"
    assert _send(liaison, f"{BASE}/projects/{project['id']}", PROJECT, "put").status_code == 409  # reviewed
    assert _send(office, f"{BASE}/projects/{project['id']}/initial-review", {"decision": "pass"}).status_code == 409
    agenda = office.client.get(f"{BASE}/agenda?year=2026").json
    members = [m["code"] for m in agenda["members"]]
    assert members == [m.code for m in members_for("320921")] and [p["id"] for p in agenda["items"]] == [project["id"]]
    meeting = _send(office, f"{BASE}/meetings", {
        "year": 2026, "attendees": "王局长等13家成员单位负责人", "present": members,
        "decisions": [{"project_id": project["id"], "opinions": dict.fromkeys(members, "agree"),
                       "decision": "adjusted", "approved_budget": 400000, "note": "压减非必要支出"}]})
    assert meeting.status_code == 201, meeting.json
    assert "社会救助项目及预算安排情况的报告" in meeting.json["report"] and meeting.json["signature"]
    assert [m["id"] for m in office.client.get(f"{BASE}/meetings").json["items"]] == [meeting.json["id"]]
    supervisor = login("supervisor")
    assert supervisor.client.get(f"{BASE}/meetings/{meeting.json['id']}").json["report_number"]
    read = supervisor.client.get(f"{BASE}/projects?year=2026&status=approved").json["items"]
    assert [(p["id"], p["approved_budget"]) for p in read] == [(project["id"], 400000)]


def test_another_county_and_other_roles_see_and_change_nothing(login, db):
    project = _send(login("liaison_hrss_xs"), f"{BASE}/projects", PROJECT).json
    other = login("liaison_hrss_tx")  # the same department in another county
    assert other.client.get(f"{BASE}/projects").json["items"] == []
    assert _send(other, f"{BASE}/projects/{project['id']}", PROJECT, "put").status_code == 404
    assert _send(login("liaison_yb_xs"), f"{BASE}/projects/{project['id']}", PROJECT, "put").status_code == 404
    assert _send(login("district_tx"), f"{BASE}/projects/{project['id']}/initial-review",
                 {"decision": "pass"}).status_code == 404  # another county's office
    assert login("district_tx").client.get(f"{BASE}/projects").json["items"] == []
    assert _send(login("liaison_hrss_xs"), f"{BASE}/projects/{project['id']}/initial-review",
                 {"decision": "pass"}).status_code == 403  # a liaison does not review
    assert _send(login("township_xs"), f"{BASE}/projects", PROJECT).status_code == 403
    assert login("township_xs").client.get(f"{BASE}/projects").status_code == 403
    assert login("liaison_hrss_xs").client.get(f"{BASE}/meetings").status_code == 403
    assert _send(login("supervisor"), f"{BASE}/meetings", {"year": 2026, "attendees": "x", "present": [],
                                                           "decisions": []}).status_code == 403
    assert login("district_tx").client.get(f"{BASE}/meetings/999999").status_code == 404
    assert _counts(db) == (1, 0, 1)


def test_bad_bodies_and_missing_csrf_write_nothing(login, db):
    liaison, office = login("liaison_hrss_xs"), login("county_mz")
    assert liaison.client.post(f"{BASE}/projects", json=PROJECT).status_code == 400  # no CSRF token
    bad = _send(liaison, f"{BASE}/projects", {**PROJECT, "budget": -5, "name": ""})
    assert bad.status_code == 422 and {"budget", "name"} <= set(bad.json["errors"]) and bad.json["message"]
    assert _send(liaison, f"{BASE}/projects", {**PROJECT, "budget": "abc"}).status_code == 422
    assert _send(liaison, f"{BASE}/projects", {**PROJECT, "colour": "red"}).status_code == 422  # unknown field
    assert _send(liaison, f"{BASE}/projects", {**PROJECT, "department": "housing"}).status_code == 422  # not theirs
    assert _send(liaison, f"{BASE}/projects", {**PROJECT, "year": 1999}).status_code == 422
    assert liaison.client.get(f"{BASE}/projects?status=nonsense").status_code == 400
    assert _counts(db) == (0, 0, 0)
    project = _send(liaison, f"{BASE}/projects", PROJECT).json
    assert office.client.post(f"{BASE}/projects/{project['id']}/initial-review",
                              json={"decision": "pass"}).status_code == 400  # no CSRF token
    assert _send(office, f"{BASE}/projects/{project['id']}/initial-review", {"decision": "maybe"}).status_code == 422
    returned = _send(office, f"{BASE}/projects/{project['id']}/initial-review", {"decision": "return", "note": ""})
    assert returned.status_code == 422 and "note" in returned.json["errors"]
    assert _send(office, f"{BASE}/projects/{project['id']}/initial-review", {"decision": "pass"}).status_code == 200
    members = [m.code for m in members_for("320921")]
    meeting = {"year": 2026, "attendees": "王局长等", "present": members,
               "decisions": [{"project_id": project["id"], "opinions": dict.fromkeys(members, "agree"),
                              "decision": "approved"}]}
    assert office.client.post(f"{BASE}/meetings", json=meeting).status_code == 400  # no CSRF token
    few = _send(office, f"{BASE}/meetings", {**meeting, "present": members[:3]})
    assert few.status_code == 422 and "present" in few.json["errors"]
    missing = {**meeting, "decisions": [{**meeting["decisions"][0], "opinions": {members[0]: "agree"}}]}
    assert _send(office, f"{BASE}/meetings", missing).status_code == 422  # an opinion of a present unit missing
    wrong = {**meeting, "decisions": [{**meeting["decisions"][0], "opinions": {members[0]: "perhaps"}}]}
    assert _send(office, f"{BASE}/meetings", wrong).status_code == 422
    assert _send(office, f"{BASE}/meetings", {**meeting, "decisions": []}).status_code == 422
    twice = {**meeting, "decisions": meeting["decisions"] * 2}
    assert _send(office, f"{BASE}/meetings", twice).status_code == 400
    assert _send(office, f"{BASE}/meetings", {**meeting, "decisions": [
        {**meeting["decisions"][0], "project_id": 999999}]}).status_code == 422  # not on the agenda
    assert _counts(db)[1] == 0
    assert _send(office, f"{BASE}/meetings", meeting).status_code == 201


def test_the_openapi_document_describes_the_joint_review_and_validates(login):
    from openapi_spec_validator import validate
    doc = login("county_mz").get("/api/v1/openapi.json").json
    validate(doc)
    assert {f"{BASE}/projects", f"{BASE}/projects/{{project_id}}", f"{BASE}/projects/{{project_id}}/initial-review",
            f"{BASE}/agenda", f"{BASE}/meetings", f"{BASE}/meetings/{{meeting_id}}"} <= set(doc["paths"])
    assert {"ProjectBody", "MeetingBody", "Project", "Meeting"} <= set(doc["components"]["schemas"])
    assert doc["paths"][f"{BASE}/projects/{{project_id}}"]["put"]["parameters"][1]["name"] == "X-CSRFToken"
