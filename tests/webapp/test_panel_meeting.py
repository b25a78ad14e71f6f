"""The review-panel meeting screen: several cases decided at once, each decision and vote recorded,
one signed record; "return for re-investigation" sends a case back to the street."""
from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from engine.store.models import PanelMeeting
from tests.processes.test_minimum_living_models import lodge, quiet_publicity  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("db")


def at_panel(lodge, clock, n: int):  # noqa: F811
    trails = []
    for i in range(n):
        t = lodge("santidikou", applicant_name=f"张桂兰{i}", fresh=True)
        for step in ("acceptance", "economic_check", "home_investigation", "democratic_appraisal"):
            t.do(step)
        trails.append(t)
    clock.advance(days=7, minutes=1)
    for t in trails:
        t.walk.fire_timers()
        assert t.walk.open_names() == ["panel_review"]
    return trails


def vote(task_id, decision, votes=(5, 0, 0), opinion="同意"):
    return {f"include-{task_id}": "1", f"panel_decision-{task_id}": decision, f"votes_for-{task_id}": str(votes[0]),
            f"votes_against-{task_id}": str(votes[1]), f"votes_abstain-{task_id}": str(votes[2]),
            f"panel_opinion-{task_id}": opinion}


def test_one_meeting_decides_three_cases(lodge, clock, login, db):  # noqa: F811
    approve, reject, back = at_panel(lodge, clock, 3)
    ids = [t.walk.open_tasks()[0].id for t in (approve, reject, back)]
    panel = login("panel_stk")
    page = panel.get("/panel").text
    assert all(t.walk.number in page for t in (approve, reject, back))
    form = {"attendees": "朱组长、杨干事、韩主任、居民代表二人",
            **vote(ids[0], "approved", (5, 0, 0), "材料齐全，同意纳入"),
            **vote(ids[1], "rejected", (1, 4, 0), "子女有赡养能力"),
            **vote(ids[2], "reinvestigate", (2, 2, 1), "收入情况存疑，退回重新调查")}
    response = panel.post_form("/panel", form)
    assert response.status_code == 302
    assert approve.walk.open_names() == ["street_approval"]
    assert back.walk.open_names() == ["home_investigation"]
    assert back.walk.open_tasks()[0].role == "township"
    with db.unit_of_work() as uow:
        s = uow.session
        meeting = s.execute(select(PanelMeeting)).scalar_one()
    items = {i["case_number"]: i for i in meeting.record["items"]}
    assert items[approve.walk.number]["panel_decision"] == "approved"
    assert (items[reject.walk.number]["votes_for"], items[reject.walk.number]["votes_against"]) == (1, 4)
    assert items[back.walk.number]["panel_decision"] == "reinvestigate"
    assert meeting.number == "三堤口街道评审〔2026〕1号" and meeting.attendees.startswith("朱组长")
    content = json.dumps({"number": meeting.number, "chair": meeting.chaired_by_id,
                          "held_at": meeting.held_at.isoformat(), "attendees": meeting.attendees,
                          "record": meeting.record["items"]}, ensure_ascii=False, sort_keys=True)
    assert meeting.signature == hashlib.sha256(content.encode("utf-8")).hexdigest()
    assert meeting.number in panel.get("/panel").text


def test_an_invalid_item_refuses_the_whole_meeting(lodge, clock, login, db):  # noqa: F811
    first, second = at_panel(lodge, clock, 2)
    ids = [t.walk.open_tasks()[0].id for t in (first, second)]
    form = {"attendees": "朱组长、杨干事", **vote(ids[0], "approved"), **vote(ids[1], "maybe")}
    response = login("panel_stk").post_form("/panel", form)
    assert response.status_code == 422 and "取值不在可选范围内" in response.text
    assert first.walk.open_names() == ["panel_review"] and second.walk.open_names() == ["panel_review"]
    with db.unit_of_work() as uow:
        s = uow.session
        assert s.execute(select(PanelMeeting)).first() is None


def test_only_panel_members_hold_meetings(login):
    assert login("street_stk").get("/panel").status_code == 403
    assert login("panel_stk").get("/panel").status_code == 200
