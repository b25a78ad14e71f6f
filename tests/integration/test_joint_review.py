"""The joint review (会审) of the departments' projects (issue 13, seed 004 三(六)): three departments submit, the
联席会议办公室 reviews them first, every present member unit gives its opinion on each project in one meeting,
one signed record, the report to the government, the approved projects on the county's overview."""
from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, select

from engine.errors import Conflict, DataFileInvalid, Forbidden, FormInvalid, NotFound
from engine.store.models import JointReviewEvent, JointReviewMeeting, JointReviewProject
from engine.window.joint_review import (agenda, approved_projects, hold_joint_review, initial_review, meeting_report,
                                        member_lists, members_for, projects, submit_project)

YEAR = 2026


def _submit(db, clock, principal, name, budget, **extra):
    with db.unit_of_work(write=True) as uow:
        pid = submit_project(uow.session, principal, clock, {"year": YEAR, "name": name, "budget": budget,
                                                             "description": f"{name}：对象、标准和资金来源", **extra})
        uow.commit()
    return pid


@pytest.fixture
def three_projects(db, clock, who, new_user):
    """人社, 医保 and 住建 each submit a project of 响水县; the office passes all three to the meeting."""
    ids = {"hrss": _submit(db, clock, who("liaison_hrss_xs"), "困难人员就业援助", 300000, beneficiaries=200),
           "medical_insurance": _submit(db, clock, who("liaison_yb_xs"), "重特大疾病医疗救助", 1200000),
           "housing": _submit(db, clock, who(new_user(("dept_housing", "320921"))), "农村危房改造救助", 800000)}
    with db.unit_of_work(write=True) as uow:
        for pid in ids.values():
            initial_review(uow.session, who("county_mz"), clock, pid, "pass", "")
        uow.commit()
    return ids


def _opinions(present, **exceptions):
    return {code: exceptions.get(code, "agree") for code in present}


def test_three_departments_one_meeting_one_record_and_the_report(db, clock, who, three_projects):
    office = who("county_mz")
    present = [m.code for m in members_for("320921")]
    with db.unit_of_work() as uow:
        assert {p["department"] for p in agenda(uow.session, office, YEAR)} == set(three_projects)
    decisions = {
        three_projects["hrss"]: {"opinions": _opinions(present), "decision": "approved"},
        three_projects["medical_insurance"]: {"opinions": _opinions(present, finance="disagree"),
                                              "decision": "adjusted", "approved_budget": 1000000,
                                              "note": "按上年实际支出核减"},
        three_projects["housing"]: {"opinions": _opinions(present, **{c: "disagree" for c in present[:8]}),
                                    "decision": "rejected", "note": "与住建部门既有危改资金重复"},
    }
    with db.unit_of_work(write=True) as uow:
        meeting_id = hold_joint_review(uow.session, office, clock, YEAR, "张局长、各成员单位分管负责人", present,
                                       decisions)
        uow.commit()
    with db.unit_of_work() as uow:
        s = uow.session
        meeting = meeting_report(s, office, meeting_id)
        assert s.execute(select(func.count()).select_from(JointReviewMeeting)).scalar_one() == 1
        record = meeting.record
        assert [e["project_id"] for e in record["projects"]] == list(decisions)
        for entry in record["projects"]:  # every present member unit's opinion on every project
            assert set(entry["opinions"]) == set(present)
        content = json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")
        assert meeting.signature == hashlib.sha256(content).hexdigest()
        assert meeting.number == "响救会〔2026〕1号" and meeting.report_number == "响民救报〔2026〕1号"
        report = meeting.report
        assert "响水县人民政府" in report and "社会救助项目及预算安排情况的报告" in report
        assert "确定实施项目 2 个，预算合计 1300000.00 元" in report
        assert "同意：12家；不同意：财政局" in report and meeting.signature in report
        status = {p["id"]: (p["status"], p["approved_budget"]) for p in projects(s, office, YEAR)}
        assert status == {three_projects["hrss"]: ("approved", 300000), three_projects["medical_insurance"]:
                          ("approved", 1000000), three_projects["housing"]: ("rejected", None)}
        listed = approved_projects(s, who("supervisor"), YEAR)
        assert [i["name"] for i in listed["items"]] == ["困难人员就业援助", "重特大疾病医疗救助"]
        assert listed["total"] == 1300000 and listed["items"][0]["meeting_number"] == meeting.number
        actions = s.execute(select(JointReviewEvent.action).order_by(JointReviewEvent.id)).scalars().all()
        assert actions == ["submitted"] * 3 + ["passed"] * 3 + ["decided"] * 3 + ["meeting"]
        with pytest.raises(NotFound):  # another county's office sees no meeting of 响水
            meeting_report(s, who("district_tx"), meeting_id)


def test_a_missing_opinion_or_a_majority_against_writes_nothing(db, clock, who, three_projects):
    office = who("county_mz")
    present = [m.code for m in members_for("320921")]
    half_against = _opinions(present, **{c: "disagree" for c in present[:7]})
    missing = _opinions(present)
    del missing["audit"]
    for decisions, key in (({three_projects["hrss"]: {"opinions": missing, "decision": "approved"}},
                            f"{three_projects['hrss']}.opinion.audit"),
                           ({three_projects["hrss"]: {"opinions": half_against, "decision": "approved"}},
                            f"{three_projects['hrss']}.decision")):
        with db.unit_of_work(write=True) as uow, pytest.raises(FormInvalid) as exc:
            hold_joint_review(uow.session, office, clock, YEAR, "参会人员", present, decisions)
        assert key in exc.value.errors
    with db.unit_of_work(write=True) as uow, pytest.raises(FormInvalid) as exc:  # no quorum
        hold_joint_review(uow.session, office, clock, YEAR, "参会人员", present[:6],
                          {three_projects["hrss"]: {"opinions": _opinions(present[:6]), "decision": "approved"}})
    assert "present" in exc.value.errors
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(func.count()).select_from(JointReviewMeeting)).scalar_one() == 0
        assert set(uow.session.execute(select(JointReviewProject.status)).scalars()) == {"passed"}


def test_role_and_place_decide_who_submits_reviews_and_meets(db, clock, who, new_user):
    hrss, elsewhere = who("liaison_hrss_xs"), who("liaison_hrss_tx")
    pid = _submit(db, clock, hrss, "就业援助", 1000)
    with db.unit_of_work(write=True) as uow:  # never committed: the refusals change nothing
        s = uow.session
        assert [p["id"] for p in projects(s, hrss)] == [pid]
        assert projects(s, elsewhere) == [] and projects(s, who("liaison_yb_xs")) == []
        assert [p["id"] for p in projects(s, who("county_mz"))] == [pid]
        assert projects(s, who("district_tx")) == []
        with pytest.raises(NotFound):  # another county's office
            initial_review(s, who("district_tx"), clock, pid, "pass", "")
        with pytest.raises(NotFound):  # a liaison does not review
            initial_review(s, hrss, clock, pid, "pass", "")
        with pytest.raises(NotFound):  # nor edits another department's project
            submit_project(s, who("liaison_yb_xs"), clock, {"name": "x" * 3, "budget": 1, "description": "说明"},
                           pid)
        with pytest.raises(Forbidden):
            submit_project(s, who("township_xs"), clock, {"name": "项目", "budget": 1, "description": "说明"})
        with pytest.raises(Forbidden):
            hold_joint_review(s, hrss, clock, YEAR, "参会", [], {pid: {}})
        with pytest.raises(FormInvalid) as exc:
            submit_project(s, hrss, clock, {"name": "", "budget": "-5", "description": "", "year": 1999})
        assert set(exc.value.errors) == {"name", "budget", "description", "year"}
        with pytest.raises(FormInvalid):  # a return needs what to change
            initial_review(s, who("county_mz"), clock, pid, "return", "")
        initial_review(s, who("county_mz"), clock, pid, "return", "请补充资金测算依据")
        with pytest.raises(Conflict):
            initial_review(s, who("county_mz"), clock, pid, "pass", "")
        submit_project(s, hrss, clock, {"name": "就业援助", "budget": 900, "description": "补充了测算依据"}, pid)
        assert projects(s, hrss)[0]["status"] == "submitted"


def test_the_member_list_is_checked_with_lines(tmp_path):
    import shutil
    from engine.catalogue.deployment import PROCESSES_DIR
    assert {m.code for m in member_lists()[None]} >= {"civil_affairs", "finance", "audit", "medical_insurance"}
    for name in ("catalog.toml", "window_items.toml", "joint_review.toml"):
        shutil.copy(PROCESSES_DIR / name, tmp_path / name)
    path = tmp_path / "joint_review.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('department = "housing"', 'department = "nowhere"'),
                    encoding="utf-8")
    with pytest.raises(DataFileInvalid) as exc:
        member_lists.__wrapped__(tmp_path)
    line = next(n for n, l in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "nowhere" in l)
    assert [p.line for p in exc.value.problems] == [line]
