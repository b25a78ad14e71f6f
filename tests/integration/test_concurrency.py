"""Two people completing the same task at the same moment: exactly one wins, the other gets 409."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from engine.store.models import Case, CaseEvent, HumanTask
from tests.factories import start

ROUNDS = 15


@pytest.mark.parametrize("round_no", range(ROUNDS))
def test_race_on_one_task(db, clock, who, unit_id, login, round_no):
    walk = start(db, clock, who, unit_id)
    task_id = walk.open_tasks()[0].id
    users = [login("township_xs"), login("township_xs")]
    forms = [{"acceptance_decision": "accepted", "accepted_on": "2026-09-15"},
             {"acceptance_decision": "incomplete", "accepted_on": "2026-09-15", "missing_materials": "缺少收入证明"}]
    barrier = threading.Barrier(2)
    responses = [None, None]

    def submit(i):
        barrier.wait()
        responses[i] = users[i].post_form(f"/tasks/{task_id}", forms[i])

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302, 409], [r.text[:300] for r in responses]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 302)
    loser = responses[1 - winner]
    assert "已由 响水镇 张干事 于" in loser.text and "办理" in loser.text
    with db.unit_of_work() as uow:
        s = uow.session
        case = s.get(Case, walk.case_id)
        assert case.revision == 2
        completions = s.execute(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == walk.case_id, CaseEvent.kind == "task_completed")).scalar()
        assert completions == 1
        event = s.execute(select(CaseEvent).where(CaseEvent.case_id == walk.case_id,
                                                  CaseEvent.kind == "task_completed")).scalar_one()
        assert event.data["acceptance_decision"] == forms[winner]["acceptance_decision"]
        open_steps = s.execute(select(HumanTask.task_name).where(HumanTask.case_id == walk.case_id,
                                                                 HumanTask.status == "open")).scalars().all()
    assert open_steps == (["economic_check"] if winner == 0 else ["supplement"])


def test_api_race_reports_who_and_when_as_json(db, clock, who, unit_id, login):
    walk = start(db, clock, who, unit_id)
    task_id = walk.open_tasks()[0].id
    user = login("township_xs")
    body = {"data": {"acceptance_decision": "accepted", "accepted_on": "2026-09-15"}}
    first = user.client.post(f"/api/v1/tasks/{task_id}/complete", json=body, headers={"X-CSRFToken": user.csrf})
    second = user.client.post(f"/api/v1/tasks/{task_id}/complete", json=body, headers={"X-CSRFToken": user.csrf})
    assert first.status_code == 200 and second.status_code == 409
    assert second.json["completed_by"] == "响水镇 张干事"
    assert second.json["completed_at"].startswith("2026-09-15T02:00")
